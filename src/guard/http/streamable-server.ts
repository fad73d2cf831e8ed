/**
 * The server side of Streamable HTTP for one session of `mcp-guard serve`, on node:http (MCP spec
 * 2025-06-18 / 2025-11-25, basic/transports): which HTTP answer carries which message back.
 *
 * - A POST carrying requests is held open until every one of them is answered. When the answers are
 *   all it has to carry, it gets them as one `application/json` body (the array for a batch). As soon
 *   as a message related to one of its requests must go out first (the guard's approval elicitation,
 *   the server's progress or sampling), the answer becomes a `text/event-stream`: the held message,
 *   then every later one, then the answers, and the stream ends. A POST still unanswered after
 *   `upgradeAfterMs` becomes a stream too, with keep-alive comments, so a slow tool or a person
 *   deciding an approval in the editor does not leave a silent connection for a proxy to cut.
 * - A POST of notifications and responses only is answered 202 at once.
 * - GET opens the session's standalone stream (one at a time: 409) for messages tied to no open request.
 * - No event ids are written and nothing is stored: a stream that breaks is not resumable, and a GET
 *   with Last-Event-ID opens a fresh stream without replay (messages sent while no stream was open are lost,
 *   as with the SDK's server transport without an event store).
 *
 * Knows nothing of the guard: messages arrive as lines to send, with where to send them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { idKey, type JsonRpcId } from '../proxy/jsonrpc';
import { SSE_HEADERS, SSE_KEEPALIVE, SSE_KEEPALIVE_MS, sseMessage } from './sse';
import type { WireMessage } from './wire';

/** One POST that carried requests: its HTTP answer and the requests it waits for. */
class Exchange {
  /** Answers (JSON lines) in the order they came, while the answer is still JSON. */
  readonly answers: string[] = [];
  /** Ids (idKey) not answered yet. */
  readonly waiting: Set<string>;
  stream = false;
  done = false;
  keepAlive: NodeJS.Timeout | undefined;

  constructor(
    readonly res: ServerResponse,
    readonly batch: boolean,
    keys: readonly string[],
    /** When the POST came (performance.now()), for turning it into a stream after `upgradeAfterMs`. */
    readonly since: number,
  ) {
    this.waiting = new Set(keys);
  }
}

export interface StreamableServerOptions {
  /** Sent with every answer that opens a stream or carries JSON. */
  readonly sessionId: string;
  /** A POST unanswered this long becomes an event stream with keep-alives (default 10 s). */
  readonly upgradeAfterMs?: number;
  readonly keepAliveMs?: number;
  readonly log: (message: string) => void;
}

export class StreamableServerSession {
  /** Open requests (idKey) → the POST that carried them. */
  private readonly byRequest = new Map<string, Exchange>();
  private standalone: { res: ServerResponse; keepAlive: NodeJS.Timeout | undefined } | undefined;
  /**
   * POSTs still answered as JSON, oldest first, and one timer for the oldest: calls answered within
   * `upgradeAfterMs` (nearly all) set no timer of their own.
   */
  private readonly heldJson = new Set<Exchange>();
  private upgradeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly upgradeAfterMs: number;
  private readonly keepAliveMs: number;

  constructor(private readonly o: StreamableServerOptions) {
    this.upgradeAfterMs = o.upgradeAfterMs ?? 10_000;
    this.keepAliveMs = o.keepAliveMs ?? SSE_KEEPALIVE_MS;
  }

  /**
   * A POST whose messages were checked (wire.ts): requests hold `res` until answered; otherwise 202.
   * `deliver` hands the messages on (to the guard) once the answer is set up to receive their replies.
   */
  post(res: ServerResponse, messages: readonly WireMessage[], batch: boolean, deliver: () => void): void {
    const keys: string[] = [];
    for (const m of messages) if (m.kind === 'request') keys.push(idKey(m.id));
    if (keys.length === 0) {
      res.writeHead(202).end();
      deliver();
      return;
    }
    const ex = new Exchange(res, batch, keys, performance.now());
    for (const key of keys) {
      // A client reusing the id of a request still open: the older POST will not get that answer,
      // and when it waited for nothing else it ends now rather than never.
      const older = this.byRequest.get(key);
      this.byRequest.set(key, ex);
      if (older !== undefined && older !== ex && older.waiting.delete(key) && older.waiting.size === 0) this.abandon(older);
    }
    res.on('close', () => this.finish(ex));
    if (this.upgradeAfterMs > 0) {
      this.heldJson.add(ex);
      if (this.upgradeTimer === undefined) this.armUpgrade(this.upgradeAfterMs);
    }
    deliver();
  }

