/**
 * `mcp-guard demo [--policy FILE] [--interactive]`, the entry of dist/mcp-guard-demo.js: the real guard in front of the
 * bundled Odoo stand-in, played as a scripted agent session or typed by the person.
 */
import { parseArgs } from 'node:util';
import { LineReader } from './line-reader';
import { runInteractive } from './interactive';
import { styleFor } from './report';
import { playScript } from './script';
import { DemoError, prepareFiles } from './setup';

export const DEMO_USAGE = `Usage: mcp-guard demo [--policy FILE] [--interactive]
  Runs the real guard in front of a bundled stand-in for the Odoo MCP server (sample data, no network) and plays a
  short agent session, showing each decision; then prints where the audit log is.
  --policy FILE   the policy to show instead of the starter policy
  --interactive   type the calls yourself (TOOL {"json": "arguments"}); approvals are asked in the terminal`;

/** Runs the demo; resolves with the exit code: 0 done, 1 something went wrong (said on stderr), 2 wrong usage. */
export async function demoCommand(argv: readonly string[], distDir: string = __dirname): Promise<number> {
  let values: { policy?: string; interactive?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv as string[],
      options: { policy: { type: 'string' }, interactive: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`mcp-guard demo: ${(e as Error).message}\n\n${DEMO_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${DEMO_USAGE}\n`);
    return 0;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const style = styleFor(process.stdout);
  try {
    const files = prepareFiles(distDir, values.policy);
    if (values.interactive) {
      const input = new LineReader(process.stdin, process.stdout);
      try {
        await runInteractive({ files, style, out, input });
      } finally {
        input.close();
      }
    } else {
      await playScript({ files, style, out });
    }
    return 0;
  } catch (e) {
    if (!(e instanceof DemoError)) throw e;
    process.stderr.write(`mcp-guard demo: ${e.message}\n`);
    return 1;
  }
}
