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

export function decisionEvent(
  subject: GatedSubject,
  facts: AuditFacts,
  outcome: UpstreamOutcome,
  digest: string,
  secrets: ResultSecrets | undefined,
  ctx: AuditContext,
): DecisionEvent {
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
    latency_ms: Math.round((ctx.now - subject.receivedAt) * 1000) / 1000,
    outcome,
    ...(secrets ? { result_secrets: { action: secrets.action, kinds: secrets.kinds, count: secrets.count } } : {}),
  };
}
