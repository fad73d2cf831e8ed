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
 * All stay up and warm for the whole run; blocks alternate direct, passthrough, guarded, ...
 * so machine noise hits all of them.
 *
 * Environment: BENCH_GUARD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" passes node flags
 * to the guard only (for profiling).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { runPolicyBench, type PolicyBenchResult } from './lib/policy-bench';
import { RawClient, childPids, procCpuMs, procStatusKb } from './lib/raw-client';
import { mb, met, ms, table, us } from './lib/report';
import { median, pool, round, summarize, type Summary } from './lib/stats';

const ROOT = resolve(__dirname, '..', '..');
const GUARD = join(ROOT, 'dist', 'mcp-guard.js');
const STANDIN = join(ROOT, 'dist-test', 'test', 'fixtures', 'odoo-standin', 'server.js');

/** Extra node flags for the guard only, e.g. BENCH_GUARD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const GUARD_NODE_ARGS = (process.env['BENCH_GUARD_NODE_ARGS'] ?? '').split(/\s+/).filter((a) => a !== '');

/** BENCH_AUDIT=0 runs the guard without --audit (for comparison only; the targets assume audit on). */
const AUDIT_ON = process.env['BENCH_AUDIT'] !== '0';

const TOOL = 'health_check';
const TOOL_ARGS: Record<string, unknown> = {};

const CONFIG = {
  settleMs: 200,
  warmupSequential: 500,
  warmupPipelined: 4000,
  sequentialBlocks: 24,
  sequentialPerBlock: 1000,
  pipelinedBlocks: 6,
  pipelinedPerBlock: 20_000,
  depth: 16,
  policyIterations: 1_000_000,
};

