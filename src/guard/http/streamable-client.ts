/**
 * The client side of Streamable HTTP (MCP spec 2025-06-18 / 2025-11-25, basic/transports) on undici's
 * dispatcher with kept-alive connections: what the guard needs to be one session of an upstream MCP
 * server. POST one message (its body a JSON text the guard already holds) and read the answer,
 * `application/json` (one message or a batch) or `text/event-stream`; 202 for notifications and
 * responses; the session id the server assigned and the negotiated protocol version on every later
 * request; the GET stream for the server's own messages (405: the server has none; reopened when it
 * drops, resumed with Last-Event-ID when the server numbered its events); DELETE to end the session.
 * A POST's event stream that ends before answering its request is resumed the same way when it had
 * event ids, else the request fails. Redirects are followed only to the same origin, with 307/308
 * (method and body kept), as the SDK's client does by default.
 *
 * undici rather than node:http: measured in `npm run bench` (serve section), a call's round trip to the
 * upstream costs the guard some 70 µs of CPU less (no ClientRequest, IncomingMessage or stream per
 * call; its handler is called with the answer's parts). A request that may have reached the server is
 * never sent twice: undici resends only what it had not yet written to a socket.
 *
 * Messages come back as JSON texts on one line; they are read only as far as needed (answers to the
 * POST's own request, the initialize result's version are the caller's business).
 */
import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher } from 'undici';
import UndiciAgent from 'undici/lib/dispatcher/agent.js';
import { CappedChunks } from '../util/capped-chunks';
import { SseParser } from './sse';

/**
 * Kept-alive connections shared by every session of the process (an HTTP connection belongs to no MCP
 * session). No timeouts of undici's own: a tool may work, and an event stream stay quiet, for as long as
 * the guard's --call-timeout and the server allow.
 */
let sharedAgent: Dispatcher | undefined;
function agent(): Dispatcher {
  return (sharedAgent ??= new UndiciAgent({ headersTimeout: 0, bodyTimeout: 0 }));
}

