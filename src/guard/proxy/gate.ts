/**
 * The one gate every guarded request goes through: decide → (approve) → consume quota → forward
 * or block → audit. A tool call and a resource request differ only in what `subjects.ts` says
 * about them (how they are decided, keyed for the session, answered when blocked).
 */
import { askApproval, type ApprovalRequest, type ApprovalResult, type ApprovalScope, type Approver } from '../approval/approver';
import type { AuditSink } from '../audit-events';
import { isLockdownSafe, rateLimitedReason, type Decision, type PolicyState } from '../decider';
import { DEFAULT_APPROVAL_TIMEOUT_SECONDS, type Mode } from '../policy/model';
import type { Untrusted } from '../pins/trust';
import type { LimitRef, QuotaCheck, RateLimiter } from '../rate-limiter';
import type { AuditFacts } from './audit-event';
import type { BlockKind } from './denial';
import { blockedAnswer, decideSubject, sessionKey, type GatedSubject } from './subjects';

/** Answers a person gave "for this session", kept at most this many. */
const MAX_SESSION_ALLOWED = 4096;

export interface GateOptions {
  readonly policy: { readonly state: PolicyState };
  readonly limiter: RateLimiter;
  readonly audit: AuditSink;
  readonly approvers: readonly Approver[];
  readonly serverName: string;
  /** Forward calls that are not Read / low risk even while the audit log cannot be written. */
  readonly auditFailOpen: boolean;
  readonly mode: () => Mode;
  readonly approvalId: () => string;
  /** Runs work whose writes go out together (see Channel.batched). */
  readonly batched: (work: () => void) => void;
  readonly respond: (line: string) => void;
  /** Sends an allowed request on; it is audited when it is settled. */
  readonly forward: (subject: GatedSubject, facts: AuditFacts) => void;
  /** Why a tool may not be called because of its definition (changed, new, ambiguous, no usable pins); undefined when it may. */
  readonly untrusted: (tool: string) => Untrusted | undefined;
  /** A person trusted a definition: make it trusted (and pinned, for `pin`). False when the tool changed meanwhile. */
  readonly trustDefinition: (untrusted: Untrusted, by: string, scope: ApprovalScope) => boolean;
  /** Audits a decided request and tells the host. */
  readonly record: (subject: GatedSubject, facts: AuditFacts, outcome: 'not_forwarded') => void;
}

const WOULD = {
  allow: 'allowed',
  deny: 'denied',
  require_approval: 'require_approval',
  rate_limited: 'rate_limited',
} as const;

type ApprovalDecision = Extract<Decision<unknown>, { kind: 'require_approval' }>;

export class Gate {
  /** Requests held by the guard (waiting for the tool list or for a person), by id key. */
  private readonly held = new Map<string, AbortController>();
  private readonly sessionAllowed = new Set<string>();

  constructor(private readonly opts: GateOptions) {}

  get heldCount(): number {
    return this.held.size;
  }

  isHeld(key: string): boolean {
    return this.held.has(key);
  }

  /** Holds a request while something is awaited; `release` tells whether it is still this hold. */
  hold(key: string): AbortController {
    const hold = new AbortController();
    this.held.set(key, hold);
    return hold;
  }

  release(key: string, hold: AbortController): boolean {
    if (this.held.get(key) !== hold) return false;
    this.held.delete(key);
    return true;
  }

  /** The client cancelled a held request: stop waiting (an approval then ends as cancelled). */
  cancel(key: string): boolean {
    const hold = this.held.get(key);
    if (!hold) return false;
    hold.abort(new Error('cancelled'));
    return true;
  }

  abortAll(): void {
    for (const [, hold] of this.held) hold.abort(new Error('shutdown'));
  }

