/**
 * MCP Guard proxy benchmark (`npm run bench`). Prints figures, not pass/fail: each target is
 * shown with whether this run met it. Exits non-zero only when the figures are invalid (a
 * call failed or was denied, or a process died).
 *
 * DIRECT      = the Odoo stand-in server on our stdio.
 * GUARDED     = `mcp-guard run --policy P --audit A -- <the same stand-in>` on our stdio.
 * PASSTHROUGH = reference only: a minimal Node stdio pipe (no parsing) in front of the same
 *               stand-in, i.e. what any extra process hop costs on this machine. It splits the
 *               guard's added latency into "an extra hop" and "the guard's own work".
 *
 * Two sections, each with its own three processes, all up and warm for the whole section;
 * blocks alternate direct, passthrough, guarded, ... (the first of each round rotating) so
 * machine noise hits all of them:
 *   RAW CLIENT  a minimal JSON-RPC client (bench/lib/raw-client.ts). The client costs almost
 *               nothing, so any extra process hop weighs the most here: the worst case.
 *   SDK CLIENT  the MCP TypeScript SDK's Client + StdioClientTransport (bench/lib/sdk-client.ts),
 *               the client configuration of the issue's reference measurement (direct p50
 *               about 0.14-0.18 ms). The targets are evaluated on this section; the raw-client
 *               figures are printed next to them.
 *
 * Environment: BENCH_GUARD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" passes node flags
 * to the guard only (for profiling). BENCH_AUDIT=0 runs the guard without --audit.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { runFramingBench, type FramingCase } from './lib/framing-bench';
import { runPinsBench, type PinsBenchResult } from './lib/pins-bench';
import { runPolicyBench, type PolicyBenchResult } from './lib/policy-bench';
import { RESULT_SCAN_TARGET_US_PER_KB, resultScanTable, runResultScanBench, type ResultScanCase } from './lib/result-scan-bench';
import { RawClient } from './lib/raw-client';
import { mb, met, ms, table, us } from './lib/report';
import { SdkBenchClient } from './lib/sdk-client';
import { runServeBench, serveReport, type ServeBenchResult } from './lib/serve-bench';
import {
  afterInit,
  figures,
  figuresJson,
  makeTarget,
  runSection,
  type SectionConfig,
  type SectionFigures,
  type Target,
} from './lib/section';
import { round, summarize } from './lib/stats';

const ROOT = resolve(__dirname, '..', '..');
const GUARD = join(ROOT, 'dist', 'mcp-guard.js');
const STANDIN = join(ROOT, 'dist', 'odoo-demo-server.js');

/** Extra node flags for the guard only, e.g. BENCH_GUARD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const GUARD_NODE_ARGS = (process.env['BENCH_GUARD_NODE_ARGS'] ?? '').split(/\s+/).filter((a) => a !== '');

/** BENCH_AUDIT=0 runs the guard without --audit (for comparison only; the targets assume audit on). */
const AUDIT_ON = process.env['BENCH_AUDIT'] !== '0';

const TOOL = 'health_check';
const TOOL_ARGS: Record<string, unknown> = {};

/** Raw-client section. */
const CONFIG = {
  settleMs: 200,
  warmupSequential: 500,
  warmupPipelined: 20_000,
  sequentialBlocks: 24,
  sequentialPerBlock: 1000,
  pipelinedBlocks: 6,
  pipelinedPerBlock: 20_000,
  depth: 16,
  policyIterations: 1_000_000,
};

/**
 * SDK-client section. Pipelined throughput keeps rising over the first ~20,000 calls of a fresh
 * client + server pair (JIT, heap sizing), hence the long pipelined warm-up; more, smaller
 * blocks than the raw section, as the SDK client's blocks vary more.
 */
const SDK_CONFIG: SectionConfig = {
  warmupSequential: 500,
  warmupPipelined: 20_000,
  sequentialBlocks: 24,
  sequentialPerBlock: 1000,
  pipelinedBlocks: 12,
  pipelinedPerBlock: 10_000,
  depth: 16,
};

const TARGETS = {
  addedP50Ms: 0.12,
  addedP99Ms: 1,
  throughputRatio: 0.8,
  decideUs: 5,
  guardRssMB: 60,
  fingerprintListMs: 1,
};

