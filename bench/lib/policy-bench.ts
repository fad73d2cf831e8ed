/**
 * In-process timing of policy evaluation with a 1,000-entry policy: parse + validate once,
 * then decide() (what the guard runs per tools/call) over a rotating set of tool names.
 */
import { classifyCall, classifyTool, type Classification } from '../../src/guard/catalog/classify';
import { decide, type PolicyState } from '../../src/guard/decider';
import { evaluatePolicy, PolicyIndex } from '../../src/guard/policy/evaluate';
import { parsePolicy } from '../../src/guard/policy/parse';
import { RateLimiter, monotonicClock } from '../../src/guard/rate-limiter';
import { median } from './stats';

export const POLICY_ENTRIES = 1000;

const pad = (n: number, w = 4) => String(n).padStart(w, '0');

/**
 * A 1,000-entry policy: mostly exact names (`tool_0001`), every 10th a glob (`grp_042_*`),
 * every 10th (offset 5) an exact name with `when` conditions, every 25th with a rate limit,
 * some deny / require_approval entries, a hide list and a risk section.
 */
export function generateLargePolicy(entries = POLICY_ENTRIES): string {
  const lines: string[] = [
    'version: 1',
    'default: allow',
    'approval_timeout: 60',
    'risk:',
    '  medium: allow',
    'hide:',
    '  - internal_debug_*',
    '  - read_field_to_file',
    'tools:',
  ];
  for (let i = 0; i < entries; i++) {
    const glob = i % 10 === 0;
    const key = glob ? `grp_${pad(i / 10, 3)}_*` : `tool_${pad(i)}`;
    lines.push(`  ${key}:`);
    const action = i % 7 === 3 ? 'deny' : i % 11 === 4 ? 'require_approval' : 'allow';
    lines.push(`    action: ${action}`);
    if (action !== 'allow') lines.push(`    reason: "Entry ${i} says ${action}."`);
    if (i % 25 === 0) lines.push('    rate_limit: { max: 1000000, window: 60 }');
    if (i % 10 === 5) {
      lines.push('    when:');
      switch (i % 4) {
        case 0:
        case 1:
          lines.push('      - { path: args.model, op: in, value: [res.partner, sale.order, account.move] }');
          break;
        case 2:
          lines.push('      - { path: args.limit, op: lte, value: 100 }');
          lines.push('      - { path: args.model, op: neq, value: res.users }');
          break;
        default:
          lines.push('      - { path: args.model, op: regex, value: "^(res|sale)\\\\." }');
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** ~200 names: exact matches, glob matches, names matching nothing, catalog tools, a hidden one. */
export function rotatingToolNames(): string[] {
  const names: string[] = [];
  for (let i = 1; i < 1000 && names.length < 100; i += 10) names.push(`tool_${pad(i)}`); // exact, plain
  for (let i = 5; i < 1000 && names.length < 140; i += 25) names.push(`tool_${pad(i)}`); // exact with when
  for (let g = 0; g < 30; g++) names.push(`grp_${pad(g * 3, 3)}_item`); // glob matches
  for (let k = 0; k < 20; k++) names.push(`unlisted_${k}`); // no entry: risk / default
  names.push('health_check', 'search_records', 'read_record', 'execute_method', 'preview_write', 'chatter_post', 'list_models');
  names.push('read_field_to_file', 'internal_debug_dump'); // hidden
  while (names.length < 200) names.push(`tool_${pad(names.length * 3 + 2)}`);
  return names;
}

const ARG_SETS: readonly Record<string, unknown>[] = [
  {},
  { model: 'res.partner', limit: 10 },
  { model: 'sale.order', limit: 500, domain: [['state', '=', 'draft']] },
  { model: 'res.users', limit: 5 },
  { model: 'account.move', fields: ['name', 'amount_total'] },
];

export interface PolicyBenchResult {
  readonly entries: number;
  readonly policyBytes: number;
  /** First parse in this process: includes warming up the YAML parser, as a starting guard does. */
  readonly parseMs: number;
  /** Median of later parses, as a policy reload in a running guard. */
  readonly parseWarmMs: number;
  readonly names: number;
  readonly iterations: number;
  readonly decideNs: number;
  readonly evaluateNs: number;
  readonly classifyDecideNs: number;
  /** First sight of a name (memo miss): every pattern is tested, once per name. */
  readonly coldMatchNs: number;
  readonly verdicts: Readonly<Record<string, number>>;
}

/** Times `fn(i)` over `iterations` in `rounds` equal rounds; returns the median ns per call. */
function timePerCall(iterations: number, rounds: number, fn: (i: number) => number): { ns: number; sink: number } {
  const per = Math.floor(iterations / rounds);
  const results: number[] = [];
  let sink = 0;
  let i = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < per; k++) sink += fn(i++);
    results.push(Number(process.hrtime.bigint() - t0) / per);
  }
  return { ns: median(results), sink };
}

export function runPolicyBench(iterations = 1_000_000): PolicyBenchResult {
  const text = generateLargePolicy();

  // Parse + validate: first run includes JIT warm-up of the parser, which the guard pays too.
  const p0 = process.hrtime.bigint();
  const parsed = parsePolicy(text);
  const parseMs = Number(process.hrtime.bigint() - p0) / 1e6;
  if (!parsed.policy) {
    throw new Error(`generated policy is invalid: ${parsed.diagnostics.map((d) => d.message).join('; ')}`);
  }
  if (parsed.policy.entries.length !== POLICY_ENTRIES)
    throw new Error(`expected ${POLICY_ENTRIES} entries, got ${parsed.policy.entries.length}`);
  const warm: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    if (!parsePolicy(text).policy) throw new Error('generated policy is invalid on re-parse');
    warm.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const index = new PolicyIndex(parsed.policy);
  const state: PolicyState = { kind: 'valid', index };
  const limiter = new RateLimiter(monotonicClock);

  const names = rotatingToolNames();
  const classes: Classification[] = names.map((n) => classifyTool(n));
  const nNames = names.length;
  const nArgs = ARG_SETS.length;
  // Names and args rotate independently (200 and 5 are not coprime, so offset the args).
  const argsFor = (i: number) => ARG_SETS[(i + Math.floor(i / nNames)) % nArgs]!;

  const verdicts: Record<string, number> = {};
  const decideOnce = (i: number): number => {
    const k = i % nNames;
    const v = decide(state, 'enforce', { tool: names[k]!, args: argsFor(i), classification: classes[k]! }, limiter);
    return v.kind.length;
  };
  // Warm-up (also fills the name memo, as a running guard's would be after its first calls).
  for (let i = 0; i < 200_000; i++) decideOnce(i);
  for (let i = 0; i < nNames * nArgs; i++) {
    const k = i % nNames;
    const v = decide(state, 'enforce', { tool: names[k]!, args: argsFor(i), classification: classes[k]! }, limiter);
    verdicts[v.kind] = (verdicts[v.kind] ?? 0) + 1;
  }
  const rounds = 10;
  const dec = timePerCall(iterations, rounds, decideOnce);

  const evalOnce = (i: number): number => {
    const k = i % nNames;
    return evaluatePolicy(index, names[k]!, argsFor(i), classes[k]!).rule.length;
  };
  for (let i = 0; i < 200_000; i++) evalOnce(i);
  const ev = timePerCall(iterations, rounds, evalOnce);

  // What the proxy does per call: classify (catalog by the call's arguments + annotations) then decide.
  const annotations = { readOnlyHint: true };
  const clsDecideOnce = (i: number): number => {
    const k = i % nNames;
    const tool = names[k]!;
    const args = argsFor(i);
    const v = decide(state, 'enforce', { tool, args, classification: classifyCall(tool, annotations, args) }, limiter);
    return v.kind.length;
  };
  for (let i = 0; i < 200_000; i++) clsDecideOnce(i);
  const cd = timePerCall(iterations, rounds, clsDecideOnce);

  // Memo misses: a fresh name each time against a fresh index (all 1,000 patterns tested).
  const coldNames = Array.from({ length: 4000 }, (_, i) => (i % 2 === 0 ? `fresh_${i}` : `grp_${pad(i % 100, 3)}_x${i}`));
  let coldSink = 0;
  const coldRounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const fresh = new PolicyIndex(parsed.policy);
    const t0 = process.hrtime.bigint();
    for (const n of coldNames) coldSink += fresh.entriesFor(`${n}_${r}`).length;
    coldRounds.push(Number(process.hrtime.bigint() - t0) / coldNames.length);
  }

  if (dec.sink + ev.sink + cd.sink + coldSink < 0) console.log('unreachable');
  return {
    entries: parsed.policy.entries.length,
    policyBytes: Buffer.byteLength(text),
    parseMs,
    parseWarmMs: median(warm),
    names: nNames,
    iterations,
    decideNs: dec.ns,
    evaluateNs: ev.ns,
    classifyDecideNs: cd.ns,
    coldMatchNs: median(coldRounds),
    verdicts,
  };
}