  /**
   * Decides a request and carries the decision out. A tool whose latest listed definition is not
   * trusted is settled first, in every mode: nothing about a definition nobody accepted is callable.
   */
  admit(subject: GatedSubject): void {
    const { opts } = this;
    if (subject.kind === 'tool') {
      const untrusted = opts.untrusted(subject.name);
      if (untrusted !== undefined) return this.approveDefinition(subject, untrusted);
    }
    const mode = opts.mode();
    const verdict = decideSubject(subject, opts.policy.state, mode, opts.limiter);
    const entries = verdict.policy ? verdict.policy.applicable.map((e) => e.key) : [];

    if (verdict.kind === 'allow' || verdict.kind === 'require_approval' || mode === 'monitor') {
      const unaudited = this.unauditedReason(subject);
      if (unaudited !== undefined)
        return this.block(subject, 'audit_unwritable', { decision: 'denied', rule: 'audit', reason: unaudited, entries });
    }
    if (mode === 'monitor') {
      // Counted, not waited for: monitor mode forwards every call (a remote store's answer never rejects).
      if (verdict.kind === 'allow' || verdict.kind === 'require_approval') void opts.limiter.consume(verdict.limits);
      return opts.forward(subject, {
        decision: 'monitored',
        would: WOULD[verdict.kind],
        rule: verdict.rule,
        reason: verdict.reason,
        entries,
      });
    }
    switch (verdict.kind) {
      case 'deny':
        return this.block(subject, verdict.rule === 'policy' || verdict.rule === 'base:policy' ? 'invalid_policy' : 'denied', {
          decision: 'denied',
          rule: verdict.rule,
          reason: verdict.reason,
          entries,
        });
      case 'rate_limited':
        return this.block(subject, 'rate_limited', { decision: 'rate_limited', rule: verdict.rule, reason: verdict.reason, entries });
      case 'allow':
        return this.goAhead(subject, verdict.limits, { decision: 'allowed', rule: verdict.rule, reason: verdict.reason, entries });
      case 'require_approval':
        return this.approve(subject, verdict, entries);
    }
  }

  /** Answers the client with the block and audits it; nothing goes upstream. */
  block(subject: GatedSubject, kind: BlockKind, facts: AuditFacts): void {
    this.opts.respond(blockedAnswer(subject, kind, facts));
    this.opts.record(subject, facts, 'not_forwarded');
  }

  private approve(subject: GatedSubject, verdict: ApprovalDecision, entries: readonly string[]): void {
    if (this.sessionAllowed.has(sessionKey(subject)) && this.mayAllowForSession(subject)) {
      return this.afterApproval(subject, verdict, entries, { outcome: 'approved', by: 'session', scope: 'once' });
    }
    this.ask(subject, { rule: verdict.rule, reason: verdict.reason, timeoutMs: verdict.timeoutMs }, (result) =>
      this.afterApproval(subject, verdict, entries, result),
    );
  }

  /** Asks a person to trust the definition (when one may); approved, the call is decided again from the start. */
  private approveDefinition(subject: GatedSubject, untrusted: Untrusted): void {
    const facts = { rule: 'tool_definition', entries: [] as string[] };
    if (untrusted.change === undefined)
      return this.block(subject, 'untrusted_tool', { ...facts, decision: 'denied', reason: untrusted.reason });
    const policy = this.opts.policy.state;
    const timeoutSeconds = policy.kind === 'valid' ? policy.index.policy.approvalTimeoutSeconds : DEFAULT_APPROVAL_TIMEOUT_SECONDS;
    const change = { rule: facts.rule, reason: untrusted.reason, timeoutMs: timeoutSeconds * 1000, definitionChange: untrusted.change };
    this.ask(subject, change, (result) => {
      const withApprover = { ...facts, approver: result.by };
      switch (result.outcome) {
        case 'approved':
          // Trusted, the call is decided like any other (the policy may still ask about the call itself);
          // if the server changed the tool again meanwhile, the new definition is asked about in turn.
          this.opts.trustDefinition(untrusted, result.by, result.scope);
          return this.admit(subject);
        case 'cancelled':
          return this.opts.record(subject, { ...withApprover, decision: 'declined', reason: result.detail }, 'not_forwarded');
        case 'no_approver':
          return this.block(subject, 'untrusted_tool', {
            ...withApprover,
            decision: 'denied',
            reason: `${untrusted.reason} No person could be asked: ${result.detail}`,
          });
        case 'timeout':
        case 'declined':
          return this.block(subject, 'untrusted_tool', {
            ...withApprover,
            decision: 'declined',
            reason: `${untrusted.reason} Not trusted: ${result.detail}`,
          });
      }
    });
  }

  /**
   * Asks the approvers about a request, holding it meanwhile; `then` runs with the answer (batched with
   * its writes) unless the request was withdrawn meanwhile (the guard stopped).
   */
  private ask(
    subject: GatedSubject,
    about: Pick<ApprovalRequest, 'rule' | 'reason' | 'timeoutMs' | 'definitionChange'>,
    then: (result: ApprovalResult) => void,
  ): void {
    const cls = subject.classification;
    const hold = this.hold(subject.key);
    void askApproval(
      this.opts.approvers,
      {
        callId: this.opts.approvalId(),
        server: this.opts.serverName,
        tool: subject.name,
        category: cls.category,
        risk: cls.risk,
        riskReason: cls.reason,
        args: subject.args,
        ...about,
      },
      hold.signal,
    ).then((result) => {
      if (!this.release(subject.key, hold)) return;
      this.opts.batched(() => then(result));
    });
  }

