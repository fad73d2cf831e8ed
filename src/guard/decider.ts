/** What the guard does with one gated request before any approval: policy validity, hide, lockdown, the policy's answer, rate limits. */
import { isLockdownSafe, type Classification } from './catalog/classify';

export { isLockdownSafe };
import {
  evaluatePolicy,
  evaluateResource,
  entryRule,
  resourceRule,
  type PolicyIndex,
  type PolicyVerdict,
  type ResourceVerdict,
} from './policy/evaluate';
import { UncheckableArgument } from './policy/conditions';
import type { Action, Mode } from './policy/model';
import type { LimitRef, QuotaCheck, RateLimiter } from './rate-limiter';
import { baseReason, baseRule, combineResourceVerdicts, combineToolVerdicts, type BaseLayer } from './policy/base';

/**
 * The policy in force: a valid one (with the organisation's base policy under it, when there is one;
 * see policy/base.ts), or the reason there is none (every call then fails closed). `layer: 'base'`
 * when it is the base policy that is missing or invalid.
 */
export type PolicyState =
  | { readonly kind: 'valid'; readonly index: PolicyIndex; readonly base?: BaseLayer }
  | { readonly kind: 'invalid'; readonly error: string; readonly layer?: 'base' };

/** The block of every request while the policy (or the base policy) is invalid. */
function invalidDecision(state: Extract<PolicyState, { kind: 'invalid' }>, what: string): { kind: 'deny'; rule: string; reason: string } {
  if (state.layer === 'base')
    return {
      kind: 'deny',
      rule: baseRule('policy'),
      reason: `The organisation's base policy is missing or invalid, so every ${what} is blocked until it is fixed: ${state.error}`,
    };
  return {
    kind: 'deny',
    rule: 'policy',
    reason: `The policy file is invalid, so every ${what} is blocked until it is fixed: ${state.error}`,
  };
}

export interface CallFacts {
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly classification: Classification;
}

/** What the guard does with one request, before any approval is asked; `P` is what the policy said. */
export type Decision<P> =
  | { readonly kind: 'allow'; readonly rule: string; readonly reason: string; readonly limits: readonly LimitRef[]; readonly policy: P }
  | {
      readonly kind: 'require_approval';
      readonly rule: string;
      readonly reason: string;
      readonly limits: readonly LimitRef[];
      readonly timeoutMs: number;
      readonly policy: P;
    }
  | { readonly kind: 'deny'; readonly rule: string; readonly reason: string; readonly policy?: P }
  | { readonly kind: 'rate_limited'; readonly rule: string; readonly reason: string; readonly retryAfterMs: number; readonly policy: P };

/** What the guard does with one tool call. */
export type Verdict = Decision<PolicyVerdict>;

export function limitRefs(policy: PolicyVerdict): LimitRef[] {
  return policy.rateLimited.map((e) => ({ key: entryRule(e), limit: e.rateLimit! }));
}

export function rateLimitedReason(check: Extract<QuotaCheck, { ok: false }>): string {
  const seconds = Math.max(0.1, Math.ceil(check.retryAfterMs / 100) / 10);
  return (
    `Rate limit reached: at most ${check.limit.max} call${check.limit.max === 1 ? '' : 's'} ` +
    `per ${check.limit.windowSeconds} s. Retry in ${seconds} s.`
  );
}

/**
 * Decides a call from the policy, the mode and the rate limits. Pure but for reading the
 * limiter's counters: nothing is counted here, so a call that is later denied or declined
 * costs no quota.
 */
