/**
 * What the guard records about itself and its decisions: the audit events, the sink they go to, and the notice a host
 * gets per decision.
 */
import type { RiskClass, ToolCategory } from './catalog/types';
import type { Mode } from './policy/model';

export type AuditDecision = 'allowed' | 'denied' | 'approved' | 'declined' | 'rate_limited' | 'monitored';
/**
 * What became of a decided call: `timeout` when the server did not answer within
 * `--call-timeout` (the guard answered and asked the server to cancel it).
 */
export type UpstreamOutcome = 'ok' | 'isError' | 'protocol_error' | 'not_forwarded' | 'no_response' | 'timeout';

export interface DecisionEvent {
  readonly event: 'decision';
  /** The guarded server's name (`--name`). */
  readonly server: string;
  readonly tool: string;
  readonly category: ToolCategory;
  readonly risk: RiskClass;
  readonly decision: AuditDecision;
  /** In monitor mode: what enforce mode would have done. */
  readonly would?: 'allowed' | 'denied' | 'require_approval' | 'rate_limited';
  readonly rule: string;
  readonly reason: string;
  /** Policy entries that applied to the call, by key. */
  readonly entries: readonly string[];
  readonly mode: Mode;
  /** Who answered an approval request: `elicitation`, `editor`, or `none`. */
  readonly approver?: string;
  readonly args_sha256: string;
  /** Only when the guard runs with --audit-include-args. */
  readonly arguments?: unknown;
  readonly latency_ms: number;
  readonly outcome: UpstreamOutcome;
}

export type AuditEvent =
  | DecisionEvent
  | {
      readonly event: 'start';
      readonly version: string;
      readonly mode: Mode;
      readonly policy: string | null;
      readonly upstream: string;
      readonly pid: number;
    }
  | { readonly event: 'stop'; readonly reason: string }
  | { readonly event: 'policy_reload'; readonly ok: boolean; readonly error?: string }
  | { readonly event: 'mode_change'; readonly mode: Mode }
  /** The server process: `exited` (and restarting), `restarted` (handshake done again), `down` (gave up). */
  | { readonly event: 'upstream'; readonly state: 'exited' | 'restarted' | 'down'; readonly cause?: string; readonly pid?: number }
  /** `mcp-guard serve`: an HTTP session (numbered from 1, not its secret id) began or ended. */
  | { readonly event: 'session'; readonly state: 'started' | 'ended'; readonly session: number; readonly reason?: string };

export interface AuditSink {
  write(event: AuditEvent): void;
  /** Writes out what is buffered; the proxy calls it before answering, so the log leads. */
  flush(): void;
  close(): void;
  /** Why the log cannot be written right now (`undefined` while it can). */
  readonly problem?: string | undefined;
}

/** What a guard tells its host about each decided call (the CLI forwards it to the editor). */
export interface DecisionNotice {
  readonly tool: string;
  readonly decision: AuditDecision;
  readonly rule: string;
  readonly reason: string;
  readonly auditProblem?: string;
  /** As in the audit event. */
  readonly argsSha256: string;
  /** The call's arguments as received (not redacted: the receiver redacts what it passes on). */
  readonly args: Readonly<Record<string, unknown>>;
}
