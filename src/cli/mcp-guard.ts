/** The `mcp-guard` entry point: picks the subcommand, tunes V8 for a small long-lived process, and maps failures to exit codes. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { USAGE, UsageError, parsePinArgs, parseRunArgs, parseServeArgs, type ServeOptions } from './args';

// Almost everything the guard allocates dies with its message. Without this, V8 doubles the
// young generation under load and the guard's peak memory grew from ~58 MB to ~95 MB
// (npm run bench, when this was written); setting it cost no measurable CPU.
setFlagsFromString('--semi-space-growth-factor=1');
// What does survive (the objects of calls in flight when a scavenge comes) fills the old generation
// until V8's next full collection, which V8 places at up to 4x the live heap (~8 MB here, mostly the
// bundle's own source and code), picking the factor from its GC and mutator speeds: the guard's
// peak under the bench's load flipped between ~68 and ~84 MB from run to run. Growing by half keeps
// it at the lower value.
setFlagsFromString('--heap-growing-percent=50');
import { runGuard } from './run';
import { pinCommand } from './pin';
import { validateCommand } from './validate';
import { explainCommand } from './explain';
import { testCommand } from './test';
import { VERSION } from '../guard/version';
import type * as DemoModule from './demo/main';
import type * as ServeModule from './serve/main';

/**
 * `mcp-guard demo` lives in its own bundle next to this one (dist/mcp-guard-demo.js): it carries the MCP SDK's client,
 * which the guard itself, started for every MCP session, does without.
 */
function runDemo(argv: readonly string[]): Promise<number> {
  const bundle = join(__dirname, 'mcp-guard-demo.js');
  if (!existsSync(bundle)) {
    process.stderr.write(
      `mcp-guard: the demo is not installed: ${bundle} is missing. Run npm run build (in a clone of MCP Guard), or reinstall the package.\n`,
    );
    return Promise.resolve(1);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a separate bundle, found next to this one at run time
  const demo = require(bundle) as typeof DemoModule;
  return demo.demoCommand(argv);
}

/**
 * `mcp-guard serve` lives in its own bundle too (dist/mcp-guard-serve.js): the HTTP server and Streamable HTTP
 * client it carries would otherwise be loaded by every stdio guard.
 */
function runServe(opts: ServeOptions): Promise<number> {
  const bundle = join(__dirname, 'mcp-guard-serve.js');
  if (!existsSync(bundle)) {
    process.stderr.write(`mcp-guard: serve is not installed: ${bundle} is missing. Run npm run build, or reinstall the package.\n`);
    return Promise.resolve(1);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a separate bundle, found next to this one at run time
  const serve = require(bundle) as typeof ServeModule;
  return serve.serveGuard(opts);
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runGuard(parseRunArgs(rest));
    case 'pin':
      return pinCommand(
        parsePinArgs(rest),
        (line) => process.stdout.write(`${line}\n`),
        (line) => process.stderr.write(`${line}\n`),
      );
    case 'serve':
      return runServe(parseServeArgs(rest));
    case 'validate':
      return validateCommand(rest, (line) => process.stdout.write(`${line}\n`));
    case 'test':
      return testCommand(rest, (line) => process.stdout.write(`${line}\n`));
    case 'explain':
      return explainCommand(rest, (text) => process.stdout.write(`${text}\n`));
    case 'demo':
      return runDemo(rest);
    case '--version':
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`mcp-guard: ${(error as Error).message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`mcp-guard: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