  private afterApproval(subject: GatedSubject, verdict: ApprovalDecision, entries: readonly string[], result: ApprovalResult): void {
    const facts = { rule: verdict.rule, entries, approver: result.by };
    switch (result.outcome) {
      case 'approved': {
        // The audit log may have failed while the person was deciding.
        const unaudited = this.unauditedReason(subject);
        if (unaudited !== undefined)
          return this.block(subject, 'audit_unwritable', { ...facts, decision: 'denied', rule: 'audit', reason: unaudited });
        // Quota may have run out while the person was deciding: counted now, and only forwarded if it fits.
        return this.goAhead(subject, verdict.limits, { ...facts, decision: 'approved', reason: verdict.reason }, () => {
          if (result.scope === 'session' && this.mayAllowForSession(subject) && this.sessionAllowed.size < MAX_SESSION_ALLOWED)
            this.sessionAllowed.add(sessionKey(subject));
        });
      }
      case 'cancelled':
        // The client withdrew the request; it expects no answer.
        return this.opts.record(subject, { ...facts, decision: 'declined', reason: result.detail }, 'not_forwarded');
      case 'no_approver':
        return this.block(subject, 'no_approver', { ...facts, decision: 'denied', reason: `${verdict.reason} ${result.detail}` });
      case 'timeout':
        return this.block(subject, 'timeout', { ...facts, decision: 'declined', reason: `${verdict.reason} ${result.detail}` });
      case 'declined':
        return this.block(subject, 'declined', { ...facts, decision: 'declined', reason: `${verdict.reason} ${result.detail}` });
    }
  }

  /**
   * The call may go ahead: its quota is counted (the authoritative check), then it is forwarded, or
   * blocked when a limit ran out or a shared limit's store cannot be reached. Synchronous unless a shared
   * limit is counted by a remote store; the request is then held until the store answers.
   */
  private goAhead(subject: GatedSubject, limits: readonly LimitRef[], facts: AuditFacts, onForward?: () => void): void {
    const quota = this.opts.limiter.consume(limits);
    if (!(quota instanceof Promise)) return this.afterQuota(subject, quota, facts, onForward);
    const hold = this.hold(subject.key);
    // Stores answer `unavailable` rather than reject; should one reject all the same, the call is denied, not held for ever.
    const answered = quota.catch((e: unknown): QuotaCheck => ({
      ok: false,
      key: limits[0]!.key,
      limit: limits[0]!.limit,
      retryAfterMs: 0,
      unavailable: `The shared rate limit could not be counted (${e instanceof Error ? e.message : String(e)}), so the call is blocked.`,
    }));
    void answered.then((answer) => {
      if (!this.release(subject.key, hold)) return;
      // The client withdrew the request (or the guard is stopping) meanwhile: it expects no answer, and
      // what was counted for it is taken back.
      if (hold.signal.aborted) {
        if (answer.ok) answer.release?.();
        return this.opts.record(
          subject,
          { ...facts, decision: 'declined', reason: 'The request was cancelled while its shared rate limit was counted.' },
          'not_forwarded',
        );
      }
      this.opts.batched(() => this.afterQuota(subject, answer, facts, onForward));
    });
  }

  private afterQuota(subject: GatedSubject, quota: QuotaCheck, facts: AuditFacts, onForward?: () => void): void {
    if (!quota.ok) {
      if (quota.unavailable !== undefined)
        return this.block(subject, 'denied', { ...facts, decision: 'denied', rule: quota.key, reason: quota.unavailable });
      return this.block(subject, 'rate_limited', { ...facts, decision: 'rate_limited', rule: quota.key, reason: rateLimitedReason(quota) });
    }
    onForward?.();
    this.opts.forward(subject, facts);
  }

  /** Critical-risk tools are asked every time, whatever a person said for the session. */
  private mayAllowForSession(subject: GatedSubject): boolean {
    return subject.classification.risk !== 'critical';
  }

  /**
   * Why a request that is not Read / low risk may not go ahead now: the audit log cannot be
   * written (and the guard does not run with --audit-fail-open). Undefined when it may.
   */
  private unauditedReason(subject: GatedSubject): string | undefined {
    if (this.opts.auditFailOpen) return undefined;
    const problem = this.opts.audit.problem;
    if (problem === undefined || isLockdownSafe(subject.classification)) return undefined;
    return (
      `MCP Guard cannot write its audit log (${problem}), ` +
      `so it lets only Read / low-risk tools through until the log can be written again.`
    );
  }
}
