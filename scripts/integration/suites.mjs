// The mocha suites of test/integration/suite, built and reported the same way for both harnesses:
// the code-server one (scripts/integration/run.mjs, part of `npm test`) and the desktop one
// (scripts/test-desktop.mjs, `npm run test:desktop`, under @vscode/test-electron).
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { ROOT, run } from './common.mjs';
import { TESTS_DIR } from './launch.mjs';

/**
 * Builds dist/extension.js (as `npm run build` does) and bundles out/integration/: index.js (the
 * extensionTestsPath entry), suite/*.test.js, and standin.js (the stand-in Odoo server the
 * workspace's guarded definition runs).
 */
export async function buildIntegrationTests() {
  // The extension itself, as the project's build makes it (no --fixtures: that would wipe dist-test).
  await run(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { timeoutMs: 120_000 });
  const suiteDir = join(ROOT, 'test', 'integration', 'suite');
  const suites = readdirSync(suiteDir)
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(suiteDir, f));
  const out = TESTS_DIR;
  rmSync(out, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [join(ROOT, 'test', 'integration', 'index.ts'), ...suites],
    outbase: join(ROOT, 'test', 'integration'),
    outdir: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    logLevel: 'warning',
    // vscode is the host's; mocha resolves from the repo's node_modules (out/ is inside the repo),
    // and must be the same instance for index.js and the suites' describe/it globals.
    external: ['vscode', 'mocha'],
  });
  // The stand-in Odoo server the guarded definitions run in the tests.
  await esbuild.build({
    entryPoints: [join(ROOT, 'src', 'demo', 'odoo-standin', 'server.ts')],
    outfile: join(out, 'standin.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
  });
}

/** Prints the results file that test/integration/index.ts wrote, mocha-like; `host` names the harness. */
export function printResults(results, host) {
  console.log('');
  console.log(`  VS Code ${results.vscodeVersion} extension host (${host})`);
  for (const t of results.tests) {
    const mark = t.state === 'passed' ? '✔' : t.state === 'failed' ? '✘' : '-';
    const ms = t.durationMs !== undefined ? ` (${t.durationMs}ms)` : '';
    console.log(`    ${mark} ${t.title}${ms}`);
  }
  if (results.output.length) {
    console.log('\n  extension host output:');
    for (const line of results.output) console.log(`    | ${line}`);
  }
  results.failures.forEach((f, i) => {
    console.log(`\n  ${i + 1}) ${f.title}:`);
    console.log(f.error.replace(/^/gm, '     '));
  });
  console.log('');
}