/** A realistic small policy: health_check allowed, a rate limit elsewhere, a hidden tool, default allow. */
const LATENCY_POLICY = `# MCP Guard benchmark policy (generated)
version: 1
default: allow
hide:
  - read_field_to_file
tools:
  health_check:
    action: allow
  search_records:
    rate_limit: { max: 60, window: 60 }
  "get_*":
    rate_limit: { max: 600, window: 60 }
  execute_method:
    action: deny
    reason: Arbitrary ORM method calls are not allowed from agents.
  execute_approved_write:
    action: require_approval
  chatter_post:
    action: require_approval
    when:
      - { path: args.model, op: in, value: [res.partner, sale.order] }
`;

/** The reference hop: pipes bytes both ways, parses nothing. argv: node -e SCRIPT NODE SERVER. */
const PASSTHROUGH_SCRIPT = `
const { spawn } = require('node:child_process');
const child = spawn(process.argv[1], process.argv.slice(2), { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
child.stdin.on('error', () => {});
process.stdin.on('end', () => child.stdin.end());
child.on('exit', (code) => process.exit(code ?? 0));
`;

type Mode = 'raw' | 'sdk';

interface AuditStats {
  decisions: number;
  allowed: number;
  other: number;
}

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function progress(text: string): void {
  process.stderr.write(`[bench] ${text}\n`);
}

/** Every guarded call is one audit decision; all must be `allowed TOOL`. */
function checkAudit(file: string, guardedCalls: number, label: string, problems: string[]): AuditStats {
  const stats: AuditStats = { decisions: 0, allowed: 0, other: 0 };
  if (!AUDIT_ON) return stats;
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('"event":"decision"')) continue;
      const ev = JSON.parse(line) as { decision?: string; tool?: string };
      stats.decisions++;
      if (ev.decision === 'allowed' && ev.tool === TOOL) stats.allowed++;
      else stats.other++;
    }
  } catch (e) {
    problems.push(`${label}: cannot read the audit log: ${(e as Error).message}`);
  }
  if (stats.other > 0) problems.push(`${label}: ${stats.other} audit decision(s) were not "allowed ${TOOL}"`);
  if (stats.decisions !== guardedCalls)
    problems.push(`${label}: the audit log has ${stats.decisions} decisions for ${guardedCalls} guarded calls`);
  return stats;
}

/** Checks the guard's tools/list: TOOL listed, read_field_to_file hidden. */
function checkListing(names: readonly string[], label: string, problems: string[]): void {
  const set = new Set(names);
  if (!set.has(TOOL)) problems.push(`${label}: the guard does not list ${TOOL}`);
  if (set.has('read_field_to_file')) problems.push(`${label}: the guard did not hide read_field_to_file`);
}

function printSection(title: string, targets: readonly Target[], f: SectionFigures, cfg: SectionConfig, cores: number): void {
  const dRate = f.rate.get('direct')!;
  log(title);
  log('-'.repeat(title.length));
  log(
    `Sequential round trips (pooled over ${cfg.sequentialBlocks} blocks of ${cfg.sequentialPerBlock.toLocaleString('en-US')} calls per target)`,
  );
  log(
    table(
      ['', 'p50', 'p90', 'p99', 'mean', 'max', 'block p50s: min / median / max'],
      targets.map((t) => {
        const s = f.seq.get(t.name)!;
        const b = summarize(f.blockP50.get(t.name)!);
        return [
          t.name,
          ms(s.p50),
          ms(s.p90),
          ms(s.p99),
          ms(s.mean),
          ms(s.max, 2),
          `${b.min.toFixed(3)} / ${b.p50.toFixed(3)} / ${b.max.toFixed(3)} ms`,
        ];
      }),
    ),
  );
  log(
    `  added by the guard (guarded - direct):      p50 ${ms(f.addedP50)}, p90 ${ms(f.addedP90)}, p99 ${ms(f.addedP99)}, mean ${ms(f.addedMean)}`,
  );
  log(`  median over rounds of (guarded block p50 - direct block p50): ${ms(f.pairedAddedP50)}`);
  log(`  of which an extra hop (passthrough - direct): p50 ${ms(f.extraHopP50)}, p99 ${ms(f.extraHopP99)}`);
  log(`  of which the guard's work (guarded - passthrough): p50 ${ms(f.guardWorkP50)}, p99 ${ms(f.guardWorkP99)}`);
  log();
  log(
    `Pipelined throughput (${cfg.depth} in flight, one client; median of ${cfg.pipelinedBlocks} blocks of ${cfg.pipelinedPerBlock.toLocaleString('en-US')} calls) and CPU per call during those blocks`,
  );
  log(
    table(
      ['', 'calls/s', 'vs direct', 'blocks (calls/s)', 'CPU µs/call: client', 'proxy', 'server', 'total'],
      targets.map((t) => {
        const c = f.cpuUsPerCall.get(t.name)!;
        const r = f.rate.get(t.name)!;
        return [
          t.name,
          Math.round(r).toLocaleString('en-US'),
          `${((r / dRate) * 100).toFixed(1)} %`,
          f.callsPerSec
            .get(t.name)!
            .map((x) => Math.round(x))
            .join(' '),
          c.client.toFixed(1),
          t.name === 'direct' ? '-' : c.proxy.toFixed(1),
          c.server.toFixed(1),
          (c.client + c.proxy + c.server).toFixed(1),
        ];
      }),
    ),
  );
  log(`  median over rounds of (guarded block / direct block): ${(f.pairedRatio * 100).toFixed(1)} %`);
  log(
    `  (CPU from /proc/PID/stat at 10 ms resolution over ${f.pipelinedCalls.toLocaleString('en-US')} calls per target; ${cores} cores available)`,
  );
  log();
}

