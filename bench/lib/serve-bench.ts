/**
 * The `mcp-guard serve` section of the benchmark (issue 12). One run, one upstream served over
 * Streamable HTTP (bench/lib/mcp-http-upstream.mjs: node:http, JSON answers, one tool answered at
 * once, so the cost of what stands in front of it shows), reached three ways:
 *   direct  the upstream itself;
 *   relay   a bare HTTP relay (bench/lib/http-relay.mjs: forwards bytes, parses nothing), the cost
 *           of any extra HTTP hop on this machine;
 *   essential  bench/lib/essential-guard.mjs: the least any HTTP guard must do per call (parse, look up,
 *           re-serialise, digest, scan, one audit line), on node:http: a yardstick for `serve`'s own
 *           overhead, not a target;
 *   serve   `mcp-guard serve --upstream-url` (policy and audit on, as in the stdio sections).
 * The client is a minimal Streamable HTTP client on node:http with kept-alive connections
 * (RawHttpSession below): it reads JSON and SSE answers alike and costs little, so the hops weigh.
 * Blocks alternate direct, relay, serve (the first of each round rotating) so machine noise hits all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { procCpuMs } from './raw-client';
import { met, mb, ms, table } from './report';
import { pool, round, summarize } from './stats';

export const SERVE_TARGETS = {
  /** `serve` adds at most this much p50 latency over the bare relay. */
  addedP50OverRelayMs: 0.1,
  /** `serve` keeps at least this share of the relay's throughput at 16 calls in flight. */
  throughputVsRelay: 0.9,
  /** An idle session costs at most this much in the guard (its upstream aside). */
  idleSessionKb: 1024,
  sessions: 64,
  callsPerSession: 200,
};

export const SERVE_CONFIG = {
  warmupSequential: 300,
  sequentialBlocks: 8,
  sequentialPerBlock: 300,
  warmupPipelined: 1000,
  pipelinedBlocks: 4,
  pipelinedPerBlock: 2000,
  depth: 16,
  idleSessions: 50,
};

const PROTOCOL = '2025-06-18';

/** One MCP session over Streamable HTTP, as little client as the wire allows. */
export class RawHttpSession {
  private sessionId: string | undefined;
  private nextId = 1;

  constructor(
    private readonly url: URL,
    private readonly agent: Agent,
  ) {}

  private post(message: Record<string, unknown>): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
    const body = JSON.stringify(message);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path: this.url.pathname,
          method: 'POST',
          agent: this.agent,
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
            Accept: 'application/json, text/event-stream',
            ...(this.sessionId !== undefined ? { 'Mcp-Session-Id': this.sessionId, 'MCP-Protocol-Version': PROTOCOL } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Sends a request; resolves with its answer's result (rejects on an error answer or a bad status). */
  async call(method: string, params?: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    const { status, body } = await this.post({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
    if (status !== 200) throw new Error(`${method}: HTTP ${status}: ${body.slice(0, 200)}`);
    // A JSON body, or SSE events whose data lines hold messages: the answer is the one with our id.
    const texts = body.startsWith('{') ? [body] : body.split('\n').flatMap((l) => (l.startsWith('data: ') ? [l.slice(6)] : []));
    for (const t of texts) {
      const m = JSON.parse(t) as { id?: unknown; result?: unknown; error?: { message: string } };
      if (m.id !== id) continue;
      if (m.error) throw new Error(`${method}: ${m.error.message}`);
      return m.result;
    }
    throw new Error(`${method}: no answer in ${body.slice(0, 200)}`);
  }

  async initialize(): Promise<void> {
    const id = this.nextId++;
    const { status, body, headers } = await this.post({
      jsonrpc: '2.0',
      id,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'serve-bench', version: '1' } },
    });
    if (status !== 200) throw new Error(`initialize: HTTP ${status}: ${body.slice(0, 200)}`);
    const sid = headers['mcp-session-id'];
    if (typeof sid !== 'string') throw new Error('initialize: no Mcp-Session-Id');
    this.sessionId = sid;
    const sent = await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    if (sent.status !== 202) throw new Error(`notifications/initialized: HTTP ${sent.status}`);
  }

  async healthCheck(): Promise<void> {
    const r = (await this.call('tools/call', { name: 'health_check', arguments: {} })) as {
      isError?: boolean;
      content?: { text?: string }[];
    };
    if (r.isError) throw new Error(`health_check failed: ${r.content?.[0]?.text ?? ''}`);
  }

  async close(): Promise<void> {
    if (this.sessionId === undefined) return;
    await new Promise<void>((resolve) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path: this.url.pathname,
          method: 'DELETE',
          agent: this.agent,
          headers: { 'Mcp-Session-Id': this.sessionId, 'MCP-Protocol-Version': PROTOCOL },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
        },
      );
      req.on('error', () => resolve());
      req.end();
    });
    this.sessionId = undefined;
  }
}

