// Integration tests in a real VS Code extension host (code-server 4.139.1 = VS Code 1.139.1),
// headless, on 127.0.0.1 only:
//   install (idempotent) -> build extension + test bundle -> launch with extensionTestsPath ->
//   wait for the results file -> print a mocha-like summary ending in "N passed, M failed" -> exit code.
//
// Usage: node scripts/integration/run.mjs [--modal | --demo | --existing | --terminal | --screenshots | --suites | --cdp-smoke | --all] [--grep <regex>] [--timeout <seconds>]
//   (default)     the mocha suites of test/integration/suite in the extension host, then the modal
//                 approval scenario (scripts/integration/modal.mjs: VS Code without tests + the test
//                 driver extension, dialogs answered over CDP; each of its checks counts as a test),
//                 then the demo server scenario (scripts/integration/demo.mjs: nothing configured,
//                 "Try the Demo Server", the guard's modal for cancel_async_task answered Deny over
//                 CDP, "Remove the Demo Server"; each check counts as a test),
//                 then "Guard Existing Servers…" (scripts/integration/existing.mjs: an unguarded stand-in
//                 in .vscode/mcp.json next to the guarded one, the warning, the command run from it and
//                 confirmed over CDP, the edits saved, cancel_async_task denied on every server; each
//                 check counts as a test),
//                 then a terminal agent (scripts/integration/terminal.mjs: an agent in the integrated
//                 terminal runs mcp-guard run, the guard's modal names it and is answered Allow once
//                 over CDP, the call reaches the stand-in; each check counts as a test),
//                 then the policy language screenshots (scripts/integration/screenshots.mjs: a policy
//                 file with mistakes, its hover and Problems panel checked over CDP and photographed to
//                 media/policy-hover.png and media/policy-problems.png; each check counts as a test)
//   --modal       only the modal approval scenario
//   --demo        only the demo server scenario
//   --existing    only the "Guard Existing Servers…" scenario
//   --terminal    only the terminal agent scenario
//   --screenshots only the policy language screenshots
//   --suites      only the mocha suites
//   --cdp-smoke   only the CDP smoke: load the extension without tests, drive the workbench over CDP
//                 (playwright-core), screenshot it to .cache/integration/workbench.png
//   --all         the suites, the modal, demo, existing-servers and terminal scenarios, the screenshots, then the CDP smoke (counted as one more test)
// Env: MCP_GUARD_INTEGRATION_TIMEOUT_S (default 180) bounds the wait for the results file.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { log, onExitCleanup } from './common.mjs';
import { install } from './install.mjs';
import { launch, lastRunLogs } from './launch.mjs';
import { buildIntegrationTests, printResults } from './suites.mjs';
import { makeWorkspace } from './workspace.mjs';

const { values: opts } = parseArgs({
  options: {
    'cdp-smoke': { type: 'boolean', default: false },
    modal: { type: 'boolean', default: false },
    demo: { type: 'boolean', default: false },
    existing: { type: 'boolean', default: false },
    terminal: { type: 'boolean', default: false },
    screenshots: { type: 'boolean', default: false },
    suites: { type: 'boolean', default: false },
    all: { type: 'boolean', default: false },
    grep: { type: 'string' },
    timeout: { type: 'string' },
  },
});
const only = ['modal', 'demo', 'existing', 'terminal', 'screenshots', 'suites', 'cdp-smoke'].filter((k) => opts[k]);
if (only.length > 1 || (only.length && opts.all)) {
  console.error(
    `[integration] choose one of --modal, --demo, --existing, --terminal, --screenshots, --suites, --cdp-smoke, --all (got ${[...only, ...(opts.all ? ['all'] : [])].join(', ')})`,
  );
  process.exit(2);
}
const RUN = {
  suites: opts.suites || opts.all || only.length === 0,
  modal: opts.modal || opts.all || only.length === 0,
  demo: opts.demo || opts.all || only.length === 0,
  existing: opts.existing || opts.all || only.length === 0,
  terminal: opts.terminal || opts.all || only.length === 0,
  screenshots: opts.screenshots || opts.all || only.length === 0,
  cdpSmoke: opts['cdp-smoke'] || opts.all,
};
/** The CDP scenarios, in the order they run: the RUN key, the module and the function it exports. */
const SCENARIOS = [
  ['modal', './modal.mjs', 'modalApproval'],
  ['demo', './demo.mjs', 'demoServer'],
  ['existing', './existing.mjs', 'guardExisting'],
  ['terminal', './terminal.mjs', 'terminalAgent'],
  ['screenshots', './screenshots.mjs', 'policyScreenshots'],
];
const RESULTS_TIMEOUT_S = Number(opts.timeout ?? process.env.MCP_GUARD_INTEGRATION_TIMEOUT_S ?? 180);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function closingLine({ passed, failed, pending }) {
  console.log(`${passed} passed, ${failed} failed${pending ? `, ${pending} skipped` : ''}`);
}

