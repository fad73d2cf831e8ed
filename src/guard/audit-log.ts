import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
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
  /** Writes out what is buffered; the proxy calls it before answering, so the log leads. */
  flush(): void;
  close(): void;
}

/**
 * Append-only JSON Lines. The events of one turn of the event loop are written together in
 * one `write(2)` on a file opened with O_APPEND, so whole lines never interleave, even with
 * another process appending to the same file, and a burst of calls costs one system call.
 */
export class JsonlAuditLog implements AuditSink {
  private fd: number | undefined;
  private pending: string[] = [];
  private scheduled = false;

  constructor(
    readonly path: string,
    private readonly onError: (error: Error) => void = () => {},
  ) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.fd = openSync(path, 'a', 0o600);
  }

  write(event: AuditEvent): void {
    if (this.fd === undefined) return;
    this.pending.push(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is buffered now; called once per loop turn, and on close. */
  flush(): void {
    this.scheduled = false;
    if (this.fd === undefined || this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    try {
      const bytes = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < bytes.length) off += writeSync(this.fd, bytes, off);
    } catch (e) {
      this.onError(e as Error);
    }
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export const NO_AUDIT: AuditSink = { write: () => {}, flush: () => {}, close: () => {} };
