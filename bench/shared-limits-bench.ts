/**
 * Shared rate limits (`npm run bench`, or `node dist-test/bench/shared-limits-bench.js` alone): what a
 * decision under a `scope: shared` limit costs when it is counted in Redis (`--state redis://…`, a
 * redis-server of the bench's own on a free loopback port) over the same decision with the default
 * memory state. Two guards (`mcp-guard run` in front of the stand-in, audit on), the same policy, the
 * same raw client; blocks of sequential calls alternate between them so machine noise hits both.
 * Target: at most 0.25 ms added at p50.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { RawClient } from './lib/raw-client';
import { met, ms, table } from './lib/report';
import { median, pool, round, summarize } from './lib/stats';
import { RedisServer, redisAvailable } from '../test/support/redis';

const ROOT = resolve(__dirname, '..', '..');
const GUARD = join(ROOT, 'dist', 'mcp-guard.js');
const STANDIN = join(ROOT, 'dist', 'odoo-demo-server.js');
const TARGET_ADDED_P50_MS = 0.25;
const BLOCKS = Number(process.env['BENCH_SHARED_BLOCKS'] ?? 16);
const PER_BLOCK = Number(process.env['BENCH_SHARED_PER_BLOCK'] ?? 1000);
const WARMUP = 1000;

const POLICY = ['version: 1', 'tools:', '  health_check:', '    rate_limit: { max: 1000000000, window: 3600, scope: shared }', ''].join(
  '\n',
);

async function main(): Promise<number> {
  console.log('\n## Shared rate limits: a decision counted in Redis vs in memory\n');
  if (!redisAvailable()) {
    console.log('redis-server is not installed (node scripts/test-deps.mjs installs it): section skipped.');
    return 0;
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'mcp-guard-bench-shared-'));
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, POLICY);
  const redis = await RedisServer.start();
  const guard = (label: string, state: string) =>
    new RawClient(
      label,
      process.execPath,
      [
        GUARD,
        'run',
        '--policy',
        policy,
        '--audit',
        join(dir, `${label}.jsonl`),
        '--name=bench',
        '--state',
        state,
        '--',
        process.execPath,
        STANDIN,
      ],
      dir,
    );
  const clients = [guard('memory', 'memory'), guard('redis', redis.url)];
  try {
    for (const c of clients) await c.initialize(200);
    for (const c of clients) await c.sequential('health_check', {}, WARMUP);
    const blocks: Float64Array[][] = [[], []];
    for (let b = 0; b < BLOCKS; b++) {
      // The first of each round alternates, so a slow moment of the machine hits both.
      const order = b % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) blocks[i]!.push(await clients[i]!.sequential('health_check', {}, PER_BLOCK));
    }
    const failures = clients.reduce((n, c) => n + c.failures, 0);
    if (failures > 0) {
      console.log(`FAILED: ${failures} calls failed: ${JSON.stringify(clients.flatMap((c) => c.failureSamples).slice(0, 3))}`);
      return 1;
    }
    const memory = summarize(pool(blocks[0]!));
    const remote = summarize(pool(blocks[1]!));
    const perBlock = blocks[1]!.map((r, i) => summarize(r).p50 - summarize(blocks[0]![i]!).p50);
    const added = remote.p50 - memory.p50;
    console.log(
      table(
        ['state', 'p50', 'p90', 'p99', 'calls'],
        [
          ['memory (default)', ms(memory.p50), ms(memory.p90), ms(memory.p99), String(memory.n)],
          [`redis (loopback, ${redis.url})`, ms(remote.p50), ms(remote.p90), ms(remote.p99), String(remote.n)],
        ],
      ),
    );
    console.log(
      `\nadded p50 under a shared Redis limit: ${ms(added)} (median of the ${BLOCKS} per-block differences: ${ms(median(perBlock))}); ` +
        `target ≤ ${TARGET_ADDED_P50_MS} ms: ${met(added <= TARGET_ADDED_P50_MS)}`,
    );
    console.log(
      `BENCH_SHARED_JSON ${JSON.stringify({ memoryP50: round(memory.p50, 4), redisP50: round(remote.p50, 4), addedP50: round(added, 4), blocks: BLOCKS, perBlock: PER_BLOCK, load: os.loadavg().map((l) => round(l, 2)) })}`,
    );
    return 0;
  } finally {
    for (const c of clients) c.child.kill('SIGTERM');
    await redis.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(e);
    process.exit(1);
  },
);
