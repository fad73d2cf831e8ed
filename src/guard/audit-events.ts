/**
 * What the guard records about itself and its decisions: the audit events, the sink they go to, and the notice a host
 * gets per decision.
 */
import type { ClassSource } from './catalog/classify';
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
  /** Where the class came from (see ClassSource): `catalog`, `catalog-argument`, `annotations`, `catalog+annotations`, `name-match`. */
  readonly class_source: ClassSource;
  /** Which argument case decided the class, e.g. `method=search_read`; only for tools the catalog classes by an argument. */
  readonly class_argument?: string;
  /** Why this category and risk, in the catalog's (or the annotations') words. */
  readonly class_reason: string;
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
  /** Secrets found in the server's answer (`--scan-results`): their kinds and how many, never the secrets. */
  readonly result_secrets?: ResultSecretsNote;
}

/** Secrets found in an answer: `redacted` before the client got it, or `flagged` and passed on. */
export interface ResultSecretsNote {
  readonly action: 'redacted' | 'flagged';
  /** Sorted, each once: `aws-access-key`, `jwt`, `odoo-credential`, `private-key`, … */
  readonly kinds: readonly string[];
  readonly count: number;
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
      /** The pins file (`--pins`); absent when definitions are trusted on first use. */
      readonly pins?: string;
      /** The organisation's base policy (`--base-policy`); absent without one. */
      readonly base_policy?: string;
    }
  | { readonly event: 'stop'; readonly reason: string }
  /** `layer: 'base'` for a reload of the base policy (`--base-policy`); absent for the policy. */
  | { readonly event: 'policy_reload'; readonly ok: boolean; readonly error?: string; readonly layer?: 'base' }
  | { readonly event: 'mode_change'; readonly mode: Mode }
  /**
   * A tool definition the guard does not trust appeared: `changed` from the trusted one (`parts` say
   * which), `new` (not pinned, or added after the session's first tool list), or `duplicate` (two
   * tools of one name). Once per tool and fingerprint; calls to it are held until a person trusts it.
   */
  | {
      readonly event: 'tool_definition';
      readonly server: string;
      readonly tool: string;
      readonly change: 'changed' | 'new' | 'duplicate';
      readonly against: 'pins' | 'session';
      readonly parts: readonly string[];
      readonly fingerprint: string | null;
      readonly trusted_fingerprint?: string;
    }
  /** A person trusted a tool's definition: for the session, and in the pins file when `pins_updated`. */
  | {
      readonly event: 'tool_trusted';
      readonly server: string;
      readonly tool: string;
      readonly fingerprint: string;
      readonly by: string;
      readonly pins_updated: boolean;
    }
  /** The server process: `exited` (and restarting), `restarted` (handshake done again), `down` (gave up). */
  | { readonly event: 'upstream'; readonly state: 'exited' | 'restarted' | 'down'; readonly cause?: string; readonly pid?: number }
  /** `mcp-guard serve`: an HTTP session (numbered from 1, not its secret id) began or ended. */
  | { readonly event: 'session'; readonly state: 'started' | 'ended'; readonly session: number; readonly reason?: string }
  /**
   * Audit records the OpenTelemetry export (`--otlp-endpoint`, best effort) could not deliver: `dropped` since the
   * last such event (`total` since start), because the queue was full or the collector failed (`cause`).
   */
  | { readonly event: 'otlp_dropped'; readonly dropped: number; readonly total: number; readonly cause: string }
  /**
   * The store of shared rate limits (`--state redis://…`): `reachable` (at start, or again) or `unreachable`
   * (calls under a shared limit are then denied, or with `fail_open` go ahead uncounted).
   */
  | {
      readonly event: 'state_store';
      readonly store: string;
      readonly state: 'reachable' | 'unreachable';
      readonly cause?: string;
      readonly fail_open?: true;
    };

export interface AuditSink {
  /**
   * `session`: the number of the `serve` session the event belongs to, written as the line's `session`
   * field (unless the event names one itself); passed apart so the event need not be copied to add it.
   */
  write(event: AuditEvent, session?: number): void;
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
  /** Secrets found in the server's answer, when there were any. */
  readonly resultSecrets?: ResultSecretsNote;
}