export function decide(state: PolicyState, mode: Mode, call: CallFacts, limiter: RateLimiter): Verdict {
  if (state.kind === 'invalid') return invalidDecision(state, 'tool call');
  const base = state.base;
  if (base !== undefined && base.index.isHidden(call.tool)) {
    return {
      kind: 'deny',
      rule: baseRule('hide'),
      reason: baseReason(base, 'hide', `The base policy hides ${call.tool}; it cannot be called through this guard.`),
    };
  }
  if (state.index.isHidden(call.tool)) {
    return { kind: 'deny', rule: 'hide', reason: `The policy hides ${call.tool}; it cannot be called through this guard.` };
  }
  if (mode === 'lockdown' && !isLockdownSafe(call.classification)) {
    return {
      kind: 'deny',
      rule: 'mode.lockdown',
      reason:
        `Lockdown mode blocks every tool that is not Read / low risk; ` +
        `${call.tool} is ${call.classification.category} / ${call.classification.risk}.`,
    };
  }
  let policy: PolicyVerdict;
  let fromBase: PolicyVerdict | undefined;
  try {
    policy = evaluatePolicy(state.index, call.tool, call.args, call.classification);
    if (base !== undefined) fromBase = evaluatePolicy(base.index, call.tool, call.args, call.classification);
  } catch (e) {
    if (e instanceof UncheckableArgument) return { kind: 'deny', rule: 'arguments', reason: `${e.message}.` };
    throw e;
  }
  if (base !== undefined && fromBase !== undefined) {
    const combined = combineToolVerdicts(policy, fromBase, base);
    return fromVerdict(combined.verdict, combined.limits, limiter);
  }
  return fromVerdict(policy, limitRefs(policy), limiter);
}

/** What the policy said about a request, in the shape both tool and resource verdicts share. */
interface PolicyAnswer {
  readonly action: Action;
  readonly rule: string;
  readonly reason: string;
  readonly approvalTimeoutSeconds: number;
}

/**
 * The decision once the policy has answered, for any gated request: a deny stands; otherwise an
 * exhausted rate limit blocks; otherwise the policy's action, with the limits to count if it goes
 * ahead. Nothing is counted here.
 */
function fromVerdict<P extends PolicyAnswer>(policy: P, limits: readonly LimitRef[], limiter: RateLimiter): Decision<P> {
  if (policy.action === 'deny') return { kind: 'deny', rule: policy.rule, reason: policy.reason, policy };
  const quota = limiter.check(limits);
  if (!quota.ok) {
    // A shared limit's store cannot be reached: the call is denied by that limit's entry (fail closed).
    if (quota.unavailable !== undefined) return { kind: 'deny', rule: quota.key, reason: quota.unavailable, policy };
    return { kind: 'rate_limited', rule: quota.key, reason: rateLimitedReason(quota), retryAfterMs: quota.retryAfterMs, policy };
  }
  if (policy.action === 'require_approval') {
    return {
      kind: 'require_approval',
      rule: policy.rule,
      reason: policy.reason,
      limits,
      timeoutMs: policy.approvalTimeoutSeconds * 1000,
      policy,
    };
  }
  return { kind: 'allow', rule: policy.rule, reason: policy.reason, limits, policy };
}

/** What the guard does with one `resources/read` or `resources/subscribe`, before any approval is asked. */
export type ResourceDecision = Decision<ResourceVerdict>;

export function resourceLimitRefs(policy: ResourceVerdict): LimitRef[] {
  return policy.rateLimited.map((e) => ({ key: resourceRule(e), limit: e.rateLimit! }));
}

/**
 * Decides a resource read (or subscribe) of `uri`: an invalid policy blocks it; a `hide` item
 * matching the URI blocks it; else the resource entries (strictest wins) or `default`. Lockdown
 * mode does not block it (a read), and there is no risk class. Nothing is counted here. Reasons
 * never contain the URI.
 */
export function decideResource(state: PolicyState, _mode: Mode, uri: string, limiter: RateLimiter): ResourceDecision {
  if (state.kind === 'invalid') return invalidDecision(state, 'resource read');
  const base = state.base;
  if (base !== undefined && base.index.isHidden(uri)) {
    return {
      kind: 'deny',
      rule: baseRule('hide'),
      reason: baseReason(base, 'hide', 'The base policy hides this resource; it cannot be read through this guard.'),
    };
  }
  if (state.index.isHidden(uri)) {
    return { kind: 'deny', rule: 'hide', reason: 'The policy hides this resource; it cannot be read through this guard.' };
  }
  const verdict = evaluateResource(state.index, uri);
  if (base !== undefined) {
    const combined = combineResourceVerdicts(verdict, evaluateResource(base.index, uri), base);
    return fromVerdict(combined.verdict, combined.limits, limiter);
  }
  return fromVerdict(verdict, resourceLimitRefs(verdict), limiter);
}