const TARGETS = {
  addedP50Ms: 0.12,
  addedP99Ms: 1,
  throughputRatio: 0.8,
  decideUs: 5,
  guardRssMB: 60,
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

type Name = 'direct' | 'passthrough' | 'guarded';

interface Target {
  readonly name: Name;
  readonly client: RawClient;
  /** The server process: the client's child (direct) or the proxy's child. */
  serverPid?: number;
  readonly seq: Float64Array[];
  readonly pipeMs: number[];
  /** CPU ms used during this target's pipelined blocks. */
  readonly cpu: { proxy: number; server: number; client: number };
  readonly rssKb: { afterInit?: number; afterSequential?: number; afterPipelined?: number; serverPeak?: number };
}

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function progress(text: string): void {
  process.stderr.write(`[bench] ${text}\n`);
}

function makeTarget(name: Name, command: string, args: readonly string[]): Target {
  return { name, client: new RawClient(name, command, args, ROOT), seq: [], pipeMs: [], cpu: { proxy: 0, server: 0, client: 0 }, rssKb: {} };
}

/** Each round visits every target once; the starting target rotates so none always follows another. */
function roundOrder<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function proxyPid(t: Target): number | undefined {
  return t.name === 'direct' ? undefined : t.client.pid;
}

async function main(): Promise<number> {
  const started = Date.now();
  for (const f of [GUARD, STANDIN]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run node scripts/build.mjs --fixtures first (npm run bench does)`);
  }
  const tmp = mkdtempSync(join(os.tmpdir(), 'mcp-guard-bench-'));
  const policyFile = join(tmp, 'policy.yaml');
  const auditFile = join(tmp, 'audit.jsonl');
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
  };

  const node = process.execPath;
  const direct = makeTarget('direct', node, [STANDIN]);
  const passthrough = makeTarget('passthrough', node, ['-e', PASSTHROUGH_SCRIPT, node, STANDIN]);
  const guarded = makeTarget('guarded', node, [...GUARD_NODE_ARGS, GUARD, 'run', '--policy', policyFile, ...(AUDIT_ON ? ['--audit', auditFile] : []), '--', node, STANDIN]);
  const targets = [direct, passthrough, guarded];
  const auditStats = { decisions: 0, allowed: 0, other: 0 };
  const problems: string[] = [];
  const rssNow = (t: Target) => procStatusKb(t.client.pid, 'VmHWM');

  try {
    progress('starting the targets and initializing');
    await Promise.all(targets.map((t) => t.client.initialize(CONFIG.settleMs)));
    direct.serverPid = direct.client.pid;
    for (const t of [passthrough, guarded]) t.serverPid = childPids(t.client.pid)[0];

    // Sanity: the guard lists health_check and hides read_field_to_file.
    const listed = (await guarded.client.request('tools/list')) as { tools?: { name: string }[] };
    const names = new Set((listed.tools ?? []).map((t) => t.name));
    if (!names.has(TOOL)) problems.push(`the guard does not list ${TOOL}`);
    if (names.has('read_field_to_file')) problems.push('the guard did not hide read_field_to_file');
    for (const t of targets) t.rssKb.afterInit = rssNow(t);

    progress('warming up');
    for (const t of targets) await t.client.sequential(TOOL, TOOL_ARGS, CONFIG.warmupSequential);
    for (const t of targets) await t.client.pipelined(TOOL, TOOL_ARGS, CONFIG.warmupPipelined, CONFIG.depth);
    for (const t of targets) await t.client.sequential(TOOL, TOOL_ARGS, CONFIG.warmupSequential);
    const warmupFailures = targets.reduce((n, t) => n + t.client.failures, 0);
    if (warmupFailures > 0) problems.push(`${warmupFailures} call(s) failed during warm-up`);

    progress(`sequential: ${CONFIG.sequentialBlocks} x ${CONFIG.sequentialPerBlock} calls per target, alternating`);
    for (let b = 0; b < CONFIG.sequentialBlocks; b++) {
      for (const t of roundOrder(targets, b)) t.seq.push(await t.client.sequential(TOOL, TOOL_ARGS, CONFIG.sequentialPerBlock));
    }
    for (const t of targets) t.rssKb.afterSequential = rssNow(t);

    progress(`pipelined: ${CONFIG.pipelinedBlocks} x ${CONFIG.pipelinedPerBlock} calls per target, ${CONFIG.depth} in flight, alternating`);
    for (let b = 0; b < CONFIG.pipelinedBlocks; b++) {
      for (const t of roundOrder(targets, b)) {
        const pPid = proxyPid(t);
        const p0 = pPid === undefined ? 0 : (procCpuMs(pPid) ?? 0);
        const s0 = t.serverPid === undefined ? 0 : (procCpuMs(t.serverPid) ?? 0);
        const c0 = process.cpuUsage();
        t.pipeMs.push(await t.client.pipelined(TOOL, TOOL_ARGS, CONFIG.pipelinedPerBlock, CONFIG.depth));
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
  } catch (e) {
    problems.push((e as Error).message);
  } finally {
    progress('stopping the targets');
    await Promise.all(targets.map((t) => t.client.close()));
  }

  // Every guarded call is one audit decision; all must be `allowed`.
  if (AUDIT_ON) {
    try {
      for (const line of readFileSync(auditFile, 'utf8').split('\n')) {
        if (!line.includes('"event":"decision"')) continue;
        const ev = JSON.parse(line) as { decision?: string; tool?: string };
        auditStats.decisions++;
        if (ev.decision === 'allowed' && ev.tool === TOOL) auditStats.allowed++;
        else auditStats.other++;
      }
    } catch (e) {
      problems.push(`cannot read the audit log: ${(e as Error).message}`);
    }
  }
  if (auditStats.other > 0) problems.push(`${auditStats.other} audit decision(s) were not "allowed ${TOOL}"`);
  if (AUDIT_ON && auditStats.decisions !== guarded.client.calls) {
    problems.push(`the audit log has ${auditStats.decisions} decisions for ${guarded.client.calls} guarded calls`);
  }

  progress(`policy evaluation: 1,000 entries, ${CONFIG.policyIterations.toLocaleString('en-US')} calls per measurement`);
  let policy: PolicyBenchResult | undefined;
  try {
    policy = runPolicyBench(CONFIG.policyIterations);
  } catch (e) {
    problems.push(`policy benchmark: ${(e as Error).message}`);
  }

  // ---- figures --------------------------------------------------------------------------
  const seq = new Map<Name, Summary>(targets.map((t) => [t.name, summarize(pool(t.seq))]));
  const ds = seq.get('direct')!;
  const ps = seq.get('passthrough')!;
  const gs = seq.get('guarded')!;
  const blockP50 = (t: Target) => t.seq.map((b) => summarize(b).p50);
  const callsPerSec = (t: Target) => t.pipeMs.map((wall) => (CONFIG.pipelinedPerBlock / wall) * 1000);
  const rate = new Map<Name, number>(targets.map((t) => [t.name, median(callsPerSec(t))]));
  const dRate = rate.get('direct')!;
  const gRate = rate.get('guarded')!;
  const ratio = gRate / dRate;
  const addedP50 = gs.p50 - ds.p50;
  const addedP99 = gs.p99 - ds.p99;
  const guardKb = guarded.rssKb.afterPipelined;
  const guardMB = guardKb === undefined ? undefined : guardKb / 1024;
  const pipelinedCalls = CONFIG.pipelinedBlocks * CONFIG.pipelinedPerBlock;
  const cpuPerCallUs = (t: Target) => ({
    client: (t.cpu.client / pipelinedCalls) * 1000,
    proxy: t.name === 'direct' ? 0 : (t.cpu.proxy / pipelinedCalls) * 1000,
    server: (t.cpu.server / pipelinedCalls) * 1000,
  });

  for (const t of targets) {
    if (t.client.failures > 0) {
      problems.push(`${t.name}: ${t.client.failures} of ${t.client.calls} calls failed, e.g. ${t.client.failureSamples[0]?.what}`);
    }
  }
  const totalCalls = targets.reduce((n, t) => n + t.client.calls, 0);
  const totalFailures = targets.reduce((n, t) => n + t.client.failures, 0);

  log('MCP Guard proxy benchmark');
  log('=========================');
  log(`Machine : ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB RAM, ${machine.os} (load avg at start ${machine.loadavg.join(' ')})`);
  log(`Node    : ${machine.node}`);
  log(`Date    : ${machine.date}`);
  log(`Call    : tools/call ${TOOL} {} on the Odoo stand-in (raw JSON-RPC over stdio, no SDK client)`);
  log(`Guarded : mcp-guard run --policy <small policy>${AUDIT_ON ? ' --audit <file> (enforce mode, audit on)' : ' (enforce mode, AUDIT OFF: BENCH_AUDIT=0, not the target configuration)'}${GUARD_NODE_ARGS.length ? `; guard node flags: ${GUARD_NODE_ARGS.join(' ')}` : ''}`);
  log(`Runs    : sequential ${CONFIG.sequentialBlocks} x ${CONFIG.sequentialPerBlock.toLocaleString('en-US')} calls/target; pipelined ${CONFIG.pipelinedBlocks} x ${CONFIG.pipelinedPerBlock.toLocaleString('en-US')} calls/target at depth ${CONFIG.depth}; blocks alternate direct / passthrough / guarded, the first of each round rotating`);
  log(`          (passthrough = a bare Node stdio pipe in front of the stand-in: the cost of any extra process hop, for reference)`);
  log();
  log('Sequential round trips (pooled over blocks)');
  log(
    table(
      ['', 'p50', 'p90', 'p99', 'mean', 'max', 'block p50s: min / median / max'],
      targets.map((t) => {
        const s = seq.get(t.name)!;
        const b = summarize(blockP50(t));
        return [t.name, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.mean), ms(s.max, 2), `${b.min.toFixed(3)} / ${b.p50.toFixed(3)} / ${b.max.toFixed(3)} ms`];
      }),
    ),
  );
  const pairedP50 = median(guarded.seq.map((b, i) => summarize(b).p50 - summarize(direct.seq[i]!).p50));
  log(`  added by the guard (guarded - direct):      p50 ${ms(addedP50)}, p90 ${ms(gs.p90 - ds.p90)}, p99 ${ms(addedP99)}, mean ${ms(gs.mean - ds.mean)}`);
  log(`  median over rounds of (guarded block p50 - direct block p50): ${ms(pairedP50)}`);
  log(`  of which an extra hop (passthrough - direct): p50 ${ms(ps.p50 - ds.p50)}, p99 ${ms(ps.p99 - ds.p99)}`);
  log(`  of which the guard's work (guarded - passthrough): p50 ${ms(gs.p50 - ps.p50)}, p99 ${ms(gs.p99 - ps.p99)}`);
  log();
  log(`Pipelined throughput (${CONFIG.depth} in flight, one client; median of blocks) and CPU per call during those blocks`);
  log(
    table(
      ['', 'calls/s', 'vs direct', 'blocks (calls/s)', 'CPU µs/call: client', 'proxy', 'server', 'total'],
      targets.map((t) => {
        const c = cpuPerCallUs(t);
        return [
          t.name,
          Math.round(rate.get(t.name)!).toLocaleString('en-US'),
          `${((rate.get(t.name)! / dRate) * 100).toFixed(1)} %`,
          callsPerSec(t).map((x) => Math.round(x)).join(' '),
          c.client.toFixed(1),
          t.name === 'direct' ? '-' : c.proxy.toFixed(1),
          c.server.toFixed(1),
          (c.client + c.proxy + c.server).toFixed(1),
        ];
      }),
    ),
  );
  const pairedRatio = median(callsPerSec(guarded).map((g, i) => g / callsPerSec(direct)[i]!));
  log(`  median over rounds of (guarded block / direct block): ${(pairedRatio * 100).toFixed(1)} %`);
  log(`  (CPU from /proc/PID/stat at 10 ms resolution over ${pipelinedCalls.toLocaleString('en-US')} calls per target; ${machine.cores} cores available)`);
  log();
  if (policy) {
    log(`Policy evaluation in-process (${policy.entries} entries, ${(policy.policyBytes / 1024).toFixed(1)} KB YAML, ${policy.names} rotating names; median of 10 rounds of ${(policy.iterations / 10).toLocaleString('en-US')} calls)`);
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
    log(`  verdict mix over the rotation: ${Object.entries(policy.verdicts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    log();
  }
  log('Peak RSS (VmHWM)');
  log(
    table(
      ['', 'after init', 'after sequential', 'after pipelined', 'its stand-in'],
      targets.map((t) =>
        t.name === 'direct'
          ? [t.name, '-', '-', '-', mb(t.rssKb.afterPipelined)]
          : [t.name, mb(t.rssKb.afterInit), mb(t.rssKb.afterSequential), mb(t.rssKb.afterPipelined), mb(t.rssKb.serverPeak)],
      ),
    ),
  );
  log();
  log(`Calls checked: ${totalCalls.toLocaleString('en-US')} (incl. warm-up); denied/failed: ${totalFailures} (${((totalFailures / Math.max(1, totalCalls)) * 100).toFixed(3)} %)`);
  log(`Audit log: ${auditStats.decisions.toLocaleString('en-US')} decisions for ${guarded.client.calls.toLocaleString('en-US')} guarded calls, ${auditStats.allowed.toLocaleString('en-US')} "allowed ${TOOL}"`);
  log();

  const rows: { metric: string; value: string; target: string; ok: boolean | undefined }[] = [
    { metric: 'added latency p50 (guarded - direct)', value: ms(addedP50), target: `<= ${TARGETS.addedP50Ms} ms`, ok: addedP50 <= TARGETS.addedP50Ms },
    { metric: 'added latency p99 (guarded - direct)', value: ms(addedP99), target: `<= ${TARGETS.addedP99Ms} ms`, ok: addedP99 <= TARGETS.addedP99Ms },
    {
      metric: 'pipelined throughput guarded / direct',
      value: `${(ratio * 100).toFixed(1)} %`,
      target: `>= ${TARGETS.throughputRatio * 100} %`,
      ok: ratio >= TARGETS.throughputRatio,
    },
    {
      metric: 'policy evaluation, decide() at 1,000 entries',
      value: policy ? us(policy.decideNs) : 'n/a',
      target: `<= ${TARGETS.decideUs} µs`,
      ok: policy ? policy.decideNs / 1000 <= TARGETS.decideUs : undefined,
    },
    {
      metric: 'guard peak RSS',
      value: mb(guardKb),
      target: `<= ${TARGETS.guardRssMB} MB`,
      ok: guardMB === undefined ? undefined : guardMB <= TARGETS.guardRssMB,
    },
  ];
  log(`Targets (${machine.cores}-core machine)`);
  log(table(['metric', 'this run', 'target', ''], rows.map((r) => [r.metric, r.value, r.target, met(r.ok)])));
  log('  (MB = MiB, from /proc VmHWM in kB)');

  const valid = problems.length === 0 && totalFailures === 0;
  if (!valid) {
    log();
    log('FIGURES INVALID:');
    for (const p of problems) log(`  - ${p}`);
    for (const t of targets) {
      const err = t.client.stderr.trim();
      if (err) log(`  ${t.name} stderr (last lines):\n${err.split('\n').slice(-10).map((l) => `    ${l}`).join('\n')}`);
    }
  }

  const json = {
    valid,
    problems,
    machine,
    config: { ...CONFIG, tool: TOOL, audit: AUDIT_ON, guardNodeArgs: GUARD_NODE_ARGS },
    targets: TARGETS,
    sequential: {
      ...Object.fromEntries(targets.map((t) => [t.name, { ...seq.get(t.name)!, blockP50: blockP50(t) }])),
      addedP50Ms: addedP50,
      addedP99Ms: addedP99,
      pairedAddedP50Ms: pairedP50,
      extraHopP50Ms: ps.p50 - ds.p50,
      guardWorkP50Ms: gs.p50 - ps.p50,
    },
    pipelined: {
      depth: CONFIG.depth,
      ...Object.fromEntries(targets.map((t) => [t.name, { callsPerSec: rate.get(t.name), blocks: callsPerSec(t), cpuUsPerCall: cpuPerCallUs(t) }])),
      ratio,
      pairedRatio,
    },
    policy: policy ?? null,
    rssKb: Object.fromEntries(targets.map((t) => [t.name, t.rssKb])),
    calls: { total: totalCalls, failed: totalFailures, auditDecisions: auditStats.decisions },
    met: Object.fromEntries(rows.map((r) => [r.metric, r.ok ?? null])),
  };
  const outDir = join(ROOT, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  log();
  log(`Figures written to ${join('bench-results', 'latest.json')}; total time ${((Date.now() - started) / 1000).toFixed(1)} s`);

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
