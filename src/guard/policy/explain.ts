/** Why the policy decides a call as it does: the deciding rule, every entry that applied or failed a condition, the fallback. */
import { normaliseResourceUri } from './resource-uri';
import { isLockdownSafe, type Classification } from '../catalog/classify';
import { resolvePath, UncheckableArgument } from './conditions';
import { entryRule, evaluatePolicy, evaluateResource, resourceRule, type PolicyIndex, type PolicyVerdict } from './evaluate';
import { baseReason, baseRule, baseWhere, baseWins, prefixedEntry, type BaseLayer } from './base';
import { BUILT_IN_RISK_ACTIONS, type Condition, type Mode, type PolicyEntry, type ResourceEntry } from './model';

type Args = Readonly<Record<string, unknown>>;

export type ExplainedDecision = 'allow' | 'deny' | 'require_approval';

export interface FailedCondition {
  readonly condition: Condition;
  /** What the arguments hold at the condition's path; `undefined` with `found: false` when absent. */
  readonly found: boolean;
  readonly actual: unknown;
}

export interface Explanation {
  readonly tool: string;
  readonly classification: Classification;
  readonly decision: ExplainedDecision;
  /** The rule that decided: `tools.KEY`, `risk.CLASS`, `risk.CLASS (built-in)`, `default`, `hide`, `mode.lockdown`. */
  readonly rule: string;
  readonly reason: string;
  /** Entries whose name and conditions matched, in file order. */
  readonly applied: readonly PolicyEntry[];
  /** Entries whose name matched but a condition did not, with the first condition that failed. */
  readonly notMatched: readonly { readonly entry: PolicyEntry; readonly failed: FailedCondition }[];
  /** When no entry set an action: which fallback decided, and how. */
  readonly fallback?: { readonly kind: 'risk' | 'default'; readonly text: string };
  /** Rate limits that count this call (a running guard may refuse it once one is exhausted). */
  readonly rateLimits: readonly {
    readonly rule: string;
    readonly max: number;
    readonly windowSeconds: number;
    readonly scope?: 'shared';
  }[];
  readonly verdict?: PolicyVerdict;
}

function firstFailed(entry: PolicyEntry, args: Args): FailedCondition | undefined {
  for (const c of entry.when) {
    if (!c.test(args)) {
      const r = resolvePath(args, c.segments);
      return { condition: c, found: r.found, actual: r.value };
    }
  }
  return undefined;
}

/**
 * Why the policy decides a call the way it does: what decided, every entry that applied, every
 * entry that matched the name but not its conditions (and which condition failed), and the
 * fallback used when no entry set an action. Static: rate-limit counters are not consulted.
 */
export function explainCall(index: PolicyIndex, tool: string, args: Args, cls: Classification, mode: Mode = 'enforce'): Explanation {
  try {
    return explainChecked(index, tool, args, cls, mode);
  } catch (e) {
    // As the guard decides it: a condition that cannot be checked denies the call.
    if (!(e instanceof UncheckableArgument)) throw e;
    return {
      tool,
      classification: cls,
      notMatched: [],
      decision: 'deny',
      rule: 'arguments',
      reason: `${e.message}.`,
      applied: [],
      rateLimits: [],
    };
  }
}

