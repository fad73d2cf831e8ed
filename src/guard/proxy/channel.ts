/**
 * The two pipes of a guard: writes to the client and to the upstream, batched per input chunk,
 * and the restart queue that holds client lines while the upstream is being replaced.
 */
import type { AuditSink } from '../audit-events';

/** Client messages held while the upstream restarts; more are refused. */
export const MAX_QUEUED_WHILE_RESTARTING = 1000;

export type UpstreamState = 'up' | 'restarting' | 'down';

/**
 * The message a line carries, when the proxy has it parsed already, or an object with the same `id`
 * and `method`: a peer that handles each message on its own reads only those (and a progress
 * notification's `params`), so it need not parse the line again.
 */
export interface LineMessage {
  readonly id?: unknown;
  readonly method?: unknown;
  readonly params?: unknown;
}

interface QueuedLine {
  readonly key: string | undefined;
  readonly msg: LineMessage | undefined;
  /** Cleared when the request is withdrawn (timed out, cancelled) before it could be sent. */
  line: string | undefined;
}

export interface ChannelOptions {
  /** Writes raw text (one or more newline-terminated messages) to the upstream server. */
  readonly toUpstream: (data: string) => void;
  /** Writes raw text to the MCP client. */
  readonly toClient: (data: string) => void;
  readonly audit: AuditSink;
  /** When set, each message for the upstream comes here alone (not joined), with what the proxy knows of it. */
  readonly toUpstreamLine?: (line: string, msg: LineMessage | undefined) => void;
  /** When set, each message for the client comes here alone (not joined), with what the proxy knows of it. */
  readonly toClientLine?: (line: string, msg: LineMessage | undefined) => void;
}

/** The lines one batch writes in one direction, with their messages when known. */
class Outbox {
  readonly lines: string[] = [];
  readonly msgs: (LineMessage | undefined)[] = [];

  push(line: string, msg: LineMessage | undefined): void {
    this.lines.push(line);
    this.msgs.push(msg);
  }

  /** As one text (`joined`), or line by line (`each`) when the peer takes messages one at a time. */
  send(joined: (data: string) => void, each: ((line: string, msg: LineMessage | undefined) => void) | undefined): void {
    const n = this.lines.length;
    if (n === 0) return;
    if (each !== undefined) for (let i = 0; i < n; i++) each(this.lines[i]!, this.msgs[i]);
    else joined(n === 1 ? `${this.lines[0]!}\n` : `${this.lines.join('\n')}\n`);
  }
}

export class Channel {
  private upBatch: Outbox | undefined;
  private downBatch: Outbox | undefined;
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
    this.upBatch = new Outbox();
    this.downBatch = new Outbox();
    try {
      work();
    } finally {
      const up = this.upBatch;
      const down = this.downBatch;
      this.upBatch = undefined;
      this.downBatch = undefined;
      this.opts.audit.flush();
      up.send(this.opts.toUpstream, this.opts.toUpstreamLine);
      down.send(this.opts.toClient, this.opts.toClientLine);
    }
  }

  /**
   * Sends a line upstream, or holds it while the upstream restarts (false when it cannot:
   * the upstream is down for good, or too much is already waiting).
   */
  sendUp(line: string, key?: string, msg?: LineMessage): boolean {
    if (this.state === 'up') {
      this.sendUpNow(line, msg);
      return true;
    }
    if (this.state === 'down' || this.queue.length >= MAX_QUEUED_WHILE_RESTARTING) return false;
    const queued: QueuedLine = { key, msg, line };
    this.queue.push(queued);
    if (key !== undefined) this.queuedByKey.set(key, queued);
    return true;
  }

  /** Sends a line upstream now, past the restart queue (the guard's own handshake). */
  sendUpNow(line: string, msg?: LineMessage): void {
    if (this.upBatch) this.upBatch.push(line, msg);
    else if (this.opts.toUpstreamLine) this.opts.toUpstreamLine(line, msg);
    else this.opts.toUpstream(`${line}\n`);
  }

  /** `msg`: the message `line` carries, when the caller has it parsed (see LineMessage). */
  sendDown(line: string, msg?: LineMessage): void {
    if (this.downBatch) this.downBatch.push(line, msg);
    else this.sendDownNow(line);
  }

  /** Writes to the client at once, outside any batch (a cancellation from an abort handler). */
  sendDownNow(line: string): void {
    if (this.opts.toClientLine) this.opts.toClientLine(line, undefined);
    else this.opts.toClient(`${line}\n`);
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
    for (const q of queued) if (q.line !== undefined) this.sendUpNow(q.line, q.msg);
  }

  /** The client is gone: nothing more will be sent. */
  dropQueue(): void {
    this.queue = [];
    this.queuedByKey.clear();
  }
}