interface Proc {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
  stop: () => Promise<void>;
}

async function startProc(args: string[], cwd: string, listening: RegExp): Promise<Proc> {
  const proc = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not listen:\n${stderr}`)), 15_000);
    proc.stderr!.on('data', () => {
      const m = listening.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.on('exit', () => reject(new Error(`${args.join(' ')} exited:\n${stderr}`)));
  });
  return {
    proc,
    url,
    stderr: () => stderr,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Read and write system calls of a process so far (/proc/PID/io: syscr, syscw; writev and sendmsg count as writes). */
function procSyscalls(pid: number): { reads: number; writes: number } {
  try {
    const text = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { reads: Number(/^syscr: (\d+)/m.exec(text)?.[1] ?? NaN), writes: Number(/^syscw: (\d+)/m.exec(text)?.[1] ?? NaN) };
  } catch {
    return { reads: NaN, writes: NaN };
  }
}

/** The guard's JS heap after a full collection, in KB (GET /healthz?heap=1 of a guard run with --expose-gc), or undefined when it gives none. */
async function heapAfterGcKb(serveUrl: URL): Promise<number | undefined> {
  try {
    const res = await fetch(new URL('/healthz?heap=1', serveUrl));
    const body = (await res.json()) as { heap?: { usedAfterGc?: unknown } };
    const used = body.heap?.usedAfterGc;
    return typeof used === 'number' ? Math.round(used / 1024) : undefined;
  } catch {
    return undefined;
  }
}

function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function stats(upstreamUrl: string): Promise<{ calls: number; sessions: number }> {
  const r = await fetch(new URL('/stats', upstreamUrl));
  return (await r.json()) as { calls: number; sessions: number };
}

const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

async function sequentialBlock(s: RawHttpSession, n: number): Promise<Float64Array> {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await s.healthCheck();
    out[i] = Number(process.hrtime.bigint() - t) / 1e6;
  }
  return out;
}

/** `n` calls with `depth` in flight on one session; calls per second. */
async function pipelinedBlock(s: RawHttpSession, n: number, depth: number): Promise<number> {
  let left = n;
  const t = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: depth }, async () => {
      while (left > 0) {
        left--;
        await s.healthCheck();
      }
    }),
  );
  return n / (Number(process.hrtime.bigint() - t) / 1e9);
}

const NAMES = ['direct', 'relay', 'essential', 'serve'] as const;
type Name = (typeof NAMES)[number];

export interface ServeBenchResult {
  config: typeof SERVE_CONFIG;
  targets: typeof SERVE_TARGETS;
  sequential: Record<Name, { p50: number; p99: number }> & {
    addedP50OverRelayMs: number;
    addedP50OverDirectMs: number;
    /** The essential guard's, for comparison (no target). */
    essentialAddedP50OverRelayMs: number;
  };
  pipelined: Record<Name, { callsPerSec: number; blocks: number[] }> & { depth: number; serveVsRelay: number; essentialVsRelay: number };
  /** CPU of the hop itself (the relay process, the essential guard, the guard process) per call, over the sequential and pipelined blocks; /proc at 10 ms resolution. */
  hopCpuUsPerCall: { relay: number; essential: number; serve: number; calls: number };
  /** Read and write system calls per call of the hop process (the audit log's writes included for the guards). */
  hopSyscallsPerCall: Record<'relay' | 'essential' | 'serve', { reads: number; writes: number }>;
  scale: {
    sessions: number;
    callsPerSession: number;
    answered: number;
    reachedUpstream: number;
    auditedAllowed: number;
    exact: boolean;
    seconds: number;
  };
  idle: {
    sessions: number;
    rssKbBefore: number;
    rssKbAfter: number;
    rssPerSessionKb: number;
    /** The JS heap after a full collection (GET /healthz?heap=1); absent for a BENCH_GUARD without it. */
    heap?: { kbBefore: number; kbAfter: number; perSessionKb: number };
    /** The larger of the two per-session figures: what the target judges. */
    perSessionKb: number;
  };
  guardPeakRssKb: number;
  met: { addedP50: boolean; throughput: boolean; scale: boolean; idle: boolean };
}

/** Runs the section; `progress` gets a line per stage. */
export async function runServeBench(opts: {
  root: string;
  guard: string;
  policyFile: string;
  auditFile: string;
  guardNodeArgs?: readonly string[];
  /** Node flags for the relay process (a profile of the reference hop, for comparison with the guard's). */
  relayNodeArgs?: readonly string[];
  progress?: (text: string) => void;
}): Promise<ServeBenchResult> {
  const progress = opts.progress ?? (() => {});
  const cfg = SERVE_CONFIG;
  const upstream = await startProc([join(opts.root, 'bench', 'lib', 'mcp-http-upstream.mjs')], opts.root, /listening on (http:\/\/\S+)/);
  const procs: Proc[] = [upstream];
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  try {
    const relay = await startProc(
      [...(opts.relayNodeArgs ?? []), join(opts.root, 'bench', 'lib', 'http-relay.mjs'), new URL(upstream.url).origin],
      opts.root,
      /listening on (http:\/\/\S+)/,
    );
    procs.push(relay);
    const essential = await startProc(
      [join(opts.root, 'bench', 'lib', 'essential-guard.mjs'), '--upstream-url', upstream.url, '--audit', `${opts.auditFile}.essential`],
      opts.root,
      /\[mcp-guard\] listening on (http:\/\/\S+)/,
    );
    procs.push(essential);
    const guard = await startProc(
      [
        ...(opts.guardNodeArgs ?? []),
        // For GET /healthz?heap=1 (the heap after a full collection, for the idle-session figure); the bench never calls gc() elsewhere.
        '--expose-gc',
        opts.guard,
        'serve',
        '--listen',
        '127.0.0.1:0',
        '--policy',
        opts.policyFile,
        '--audit',
        opts.auditFile,
        '--audit-max-bytes',
        '0',
        '--max-sessions',
        '256',
        '--upstream-url',
        upstream.url,
      ],
      opts.root,
      /\[mcp-guard\] listening on (http:\/\/\S+)/,
    );
    procs.push(guard);
    const urls: Record<Name, URL> = {
      direct: new URL(upstream.url),
      relay: new URL(new URL(upstream.url).pathname, relay.url),
      essential: new URL(essential.url),
      serve: new URL(guard.url),
    };
    const guardPid = guard.proc.pid!;
    let guardPeakRssKb = 0;
    const sampleRss = () => (guardPeakRssKb = Math.max(guardPeakRssKb, rssKb(guardPid)));

    // ---- idle sessions ----
    progress(`serve: ${cfg.idleSessions} idle sessions`);
    // First, on a guard that served a few sessions only: later, the heap grown by the load would hide them.
    for (let i = 0; i < 5; i++) {
      const s = new RawHttpSession(urls.serve, agent);
      await s.initialize();
      await s.call('tools/list');
      await s.close();
    }
    await sleep(1000);
    const heapKbBefore = await heapAfterGcKb(urls.serve);
    const rssKbBefore = rssKb(guardPid);
    const idle = Array.from({ length: cfg.idleSessions }, () => new RawHttpSession(urls.serve, agent));
    for (const s of idle) {
      await s.initialize();
      await s.call('tools/list');
    }
    await sleep(1000);
    const heapKbAfter = await heapAfterGcKb(urls.serve);
    const rssKbAfter = rssKb(guardPid);
    sampleRss();
    await Promise.all(idle.map((s) => s.close()));

    // ---- latency and throughput, one session per target ----
    progress('serve: initializing a session per target and warming up');
    const sessions = Object.fromEntries(NAMES.map((n) => [n, new RawHttpSession(urls[n], agent)])) as Record<Name, RawHttpSession>;
    for (const n of NAMES) await sessions[n].initialize();
    for (const n of NAMES) await sequentialBlock(sessions[n], cfg.warmupSequential);
    const seq: Record<Name, Float64Array[]> = { direct: [], relay: [], essential: [], serve: [] };
    const hopPid: Partial<Record<Name, number>> = { relay: relay.proc.pid!, essential: essential.proc.pid!, serve: guardPid };
    const hopCpuMs: Record<Name, number> = { direct: 0, relay: 0, essential: 0, serve: 0 };
    const hopSys: Record<Name, { reads: number; writes: number }> = {
      direct: { reads: 0, writes: 0 },
      relay: { reads: 0, writes: 0 },
      essential: { reads: 0, writes: 0 },
      serve: { reads: 0, writes: 0 },
    };
    let hopCalls = 0;
    /** Runs one block, adding the CPU its hop process spent meanwhile. */
    const measured = async <T>(n: Name, block: () => Promise<T>): Promise<T> => {
      const pid = hopPid[n];
      const c0 = pid === undefined ? 0 : (procCpuMs(pid) ?? 0);
      const s0 = pid === undefined ? undefined : procSyscalls(pid);
      const r = await block();
      if (pid !== undefined) {
        hopCpuMs[n] += (procCpuMs(pid) ?? 0) - c0;
        const s1 = procSyscalls(pid);
        hopSys[n].reads += s1.reads - s0!.reads;
        hopSys[n].writes += s1.writes - s0!.writes;
      }
      return r;
    };
    for (let b = 0; b < cfg.sequentialBlocks; b++) {
      progress(`serve: sequential block ${b + 1}/${cfg.sequentialBlocks}`);
      for (let k = 0; k < NAMES.length; k++) {
        const n = NAMES[(b + k) % NAMES.length]!;
        seq[n].push(await measured(n, () => sequentialBlock(sessions[n], cfg.sequentialPerBlock)));
      }
      sampleRss();
    }
    for (const n of NAMES) await pipelinedBlock(sessions[n], cfg.warmupPipelined, cfg.depth);
    const pipe: Record<Name, number[]> = { direct: [], relay: [], essential: [], serve: [] };
    for (let b = 0; b < cfg.pipelinedBlocks; b++) {
      progress(`serve: ${cfg.depth} in flight, block ${b + 1}/${cfg.pipelinedBlocks}`);
      for (let k = 0; k < NAMES.length; k++) {
        const n = NAMES[(b + k) % NAMES.length]!;
        pipe[n].push(await measured(n, () => pipelinedBlock(sessions[n], cfg.pipelinedPerBlock, cfg.depth)));
      }
      sampleRss();
    }
    for (const n of NAMES) await sessions[n].close();
    hopCalls = cfg.sequentialBlocks * cfg.sequentialPerBlock + cfg.pipelinedBlocks * cfg.pipelinedPerBlock;

    // ---- 64 sessions x 200 calls through serve, exact counts ----
    progress(`serve: ${SERVE_TARGETS.sessions} sessions x ${SERVE_TARGETS.callsPerSession} calls`);
    const before = await stats(upstream.url);
    const auditedBefore = countAllowed(opts.auditFile);
    const t0 = Date.now();
    const many = Array.from({ length: SERVE_TARGETS.sessions }, () => new RawHttpSession(urls.serve, agent));
    let answered = 0;
    await Promise.all(
      many.map(async (s) => {
        await s.initialize();
        for (let i = 0; i < SERVE_TARGETS.callsPerSession; i++) {
          await s.healthCheck();
          answered++;
        }
      }),
    );
    const seconds = (Date.now() - t0) / 1000;
    sampleRss();
    await Promise.all(many.map((s) => s.close()));
    await sleep(200);
    const reachedUpstream = (await stats(upstream.url)).calls - before.calls;
    const auditedAllowed = countAllowed(opts.auditFile) - auditedBefore;
    const expected = SERVE_TARGETS.sessions * SERVE_TARGETS.callsPerSession;

    const summary = (n: Name) => {
      const s = summarize(pool(seq[n]));
      return { p50: round(s.p50, 4), p99: round(s.p99, 4) };
    };
    const sequential = {
      direct: summary('direct'),
      relay: summary('relay'),
      essential: summary('essential'),
      serve: summary('serve'),
      addedP50OverRelayMs: 0,
      addedP50OverDirectMs: 0,
      essentialAddedP50OverRelayMs: 0,
    };
    sequential.addedP50OverRelayMs = round(sequential.serve.p50 - sequential.relay.p50, 4);
    sequential.essentialAddedP50OverRelayMs = round(sequential.essential.p50 - sequential.relay.p50, 4);
    sequential.addedP50OverDirectMs = round(sequential.serve.p50 - sequential.direct.p50, 4);
    const medianOf = (xs: number[]) => summarize(xs).p50;
    const pipelined = {
      depth: cfg.depth,
      direct: { callsPerSec: Math.round(medianOf(pipe.direct)), blocks: pipe.direct.map(Math.round) },
      relay: { callsPerSec: Math.round(medianOf(pipe.relay)), blocks: pipe.relay.map(Math.round) },
      essential: { callsPerSec: Math.round(medianOf(pipe.essential)), blocks: pipe.essential.map(Math.round) },
      serve: { callsPerSec: Math.round(medianOf(pipe.serve)), blocks: pipe.serve.map(Math.round) },
      serveVsRelay: 0,
      essentialVsRelay: 0,
    };
    pipelined.serveVsRelay = round(pipelined.serve.callsPerSec / pipelined.relay.callsPerSec, 3);
    pipelined.essentialVsRelay = round(pipelined.essential.callsPerSec / pipelined.relay.callsPerSec, 3);
    const scale = {
      sessions: SERVE_TARGETS.sessions,
      callsPerSession: SERVE_TARGETS.callsPerSession,
      answered,
      reachedUpstream,
      auditedAllowed,
      exact: answered === expected && reachedUpstream === expected && auditedAllowed === expected,
      seconds: round(seconds, 2),
    };
    const rssPerSessionKb = round((rssKbAfter - rssKbBefore) / cfg.idleSessions, 1);
    const heap =
      heapKbBefore === undefined || heapKbAfter === undefined
        ? undefined
        : { kbBefore: heapKbBefore, kbAfter: heapKbAfter, perSessionKb: round((heapKbAfter - heapKbBefore) / cfg.idleSessions, 1) };
    const idleFigures: ServeBenchResult['idle'] = {
      sessions: cfg.idleSessions,
      rssKbBefore,
      rssKbAfter,
      rssPerSessionKb,
      ...(heap !== undefined ? { heap } : {}),
      // RSS moves with the allocator and with whichever full collection happens to fall in between (it can even fall);
      // the heap after a collection is what the sessions hold. The larger of the two is the figure judged.
      perSessionKb: Math.max(rssPerSessionKb, heap?.perSessionKb ?? -Infinity),
    };
    return {
      config: cfg,
      targets: SERVE_TARGETS,
      sequential,
      pipelined,
      hopCpuUsPerCall: {
        relay: round((hopCpuMs.relay * 1000) / hopCalls, 1),
        essential: round((hopCpuMs.essential * 1000) / hopCalls, 1),
        serve: round((hopCpuMs.serve * 1000) / hopCalls, 1),
        calls: hopCalls,
      },
      hopSyscallsPerCall: {
        relay: { reads: round(hopSys.relay.reads / hopCalls, 2), writes: round(hopSys.relay.writes / hopCalls, 2) },
        essential: { reads: round(hopSys.essential.reads / hopCalls, 2), writes: round(hopSys.essential.writes / hopCalls, 2) },
        serve: { reads: round(hopSys.serve.reads / hopCalls, 2), writes: round(hopSys.serve.writes / hopCalls, 2) },
      },
      scale,
      idle: idleFigures,
      guardPeakRssKb,
      met: {
        addedP50: sequential.addedP50OverRelayMs <= SERVE_TARGETS.addedP50OverRelayMs,
        throughput: pipelined.serveVsRelay >= SERVE_TARGETS.throughputVsRelay,
        scale: scale.exact,
        idle: idleFigures.perSessionKb <= SERVE_TARGETS.idleSessionKb,
      },
    };
  } finally {
    agent.destroy();
    for (const p of procs.reverse()) await p.stop();
  }
}

function countAllowed(auditFile: string): number {
  let text: string;
  try {
    text = readFileSync(auditFile, 'utf8');
  } catch {
    return 0;
  }
  let n = 0;
  for (const line of text.split('\n')) if (line.includes('"event":"decision"') && line.includes('"decision":"allowed"')) n++;
  return n;
}

/** The section as printed by the benchmark. */
export function serveReport(r: ServeBenchResult): string {
  const t = r.targets;
  const lines = [
    `mcp-guard serve over Streamable HTTP (bench/lib/serve-bench.ts): tools/call health_check on a minimal HTTP MCP server; raw HTTP client, kept-alive connections`,
    '',
    table(
      ['', 'p50', 'p99', `calls/s at ${r.pipelined.depth} in flight`, 'blocks (calls/s)'],
      NAMES.map((n) => [
        n,
        ms(r.sequential[n].p50),
        ms(r.sequential[n].p99),
        String(r.pipelined[n].callsPerSec),
        r.pipelined[n].blocks.join(' '),
      ]),
    ),
    '',
    table(
      ['serve target', 'goal', 'this run', ''],
      [
        ['added p50 over the bare relay', `<= ${ms(t.addedP50OverRelayMs, 2)}`, ms(r.sequential.addedP50OverRelayMs), met(r.met.addedP50)],
        [
          `throughput vs the relay, ${r.pipelined.depth} in flight`,
          `>= ${t.throughputVsRelay * 100} %`,
          `${(r.pipelined.serveVsRelay * 100).toFixed(1)} %`,
          met(r.met.throughput),
        ],
        [
          `${t.sessions} sessions x ${t.callsPerSession} calls, exact counts`,
          `${t.sessions * t.callsPerSession} each`,
          `${r.scale.answered} answered, ${r.scale.reachedUpstream} at the server, ${r.scale.auditedAllowed} audited (${r.scale.seconds} s)`,
          met(r.met.scale),
        ],
        [
          `guard memory per idle session (${r.idle.sessions} sessions)`,
          `<= ${mb(t.idleSessionKb)}`,
          `${r.idle.perSessionKb} KB (RSS ${r.idle.rssPerSessionKb} KB: ${mb(r.idle.rssKbBefore)} -> ${mb(r.idle.rssKbAfter)}${
            r.idle.heap === undefined
              ? ''
              : `; heap after GC ${r.idle.heap.perSessionKb} KB: ${mb(r.idle.heap.kbBefore)} -> ${mb(r.idle.heap.kbAfter)}`
          })`,
          met(r.met.idle),
        ],
      ],
    ),
    `serve added p50 over direct: ${ms(r.sequential.addedP50OverDirectMs)}; guard peak RSS ${mb(r.guardPeakRssKb)}`,
    `CPU per call of the hop itself (${r.hopCpuUsPerCall.calls} calls each, /proc at 10 ms resolution): relay process ${r.hopCpuUsPerCall.relay} µs, essential guard ${r.hopCpuUsPerCall.essential} µs, guard process ${r.hopCpuUsPerCall.serve} µs; system calls per call (/proc/PID/io): relay ${r.hopSyscallsPerCall.relay.reads} reads + ${r.hopSyscallsPerCall.relay.writes} writes, essential ${r.hopSyscallsPerCall.essential.reads} + ${r.hopSyscallsPerCall.essential.writes}, guard ${r.hopSyscallsPerCall.serve.reads} + ${r.hopSyscallsPerCall.serve.writes}`,
    `yardstick, not a target: the essential guard (bench/lib/essential-guard.mjs: parse, look up, re-serialise, digest, scan, one audit write per call; no sessions, approvals, limits or pins) added ${ms(r.sequential.essentialAddedP50OverRelayMs)} p50 over the relay and kept ${(r.pipelined.essentialVsRelay * 100).toFixed(1)} % of its throughput (against serve's targets: p50 ${r.sequential.essentialAddedP50OverRelayMs <= t.addedP50OverRelayMs ? 'within' : 'over'}, throughput ${r.pipelined.essentialVsRelay >= t.throughputVsRelay ? 'within' : 'under'}; the floor's own misses are this machine's noise)`,
  ];
  return lines.join('\n');
}