function explainChecked(index: PolicyIndex, tool: string, args: Args, cls: Classification, mode: Mode): Explanation {
  const candidates = index.entriesFor(tool);
  const notMatched = candidates.flatMap((entry) => {
    const failed = firstFailed(entry, args);
    return failed ? [{ entry, failed }] : [];
  });
  const base = { tool, classification: cls, notMatched };
  if (index.isHidden(tool)) {
    return {
      ...base,
      decision: 'deny',
      rule: 'hide',
      reason: `The policy hides ${tool}; it cannot be called through this guard.`,
      applied: [],
      rateLimits: [],
    };
  }
  const verdict = evaluatePolicy(index, tool, args, cls);
  const rateLimits = verdict.rateLimited.map((e) => ({
    rule: entryRule(e),
    max: e.rateLimit!.max,
    windowSeconds: e.rateLimit!.windowSeconds,
    ...(e.rateLimit!.scope === 'shared' ? { scope: 'shared' as const } : {}),
  }));
  const common = { ...base, applied: verdict.applicable, rateLimits, verdict };
  if (mode === 'lockdown' && !isLockdownSafe(cls)) {
    return {
      ...common,
      decision: 'deny',
      rule: 'mode.lockdown',
      reason: `Lockdown mode blocks every tool that is not Read / low risk; ${tool} is ${cls.category} / ${cls.risk}.`,
    };
  }
  let fallback: Explanation['fallback'];
  if (verdict.source.kind === 'risk') {
    fallback = {
      kind: 'risk',
      text: verdict.source.builtIn
        ? `no entry sets an action, so the built-in default for ${cls.risk}-risk tools applies: ${BUILT_IN_RISK_ACTIONS[cls.risk]}`
        : `no entry sets an action, so the file's risk.${cls.risk} applies: ${verdict.action}`,
    };
  } else if (verdict.source.kind === 'default') {
    fallback = {
      kind: 'default',
      text: `no entry sets an action and ${cls.risk}-risk tools have no risk action, so default applies: ${verdict.action}`,
    };
  }
  return { ...common, decision: verdict.action, rule: verdict.rule, reason: verdict.reason, ...(fallback ? { fallback } : {}) };
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function describeCondition(c: Condition): string {
  if (c.op === 'exists') return `${c.path} exists${c.value === false ? ': false' : ''}`;
  return `${c.path} ${c.op} ${show(c.value)}`;
}

/** One line for denial texts and audit events: `deny by tools.X (entries: a, b)`. */
export function shortExplanation(e: Explanation): string {
  const entries = e.applied.map((x) => x.key);
  return `${e.decision} by ${e.rule}${entries.length ? ` (entries: ${entries.join(', ')})` : ''}`;
}

/** The human-readable explanation `mcp-guard explain` prints. */
export function formatExplanation(e: Explanation, where?: (entry: PolicyEntry) => string | undefined): string {
  const at = (entry: PolicyEntry) => {
    const w = where?.(entry);
    return w ? ` (${w})` : '';
  };
  const lines = [
    `Decision: ${e.decision}`,
    `Tool: ${e.tool} — ${e.classification.category} / ${e.classification.risk} risk: ${e.classification.reason}`,
    ...(e.classification.argument !== undefined
      ? [`Class by argument: ${e.classification.argument} (the catalog classes ${e.tool} by the value of this argument)`]
      : []),
    `Decided by: ${e.rule} — ${e.reason}`,
  ];
  if (e.fallback) lines.push(`Fallback: ${e.fallback.text}`);
  lines.push('Entries that applied:');
  if (e.applied.length === 0) lines.push('  (none)');
  for (const entry of e.applied) {
    const parts = [
      entry.action ? `action ${entry.action}` : undefined,
      entry.rateLimit
        ? `rate_limit ${entry.rateLimit.max} per ${entry.rateLimit.windowSeconds} s${entry.rateLimit.scope === 'shared' ? ' (shared)' : ''}`
        : undefined,
    ].filter(Boolean);
    lines.push(
      `  ${entryRule(entry)}${at(entry)}: ${parts.join(', ') || 'no action'}` +
        `${entry.when.length ? ` when ${entry.when.map(describeCondition).join(' and ')}` : ''}`,
    );
  }
  lines.push('Entries that matched the name but not the conditions:');
  if (e.notMatched.length === 0) lines.push('  (none)');
  for (const { entry, failed } of e.notMatched) {
    const got = failed.found ? `got ${show(failed.actual)}` : `${failed.condition.path} is not in the arguments`;
    lines.push(`  ${entryRule(entry)}${at(entry)}: ${describeCondition(failed.condition)} does not hold (${got})`);
  }
  lines.push(...rateLimitLines(e.rateLimits, 'call'));
  return lines.join('\n');
}

/** The rate limits that count a call (or read), as `explain` prints them; none, no lines. */
function rateLimitLines(limits: Explanation['rateLimits'], what: 'call' | 'read'): string[] {
  if (limits.length === 0) return [];
  return [
    `Rate limits that count this ${what}:`,
    ...limits.map(
      (r) =>
        `  ${r.rule}: at most ${r.max} per ${r.windowSeconds} s${r.scope === 'shared' ? ', shared by every guard on the same state store and server name' : ''} ` +
        `(a running guard denies the ${what} as rate-limited once exhausted)`,
    ),
  ];
}

/** Why the policy decides a `resources/read` or `resources/subscribe` of a URI as it does. */
export interface ResourceExplanation {
  readonly uri: string;
  readonly decision: ExplainedDecision;
  /** `resources.KEY`, `default` or `hide`. */
  readonly rule: string;
  readonly reason: string;
  /** Resource entries whose key matched the URI, in file order. */
  readonly applied: readonly ResourceEntry[];
  /** When no entry set an action: `default` decided (resources have no risk class). */
  readonly fallback?: string;
  readonly rateLimits: readonly {
    readonly rule: string;
    readonly max: number;
    readonly windowSeconds: number;
    readonly scope?: 'shared';
  }[];
}

/** Static, like `explainCall`: rate-limit counters are not consulted; modes do not apply to resources. */
export function explainResource(index: PolicyIndex, raw: string): ResourceExplanation {
  // Explained as the guard decides it: on the URI as a server will read it.
  const normal = normaliseResourceUri(raw);
  if (!normal.ok) {
    return {
      uri: raw,
      decision: 'deny',
      rule: 'uri',
      reason: `MCP Guard reads resource URIs as a URL parser does and refuses what it cannot read unambiguously: ${normal.reason}.`,
      applied: [],
      rateLimits: [],
    };
  }
  const uri = normal.uri;
  if (index.isHidden(uri)) {
    return {
      uri,
      decision: 'deny',
      rule: 'hide',
      reason: 'The policy hides this resource; it cannot be read through this guard.',
      applied: [],
      rateLimits: [],
    };
  }
  const v = evaluateResource(index, uri);
  return {
    uri,
    decision: v.action,
    rule: v.rule,
    reason: v.reason,
    applied: v.applicable,
    ...(v.rule === 'default' ? { fallback: `no resource entry sets an action, so default applies: ${v.action}` } : {}),
    rateLimits: v.rateLimited.map((e) => ({
      rule: resourceRule(e),
      max: e.rateLimit!.max,
      windowSeconds: e.rateLimit!.windowSeconds,
      ...(e.rateLimit!.scope === 'shared' ? { scope: 'shared' as const } : {}),
    })),
  };
}

/** What `mcp-guard explain --resource URI` prints. */
export function formatResourceExplanation(e: ResourceExplanation): string {
  const lines = [`Decision: ${e.decision}`, `Resource: ${e.uri}`, `Decided by: ${e.rule} — ${e.reason}`];
  if (e.fallback) lines.push(`Fallback: ${e.fallback}`);
  lines.push('Entries that applied:');
  if (e.applied.length === 0) lines.push('  (none)');
  for (const entry of e.applied) {
    const parts = [
      entry.action ? `action ${entry.action}` : undefined,
      entry.rateLimit
        ? `rate_limit ${entry.rateLimit.max} per ${entry.rateLimit.windowSeconds} s${entry.rateLimit.scope === 'shared' ? ' (shared)' : ''}`
        : undefined,
    ].filter(Boolean);
    lines.push(`  ${resourceRule(entry)}: ${parts.join(', ') || 'no action'}`);
  }
  lines.push(...rateLimitLines(e.rateLimits, 'read'));
  return lines.join('\n');
}

/**
 * Both layers of a call under an organisation's base policy (`--base-policy`): each layer's own
 * explanation, and the effective one, decided as the guard decides it (policy/base.ts). In `effective`,
 * the base's entries and rate limits are named `base:KEY` and `base:tools.KEY`.
 */
export interface LayeredExplanation {
  readonly effective: Explanation;
  readonly base: Explanation;
  readonly policy: Explanation;
  readonly layer: BaseLayer;
}

function prefixedLimits(e: { readonly rateLimits: Explanation['rateLimits'] }): Explanation['rateLimits'] {
  return e.rateLimits.map((r) => ({ ...r, rule: baseRule(r.rule) }));
}

export function explainLayeredCall(
  index: PolicyIndex,
  layer: BaseLayer,
  tool: string,
  args: Args,
  cls: Classification,
  mode: Mode = 'enforce',
): LayeredExplanation {
  const policy = explainCall(index, tool, args, cls, mode);
  const base = explainCall(layer.index, tool, args, cls, mode);
  const both = {
    tool,
    classification: cls,
    applied: [...policy.applied, ...base.applied.map(prefixedEntry)],
    notMatched: [...policy.notMatched, ...base.notMatched.map((x) => ({ entry: prefixedEntry(x.entry), failed: x.failed }))],
    rateLimits: [...policy.rateLimits, ...prefixedLimits(base)],
  };
  let effective: Explanation;
  if (policy.rule === 'arguments' || base.rule === 'arguments') {
    effective = { ...both, decision: 'deny', rule: 'arguments', reason: policy.rule === 'arguments' ? policy.reason : base.reason };
  } else if (base.rule === 'hide') {
    effective = {
      ...both,
      decision: 'deny',
      rule: baseRule('hide'),
      reason: baseReason(layer, 'hide', `The base policy hides ${tool}; it cannot be called through this guard.`),
    };
  } else if (policy.rule === 'hide' || policy.rule === 'mode.lockdown') {
    effective = { ...both, decision: 'deny', rule: policy.rule, reason: policy.reason };
  } else if (baseWins(policy.decision, base.decision)) {
    effective = {
      ...both,
      decision: base.decision,
      rule: baseRule(base.rule),
      reason: baseReason(layer, base.rule, base.reason),
      ...(base.fallback ? { fallback: { kind: base.fallback.kind, text: `the base policy: ${base.fallback.text}` } } : {}),
    };
  } else {
    effective = {
      ...both,
      decision: policy.decision,
      rule: policy.rule,
      reason: policy.reason,
      ...(policy.fallback ? { fallback: policy.fallback } : {}),
    };
  }
  return { effective, base, policy, layer };
}

/** ` at org.yaml:12` when the base file writes the rule, else nothing. */
function atLine(layer: BaseLayer, rule: string): string {
  const w = baseWhere(layer, rule);
  return w === layer.file ? '' : ` at ${w}`;
}

function indent(text: string): string[] {
  return text.split('\n').map((l) => `  ${l}`);
}

/**
 * What `mcp-guard explain --base-policy` prints: the effective decision and its rule, each layer's
 * answer in one line, the rate limits of both, then each layer's whole explanation (the base's
 * entries with their `FILE:LINE`).
 */
export function formatLayeredExplanation(
  le: LayeredExplanation,
  policyFile: string,
  where?: (entry: PolicyEntry) => string | undefined,
): string {
  const e = le.effective;
  const lines = [
    `Decision: ${e.decision}`,
    `Tool: ${e.tool} — ${e.classification.category} / ${e.classification.risk} risk: ${e.classification.reason}`,
    ...(e.classification.argument !== undefined
      ? [`Class by argument: ${e.classification.argument} (the catalog classes ${e.tool} by the value of this argument)`]
      : []),
    `Decided by: ${e.rule} — ${e.reason}`,
    `Base policy (${le.layer.file}): ${le.base.decision} by ${le.base.rule}${atLine(le.layer, le.base.rule)}`,
    `Policy (${policyFile}): ${le.policy.decision} by ${le.policy.rule}`,
  ];
  if (e.rateLimits.length > 0) {
    lines.push('Rate limits that count this call (both layers):');
    for (const r of e.rateLimits)
      lines.push(`  ${r.rule}: at most ${r.max} per ${r.windowSeconds} s (a running guard denies the call as rate-limited once exhausted)`);
  }
  const baseWhereOf = (entry: PolicyEntry) => {
    const w = baseWhere(le.layer, entryRule(entry));
    return w === le.layer.file ? undefined : w;
  };
  lines.push(`The base policy's answer (${le.layer.file}):`, ...indent(formatExplanation(le.base, baseWhereOf)));
  lines.push(`The policy's answer (${policyFile}):`, ...indent(formatExplanation(le.policy, where)));
  return lines.join('\n');
}

/** Both layers of a resource read under a base policy, as `explainLayeredCall` for a call. */
export interface LayeredResourceExplanation {
  readonly effective: ResourceExplanation;
  readonly base: ResourceExplanation;
  readonly policy: ResourceExplanation;
  readonly layer: BaseLayer;
}

export function explainLayeredResource(index: PolicyIndex, layer: BaseLayer, raw: string): LayeredResourceExplanation {
  const policy = explainResource(index, raw);
  const base = explainResource(layer.index, raw);
  const both = {
    uri: policy.uri,
    applied: [...policy.applied, ...base.applied.map((x) => ({ ...x, key: baseRule(x.key) }))],
    rateLimits: [...policy.rateLimits, ...prefixedLimits(base)],
  };
  let effective: ResourceExplanation;
  if (policy.rule === 'uri') effective = policy;
  else if (base.rule === 'hide')
    effective = {
      ...both,
      decision: 'deny',
      rule: baseRule('hide'),
      reason: baseReason(layer, 'hide', 'The base policy hides this resource; it cannot be read through this guard.'),
    };
  else if (policy.rule === 'hide') effective = { ...both, decision: 'deny', rule: 'hide', reason: policy.reason };
  else if (baseWins(policy.decision, base.decision))
    effective = {
      ...both,
      decision: base.decision,
      rule: baseRule(base.rule),
      reason: baseReason(layer, base.rule, base.reason),
      ...(base.fallback ? { fallback: `the base policy: ${base.fallback}` } : {}),
    };
  else
    effective = {
      ...both,
      decision: policy.decision,
      rule: policy.rule,
      reason: policy.reason,
      ...(policy.fallback ? { fallback: policy.fallback } : {}),
    };
  return { effective, base, policy, layer };
}

export function formatLayeredResourceExplanation(le: LayeredResourceExplanation, policyFile: string): string {
  const e = le.effective;
  const lines = [
    `Decision: ${e.decision}`,
    `Resource: ${e.uri}`,
    `Decided by: ${e.rule} — ${e.reason}`,
    `Base policy (${le.layer.file}): ${le.base.decision} by ${le.base.rule}${atLine(le.layer, le.base.rule)}`,
    `Policy (${policyFile}): ${le.policy.decision} by ${le.policy.rule}`,
  ];
  if (e.rateLimits.length > 0) {
    lines.push('Rate limits that count this read (both layers):');
    for (const r of e.rateLimits)
      lines.push(`  ${r.rule}: at most ${r.max} per ${r.windowSeconds} s (a running guard denies the read as rate-limited once exhausted)`);
  }
  lines.push(`The base policy's answer (${le.layer.file}):`, ...indent(formatResourceExplanation(le.base)));
  lines.push(`The policy's answer (${policyFile}):`, ...indent(formatResourceExplanation(le.policy)));
  return lines.join('\n');
}
