/**
 * The two pipes of a guard: writes to the client and to the upstream, batched per input chunk,
 * and the restart queue that holds client lines while the upstream is being replaced.
 */
import type { AuditSink } from '../audit-events';

/** Client messages held while the upstream restarts; more are refused. */
export const MAX_QUEUED_WHILE_RESTARTING = 1000;

export type UpstreamState = 'up' | 'restarting' | 'down';

interface QueuedLine {
  readonly key: string | undefined;
  /** Cleared when the request is withdrawn (timed out, cancelled) before it could be sent. */
  line: string | undefined;
}

export interface ChannelOptions {
  /** Writes raw text (one or more newline-terminated messages) to the upstream server. */
  readonly toUpstream: (data: string) => void;
  /** Writes raw text to the MCP client. */
  readonly toClient: (data: string) => void;
  readonly audit: AuditSink;
}

export class Channel {
  private upBatch: string[] | undefined;
  private downBatch: string[] | undefined;
  private state: UpstreamState = 'up';
  /** Why the upstream is down for good (set only in state `down`). */
  private goneCause: string | undefined;
  private queue: QueuedLine[] = [];
  private readonly queuedByKey = new Map<string, QueuedLine>();

  constructor(private readonly opts: ChannelOptions) {}

  get upstreamState(): UpstreamState {
    return this.state;
  }

  /** Why the upstream is down for good, or undefined while it is up or restarting. */
  get upstreamGone(): string | undefined {
    return this.goneCause;
  }

  /** Collects everything `work` writes into one write per direction; the audit log is flushed first, so decisions lead their answers. */
  batched(work: () => void): void {
    this.upBatch = [];
    this.downBatch = [];
    try {
      work();
    } finally {
      const up = this.upBatch;
      const down = this.downBatch;
      this.upBatch = undefined;
      this.downBatch = undefined;
      this.opts.audit.flush();
      if (up.length > 0) this.opts.toUpstream(up.join(''));
      if (down.length > 0) this.opts.toClient(down.join(''));
    }
  }

  /**
   * Sends a line upstream, or holds it while the upstream restarts (false when it cannot:
   * the upstream is down for good, or too much is already waiting).
   */
  sendUp(line: string, key?: string): boolean {
    if (this.state === 'up') {
      this.sendUpNow(line);
      return true;
    }
    if (this.state === 'down' || this.queue.length >= MAX_QUEUED_WHILE_RESTARTING) return false;
    const queued: QueuedLine = { key, line };
    this.queue.push(queued);
    if (key !== undefined) this.queuedByKey.set(key, queued);
    return true;
  }

  /** Sends a line upstream now, past the restart queue (the guard's own handshake). */
  sendUpNow(line: string): void {
    if (this.upBatch) this.upBatch.push(line, '\n');
    else this.opts.toUpstream(`${line}\n`);
  }

  sendDown(line: string): void {
    if (this.downBatch) this.downBatch.push(line, '\n');
    else this.opts.toClient(`${line}\n`);
  }

  /** Writes to the client at once, outside any batch (a cancellation from an abort handler). */
  sendDownNow(line: string): void {
    this.opts.toClient(`${line}\n`);
  }

  /** Whether the request with this key waits in the restart queue (so it was never sent). */
  isQueued(key: string): boolean {
    return this.queuedByKey.has(key);
  }

  /** Takes a request out of the restart queue; true if it was there (so it was never sent). */
  unqueue(key: string): boolean {
    const queued = this.queuedByKey.get(key);
    if (!queued) return false;
    this.queuedByKey.delete(key);
    queued.line = undefined;
    return true;
  }

  /** The upstream stopped: what waited is dropped (its requests are answered by the caller). */
  upstreamStopped(cause: string, restarting: boolean): void {
    this.state = restarting ? 'restarting' : 'down';
    if (!restarting) this.goneCause = cause;
    this.queue = [];
    this.queuedByKey.clear();
  }

  /** The replacement is initialized: what waited goes now, in order. */
  upstreamBack(): void {
    this.state = 'up';
    const queued = this.queue;
    this.queue = [];
    this.queuedByKey.clear();
    for (const q of queued) if (q.line !== undefined) this.sendUpNow(q.line);
  }

  /** The client is gone: nothing more will be sent. */
  dropQueue(): void {
    this.queue = [];
    this.queuedByKey.clear();
  }
}
