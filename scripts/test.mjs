// `npm test`: the unit and end-to-end suites (mocha), then the integration suite in a real VS Code
// extension host (code-server). Prints one closing line with the totals of both.
import { spawn } from 'node:child_process';
import { ensureRedisServer } from './test-deps.mjs';

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

function counts(out, prefix) {
  const lines = out.split('\n').filter((l) => l.startsWith(prefix) || /^\d+ passed, \d+ failed/.test(l));
  const m = /(\d+) passed, (\d+) failed(?:, (\d+) skipped)?/.exec(lines.at(-1) ?? '');
  return m ? { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0) } : undefined;
}

const onlyFast = process.argv.includes('--no-integration');
// The shared rate-limit tests start their own redis-server: install Debian's package first when it is missing.
try {
  await ensureRedisServer();
} catch (e) {
  console.error(`[test] ${e.message}`);
  process.exit(1);
}
const mocha = await run(process.execPath, [
  'node_modules/mocha/bin/mocha.js',
  '--reporter',
  './test/support/summary-reporter.cjs',
  'test/unit/**/*.test.ts',
  'test/e2e/**/*.test.ts',
]);
const total = { passed: 0, failed: 0, skipped: 0 };
const add = (c, code, what) => {
  if (!c) {
    console.error(`[test] ${what} printed no result line`);
    total.failed++;
    return;
  }
  total.passed += c.passed;
  total.failed += c.failed + (code !== 0 && c.failed === 0 ? 1 : 0);
  total.skipped += c.skipped;
};
add(counts(mocha.out, 'mocha:'), mocha.code, 'mocha');
if (!onlyFast) {
  const integration = await run(process.execPath, ['scripts/integration/run.mjs']);
  add(counts(integration.out, 'integration:'), integration.code, 'the integration suite');
}
console.log(`\ntotal: ${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
process.exit(total.failed > 0 ? 1 : 0);
