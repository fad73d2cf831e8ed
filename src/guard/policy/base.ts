/**
 * An organisation's base policy (`--base-policy`, the machine-scoped setting `mcpGuard.basePolicyFile`):
 * a second policy layer under the workspace policy that the workspace cannot loosen.
 *
 * A call's decision is the strictest of the two layers' answers (deny > require_approval > allow); the
 * rate limits of both count it (the base's under keys of their own, `base:tools.KEY`); what either
 * hides is hidden. When both layers give the same action, the base's rule is reported for `deny` and
 * `require_approval` (so the user learns that the base is in force and that the workspace cannot change
 * it), the workspace policy's for `allow` (the base adds nothing there). Rules of the base are reported
 * with the prefix `base:` (`base:tools.execute_method`, `base:risk.critical (built-in)`, `base:hide`)
 * and its reasons say where in the base file they come from.
 *
 * Pure: no I/O. The guard reads the file (io/policy-layers.ts), `explain` and `test` too; the editor
 * passes a parsed base into the analysis.
 */
import { isMap, type Node } from 'yaml';
import { PolicyIndex, entryRule, resourceRule, type PolicyVerdict, type ResourceVerdict } from './evaluate';
import { ACTION_STRICTNESS, type Action, type PolicyEntry, type ResourceEntry } from './model';
import { parsePolicyDetailed, type DetailedParseResult, type ParseOptions } from './parse';
import { locatorRange } from './parse/lines';
import { keyName } from './parse/yaml-nodes';
import type { LimitRef } from '../rate-limiter';
import { formatDiagnostic, type PolicyDiagnostic } from './diagnostics';

/** What a rule of the base layer is prefixed with in verdicts, audit events, rate-limit keys and texts. */
export const BASE_PREFIX = 'base:';

/** The base policy in force, with where its rules are written (for `FILE:LINE` in reasons and diagnostics). */
export interface BaseLayer {
  /** The file as shown to people (a path). */
  readonly file: string;
  readonly index: PolicyIndex;
  /** One-based line of each rule the file writes: `tools.KEY`, `resources.KEY`, `risk.CLASS`, `default`, `hide`. */
  readonly lines: ReadonlyMap<string, number>;
}

export function baseRule(rule: string): string {
  return `${BASE_PREFIX}${rule}`;
}

export function isBaseRule(rule: string): boolean {
  return rule.startsWith(BASE_PREFIX);
}

/** `org.yaml:12` for a rule the base file writes (`tools.execute_method`), else the file alone (`risk.critical (built-in)`). */
export function baseWhere(base: BaseLayer, rule: string): string {
  const plain = isBaseRule(rule) ? rule.slice(BASE_PREFIX.length) : rule;
  const line = base.lines.get(plain) ?? (plain.startsWith('risk.') ? base.lines.get(plain.replace(/ \(built-in\)$/, '')) : undefined);
  return line === undefined ? base.file : `${base.file}:${line}`;
}

/** Where each rule of a parsed policy is written, one-based lines (see `BaseLayer.lines`). */
export function ruleLines(parsed: DetailedParseResult): Map<string, number> {
  const lines = new Map<string, number>();
  for (const unit of parsed.entries) {
    const key = unit.record.key;
    if (key !== undefined && !lines.has(`tools.${key}`)) lines.set(`tools.${key}`, unit.line + 1);
  }
  for (const top of parsed.top) {
    if (top.key === 'default' || top.key === 'hide') lines.set(top.key, top.line + 1);
    if ((top.key === 'resources' || top.key === 'risk') && isMap(top.pair.value)) {
      for (const pair of top.pair.value.items) {
        const name = keyName(pair);
        const r = (pair.key as Node | null)?.range;
        if (name === undefined || !r) continue;
        const rule = `${top.key}.${name}`;
        if (!lines.has(rule)) lines.set(rule, locatorRange(top.at, r[0], r[1]).start.line + 1);
      }
    }
  }
  return lines;
}

export type BaseLoad = ({ readonly ok: true; readonly layer: BaseLayer } | { readonly ok: false; readonly errors: readonly string[] }) & {
  readonly diagnostics: readonly PolicyDiagnostic[];
};

/** Parses a base policy text (its `tests:` are not read, as the guard reads a policy). */
export function baseLayerFromText(file: string, text: string, options: ParseOptions = {}): BaseLoad {
  const parsed = parsePolicyDetailed(text, { ...options, tests: 'ignore' });
  if (!parsed.policy) {
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(file, d));
    return { ok: false, errors, diagnostics: parsed.diagnostics };
  }
  return { ok: true, layer: { file, index: new PolicyIndex(parsed.policy), lines: ruleLines(parsed) }, diagnostics: parsed.diagnostics };
}