async function runSuites() {
  const resultsDir = mkdtempSync(join(tmpdir(), 'mcp-guard-integ-results-'));
  const resultsFile = join(resultsDir, 'results.json');
  const removeResultsDir = () => rmSync(resultsDir, { recursive: true, force: true });
  const unregister = onExitCleanup(removeResultsDir); // also on Ctrl-C
  const env = {
    MCP_GUARD_INTEGRATION: '1',
    MCP_GUARD_INTEGRATION_RESULTS: resultsFile,
    ...(opts.grep ? { MCP_GUARD_INTEGRATION_GREP: opts.grep } : {}),
  };
  const workspace = makeWorkspace(resultsDir);
  let handle;
  try {
    const t0 = Date.now();
    handle = await launch({ withTests: true, env, workspace });
    log(`code-server on ${handle.url.split('/?')[0]}, chromium DevTools on ${handle.cdpPort} (${Date.now() - t0} ms)`);
    const deadline = Date.now() + RESULTS_TIMEOUT_S * 1000;
    let hostGoneAt = 0;
    while (!existsSync(resultsFile)) {
      for (const [name, child] of [
        ['code-server', handle.codeServer],
        ['chromium', handle.chromium],
      ]) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before the tests reported\n${handle.diagnostics()}`);
        }
      }
      // The host exits after run() settles; no results file a few seconds later means the tests
      // module did not load or run() never started (a missing bundle, a throw at import time).
      if (!hostGoneAt && handle.extensionHostExited()) hostGoneAt = Date.now();
      if (hostGoneAt && Date.now() - hostGoneAt > 5000) {
        throw new Error(`the extension host exited without writing results (tests module not loaded?)\n${handle.diagnostics()}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`no results file after ${RESULTS_TIMEOUT_S}s (extension not loaded, or the tests hung)\n${handle.diagnostics()}`);
      }
      await sleep(250);
    }
    log(`results after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    return JSON.parse(readFileSync(resultsFile, 'utf8'));
  } finally {
    await handle?.cleanup();
    removeResultsDir();
    unregister();
  }
}

async function main() {
  const started = Date.now();
  await install();
  await buildIntegrationTests();
  log(`installed and built in ${((Date.now() - started) / 1000).toFixed(1)}s`);

  const counts = { passed: 0, failed: 0, pending: 0 };
  if (RUN.suites) {
    const results = await runSuites();
    printResults(results, 'code-server');
    counts.passed += results.passed;
    counts.failed += results.failed;
    counts.pending += results.pending;
  }
  // The CDP scenarios: each check counts as a test.
  for (const [key, file, exported] of SCENARIOS) {
    if (!RUN[key]) continue;
    const scenario = (await import(file))[exported];
    const checks = [];
    const ok = await scenario({ checks });
    const passed = checks.filter((c) => c.ok).length;
    counts.passed += passed;
    counts.failed += checks.length - passed;
    if (!ok && checks.length === passed) counts.failed++; // no check failed, yet it did not pass: count it
    console.log('');
  }
  if (RUN.cdpSmoke) {
    const { cdpSmoke } = await import('./cdp-smoke.mjs');
    const ok = await cdpSmoke();
    counts[ok ? 'passed' : 'failed']++;
    console.log('');
  }
  log(`total ${((Date.now() - started) / 1000).toFixed(1)}s`);
  closingLine(counts);
  if (counts.failed > 0) return 1;
  if (counts.passed === 0) {
    console.error('[integration] no test ran');
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[integration] FAILED: ${err.stack || err.message}`);
    console.error(`[integration] logs of the last launch: ${lastRunLogs()}`);
    process.exit(1);
  },
);
