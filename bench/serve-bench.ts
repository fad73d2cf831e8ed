/**
 * The `mcp-guard serve` section alone (`node dist-test/bench/serve-bench.js` after a --fixtures
 * build): the same figures `npm run bench` (proxy-bench) prints in its serve section.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { runServeBench, serveReport } from './lib/serve-bench';

const ROOT = resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(os.tmpdir(), 'mcp-guard-serve-bench-'));
  try {
    const policyFile = join(tmp, 'policy.yaml');
    writeFileSync(policyFile, 'version: 1\ndefault: allow\ntools:\n  health_check:\n    action: allow\n');
    const load = os.loadavg().map((x) => x.toFixed(2));
    const r = await runServeBench({
      root: ROOT,
      // BENCH_GUARD: another build of the guard (or a stand-in speaking the same flags), for comparisons.
      guard: process.env['BENCH_GUARD'] ?? join(ROOT, 'dist', 'mcp-guard.js'),
      policyFile,
      auditFile: join(tmp, 'audit.jsonl'),
      guardNodeArgs: (process.env['BENCH_GUARD_NODE_ARGS'] ?? '').split(/\s+/).filter((a) => a !== ''),
      relayNodeArgs: (process.env['BENCH_RELAY_NODE_ARGS'] ?? '').split(/\s+/).filter((a) => a !== ''),
      progress: (text) => process.stderr.write(`  ${text}\n`),
    });
    process.stdout.write(`${serveReport(r)}\n`);
    process.stdout.write(
      `load average ${load.join(' ')} at the start, ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')} at the end\n`,
    );
    if (process.env['BENCH_JSON']) writeFileSync(process.env['BENCH_JSON'], `${JSON.stringify(r, null, 2)}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`serve benchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
