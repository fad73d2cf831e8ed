/** The audit event and the host notice for one decided request, built from the request and what was decided. */
import type { AuditDecision, DecisionEvent, DecisionNotice, UpstreamOutcome } from '../audit-events';
import type { Mode } from '../policy/model';
import { redactSecrets } from '../secrets';
import type { ResultSecrets } from './result-scan';
import type { GatedSubject } from './subjects';

/** What was decided about a request, and by what. */
export interface AuditFacts {
  readonly decision: AuditDecision;
  readonly would?: 'allowed' | 'denied' | 'require_approval' | 'rate_limited';
  readonly rule: string;
  readonly reason: string;
  readonly entries: readonly string[];
  readonly approver?: string;
}

export interface AuditContext {
  readonly serverName: string;
  readonly mode: Mode;
  readonly includeArgs: boolean;
  readonly now: number;
  readonly auditProblem: string | undefined;
}

export function decisionNotice(
  subject: GatedSubject,
  facts: AuditFacts,
  digest: string,
  auditProblem: string | undefined,
  secrets?: ResultSecrets,
): DecisionNotice {
  return {
    tool: subject.name,
    decision: facts.decision,
    rule: facts.rule,
    reason: facts.reason,
    ...(auditProblem !== undefined ? { auditProblem } : {}),
    argsSha256: digest,
    args: subject.args,
    ...(secrets ? { resultSecrets: secrets } : {}),
  };
}

/** The fields of a decision's audit event known before the server answers, in the event's order. */
type DecisionHead = Omit<DecisionEvent, 'latency_ms' | 'outcome' | 'result_secrets'>;

function decisionHead(
  subject: GatedSubject,
  facts: AuditFacts,
  digest: string,
  ctx: Omit<AuditContext, 'now' | 'auditProblem'>,
): DecisionHead {
  const cls = subject.classification;
  return {
    event: 'decision',
    server: ctx.serverName,
    tool: subject.name,
    category: cls.category,
    risk: cls.risk,
    class_source: cls.source,
    ...(cls.argument !== undefined ? { class_argument: cls.argument } : {}),
    class_reason: cls.reason,
    decision: facts.decision,
    ...(facts.would ? { would: facts.would } : {}),
    rule: facts.rule,
    reason: facts.reason,
    entries: facts.entries,
    mode: ctx.mode,
    ...(facts.approver ? { approver: facts.approver } : {}),
    args_sha256: digest,
    ...(ctx.includeArgs ? { arguments: redactSecrets(subject.args) } : {}),
  };
}

function decisionTail(
  subject: GatedSubject,
  outcome: UpstreamOutcome,
  secrets: ResultSecrets | undefined,
  now: number,
): Pick<DecisionEvent, 'latency_ms' | 'outcome' | 'result_secrets'> {
  return {
    latency_ms: Math.round((now - subject.receivedAt) * 1000) / 1000,
    outcome,
    ...(secrets ? { result_secrets: { action: secrets.action, kinds: secrets.kinds, count: secrets.count } } : {}),
  };
}

export function decisionEvent(
  subject: GatedSubject,
  facts: AuditFacts,
  outcome: UpstreamOutcome,
  digest: string,
  secrets: ResultSecrets | undefined,
  ctx: AuditContext,
): DecisionEvent {
  return { ...decisionHead(subject, facts, digest, ctx), ...decisionTail(subject, outcome, secrets, ctx.now) };
}

/**
 * A forwarded request's audit event as far as it is known before the server answers (everything but
 * latency, outcome and secrets found), with its JSON text: made while the server works, so that
 * only the tail is left to write when the answer comes (serve's latency, issue 12). Valid for the
 * mode it was made in.
 */
export interface DecisionDraft {
  readonly digest: string;
  readonly mode: Mode;
  readonly head: DecisionHead;
  /** JSON.stringify(head) without its closing brace. */
  readonly headJson: string;
}

export function draftDecision(
  subject: GatedSubject,
  facts: AuditFacts,
  digest: string,
  ctx: Omit<AuditContext, 'now' | 'auditProblem'>,
): DecisionDraft {
  const head = decisionHead(subject, facts, digest, ctx);
  return { digest, mode: ctx.mode, head, headJson: JSON.stringify(head).slice(0, -1) };
}

/** The event a draft completes, and its JSON text: exactly JSON.stringify(event). */
export function completeDecision(
  draft: DecisionDraft,
  subject: GatedSubject,
  outcome: UpstreamOutcome,
  secrets: ResultSecrets | undefined,
  now: number,
): { readonly event: DecisionEvent; readonly json: string } {
  const tail = decisionTail(subject, outcome, secrets, now);
  const json =
    `${draft.headJson},"latency_ms":${JSON.stringify(tail.latency_ms)},"outcome":${JSON.stringify(outcome)}` +
    `${tail.result_secrets !== undefined ? `,"result_secrets":${JSON.stringify(tail.result_secrets)}` : ''}}`;
  return { event: { ...draft.head, ...tail }, json };
}