  /** GET: the standalone stream. */
  get(req: IncomingMessage, res: ServerResponse): void {
    if (this.standalone !== undefined) {
      res.writeHead(409, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          error: { code: -32000, message: 'Conflict: Only one SSE stream is allowed per session' },
          id: null,
        }),
      );
      return;
    }
    if (req.headers['last-event-id'] !== undefined)
      this.o.log('a GET asked to resume a stream: no events are stored, a fresh stream is opened');
    res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': this.o.sessionId });
    // Headers out now: the client's fetch resolves and it knows the stream is open.
    res.flushHeaders();
    const s = { res, keepAlive: this.keepAliveTimer(res) };
    this.standalone = s;
    res.on('close', () => {
      clearInterval(s.keepAlive);
      if (this.standalone === s) this.standalone = undefined;
    });
  }

  /** The answer to request `id`; false when no open POST waits for it (answered, never asked, or its client went away). */
  respond(id: JsonRpcId, line: string): boolean {
    const key = idKey(id);
    const ex = this.byRequest.get(key);
    if (ex === undefined) return false;
    this.byRequest.delete(key);
    if (!ex.waiting.delete(key) || ex.done) return false;
    if (ex.stream) {
      ex.res.write(sseMessage(line));
      if (ex.waiting.size === 0) this.end(ex);
      return true;
    }
    ex.answers.push(line);
    if (ex.waiting.size === 0) {
      const body = ex.batch ? `[${ex.answers.join(',')}]` : ex.answers[0]!;
      ex.res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        'mcp-session-id': this.o.sessionId,
      });
      this.end(ex, body);
    }
    return true;
  }

  /**
   * A request or notification for the client tied to open request `requestId` (its stream, turned into
   * one if it was not yet), or, when that request's POST is gone, to the standalone stream.
   */
  sendRelated(requestId: JsonRpcId, line: string): boolean {
    const ex = this.byRequest.get(idKey(requestId));
    if (ex === undefined || ex.done) return this.sendStandalone(line);
    this.openStream(ex);
    ex.res.write(sseMessage(line));
    return true;
  }

  /** On the GET stream; false when none is open (the message is lost, as the spec allows). */
  sendStandalone(line: string): boolean {
    if (this.standalone === undefined) return false;
    this.standalone.res.write(sseMessage(line));
    return true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends every stream and held POST (the session is over); unanswered requests get no answer. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.upgradeTimer);
    this.upgradeTimer = undefined;
    const open = new Set(this.byRequest.values());
    this.byRequest.clear();
    for (const ex of open) this.abandon(ex);
    const s = this.standalone;
    this.standalone = undefined;
    if (s !== undefined) {
      clearInterval(s.keepAlive);
      s.res.end();
    }
  }

  /** Ends a POST that will get no (more) answers: what it holds is sent, as JSON or as the rest of its stream. */
  private abandon(ex: Exchange): void {
    if (ex.done) return;
    if (!ex.stream && ex.answers.length > 0) {
      const body = ex.batch ? `[${ex.answers.join(',')}]` : ex.answers[0]!;
      ex.res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        'mcp-session-id': this.o.sessionId,
      });
      return this.end(ex, body);
    }
    // Nothing to say: an empty event stream, which a client reads as a stream that ended before its answer.
    if (!ex.stream && !ex.res.headersSent) ex.res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': this.o.sessionId });
    this.end(ex);
  }

  private armUpgrade(delayMs: number): void {
    this.upgradeTimer = setTimeout(() => this.upgradeDue(), Math.max(1, Math.ceil(delayMs)));
    this.upgradeTimer.unref();
  }

  /** Turns every POST held longer than `upgradeAfterMs` into a stream; sleeps again until the next one is due. */
  private upgradeDue(): void {
    this.upgradeTimer = undefined;
    const now = performance.now();
    for (const ex of this.heldJson) {
      const left = ex.since + this.upgradeAfterMs - now;
      if (left > 0) return this.armUpgrade(left);
      this.openStream(ex);
    }
  }

  private keepAliveTimer(res: ServerResponse): NodeJS.Timeout | undefined {
    if (this.keepAliveMs <= 0) return undefined;
    const t = setInterval(() => res.write(SSE_KEEPALIVE), this.keepAliveMs);
    t.unref();
    return t;
  }

  /** Turns a held JSON answer into an event stream, sending the answers it already holds. */
  private openStream(ex: Exchange): void {
    if (ex.stream || ex.done) return;
    ex.stream = true;
    this.heldJson.delete(ex);
    ex.res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': this.o.sessionId });
    ex.res.flushHeaders();
    for (const answer of ex.answers) ex.res.write(sseMessage(answer));
    ex.answers.length = 0;
    ex.keepAlive = this.keepAliveTimer(ex.res);
  }

  private end(ex: Exchange, body?: string): void {
    this.finish(ex);
    ex.res.end(body);
  }

  /** The exchange is over (answered, or its client went away): its timers and open ids go. */
  private finish(ex: Exchange): void {
    if (ex.done) return;
    ex.done = true;
    this.heldJson.delete(ex);
    clearInterval(ex.keepAlive);
    for (const key of ex.waiting) if (this.byRequest.get(key) === ex) this.byRequest.delete(key);
  }
}
