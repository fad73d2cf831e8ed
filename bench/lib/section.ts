/**
 * One benchmark section: the same three targets (direct, passthrough, guarded) driven by one
 * kind of client (raw JSON-RPC or the SDK's Client), warmed up, then measured in alternating
 * blocks: sequential round trips, then pipelined throughput at a fixed depth.
 */
import type { Failure } from './raw-client';
import { childPids, procCpuMs, procStatusKb } from './raw-client';
import { median, pool, summarize, type Summary } from './stats';

export type Name = 'direct' | 'passthrough' | 'guarded';

/** What a section needs from a client: RawClient and SdkBenchClient both fit. */
export interface BenchClient {
  readonly label: string;
  /** The process the client talks to (the stand-in, or the proxy in front of it). */
  readonly pid: number | undefined;
  readonly calls: number;
  readonly failures: number;
  readonly failureSamples: readonly Failure[];
  readonly stderr: string;
  sequential(tool: string, args: Record<string, unknown>, count: number): Promise<Float64Array>;
  pipelined(tool: string, args: Record<string, unknown>, count: number, depth: number): Promise<number>;
  close(): Promise<void>;
}

export interface SectionConfig {
  readonly warmupSequential: number;
  readonly warmupPipelined: number;
  readonly sequentialBlocks: number;
  readonly sequentialPerBlock: number;
  readonly pipelinedBlocks: number;
  readonly pipelinedPerBlock: number;
  readonly depth: number;
}

export interface Target<C extends BenchClient = BenchClient> {
  readonly name: Name;
  readonly client: C;
  /** The server process: the client's child (direct) or the proxy's child. */
  serverPid?: number;
  readonly seq: Float64Array[];
  readonly pipeMs: number[];
  /** CPU ms used during this target's pipelined blocks. */
  readonly cpu: { proxy: number; server: number; client: number };
  readonly rssKb: { afterInit?: number; afterSequential?: number; afterPipelined?: number; serverPeak?: number };
}

export function makeTarget<C extends BenchClient>(name: Name, client: C): Target<C> {
  return { name, client, seq: [], pipeMs: [], cpu: { proxy: 0, server: 0, client: 0 }, rssKb: {} };
}

/** Each round visits every target once; the starting target rotates so none always follows another. */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function proxyPid(t: Target): number | undefined {
  return t.name === 'direct' ? undefined : t.client.pid;
}

const rssNow = (t: Target) => (t.client.pid === undefined ? undefined : procStatusKb(t.client.pid, 'VmHWM'));

/** After the clients are connected: finds the server processes and records RSS after init. */
export function afterInit(targets: readonly Target[]): void {
  for (const t of targets) {
    const pid = t.client.pid;
    if (pid !== undefined) t.serverPid = t.name === 'direct' ? pid : childPids(pid)[0];
    t.rssKb.afterInit = rssNow(t);
  }
}

/** Warm-up, then alternating sequential blocks, then alternating pipelined blocks. */
export async function runSection(
  label: string,
  targets: readonly Target[],
  cfg: SectionConfig,
  tool: string,
  args: Record<string, unknown>,
  progress: (text: string) => void,
  problems: string[],
): Promise<void> {
  progress(`${label}: warming up`);
  for (const t of targets) await t.client.sequential(tool, args, cfg.warmupSequential);
  for (const t of targets) await t.client.pipelined(tool, args, cfg.warmupPipelined, cfg.depth);
  for (const t of targets) await t.client.sequential(tool, args, cfg.warmupSequential);
  const warmupFailures = targets.reduce((n, t) => n + t.client.failures, 0);
  if (warmupFailures > 0) problems.push(`${label}: ${warmupFailures} call(s) failed during warm-up`);

  progress(`${label}: sequential: ${cfg.sequentialBlocks} x ${cfg.sequentialPerBlock} calls per target, alternating`);
  for (let b = 0; b < cfg.sequentialBlocks; b++) {
    for (const t of roundOrder(targets, b)) t.seq.push(await t.client.sequential(tool, args, cfg.sequentialPerBlock));
  }
  for (const t of targets) t.rssKb.afterSequential = rssNow(t);

  progress(`${label}: pipelined: ${cfg.pipelinedBlocks} x ${cfg.pipelinedPerBlock} calls per target, ${cfg.depth} in flight, alternating`);
  for (let b = 0; b < cfg.pipelinedBlocks; b++) {
    for (const t of roundOrder(targets, b)) {
      const pPid = proxyPid(t);
      const p0 = pPid === undefined ? 0 : (procCpuMs(pPid) ?? 0);
      const s0 = t.serverPid === undefined ? 0 : (procCpuMs(t.serverPid) ?? 0);
      const c0 = process.cpuUsage();
      t.pipeMs.push(await t.client.pipelined(tool, args, cfg.pipelinedPerBlock, cfg.depth));
      const c1 = process.cpuUsage(c0);
      t.cpu.client += (c1.user + c1.system) / 1000;
      if (pPid !== undefined) t.cpu.proxy += (procCpuMs(pPid) ?? 0) - p0;
      if (t.serverPid !== undefined) t.cpu.server += (procCpuMs(t.serverPid) ?? 0) - s0;
    }
  }
  for (const t of targets) {
    t.rssKb.afterPipelined = rssNow(t);
    if (t.serverPid !== undefined) t.rssKb.serverPeak = procStatusKb(t.serverPid, 'VmHWM');
  }
}

