/** The policy's answer for a tool call or resource request: the strictest applicable entry, else the risk class, else `default`. */
import { BoundedCache } from '../util/bounded-cache';
import type { Classification } from '../catalog/classify';
import type { RiskClass } from '../catalog/types';
import { ACTION_STRICTNESS, BUILT_IN_RISK_ACTIONS, type Action, type Policy, type PolicyEntry, type ResourceEntry } from './model';

type Args = Readonly<Record<string, unknown>>;

/** Where a decision came from, so texts, audit events and explanations can name it. */
export type RuleSource =
  | { readonly kind: 'entry'; readonly entry: PolicyEntry }
  | { readonly kind: 'risk'; readonly risk: RiskClass; readonly builtIn: boolean }
  | { readonly kind: 'default' };

export interface PolicyVerdict {
  readonly action: Action;
  readonly source: RuleSource;
  /** Human-readable rule name: `tools.NAME`, `risk.CLASS`, `risk.CLASS (built-in)` or `default`. */
  readonly rule: string;
  readonly reason: string;
  /** Entries whose name and conditions matched, in file order. */
  readonly applicable: readonly PolicyEntry[];
  /** Applicable entries that carry a rate limit: each counts the call. */
  readonly rateLimited: readonly PolicyEntry[];
  readonly approvalTimeoutSeconds: number;
}

const NONE: readonly never[] = [];

/** What tool and resource entries share for deciding. */
type DecidingEntry = Pick<PolicyEntry, 'action' | 'reason' | 'rateLimit' | 'approvalTimeoutSeconds'>;

/**
 * How the entries that apply decide, in one pass: the first entry (in file order) with the
 * strictest action wins, and the first of those with a `reason` speaks for it; every entry with
 * a rate limit counts; the shortest `approval_timeout` of the `require_approval` ones holds.
 */
function strictest<E extends DecidingEntry>(
  applied: readonly E[],
  defaultTimeoutSeconds: number,
): { winner: E | undefined; reason: string | undefined; rateLimited: readonly E[]; approvalTimeoutSeconds: number } {
  let winner: E | undefined;
  let reason: string | undefined;
  let rateLimited: E[] | undefined;
  let timeout: number | undefined;
  for (const e of applied) {
    if (e.rateLimit !== undefined) (rateLimited ??= []).push(e);
    if (e.action === 'require_approval' && e.approvalTimeoutSeconds !== undefined)
      timeout = Math.min(timeout ?? Infinity, e.approvalTimeoutSeconds);
    if (e.action === undefined) continue;
    if (winner === undefined || ACTION_STRICTNESS[e.action] > ACTION_STRICTNESS[winner.action!]) {
      winner = e;
      reason = e.reason;
    } else if (e.action === winner.action && reason === undefined) {
      reason = e.reason;
    }
  }
  // One plain literal (no spreads): this runs on every call.
  return { winner, reason, rateLimited: rateLimited ?? NONE, approvalTimeoutSeconds: timeout ?? defaultTimeoutSeconds };
}

export function entryRule(entry: PolicyEntry): string {
  return `tools.${entry.key}`;
}

/**
 * A policy with its name lookups memoised: evaluation cost does not grow with the number
 * of entries once a tool name has been seen. The names and URIs come from the client, so the
 * memos are bounded in characters (see BoundedCache).
 */
export class PolicyIndex {
  private readonly byName = new BoundedCache<readonly PolicyEntry[]>();
  private readonly hidden = new BoundedCache<boolean>();
  private readonly byUri = new BoundedCache<readonly ResourceEntry[]>();

  constructor(readonly policy: Policy) {}

  /** Resource entries whose URI glob matches `uri`, in file order. */
  resourcesFor(uri: string): readonly ResourceEntry[] {
    return (
      this.byUri.get(uri) ??
      this.byUri.set(
        uri,
        (this.policy.resources ?? []).filter((e) => e.pattern.test(uri)),
      )
    );
  }

  entriesFor(name: string): readonly PolicyEntry[] {
    return (
      this.byName.get(name) ??
      this.byName.set(
        name,
        this.policy.entries.filter((e) => e.pattern.test(name)),
      )
    );
  }

  isHidden(name: string): boolean {
    return (
      this.hidden.get(name) ??
      this.hidden.set(
        name,
        this.policy.hide.some((p) => p.test(name)),
      )
    );
  }

