import { closeSync, openSync, writeSync } from 'node:fs';
import type { RiskClass, ToolCategory } from './catalog/types';
import type { Mode } from './policy/model';

export type AuditDecision = 'allowed' | 'denied' | 'approved' | 'declined' | 'rate_limited' | 'monitored';
export type UpstreamOutcome = 'ok' | 'isError' | 'protocol_error' | 'not_forwarded' | 'no_response';

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
  | { readonly event: 'start'; readonly version: string; readonly mode: Mode; readonly policy: string | null; readonly upstream: string; readonly pid: number }
  | { readonly event: 'stop'; readonly reason: string }
  | { readonly event: 'policy_reload'; readonly ok: boolean; readonly error?: string }
  | { readonly event: 'mode_change'; readonly mode: Mode };

export interface AuditSink {
  write(event: AuditEvent): void;
  close(): void;
}

/**
 * Append-only JSON Lines. Each event is one `write(2)` on a file opened with O_APPEND, so
 * lines never interleave, even with another process appending to the same file.
 */
export class JsonlAuditLog implements AuditSink {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    private readonly onError: (error: Error) => void = () => {},
  ) {
    this.fd = openSync(path, 'a', 0o600);
  }

  write(event: AuditEvent): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, `${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
    } catch (e) {
      this.onError(e as Error);
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export const NO_AUDIT: AuditSink = { write: () => {}, close: () => {} };