export interface CpuPerCall {
  readonly client: number;
  readonly proxy: number;
  readonly server: number;
}

export interface SectionFigures {
  readonly seq: Map<Name, Summary>;
  readonly blockP50: Map<Name, number[]>;
  readonly addedP50: number;
  readonly addedP90: number;
  readonly addedP99: number;
  readonly addedMean: number;
  /** Median over rounds of (guarded block p50 - direct block p50). */
  readonly pairedAddedP50: number;
  readonly extraHopP50: number;
  readonly extraHopP99: number;
  readonly guardWorkP50: number;
  readonly guardWorkP99: number;
  readonly callsPerSec: Map<Name, number[]>;
  readonly rate: Map<Name, number>;
  readonly ratio: number;
  /** Median over rounds of (guarded block / direct block). */
  readonly pairedRatio: number;
  readonly cpuUsPerCall: Map<Name, CpuPerCall>;
  readonly pipelinedCalls: number;
  /** Peak RSS of the guard process after the pipelined blocks, kB. */
  readonly guardKb: number | undefined;
}

export function figures(targets: readonly Target[], cfg: SectionConfig): SectionFigures {
  const guarded = targets.find((t) => t.name === 'guarded')!;
  const seq = new Map<Name, Summary>(targets.map((t) => [t.name, summarize(pool(t.seq))]));
  const ds = seq.get('direct')!;
  const ps = seq.get('passthrough')!;
  const gs = seq.get('guarded')!;
  const blockP50 = new Map<Name, number[]>(targets.map((t) => [t.name, t.seq.map((b) => summarize(b).p50)]));
  const callsPerSec = new Map<Name, number[]>(targets.map((t) => [t.name, t.pipeMs.map((wall) => (cfg.pipelinedPerBlock / wall) * 1000)]));
  const rate = new Map<Name, number>(targets.map((t) => [t.name, median(callsPerSec.get(t.name)!)]));
  const pipelinedCalls = cfg.pipelinedBlocks * cfg.pipelinedPerBlock;
  const cpuUsPerCall = new Map<Name, CpuPerCall>(
    targets.map((t) => [
      t.name,
      {
        client: (t.cpu.client / pipelinedCalls) * 1000,
        proxy: t.name === 'direct' ? 0 : (t.cpu.proxy / pipelinedCalls) * 1000,
        server: (t.cpu.server / pipelinedCalls) * 1000,
      },
    ]),
  );
  const dBlocks = blockP50.get('direct')!;
  const dRates = callsPerSec.get('direct')!;
  return {
    seq,
    blockP50,
    addedP50: gs.p50 - ds.p50,
    addedP90: gs.p90 - ds.p90,
    addedP99: gs.p99 - ds.p99,
    addedMean: gs.mean - ds.mean,
    pairedAddedP50: median(blockP50.get('guarded')!.map((g, i) => g - dBlocks[i]!)),
    extraHopP50: ps.p50 - ds.p50,
    extraHopP99: ps.p99 - ds.p99,
    guardWorkP50: gs.p50 - ps.p50,
    guardWorkP99: gs.p99 - ps.p99,
    callsPerSec,
    rate,
    ratio: rate.get('guarded')! / rate.get('direct')!,
    pairedRatio: median(callsPerSec.get('guarded')!.map((g, i) => g / dRates[i]!)),
    cpuUsPerCall,
    pipelinedCalls,
    guardKb: guarded.rssKb.afterPipelined,
  };
}

/** The JSON form of a section's figures (for bench-results/latest.json). */
export function figuresJson(targets: readonly Target[], f: SectionFigures, cfg: SectionConfig) {
  return {
    sequential: {
      ...Object.fromEntries(targets.map((t) => [t.name, { ...f.seq.get(t.name)!, blockP50: f.blockP50.get(t.name)! }])),
      addedP50Ms: f.addedP50,
      addedP90Ms: f.addedP90,
      addedP99Ms: f.addedP99,
      pairedAddedP50Ms: f.pairedAddedP50,
      extraHopP50Ms: f.extraHopP50,
      guardWorkP50Ms: f.guardWorkP50,
    },
    pipelined: {
      depth: cfg.depth,
      ...Object.fromEntries(
        targets.map((t) => [
          t.name,
          { callsPerSec: f.rate.get(t.name), blocks: f.callsPerSec.get(t.name), cpuUsPerCall: f.cpuUsPerCall.get(t.name) },
        ]),
      ),
      ratio: f.ratio,
      pairedRatio: f.pairedRatio,
    },
    rssKb: Object.fromEntries(targets.map((t) => [t.name, t.rssKb])),
    calls: {
      total: targets.reduce((n, t) => n + t.client.calls, 0),
      failed: targets.reduce((n, t) => n + t.client.failures, 0),
    },
  };
}
