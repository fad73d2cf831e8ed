// `npm run test:desktop`: the extension-host suites (test/integration/suite, the same bundle and the
// same workspace as the code-server harness that `npm test` runs) in desktop VS Code, under
// @vscode/test-electron, the standard harness. It downloads VS Code into .vscode-test/ on first run,
// so it needs to reach update.code.visualstudio.com; where that fails it says so and exits 2.
//
// Usage: node scripts/test-desktop.mjs [--grep <regex>] [--vscode-version <v>] [--download-timeout <s>] [--timeout <s>]
//   --vscode-version    VS Code to download (default MCP_GUARD_VSCODE_VERSION, else 1.139.1, the VS Code
//                       of the code-server harness); also stable, insiders, or 1.101.0 (the engines floor)
//   --download-timeout  seconds without progress before a download request is abandoned (default 15)
//   --timeout           seconds the suites may take once VS Code is started (default 300)
// Env: MCP_GUARD_VSCODE_EXECUTABLE=/path/to/code uses an installed VS Code instead of downloading one.
// Exit: 0 all passed; 1 a test or the harness failed; 2 VS Code could not be downloaded or started here.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import { CODE_SERVER_VERSION, ROOT } from './integration/common.mjs';
import { TESTS_ENTRY, USER_SETTINGS } from './integration/launch.mjs';
import { buildIntegrationTests, printResults } from './integration/suites.mjs';
import { makeWorkspace } from './integration/workspace.mjs';

const HOST = 'desktop, @vscode/test-electron';
// By default the VS Code that the code-server harness runs (code-server 4.X.Y ships VS Code 1.X.Y).
const VSCODE_VERSION = process.env.MCP_GUARD_VSCODE_VERSION || CODE_SERVER_VERSION.replace(/^4\./, '1.');
const CANNOT_RUN = 2;

const { values: opts } = parseArgs({
  options: {
    grep: { type: 'string' },
    'vscode-version': { type: 'string', default: VSCODE_VERSION },
    'download-timeout': { type: 'string', default: '15' },
    timeout: { type: 'string', default: '300' },
  },
});

const log = (...args) => console.log('[test:desktop]', ...args);
const fail = (...lines) => {
  for (const line of lines) console.error(`[test:desktop] ${line}`);
};

function reason(err) {
  if (err instanceof Error) return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
  return String(err);
}

function cannotDownload(version, err) {
  fail(
    `FAILED: could not download VS Code ${version} (${reason(err)}).`,
    'This harness runs the extension-host suites in desktop VS Code, which @vscode/test-electron downloads',
    'from update.code.visualstudio.com into .vscode-test/ (about 150 MB, once). This machine cannot reach it.',
    'Here, `npm test` is the harness to use: it runs the same suites in code-server, installed from npm.',
    'With internet access: `npm run test:desktop` (on Linux without a display: `xvfb-run -a npm run test:desktop`),',
    'or set MCP_GUARD_VSCODE_EXECUTABLE to an installed VS Code to skip the download.',
  );
  process.exit(CANNOT_RUN);
}

async function vscodeExecutable() {
  const installed = process.env.MCP_GUARD_VSCODE_EXECUTABLE;
  if (installed) {
    if (!existsSync(installed)) {
      fail(`FAILED: MCP_GUARD_VSCODE_EXECUTABLE is ${installed}, which does not exist.`);
      process.exit(CANNOT_RUN);
    }
    return installed;
  }
  const version = opts['vscode-version'];
  const timeout = Number(opts['download-timeout']) * 1000;
  log(`VS Code ${version}: looking in .vscode-test/, else downloading (a request gives up after ${timeout / 1000}s without progress)`);
  try {
    // The timeout is test-electron's own: per request, and for the archive, per pause in the
    // stream; a DNS failure or a refused connection fails at once, a black hole after `timeout`.
    return await downloadAndUnzipVSCode({ version, timeout, cachePath: join(ROOT, '.vscode-test') });
  } catch (err) {
    return cannotDownload(version, err);
  }
}

async function main() {
  const started = Date.now();
  const executable = await vscodeExecutable();
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    fail(
      'FAILED: no display (DISPLAY and WAYLAND_DISPLAY are unset), and desktop VS Code needs one.',
      'Run it under a virtual X server: `xvfb-run -a npm run test:desktop`; or use `npm test` (code-server, headless).',
    );
    return CANNOT_RUN;
  }
  await buildIntegrationTests();

  // A fresh profile per run, with the code-server harness's user settings, and the same workspace.
  const tmp = mkdtempSync(join(tmpdir(), 'mcp-guard-desktop-'));
  // Not common.mjs's onExitCleanup: its SIGINT handler would exit at once, leaving VS Code running;
  // during runTests, Ctrl-C (and the watchdog) go to test-electron's handler, which closes VS Code.
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  const userData = join(tmp, 'user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2) + '\n');
  mkdirSync(join(tmp, 'tmp'));
  const workspace = makeWorkspace(tmp);
  const resultsFile = join(tmp, 'results.json');

  // From a VS Code terminal these would make the new VS Code hand over to the running one, or
  // run Electron as plain Node.
  for (const k of Object.keys(process.env)) if (/^(VSCODE_|ELECTRON_)/.test(k)) delete process.env[k];

  // While VS Code runs, SIGINT belongs to test-electron: its handler closes VS Code (on a second
  // one, kills it) and exits. The build's handler (common.mjs: exit at once) would leave it running.
  const ours = process.listeners('SIGINT');
  for (const l of ours) process.removeListener('SIGINT', l);
  // test/integration/index.ts resolves run() whatever the tests did (the verdict is the results
  // file, as under code-server), so VS Code exits 0; the watchdog bounds a hang.
  const limitS = Number(opts.timeout);
  const watchdog = setTimeout(() => {
    fail(`FAILED: no results after ${limitS}s; stopping VS Code.`);
    process.emit('SIGINT');
    setTimeout(() => process.emit('SIGINT'), 5000).unref();
    setTimeout(() => process.exit(1), 7000).unref();
  }, limitS * 1000);
  try {
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: TESTS_ENTRY,
      extensionTestsEnv: {
        MCP_GUARD_INTEGRATION: '1',
        MCP_GUARD_INTEGRATION_RESULTS: resultsFile,
        ...(opts.grep ? { MCP_GUARD_INTEGRATION_GREP: opts.grep } : {}),
        // The guard's bridge socket and what the host makes in os.tmpdir() go away with the run.
        TMPDIR: join(tmp, 'tmp'),
      },
      launchArgs: [
        workspace,
        `--user-data-dir=${userData}`,
        `--extensions-dir=${join(tmp, 'extensions')}`,
        '--password-store=basic',
        '--disable-telemetry',
      ],
    });
  } catch (err) {
    if (!existsSync(resultsFile)) {
      fail(`FAILED: VS Code did not run the suites (${reason(err)}).`);
      return 1;
    }
  } finally {
    clearTimeout(watchdog);
    for (const l of ours) process.on('SIGINT', l);
  }
  if (!existsSync(resultsFile)) {
    fail('FAILED: VS Code exited without writing results (the tests module did not load?).');
    return 1;
  }
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  printResults(results, HOST);
  log(`total ${((Date.now() - started) / 1000).toFixed(1)}s`);
  console.log(`${results.passed} passed, ${results.failed} failed${results.pending ? `, ${results.pending} skipped` : ''}`);
  return results.failed > 0 || results.passed === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    fail(`FAILED: ${err.stack || err.message}`);
    process.exit(1);
  },
);