  /** Characters held in memo keys, for tests of the bound. */
  get cachedKeyChars(): number {
    return this.byName.keyChars + this.hidden.keyChars + this.byUri.keyChars;
  }
}

function riskReason(tool: string, cls: Classification, action: Action): string {
  const what = `${tool} is ${cls.category} / ${cls.risk} risk: ${cls.reason}`;
  if (action === 'deny')
    return `${what} ${cls.risk[0]!.toUpperCase()}${cls.risk.slice(1)}-risk tools are blocked unless the policy says otherwise.`;
  if (action === 'require_approval')
    return `${what} ${cls.risk[0]!.toUpperCase()}${cls.risk.slice(1)}-risk tools need approval unless the policy says otherwise.`;
  return what;
}

/**
 * The policy's answer for one call, before modes and rate limits: the strictest action of
 * the applicable entries; else the risk-class action (the file's, else built-in for
 * critical and high); else `default`.
 */
export function evaluatePolicy(index: PolicyIndex, tool: string, args: Args, cls: Classification): PolicyVerdict {
  const policy = index.policy;
  const candidates = index.entriesFor(tool);
  let applicable: PolicyEntry[] | undefined;
  for (const entry of candidates) {
    if (entry.when.length > 0 && !entry.when.every((c) => c.test(args))) continue;
    (applicable ??= []).push(entry);
  }
  const applied = applicable ?? NONE;
  const { winner, reason, rateLimited, approvalTimeoutSeconds } = strictest(applied, policy.approvalTimeoutSeconds);

  if (winner !== undefined) {
    const action = winner.action!;
    return {
      action,
      source: { kind: 'entry', entry: winner },
      rule: entryRule(winner),
      reason: reason ?? `The policy entry ${entryRule(winner)} says ${action}.`,
      applicable: applied,
      rateLimited,
      approvalTimeoutSeconds,
    };
  }
  const fileRisk = policy.risk[cls.risk];
  const builtIn = BUILT_IN_RISK_ACTIONS[cls.risk];
  const riskAction = fileRisk ?? builtIn;
  if (riskAction !== undefined) {
    return {
      action: riskAction,
      source: { kind: 'risk', risk: cls.risk, builtIn: fileRisk === undefined },
      rule: fileRisk === undefined ? `risk.${cls.risk} (built-in)` : `risk.${cls.risk}`,
      reason: riskReason(tool, cls, riskAction),
      applicable: applied,
      rateLimited,
      approvalTimeoutSeconds,
    };
  }
  return {
    action: policy.defaultAction,
    source: { kind: 'default' },
    rule: 'default',
    reason: `No entry or risk class decides ${tool} (${cls.category} / ${cls.risk} risk), so the policy's default applies.`,
    applicable: applied,
    rateLimited,
    approvalTimeoutSeconds,
  };
}

export function resourceRule(entry: ResourceEntry): string {
  return `resources.${entry.key}`;
}

/** The policy's answer for one resource read or subscribe, before modes and rate limits. */
export interface ResourceVerdict {
  readonly action: Action;
  /** `resources.KEY` or `default`. */
  readonly rule: string;
  /** Never contains the URI (the audit log keeps URIs only as a digest). */
  readonly reason: string;
  /** Resource entries whose glob matched, in file order. */
  readonly applicable: readonly ResourceEntry[];
  /** Applicable entries that carry a rate limit: each counts the read. */
  readonly rateLimited: readonly ResourceEntry[];
  readonly approvalTimeoutSeconds: number;
}

/**
 * The policy's answer for a resource URI: the strictest action of the resource entries whose
 * glob matches it; else `default` (resources have no risk class).
 */
export function evaluateResource(index: PolicyIndex, uri: string): ResourceVerdict {
  const policy = index.policy;
  const applicable = index.resourcesFor(uri);
  const { winner, reason, rateLimited, approvalTimeoutSeconds } = strictest(applicable, policy.approvalTimeoutSeconds);
  if (winner !== undefined) {
    const action = winner.action!;
    return {
      action,
      rule: resourceRule(winner),
      reason: reason ?? `The policy entry ${resourceRule(winner)} says ${action}.`,
      applicable,
      rateLimited,
      approvalTimeoutSeconds,
    };
  }
  return {
    action: policy.defaultAction,
    rule: 'default',
    reason: "No resource entry with an action matches this URI (resources have no risk class), so the policy's default applies.",
    applicable,
    rateLimited,
    approvalTimeoutSeconds,
  };
}
