/**
 * Audit to OpenTelemetry (`--otlp-endpoint`), measured: the same guard (`run --policy P --audit A`) in front of
 * the stand-in three times — without OTLP, exporting to a live local collector (bench/lib/otlp-receiver.mjs, its
 * own process), and exporting to a dead one (a closed port) — with blocks of sequential calls and of pipelined
 * calls alternating between them; then what a guard without `--otlp-endpoint` pays at start (time to the
 * initialize answer, peak RSS), against the same guard with it and, with BENCH_BASELINE_GUARD=path/to/mcp-guard.js,
 * another build (e.g. main's) for comparison.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { procStatusKb, RawClient, sleep } from './raw-client';
import { mb, ms, table } from './report';
import { median, pool, summarize } from './stats';

export interface OtlpBenchOptions {
  readonly root: string;
  readonly guard: string;
  readonly dir: string;
  readonly progress: (text: string) => void;
  readonly baselineGuard?: string;
}

interface LatencyRow {
  readonly name: string;
  readonly p50: number;
  readonly p99: number;
  readonly blockP50s: number[];
  readonly callsPerSec: number;
  readonly rssKb: number | undefined;
}

interface StartRow {
  readonly name: string;
  readonly startMs: number;
  readonly startMsAll: number[];
  readonly rssKb: number;
  readonly bundleBytes: number;
}

export interface OtlpBenchResult {
  readonly latency: LatencyRow[];
  readonly start: StartRow[];
  readonly collector: { records: number; requests: number };
  readonly auditDecisions: number;
  readonly otlpBundleBytes: number;
  readonly deadDropsReported: string | undefined;
}

const TOOL = 'health_check';
const ROUNDS = 10;
const SEQUENTIAL_PER_BLOCK = 500;
const PIPELINED_PER_BLOCK = 4000;
const DEPTH = 16;
const START_RUNS = 9;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startCollector(
  root: string,
): Promise<{ url: string; count: () => Promise<{ records: number; requests: number }>; stop: () => void }> {
  const proc = spawn(process.execPath, [join(root, 'bench', 'lib', 'otlp-receiver.mjs')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d: string) => {
      err += d;
      const m = /listening on (\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    proc.on('exit', () => reject(new Error(`the collector exited: ${err}`)));
  });
  return {
    url,
    count: async () => (await (await fetch(`${url}/count`)).json()) as { records: number; requests: number },
    stop: () => proc.kill(),
  };
}

export async function runOtlpBench(o: OtlpBenchOptions): Promise<OtlpBenchResult> {
  const standin = join(o.root, 'dist', 'odoo-demo-server.js');
  const policy = join(o.dir, 'otlp-policy.yaml');
  writeFileSync(policy, 'version: 1\ndefault: allow\ntools:\n  health_check:\n    action: allow\n');
  const collector = await startCollector(o.root);
  const dead = `http://127.0.0.1:${await freePort()}`;
  const guardArgs = (name: string, extra: string[]) => [
    o.guard,
    'run',
    '--policy',
    policy,
    '--audit',
    join(o.dir, `otlp-audit-${name}.jsonl`),
    '--audit-max-bytes',
    '0',
    ...extra,
    '--',
    process.execPath,
    standin,
  ];
  const targets = [
    { name: 'without --otlp-endpoint', client: new RawClient('plain', process.execPath, guardArgs('plain', []), o.root) },
    {
      name: '--otlp-endpoint, live collector',
      client: new RawClient('live', process.execPath, guardArgs('live', ['--otlp-endpoint', collector.url]), o.root),
    },
    {
      name: '--otlp-endpoint, dead collector',
      client: new RawClient('dead', process.execPath, guardArgs('dead', ['--otlp-endpoint', dead]), o.root),
    },
  ];
  const seq = new Map<string, Float64Array[]>(targets.map((t) => [t.name, []]));
  const rates = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  try {
    o.progress('OTLP: starting three guards (without OTLP, live collector, dead collector)');
    await Promise.all(targets.map((t) => t.client.initialize(200)));
    for (const t of targets) await t.client.sequential(TOOL, {}, 300);
    for (let round = 0; round < ROUNDS; round++) {
      // The first of each round rotates, so machine noise hits all three.
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const t of order) seq.get(t.name)!.push(await t.client.sequential(TOOL, {}, SEQUENTIAL_PER_BLOCK));
      for (const t of order)
        rates.get(t.name)!.push(PIPELINED_PER_BLOCK / ((await t.client.pipelined(TOOL, {}, PIPELINED_PER_BLOCK, DEPTH)) / 1000));
      o.progress(`OTLP: round ${round + 1} of ${ROUNDS}`);
    }
    await sleep(1500); // the last batch reaches the collector
  } catch (e) {
    await Promise.all(targets.map((t) => t.client.close()));
    collector.stop();
    throw e;
  }
  for (const t of targets) {
    if (t.client.failures > 0) throw new Error(`${t.name}: ${t.client.failures} calls failed, e.g. ${t.client.failureSamples[0]?.what}`);
  }
  const latency: LatencyRow[] = targets.map((t) => {
    const s = summarize(pool(seq.get(t.name)!));
    return {
      name: t.name,
      p50: s.p50,
      p99: s.p99,
      blockP50s: seq.get(t.name)!.map((b) => summarize(b).p50),
      callsPerSec: median(rates.get(t.name)!),
      rssKb: procStatusKb(t.client.pid, 'VmHWM'),
    };
  });
  const deadStderr = () => targets[2]!.client.stderr;
  const collected = await collector.count();
  await Promise.all(targets.map((t) => t.client.close()));
  collector.stop();
  const auditDecisions = targets[1]!.client.calls;

  // ---- start: spawn → initialize answered, and peak RSS after 2,000 calls ----------------------------------
  const startOf = async (name: string, guard: string, extra: string[]): Promise<StartRow> => {
    const times: number[] = [];
    let rss = 0;
    for (let i = 0; i < START_RUNS; i++) {
      const args = [guard, 'run', '--policy', policy, ...extra, '--', process.execPath, standin];
      const t0 = process.hrtime.bigint();
      const c = new RawClient(name, process.execPath, args, o.root);
      await c.initialize(0);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (i === 0) {
        await c.sequential(TOOL, {}, 2000);
        rss = procStatusKb(c.pid, 'VmHWM') ?? 0;
      }
      await c.close();
    }
    return { name, startMs: median(times), startMsAll: times, rssKb: rss, bundleBytes: statSync(guard).size };
  };
  o.progress('OTLP: start time and memory, without and with --otlp-endpoint');
  const collector2 = await startCollector(o.root);
  const start: StartRow[] = [];
  try {
    if (o.baselineGuard) start.push(await startOf('baseline build, no OTLP', o.baselineGuard, []));
    start.push(await startOf('without --otlp-endpoint', o.guard, []));
    start.push(await startOf('--otlp-endpoint, live collector', o.guard, ['--otlp-endpoint', collector2.url]));
  } finally {
    collector2.stop();
  }
  return {
    latency,
    start,
    collector: collected,
    auditDecisions,
    otlpBundleBytes: statSync(join(o.root, 'dist', 'mcp-guard-otlp.js')).size,
    deadDropsReported: /OTLP: \d+ audit records dropped \([^)]*\)/.exec(deadStderr())?.[0],
  };
}

export function otlpReport(r: OtlpBenchResult): string {
  const base = r.latency[0]!;
  const lines = [
    `Audit to OpenTelemetry (--otlp-endpoint): sequential tools/call ${TOOL}, raw client, ${ROUNDS} x ${SEQUENTIAL_PER_BLOCK} calls per guard; pipelined ${DEPTH} in flight, median of ${ROUNDS} blocks of ${PIPELINED_PER_BLOCK}`,
    table(
      ['guard (run --policy --audit)', 'p50', 'p99', 'added p50', 'block p50s min / median / max', 'calls/s', 'peak RSS'],
      r.latency.map((l) => {
        const b = summarize(l.blockP50s);
        return [
          l.name,
          ms(l.p50),
          ms(l.p99),
          l === base ? '-' : ms(l.p50 - base.p50),
          `${b.min.toFixed(3)} / ${b.p50.toFixed(3)} / ${b.max.toFixed(3)} ms`,
          Math.round(l.callsPerSec).toLocaleString('en-US'),
          mb(l.rssKb),
        ];
      }),
    ),
    `  the live collector received ${r.collector.records.toLocaleString('en-US')} records in ${r.collector.requests.toLocaleString('en-US')} requests; dead collector: ${r.deadDropsReported ?? 'no drop reported yet'}`,
    '',
    `Start (spawn → initialize answered, median of ${START_RUNS}) and peak RSS after 2,000 calls`,
    table(
      ['guard', 'start', 'runs (ms)', 'peak RSS', 'dist/mcp-guard.js'],
      r.start.map((s) => [
        s.name,
        ms(s.startMs, 1),
        s.startMsAll.map((x) => x.toFixed(0)).join(' '),
        mb(s.rssKb),
        `${(s.bundleBytes / 1024).toFixed(1)} KB`,
      ]),
    ),
    `  dist/mcp-guard-otlp.js (the SDK, loaded only with an endpoint): ${(r.otlpBundleBytes / 1024).toFixed(1)} KB`,
  ];
  return lines.join('\n');
}