export class StreamableHttpError extends Error {
  constructor(
    /** The HTTP status, or -1 when no usable answer came. */
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface StreamableClientOptions {
  readonly url: URL;
  /** Sent on every request, after the protocol's own (so they may not be overridden by accident: they win). */
  readonly headers?: Readonly<Record<string, string>>;
  /** One message from the server, as a JSON text on one line. */
  readonly onMessage: (json: string) => void;
  /** A problem that is no request's failure (the GET stream could not be opened, an event that is not JSON). */
  readonly onError: (e: Error) => void;
  /**
   * The longest answer body (JSON) or event (SSE) read, in bytes (the guard's --max-message-bytes): past
   * it the answer is cut off and its request fails, so no server can make the guard buffer more.
   */
  readonly maxBodyBytes: number;
  /** Reconnection of the GET stream: tries and first delay (grown 1.5 times each try). */
  readonly reconnect?: { readonly tries: number; readonly delayMs: number };
}

const MAX_REDIRECTS = 3;

type Headers = Record<string, string>;

/** An answer's status and headers, and how to stop reading it. */
interface AnswerHead {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Stops the answer (its connection is closed); the reader's `error` gets `reason`. */
  abort(reason: Error): void;
}

/** What is done with an answer's body as it comes; each is called at most once but `data`. */
interface AnswerReader {
  data(chunk: Buffer): void;
  end(): void;
  error(e: Error): void;
}

/** The answer's head (or why none came); returns what reads its body, or nothing to let the body go by. */
type OnHead = (e: Error | undefined, head?: AnswerHead) => AnswerReader | undefined;

function header(head: AnswerHead, name: string): string | undefined {
  const v = head.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A JSON text on one line: outside strings a line break is only whitespace, and inside one it cannot be raw. */
function oneLine(json: string): string {
  return json.includes('\n') || json.includes('\r') ? json.replace(/[\r\n]/g, ' ') : json;
}

function mediaType(head: AnswerHead): string {
  return (header(head, 'content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/** The longest error body read for the message of an HTTP error (only its start is shown). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

const closedError = () => new StreamableHttpError(-1, 'the connection to the server is closed');

/**
 * Reads an answer's body to its end; `done` is called once, with the text or what went wrong. A body
 * over `maxBytes` is not kept: the answer is aborted and `done` gets an error.
 */
function collectText(head: AnswerHead, maxBytes: number, done: (e: Error | undefined, text: string) => void): AnswerReader {
  const body = new CappedChunks(maxBytes);
  let finished = false;
  const finish = (e: Error | undefined, text: string) => {
    if (finished) return;
    finished = true;
    done(e, text);
  };
  return {
    data(c) {
      if (finished || body.add(c)) return;
      const e = new StreamableHttpError(-1, `the server's answer is over ${maxBytes} bytes (--max-message-bytes): not read`);
      finish(e, '');
      head.abort(e);
    },
    end: () => finish(undefined, body.text()),
    error: (e) => finish(e, ''),
  };
}

/** The `id` of a response, read with a full parse only when the text may be one (a request or notification has a method). */
function responseId(json: string): unknown {
  try {
    const m = JSON.parse(json) as Record<string, unknown>;
    return m !== null && typeof m === 'object' && !('method' in m) ? m['id'] : undefined;
  } catch {
    return undefined;
  }
}

/** One HTTP request and its answer, as undici's dispatcher reports them. */
class HttpExchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private reader: AnswerReader | undefined;
  /** The head (or a failure) was reported: from now on only the reader hears of this answer. */
  private headSeen = false;

  constructor(
    private readonly isClosed: () => boolean,
    private readonly forget: (ex: HttpExchange) => void,
    private readonly onHead: OnHead,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Queued before the client closed, started after: never sent.
    if (this.isClosed()) controller.abort(closedError());
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200 || this.headSeen) return; // 1xx: the real answer follows.
    this.headSeen = true;
    this.reader = this.onHead(undefined, { status: statusCode, headers, abort: (reason) => controller.abort(reason) });
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.reader?.data(chunk);
  }

  onResponseEnd(): void {
    this.forget(this);
    this.reader?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, e: Error): void {
    this.forget(this);
    if (this.isClosed()) e = closedError();
    if (!this.headSeen) {
      this.headSeen = true;
      this.onHead(e);
    } else this.reader?.error(e);
  }

  /** Stops the exchange (the client closes): its reader, or its caller, hears why. */
  abort(reason: Error): void {
    if (this.controller !== undefined) this.controller.abort(reason);
  }
}

export class StreamableHttpClient {
  sessionId: string | undefined;
  /** The version the server chose at initialize: sent as MCP-Protocol-Version on every later request. */
  protocolVersion: string | undefined;
  private readonly open = new Set<HttpExchange>();
  private closed = false;
  /** The GET stream is open, being opened, or known not to exist (405). */
  private getActive = false;
  /** DELETE sent: the GET stream the server ends is not reopened. */
  private ending = false;
  private getTimer: NodeJS.Timeout | undefined;
  private readonly tries: number;
  private readonly delayMs: number;
  /** The server's `retry`, in ms, when it sent one. */
  private retryMs: number | undefined;
  private readonly isClosed = () => this.closed;
  private readonly forget = (ex: HttpExchange) => void this.open.delete(ex);

  constructor(private readonly o: StreamableClientOptions) {
    this.tries = o.reconnect?.tries ?? 2;
    this.delayMs = o.reconnect?.delayMs ?? 1000;
  }

  /** The headers of a POST while the session id and version stay as they were (built once, not per call). */
  private postHeaders: { sessionId: string | undefined; version: string | undefined; headers: Headers } | undefined;

  private headers(extra: Headers): Headers {
    const h: Headers = { ...extra };
    if (this.sessionId !== undefined) h['mcp-session-id'] = this.sessionId;
    if (this.protocolVersion !== undefined) h['mcp-protocol-version'] = this.protocolVersion;
    if (this.o.headers !== undefined) Object.assign(h, this.o.headers);
    return h;
  }

  /**
   * One HTTP request; `onHead` is called once, with the answer's head or why none came, and returns
   * what reads the body. Redirects (307/308, same origin) are followed here.
   */
  private send(method: string, headers: Headers, body: string | undefined, onHead: OnHead, url = this.o.url, hops = 0): void {
    if (this.closed) return void onHead(closedError());
    const ex = new HttpExchange(this.isClosed, this.forget, (e, head) => {
      if (e !== undefined || head === undefined) return onHead(e);
      const status = head.status;
      const location = header(head, 'location');
      if ((status === 307 || status === 308) && location !== undefined) {
        let next: URL | undefined;
        try {
          next = new URL(location, url);
        } catch {
          // Not a URL: refused below like another origin.
        }
        if (next === undefined || next.origin !== this.o.url.origin || hops >= MAX_REDIRECTS) {
          const where = next === undefined ? JSON.stringify(location.slice(0, 200)) : `${next.origin}${next.pathname}`;
          onHead(new StreamableHttpError(status, `redirected to ${where}: not followed (another origin, or too many)`));
        } else this.send(method, headers, body, onHead, next, hops + 1);
        return undefined;
      }
      return onHead(undefined, head);
    });
    this.open.add(ex);
    try {
      agent().dispatch(
        { origin: url.origin, path: `${url.pathname}${url.search}`, method: method as Dispatcher.HttpMethod, headers, body: body ?? null },
        ex,
      );
    } catch (e) {
      // undici refuses a request it cannot send (a header it will not write) at once.
      this.open.delete(ex);
      onHead(e as Error);
    }
  }

  /**
   * POSTs one JSON-RPC message (`json`, a JSON text); `answerId` is its id when it is a request. Resolves
   * once the answer is read (for an event stream: once it carried the answer and ended); rejects with
   * a StreamableHttpError for an HTTP error, or when no answer came.
   */
  post(json: string, answerId?: unknown): Promise<void> {
    return new Promise((resolve, reject) => this.postThen(json, answerId, (e) => (e === undefined ? resolve() : reject(e))));
  }

  /** `post` with a callback, called once: what the guard's usual message uses (no promise per call). */
  postThen(json: string, answerId: unknown, done: (e: Error | undefined) => void): void {
    let cached = this.postHeaders;
    if (cached === undefined || cached.sessionId !== this.sessionId || cached.version !== this.protocolVersion) {
      cached = {
        sessionId: this.sessionId,
        version: this.protocolVersion,
        headers: this.headers({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' }),
      };
      this.postHeaders = cached;
    }
    let settled = false;
    const finish = (e?: Error): void => {
      if (settled) return;
      settled = true;
      done(e);
    };
    // undici sets Content-Length from the body, and copies the headers it is given.
    this.send('POST', cached.headers, json, (e, head) => {
      if (e !== undefined) return void finish(e);
      try {
        return this.postAnswered(head!, answerId, finish, finish);
      } catch (err) {
        finish(err as Error);
        return undefined;
      }
    });
  }

  private postAnswered(head: AnswerHead, answerId: unknown, resolve: () => void, reject: (e: Error) => void): AnswerReader | undefined {
    const sid = header(head, 'mcp-session-id');
    if (sid !== undefined && sid !== '') this.sessionId = sid;
    const status = head.status;
    if (status < 200 || status > 299) {
      return collectText(head, MAX_ERROR_BODY_BYTES, (_e, text) =>
        reject(new StreamableHttpError(status, `Error POSTing to endpoint (HTTP ${status}): ${text.slice(0, 500)}`)),
      );
    }
    if (status === 202 || answerId === undefined) {
      resolve();
      return undefined;
    }
    const type = mediaType(head);
    if (type === 'application/json') {
      return collectText(head, this.o.maxBodyBytes, (e, text) => {
        if (e !== undefined) return reject(e);
        try {
          const start = text.trimStart();
          if (start.startsWith('[')) {
            for (const m of JSON.parse(start) as unknown[]) this.o.onMessage(JSON.stringify(m));
          } else if (start !== '') this.o.onMessage(oneLine(text));
        } catch (err) {
          return reject(err as Error);
        }
        resolve();
      });
    }
    if (type !== 'text/event-stream') {
      reject(new StreamableHttpError(-1, `Unexpected content type: ${header(head, 'content-type') ?? '(none)'}`));
      return undefined;
    }
    return this.readStream(head, answerId, ({ answered, lastEventId }) => {
      if (answered) return resolve();
      // The stream ended first: resumable only if the server numbered its events.
      const failed = () => reject(new StreamableHttpError(-1, 'the server ended its event stream before answering'));
      if (lastEventId === undefined) return failed();
      this.resume(lastEventId, answerId).then((ok) => (ok ? resolve() : failed()), failed);
    });
  }

  /** Reads an event stream to its end; `answerId`: whether the answer to that request came on it. */
  private readStream(
    head: AnswerHead,
    answerId: unknown,
    done: (r: { answered: boolean; lastEventId: string | undefined }) => void,
  ): AnswerReader {
    let answered = false;
    let finished = false;
    // Characters received since the last event: one event longer than the cap is cut off with its stream.
    let pending = 0;
    const parser = new SseParser((event) => {
      pending = 0;
      if (event.event !== 'message') return;
      const json = oneLine(event.data);
      if (answerId !== undefined && !answered && responseId(json) === answerId) answered = true;
      this.o.onMessage(json);
    });
    // A character split across two chunks is joined, not garbled.
    const decoder = new StringDecoder('utf8');
    const finish = () => {
      if (finished) return;
      finished = true;
      if (parser.retryMs !== undefined) this.retryMs = parser.retryMs;
      done({ answered, lastEventId: parser.lastEventId });
    };
    return {
      data: (c) => {
        if (finished) return;
        const chunk = decoder.write(c);
        pending += chunk.length;
        if (pending > this.o.maxBodyBytes) {
          this.o.onError(
            new StreamableHttpError(
              -1,
              `an event of the server's stream is over ${this.o.maxBodyBytes} bytes (--max-message-bytes): the stream was cut off`,
            ),
          );
          finish();
          return head.abort(new StreamableHttpError(-1, 'the event stream was cut off'));
        }
        parser.push(chunk);
      },
      end: finish,
      error: finish,
    };
  }

  /**
   * GET an event stream and read it to its end; `status` alone when the server answered with something else
   * (the body let go), an error when no answer came.
   */
  private getStream(
    headers: Headers,
    answerId: unknown,
  ): Promise<{ status: number; stream?: { answered: boolean; lastEventId: string | undefined } }> {
    return new Promise((resolve, reject) => {
      this.send('GET', headers, undefined, (e, head) => {
        if (e !== undefined) return void reject(e);
        if (head!.status !== 200 || mediaType(head!) !== 'text/event-stream') return void resolve({ status: head!.status });
        return this.readStream(head!, answerId, (stream) => resolve({ status: 200, stream }));
      });
    });
  }

  /** GET with Last-Event-ID, for the rest of a POST's stream; true once the answer came. */
  private async resume(lastEventId: string, answerId: unknown): Promise<boolean> {
    let last = lastEventId;
    for (let attempt = 0; attempt < this.tries && !this.closed; attempt++) {
      await new Promise((r) => setTimeout(r, this.retryMs ?? this.delayMs * 1.5 ** attempt));
      try {
        const { stream } = await this.getStream(this.headers({ accept: 'text/event-stream', 'last-event-id': last }), answerId);
        if (stream === undefined) return false;
        if (stream.answered) return true;
        last = stream.lastEventId ?? last;
      } catch {
        // Tried again below, or given up.
      }
    }
    return false;
  }

  /** Opens the standalone GET stream (after initialize); reopened when it drops, until close. */
  openGetStream(attempt = 0, lastEventId?: string): void {
    if (this.closed || this.ending || this.getActive) return;
    const headers = this.headers({ accept: 'text/event-stream', ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}) });
    const again = (last: string | undefined, next: number) => {
      this.getActive = false;
      if (this.closed || this.ending) return;
      if (next >= this.tries) {
        this.o.onError(new Error(`the server's event stream (GET) dropped; reopened ${this.tries} times, given up`));
        return;
      }
      this.getTimer = setTimeout(() => this.openGetStream(next, last), this.retryMs ?? this.delayMs * 1.5 ** next);
      this.getTimer.unref();
    };
    this.getActive = true;
    this.getStream(headers, undefined).then(
      ({ status, stream }) => {
        // 405: the server offers no stream of its own messages.
        if (status === 405) return;
        if (stream === undefined) {
          this.getActive = false;
          this.o.onError(new StreamableHttpError(status, `Failed to open SSE stream: HTTP ${status}`));
          return;
        }
        // A stream that ran (it opened) counts as a fresh start for the tries.
        again(stream.lastEventId ?? lastEventId, 0);
      },
      (e: Error) => {
        if (this.closed || this.ending) return;
        this.o.onError(new Error(`Failed to open SSE stream: ${e.message}`));
        again(lastEventId, attempt + 1);
      },
    );
  }

  /** DELETE: ends the server's session (405 from a server that does not let clients end sessions is fine). */
  async terminate(): Promise<void> {
    if (this.sessionId === undefined) return;
    this.ending = true;
    const status = await new Promise<number>((resolve, reject) =>
      this.send('DELETE', this.headers({}), undefined, (e, head) => void (e !== undefined ? reject(e) : resolve(head!.status))),
    );
    if ((status < 200 || status > 299) && status !== 405)
      throw new StreamableHttpError(status, `Failed to terminate session: HTTP ${status}`);
    this.sessionId = undefined;
  }

  /** Aborts every request in progress and the GET stream; nothing is sent any more. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.getTimer);
    const open = [...this.open];
    this.open.clear();
    for (const ex of open) ex.abort(closedError());
  }
}