/** The reason of a base rule as people read it: where in the base file it comes from, then its own reason. */
export function baseReason(base: BaseLayer, rule: string, reason: string): string {
  return `From the organisation's base policy ${baseWhere(base, rule)}: ${reason}`;
}

/** Which layer's answer stands: the stricter; on a tie the base's for deny and require_approval, the policy's for allow. */
export function baseWins(policyAction: Action, baseAction: Action): boolean {
  const b = ACTION_STRICTNESS[baseAction];
  const p = ACTION_STRICTNESS[policyAction];
  return b > p || (b === p && baseAction !== 'allow');
}

// Base entries carry `base:KEY` as their key in combined verdicts (audit `entries`, explanations); made once per entry.
const prefixedTools = new WeakMap<PolicyEntry, PolicyEntry>();
const prefixedResources = new WeakMap<ResourceEntry, ResourceEntry>();

export function prefixedEntry(e: PolicyEntry): PolicyEntry {
  let p = prefixedTools.get(e);
  if (!p) prefixedTools.set(e, (p = { ...e, key: baseRule(e.key) }));
  return p;
}

function prefixedResource(e: ResourceEntry): ResourceEntry {
  let p = prefixedResources.get(e);
  if (!p) prefixedResources.set(e, (p = { ...e, key: baseRule(e.key) }));
  return p;
}

function timeoutOf(action: Action, a: { action: Action; approvalTimeoutSeconds: number }, b: typeof a): number {
  if (action !== 'require_approval') return a.approvalTimeoutSeconds;
  const asking = [a, b].filter((x) => x.action === 'require_approval').map((x) => x.approvalTimeoutSeconds);
  return Math.min(...asking);
}

/** The layers' answers for one tool call as one verdict, with the rate limits of both (base keys prefixed). */
export function combineToolVerdicts(
  policy: PolicyVerdict,
  base: PolicyVerdict,
  layer: BaseLayer,
): { readonly verdict: PolicyVerdict; readonly limits: LimitRef[] } {
  const fromBase = baseWins(policy.action, base.action);
  const winner = fromBase ? base : policy;
  const rateLimited = base.rateLimited.length === 0 ? policy.rateLimited : [...policy.rateLimited, ...base.rateLimited.map(prefixedEntry)];
  const verdict: PolicyVerdict = {
    action: winner.action,
    source: winner.source,
    rule: fromBase ? baseRule(base.rule) : policy.rule,
    reason: fromBase ? baseReason(layer, base.rule, base.reason) : policy.reason,
    applicable: base.applicable.length === 0 ? policy.applicable : [...policy.applicable, ...base.applicable.map(prefixedEntry)],
    rateLimited,
    approvalTimeoutSeconds: timeoutOf(winner.action, winner, fromBase ? policy : base),
  };
  const limits: LimitRef[] = [
    ...policy.rateLimited.map((e) => ({ key: entryRule(e), limit: e.rateLimit! })),
    ...base.rateLimited.map((e) => ({ key: baseRule(entryRule(e)), limit: e.rateLimit! })),
  ];
  return { verdict, limits };
}

/** The layers' answers for one resource request as one verdict, with the rate limits of both. */
export function combineResourceVerdicts(
  policy: ResourceVerdict,
  base: ResourceVerdict,
  layer: BaseLayer,
): { readonly verdict: ResourceVerdict; readonly limits: LimitRef[] } {
  const fromBase = baseWins(policy.action, base.action);
  const winner = fromBase ? base : policy;
  const verdict: ResourceVerdict = {
    action: winner.action,
    rule: fromBase ? baseRule(base.rule) : policy.rule,
    reason: fromBase ? baseReason(layer, base.rule, base.reason) : policy.reason,
    applicable: base.applicable.length === 0 ? policy.applicable : [...policy.applicable, ...base.applicable.map(prefixedResource)],
    rateLimited: base.rateLimited.length === 0 ? policy.rateLimited : [...policy.rateLimited, ...base.rateLimited.map(prefixedResource)],
    approvalTimeoutSeconds: timeoutOf(winner.action, winner, fromBase ? policy : base),
  };
  const limits: LimitRef[] = [
    ...policy.rateLimited.map((e) => ({ key: resourceRule(e), limit: e.rateLimit! })),
    ...base.rateLimited.map((e) => ({ key: baseRule(resourceRule(e)), limit: e.rateLimit! })),
  ];
  return { verdict, limits };
}