function printRss(sections: readonly { mode: Mode; targets: readonly Target[] }[]): void {
  log('Peak RSS (VmHWM)');
  log(
    table(
      ['', 'after init', 'after sequential', 'after pipelined', 'its stand-in'],
      sections.flatMap(({ mode, targets }) =>
        targets.map((t) => {
          const name = `${mode} client, ${t.name}`;
          return t.name === 'direct'
            ? [name, '-', '-', '-', mb(t.rssKb.afterPipelined)]
            : [name, mb(t.rssKb.afterInit), mb(t.rssKb.afterSequential), mb(t.rssKb.afterPipelined), mb(t.rssKb.serverPeak)];
        }),
      ),
    ),
  );
  log();
}

interface Verdict {
  readonly value: string;
  readonly ok: boolean | undefined;
}

interface TargetRow {
  readonly metric: string;
  readonly target: string;
  /** SDK client: the issue's reference client configuration. */
  readonly reference: Verdict;
  /** Raw JSON-RPC client: the worst case. */
  readonly raw: Verdict;
}

const maxDefined = (...xs: (number | undefined)[]) => {
  const d = xs.filter((x): x is number => x !== undefined);
  return d.length ? Math.max(...d) : undefined;
};

async function main(): Promise<number> {
  const started = Date.now();
  for (const f of [GUARD, STANDIN]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run node scripts/build.mjs --fixtures first (npm run bench does)`);
  }
  const tmp = mkdtempSync(join(os.tmpdir(), 'mcp-guard-bench-'));
  const policyFile = join(tmp, 'policy.yaml');
  const auditFile: Record<Mode, string> = { raw: join(tmp, 'audit-raw.jsonl'), sdk: join(tmp, 'audit-sdk.jsonl') };
  writeFileSync(policyFile, LATENCY_POLICY);

  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGB: round(os.totalmem() / 1024 ** 3, 1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: new Date().toISOString(),
    loadavg: os.loadavg().map((x) => round(x, 2)),
    loadavgAtEnd: [] as number[],
  };

  const node = process.execPath;
  const commands = (mode: Mode) =>
    [
      ['direct', [STANDIN]],
      ['passthrough', ['-e', PASSTHROUGH_SCRIPT, node, STANDIN]],
      [
        'guarded',
        [
          ...GUARD_NODE_ARGS,
          GUARD,
          'run',
          '--policy',
          policyFile,
          ...(AUDIT_ON ? ['--audit', auditFile[mode], '--audit-max-bytes', '0'] : []),
          '--',
          node,
          STANDIN,
        ],
      ],
    ] as const;
  const problems: string[] = [];

  const sectionSeconds = { raw: 0, sdk: 0, policy: 0, serve: 0 };
  let t0 = Date.now();
  // ---- raw-client section -----------------------------------------------------------------
  const raw = commands('raw').map(([name, args]) => makeTarget(name, new RawClient(name, node, args, ROOT)));
  const rawGuarded = raw.find((t) => t.name === 'guarded')!;
  try {
    progress('raw client: starting the targets and initializing');
    await Promise.all(raw.map((t) => t.client.initialize(CONFIG.settleMs)));
    const listed = (await rawGuarded.client.request('tools/list')) as { tools?: { name: string }[] };
    checkListing(
      (listed.tools ?? []).map((t) => t.name),
      'raw client',
      problems,
    );
    afterInit(raw);
    await runSection('raw client', raw, CONFIG, TOOL, TOOL_ARGS, progress, problems);
  } catch (e) {
    problems.push(`raw client: ${(e as Error).message}`);
  } finally {
    progress('raw client: stopping the targets');
    await Promise.all(raw.map((t) => t.client.close()));
  }
  const rawAudit = checkAudit(auditFile.raw, rawGuarded.client.calls, 'raw client', problems);
  sectionSeconds.raw = (Date.now() - t0) / 1000;
  t0 = Date.now();

  // ---- SDK-client section -----------------------------------------------------------------
  const sdk = commands('sdk').map(([name, args]) => makeTarget(name, new SdkBenchClient(name, node, args, ROOT)));
  const sdkGuarded = sdk.find((t) => t.name === 'guarded')!;
  try {
    progress('SDK client: starting the targets, initialize + tools/list');
    const listings = await Promise.all(sdk.map((t) => t.client.connect()));
    checkListing(listings[sdk.indexOf(sdkGuarded)]!, 'SDK client', problems);
    await new Promise((r) => setTimeout(r, CONFIG.settleMs));
    afterInit(sdk);
    await runSection('SDK client', sdk, SDK_CONFIG, TOOL, TOOL_ARGS, progress, problems);
  } catch (e) {
    problems.push(`SDK client: ${(e as Error).message}`);
  } finally {
    progress('SDK client: stopping the targets');
    await Promise.all(sdk.map((t) => t.client.close()));
  }
  const sdkAudit = checkAudit(auditFile.sdk, sdkGuarded.client.calls, 'SDK client', problems);
  sectionSeconds.sdk = (Date.now() - t0) / 1000;
  t0 = Date.now();

  progress(`policy evaluation: 1,000 entries, ${CONFIG.policyIterations.toLocaleString('en-US')} calls per measurement`);
  let policy: PolicyBenchResult | undefined;
  try {
    policy = runPolicyBench(CONFIG.policyIterations);
  } catch (e) {
    problems.push(`policy benchmark: ${(e as Error).message}`);
  }
  progress('framing: client messages rebuilt and framed for every upstream reader, in-process');
  let framing: FramingCase[] | undefined;
  try {
    framing = runFramingBench();
  } catch (e) {
    problems.push(`framing benchmark: ${(e as Error).message}`);
  }
  progress('pinned definitions: fingerprinting the Odoo tool list, in-process');
  let pins: PinsBenchResult | undefined;
  try {
    pins = runPinsBench(ROOT);
  } catch (e) {
    problems.push(`pins benchmark: ${(e as Error).message}`);
  }
  progress('result scanning: --scan-results redact over Odoo-sized answers, in-process');
  let resultScan: ResultScanCase[] | undefined;
  try {
    resultScan = runResultScanBench();
  } catch (e) {
    problems.push(`result scanning benchmark: ${(e as Error).message}`);
  }
  sectionSeconds.policy = (Date.now() - t0) / 1000;

  // ---- serve section: Streamable HTTP, direct / bare relay / serve --upstream-url ------------
  t0 = Date.now();
  let served: ServeBenchResult | undefined;
  try {
    served = await runServeBench({
      root: ROOT,
      guard: GUARD,
      policyFile,
      auditFile: join(tmp, 'audit-serve.jsonl'),
      guardNodeArgs: GUARD_NODE_ARGS,
      progress,
    });
    if (!served.scale.exact)
      problems.push(
        `serve: ${served.scale.sessions} sessions x ${served.scale.callsPerSession} calls: ${served.scale.answered} answered, ${served.scale.reachedUpstream} reached the server, ${served.scale.auditedAllowed} audited`,
      );
  } catch (e) {
    problems.push(`serve benchmark: ${(e as Error).message}`);
  }
  sectionSeconds.serve = (Date.now() - t0) / 1000;
  machine.loadavgAtEnd = os.loadavg().map((x) => round(x, 2));

  // ---- figures --------------------------------------------------------------------------
  const rf = figures(raw, CONFIG);
  const sf = figures(sdk, SDK_CONFIG);
  const all: Target[] = [...raw, ...sdk];
  for (const [mode, targets] of [
    ['raw', raw],
    ['SDK', sdk],
  ] as const) {
    for (const t of targets) {
      if (t.client.failures > 0) {
        problems.push(
          `${mode} client, ${t.name}: ${t.client.failures} of ${t.client.calls} calls failed, e.g. ${t.client.failureSamples[0]?.what}`,
        );
      }
    }
  }
  const totalCalls = all.reduce((n, t) => n + t.client.calls, 0);
  const totalFailures = all.reduce((n, t) => n + t.client.failures, 0);

  log('MCP Guard proxy benchmark');
  log('=========================');
  log(
    `Machine : ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB RAM, ${machine.os} (load avg at start ${machine.loadavg.join(' ')}, at end ${machine.loadavgAtEnd.join(' ')})`,
  );
  log(`Node    : ${machine.node}`);
  log(`Date    : ${machine.date}`);
  log(`Call    : tools/call ${TOOL} {} on the Odoo stand-in, over stdio`);
  log(
    `Guarded : mcp-guard run --policy <small policy>${AUDIT_ON ? ' --audit <file> (enforce mode, audit on)' : ' (enforce mode, AUDIT OFF: BENCH_AUDIT=0, not the target configuration)'}${GUARD_NODE_ARGS.length ? `; guard node flags: ${GUARD_NODE_ARGS.join(' ')}` : ''}`,
  );
  log(
    `Clients : raw = a minimal JSON-RPC client (no SDK); SDK = @modelcontextprotocol/sdk Client + StdioClientTransport (the reference client)`,
  );
  log(
    `Runs    : per section, blocks alternate direct / passthrough / guarded, the first of each round rotating; ${CONFIG.depth} in flight when pipelined`,
  );
  log(`          (passthrough = a bare Node stdio pipe in front of the stand-in: the cost of any extra process hop, for reference)`);
  log();
  printSection(
    'Raw JSON-RPC client (worst case: the client costs almost nothing, so every extra hop shows)',
    raw,
    rf,
    CONFIG,
    machine.cores,
  );
  printSection('SDK client (reference: Client + StdioClientTransport from @modelcontextprotocol/sdk)', sdk, sf, SDK_CONFIG, machine.cores);
  if (policy) {
    log(
      `Policy evaluation in-process (${policy.entries} entries, ${(policy.policyBytes / 1024).toFixed(1)} KB YAML, ${policy.names} rotating names; median of 10 rounds of ${(policy.iterations / 10).toLocaleString('en-US')} calls)`,
    );
    log(
      table(
        ['', 'per call'],
        [
          ['decide() (name memoised, as in a running guard)', us(policy.decideNs)],
          ['evaluatePolicy()', us(policy.evaluateNs)],
          ['classifyTool() + decide() (what the proxy runs per call)', us(policy.classifyDecideNs)],
          ['first sight of a name (all 1,000 patterns tested, then memoised)', us(policy.coldMatchNs)],
          ['parse + validate the file, first time in the process', ms(policy.parseMs, 1)],
          ['parse + validate the file, warm (median of 5)', ms(policy.parseWarmMs, 1)],
        ],
      ),
    );
    log(
      `  verdict mix over the rotation: ${Object.entries(policy.verdicts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    log();
  }
  if (framing) {
    log(
      'Client messages on their way upstream, in-process (JSON.parse included; median of 7 rounds): forwarded as received vs rebuilt and framed',
    );
    log(
      table(
        ['message', 'bytes', 'as received', 'rebuilt', 'added'],
        framing.map((f) => [f.name, String(f.bytes), us(f.passthroughNs), us(f.rebuiltNs), us(f.rebuiltNs - f.passthroughNs)]),
      ),
    );
    log('  tools/call was rebuilt before too (its "as received" column is parse + JSON.stringify)');
    log();
  }
  if (pins) {
    log(
      `Pinned tool definitions in-process (the Odoo server's ${pins.tools}-tool list, ${(pins.listBytes / 1024).toFixed(1)} KB as JSON; median of 15 rounds of 50)`,
    );
    log(
      table(
        ['', 'per list'],
        [
          ['fingerprint every tool (canonical JSON + SHA-256)', ms(pins.fingerprintListMs, 3)],
          ['  the same, best round', ms(pins.fingerprintListBestMs, 3)],
          ['  the same, CPU time of this process (median)', ms(pins.fingerprintListCpuMs, 3)],
          ['ToolTrust.observe (what the guard runs per tools/list it sees)', ms(pins.observeListMs, 3)],
        ],
      ),
    );
    log();
  }
  if (resultScan) {
    log('Answers searched for secrets before the client gets them (--scan-results redact), in-process, median of 7 rounds');
    log(resultScanTable(resultScan));
    log('  the answer is already parsed (the guard parses every line); "µs per KB" is per 1,024 bytes of the answer\'s line');
    log();
  }
  printRss([
    { mode: 'raw', targets: raw },
    { mode: 'sdk', targets: sdk },
  ]);
  log(
    `Calls checked: ${totalCalls.toLocaleString('en-US')} (incl. warm-up; raw ${raw.reduce((n, t) => n + t.client.calls, 0).toLocaleString('en-US')}, SDK ${sdk.reduce((n, t) => n + t.client.calls, 0).toLocaleString('en-US')}); denied/failed: ${totalFailures} (${((totalFailures / Math.max(1, totalCalls)) * 100).toFixed(3)} %)`,
  );
  if (AUDIT_ON) {
    for (const [label, a, t] of [
      ['raw client', rawAudit, rawGuarded],
      ['SDK client', sdkAudit, sdkGuarded],
    ] as const) {
      log(
        `Audit log (${label}): ${a.decisions.toLocaleString('en-US')} decisions for ${t.client.calls.toLocaleString('en-US')} guarded calls, ${a.allowed.toLocaleString('en-US')} "allowed ${TOOL}"`,
      );
    }
  }
  log();

  // ---- targets: evaluated on the SDK client (the reference), raw client alongside ---------
  const latency = (f: SectionFigures, which: 'addedP50' | 'addedP99', limit: number): Verdict => ({
    value: ms(f[which]),
    ok: f[which] <= limit,
  });
  const throughput = (f: SectionFigures): Verdict => ({ value: `${(f.ratio * 100).toFixed(1)} %`, ok: f.ratio >= TARGETS.throughputRatio });
  const rss = (kb: number | undefined): Verdict => ({ value: mb(kb), ok: kb === undefined ? undefined : kb / 1024 <= TARGETS.guardRssMB });
  const decide: Verdict = {
    value: policy ? us(policy.decideNs) : 'n/a',
    ok: policy ? policy.decideNs / 1000 <= TARGETS.decideUs : undefined,
  };
  const fingerprintVerdict: Verdict = {
    value: pins ? ms(pins.fingerprintListMs, 3) : 'n/a',
    ok: pins ? pins.fingerprintListMs < TARGETS.fingerprintListMs : undefined,
  };
  const worstScan = resultScan ? Math.max(...resultScan.map((c) => c.usPerKb)) : undefined;
  const scan: Verdict = {
    value: worstScan === undefined ? 'n/a' : `${worstScan.toFixed(2)} µs`,
    ok: worstScan === undefined ? undefined : worstScan <= RESULT_SCAN_TARGET_US_PER_KB,
  };
  const guardMaxKb = maxDefined(rf.guardKb, sf.guardKb);
  const rows: TargetRow[] = [
    {
      metric: 'added latency p50 (guarded - direct)',
      target: `<= ${TARGETS.addedP50Ms} ms`,
      reference: latency(sf, 'addedP50', TARGETS.addedP50Ms),
      raw: latency(rf, 'addedP50', TARGETS.addedP50Ms),
    },
    {
      metric: 'added latency p99 (guarded - direct)',
      target: `<= ${TARGETS.addedP99Ms} ms`,
      reference: latency(sf, 'addedP99', TARGETS.addedP99Ms),
      raw: latency(rf, 'addedP99', TARGETS.addedP99Ms),
    },
    {
      metric: `pipelined throughput guarded / direct (${CONFIG.depth} in flight)`,
      target: `>= ${TARGETS.throughputRatio * 100} %`,
      reference: throughput(sf),
      raw: throughput(rf),
    },
    { metric: 'policy evaluation, decide() at 1,000 entries', target: `<= ${TARGETS.decideUs} µs`, reference: decide, raw: decide },
    { metric: 'result scanning, worst answer, per KB', target: `<= ${RESULT_SCAN_TARGET_US_PER_KB} µs`, reference: scan, raw: scan },
    {
      metric: `fingerprinting the ${pins?.tools ?? 43}-tool list`,
      target: `< ${TARGETS.fingerprintListMs} ms`,
      reference: fingerprintVerdict,
      raw: fingerprintVerdict,
    },
    {
      metric: 'guard peak RSS (reference: max of both guards)',
      target: `<= ${TARGETS.guardRssMB} MB`,
      reference: rss(guardMaxKb),
      raw: rss(rf.guardKb),
    },
  ];
  log(
    `Targets (${machine.cores}-core machine): evaluated on the SDK client (the issue's reference client); raw client shown as the worst case`,
  );
  log(
    table(
      ['metric', 'target', 'SDK client (reference)', '', 'raw client (worst case)', ''],
      rows.map((r) => [r.metric, r.target, r.reference.value, met(r.reference.ok), r.raw.value, met(r.raw.ok)]),
    ),
  );
  log(
    `  direct p50: SDK client ${ms(sf.seq.get('direct')!.p50)} (the issue's reference measured 0.14-0.18 ms), raw client ${ms(rf.seq.get('direct')!.p50)}`,
  );
  log(
    `  guard peak RSS: SDK-client guard ${mb(sf.guardKb)}, raw-client guard ${mb(rf.guardKb)}; policy evaluation is in-process, the same figure in both columns`,
  );
  log('  (MB = MiB, from /proc VmHWM in kB)');
  if (served) {
    log();
    log(serveReport(served));
  }

  const valid = problems.length === 0 && totalFailures === 0;
  if (!valid) {
    log();
    log('FIGURES INVALID:');
    for (const p of problems) log(`  - ${p}`);
    for (const [mode, targets] of [
      ['raw', raw],
      ['SDK', sdk],
    ] as const) {
      for (const t of targets) {
        const err = t.client.stderr.trim();
        if (err)
          log(
            `  ${mode} client, ${t.name} stderr (last lines):\n${err
              .split('\n')
              .slice(-10)
              .map((l) => `    ${l}`)
              .join('\n')}`,
          );
      }
    }
  }

  const rawJson = figuresJson(raw, rf, CONFIG);
  const sdkJson = figuresJson(sdk, sf, SDK_CONFIG);
  const json = {
    valid,
    problems,
    machine,
    sectionSeconds,
    config: { ...CONFIG, sdk: SDK_CONFIG, tool: TOOL, audit: AUDIT_ON, guardNodeArgs: GUARD_NODE_ARGS },
    targets: TARGETS,
    // Raw-client section (top level, as before).
    sequential: rawJson.sequential,
    pipelined: rawJson.pipelined,
    rssKb: rawJson.rssKb,
    calls: { ...rawJson.calls, auditDecisions: rawAudit.decisions },
    // SDK-client section: the reference client configuration.
    sdk: { ...sdkJson, calls: { ...sdkJson.calls, auditDecisions: sdkAudit.decisions } },
    policy: policy ?? null,
    framing: framing ?? null,
    pins: pins ?? null,
    resultScan: resultScan ?? null,
    serve: served ?? null,
    guardPeakRssKb: { raw: rf.guardKb ?? null, sdk: sf.guardKb ?? null, max: guardMaxKb ?? null },
    /** The targets table: `reference` = SDK client, `raw` = raw client (worst case). */
    targetsTable: rows,
    /** Verdicts on the reference (SDK) client, keyed by metric. */
    met: Object.fromEntries(rows.map((r) => [r.metric, r.reference.ok ?? null])),
    metRawClient: Object.fromEntries(rows.map((r) => [r.metric, r.raw.ok ?? null])),
  };
  const outDir = join(ROOT, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  log();
  log(
    `Figures written to ${join('bench-results', 'latest.json')}; total time ${((Date.now() - started) / 1000).toFixed(1)} s (raw client ${sectionSeconds.raw.toFixed(1)} s, SDK client ${sectionSeconds.sdk.toFixed(1)} s, policy ${sectionSeconds.policy.toFixed(1)} s, serve ${sectionSeconds.serve.toFixed(1)} s)`,
  );

  rmSync(tmp, { recursive: true, force: true });
  return valid ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`benchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
