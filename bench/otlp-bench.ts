/**
 * The audit-to-OpenTelemetry figures alone (`node dist-test/bench/otlp-bench.js` after a --fixtures build): call
 * latency and throughput without `--otlp-endpoint`, with a live collector and with a dead one, then start time and
 * peak memory without and with it. BENCH_BASELINE_GUARD=path/to/dist/mcp-guard.js adds another build's start row.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { otlpReport, runOtlpBench } from './lib/otlp-bench';

const ROOT = resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'mcp-guard-otlp-bench-'));
  try {
    const load = os.loadavg().map((x) => x.toFixed(2));
    const r = await runOtlpBench({
      root: ROOT,
      guard: join(ROOT, 'dist', 'mcp-guard.js'),
      dir,
      progress: (text) => process.stderr.write(`  ${text}\n`),
      ...(process.env['BENCH_BASELINE_GUARD'] ? { baselineGuard: resolve(process.env['BENCH_BASELINE_GUARD']) } : {}),
    });
    process.stdout.write(`${otlpReport(r)}\n`);
    process.stdout.write(
      `load average ${load.join(' ')} at the start, ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')} at the end; ${os.cpus().length} cores, Node ${process.version}\n`,
    );
    if (process.env['BENCH_JSON']) writeFileSync(process.env['BENCH_JSON'], `${JSON.stringify(r, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`OTLP benchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
