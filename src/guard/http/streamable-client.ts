/**
 * The client side of Streamable HTTP (MCP spec 2025-06-18 / 2025-11-25, basic/transports) on node:http
 * and node:https with kept-alive connections: what the guard needs to be one session of an upstream
 * MCP server. POST one message (its body a JSON text the guard already holds) and read the answer,
 * `application/json` (one message or a batch) or `text/event-stream`; 202 for notifications and
 * responses; the session id the server assigned and the negotiated protocol version on every later
 * request; the GET stream for the server's own messages (405: the server has none; reopened when it
 * drops, resumed with Last-Event-ID when the server numbered its events); DELETE to end the session.
 * A POST's event stream that ends before answering its request is resumed the same way when it had
 * event ids, else the request fails. Redirects are followed only to the same origin, with 307/308
 * (method and body kept), as the SDK's client does by default.
 *
 * Messages come back as JSON texts on one line; they are read only as far as needed (answers to the
 * POST's own request, the initialize result's version are the caller's business).
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SseParser } from './sse';

/** Kept-alive sockets shared by every session of the process (an HTTP connection belongs to no MCP session). */
const agents = {
  http: new HttpAgent({ keepAlive: true }),
  https: new HttpsAgent({ keepAlive: true }),
};

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

/** A JSON text on one line: outside strings a line break is only whitespace, and inside one it cannot be raw. */
function oneLine(json: string): string {
  return json.includes('\n') || json.includes('\r') ? json.replace(/[\r\n]/g, ' ') : json;
}

function mediaType(res: IncomingMessage): string {
  return (res.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/** The longest error body read for the message of an HTTP error (only its start is shown). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Reads an answer's body to its end; `done` is called once, with the text or what went wrong. A body
 * over `maxBytes` is not kept: the answer is destroyed and `done` gets an error.
 */
function collectText(res: IncomingMessage, maxBytes: number, done: (e: Error | undefined, text: string) => void): void {
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let bytes = 0;
  let finished = false;
  const finish = (e: Error | undefined, text: string) => {
    if (finished) return;
    finished = true;
    done(e, text);
  };
  res.on('data', (c: Buffer) => {
    if (finished) return;
    bytes += c.length;
    if (bytes > maxBytes) {
      first = undefined;
      chunks = undefined;
      // Said first: destroying the answer reports it as cut off.
      finish(new StreamableHttpError(-1, `the server's answer is over ${maxBytes} bytes (--max-message-bytes): not read`), '');
      return void res.destroy();
    }
    if (first === undefined) first = c;
    else (chunks ??= [first]).push(c);
  });
  res.on('end', () => finish(undefined, chunks !== undefined ? Buffer.concat(chunks).toString('utf8') : (first?.toString('utf8') ?? '')));
  res.on('error', (e) => finish(e, ''));
  res.on('aborted', () => finish(new StreamableHttpError(-1, 'the answer was cut off'), ''));
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

export class StreamableHttpClient {
  sessionId: string | undefined;
  /** The version the server chose at initialize: sent as MCP-Protocol-Version on every later request. */
  protocolVersion: string | undefined;
  private readonly open = new Set<ClientRequest>();
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

  constructor(private readonly o: StreamableClientOptions) {
    this.tries = o.reconnect?.tries ?? 2;
    this.delayMs = o.reconnect?.delayMs ?? 1000;
  }

  /** The headers of a POST while the session id and version stay as they were (built once, not per call). */
  private postHeaders: { sessionId: string | undefined; version: string | undefined; headers: OutgoingHttpHeaders } | undefined;

  private headers(extra: OutgoingHttpHeaders): OutgoingHttpHeaders {
    const h: OutgoingHttpHeaders = { ...extra };
    if (this.sessionId !== undefined) h['mcp-session-id'] = this.sessionId;
    if (this.protocolVersion !== undefined) h['mcp-protocol-version'] = this.protocolVersion;
    if (this.o.headers !== undefined) Object.assign(h, this.o.headers);
    return h;
  }

  /**
   * One HTTP request; resolves with the answer once its headers are in. A kept-alive socket the server
   * closed just as it was reused is retried once on a fresh one (the request never reached it).
   */
  private request(method: string, headers: OutgoingHttpHeaders, body?: string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => this.send(method, headers, body, (e, res) => (e === undefined ? resolve(res!) : reject(e))));
  }

  /** `request` with a callback, called once: the POST of every call uses it (no promise per call). */
  private send(
    method: string,
    headers: OutgoingHttpHeaders,
    body: string | undefined,
    done: (e: Error | undefined, res?: IncomingMessage) => void,
    url = this.o.url,
    hops = 0,
  ): void {
    if (this.closed) return done(new StreamableHttpError(-1, 'the connection to the server is closed'));
    // Once answered (or failed), a later error of the same request neither answers again nor resends it.
    let settled = false;
    const resolve = (res: IncomingMessage) => {
      if (settled) return;
      settled = true;
      done(undefined, res);
    };
    const reject = (e: Error) => {
      if (settled) return;
      settled = true;
      done(e);
    };
    const https = url.protocol === 'https:';
    const send = (retry: boolean) => {
      const req = (https ? httpsRequest : httpRequest)(
        {
          protocol: url.protocol,
          hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method,
          headers,
          agent: https ? agents.https : agents.http,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if ((status === 307 || status === 308) && typeof res.headers.location === 'string') {
            res.resume();
            this.open.delete(req);
            const next = new URL(res.headers.location, url);
            if (next.origin !== this.o.url.origin || hops >= MAX_REDIRECTS)
              return reject(
                new StreamableHttpError(status, `redirected to ${next.origin}${next.pathname}: not followed (another origin, or too many)`),
              );
            settled = true;
            return this.send(method, headers, body, done, next, hops + 1);
          }
          res.on('close', () => this.open.delete(req));
          resolve(res);
        },
      );
      this.open.add(req);
      req.on('error', (e: NodeJS.ErrnoException) => {
        this.open.delete(req);
        if (retry && !settled && req.reusedSocket && e.code === 'ECONNRESET' && !this.closed) return send(false);
        reject(this.closed ? new StreamableHttpError(-1, 'the connection to the server is closed') : e);
      });
      req.end(body);
    };
    send(true);
  }

  /**
   * POSTs one JSON-RPC message (`json`, a JSON text); `answerId` is its id when it is a request. Resolves
   * once the answer is read (for an event stream: once it carried the answer and ended); rejects with
   * a StreamableHttpError for an HTTP error, or when no answer came.
   */
  post(json: string, answerId?: unknown): Promise<void> {
    let cached = this.postHeaders;
    if (cached === undefined || cached.sessionId !== this.sessionId || cached.version !== this.protocolVersion) {
      cached = {
        sessionId: this.sessionId,
        version: this.protocolVersion,
        headers: this.headers({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' }),
      };
      this.postHeaders = cached;
    }
    const headers = cached.headers;
    // Callbacks, not awaits, for the usual answer (one JSON body): one promise per call, no async frames.
    return new Promise((resolve, reject) => {
      // node:http copies the headers it is given, and sets Content-Length from the body given to end().
      this.send('POST', headers, json, (e, res) => {
        if (e !== undefined) return reject(e);
        try {
          this.postAnswered(res!, answerId, resolve, reject);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }

  private postAnswered(res: IncomingMessage, answerId: unknown, resolve: () => void, reject: (e: Error) => void): void {
    const sid = res.headers['mcp-session-id'];
    if (typeof sid === 'string' && sid !== '') this.sessionId = sid;
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      return collectText(res, MAX_ERROR_BODY_BYTES, (_e, text) =>
        reject(new StreamableHttpError(status, `Error POSTing to endpoint (HTTP ${status}): ${text.slice(0, 500)}`)),
      );
    }
    if (status === 202 || answerId === undefined) {
      res.resume();
      return resolve();
    }
    const type = mediaType(res);
    if (type === 'application/json') {
      return collectText(res, this.o.maxBodyBytes, (e, text) => {
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
      res.resume();
      return reject(new StreamableHttpError(-1, `Unexpected content type: ${res.headers['content-type'] ?? '(none)'}`));
    }
    this.postStream(res, answerId).then(resolve, reject);
  }

  /** The rest of a POST answered as an event stream: read to its end, resumed when it ends first with event ids. */
  private async postStream(res: IncomingMessage, answerId: unknown): Promise<void> {
    const { answered, lastEventId } = await this.readStream(res, answerId);
    if (answered) return;
    // The stream ended first: resumable only if the server numbered its events.
    if (lastEventId !== undefined && (await this.resume(lastEventId, answerId))) return;
    throw new StreamableHttpError(-1, 'the server ended its event stream before answering');
  }

  /** Reads an event stream to its end; `answerId`: whether the answer to that request came on it. */
  private readStream(res: IncomingMessage, answerId?: unknown): Promise<{ answered: boolean; lastEventId: string | undefined }> {
    return new Promise((resolve) => {
      let answered = false;
      // Characters received since the last event: one event longer than the cap is cut off with its stream.
      let pending = 0;
      const parser = new SseParser((event) => {
        pending = 0;
        if (event.event !== 'message') return;
        const json = oneLine(event.data);
        if (answerId !== undefined && !answered && responseId(json) === answerId) answered = true;
        this.o.onMessage(json);
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk.length;
        if (pending > this.o.maxBodyBytes) {
          res.destroy();
          this.o.onError(
            new StreamableHttpError(
              -1,
              `an event of the server's stream is over ${this.o.maxBodyBytes} bytes (--max-message-bytes): the stream was cut off`,
            ),
          );
          return;
        }
        parser.push(chunk);
      });
      const done = () => {
        if (parser.retryMs !== undefined) this.retryMs = parser.retryMs;
        resolve({ answered, lastEventId: parser.lastEventId });
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
  }

  /** GET with Last-Event-ID, for the rest of a POST's stream; true once the answer came. */
  private async resume(lastEventId: string, answerId: unknown): Promise<boolean> {
    let last = lastEventId;
    for (let attempt = 0; attempt < this.tries && !this.closed; attempt++) {
      await new Promise((r) => setTimeout(r, this.retryMs ?? this.delayMs * 1.5 ** attempt));
      try {
        const res = await this.request('GET', this.headers({ accept: 'text/event-stream', 'last-event-id': last }));
        if (res.statusCode !== 200 || mediaType(res) !== 'text/event-stream') {
          res.resume();
          return false;
        }
        const r = await this.readStream(res, answerId);
        if (r.answered) return true;
        last = r.lastEventId ?? last;
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
    this.request('GET', headers).then(
      async (res) => {
        const status = res.statusCode ?? 0;
        if (status === 405) {
          // The server offers no stream of its own messages.
          res.resume();
          return;
        }
        if (status !== 200 || mediaType(res) !== 'text/event-stream') {
          res.resume();
          this.getActive = false;
          this.o.onError(new StreamableHttpError(status, `Failed to open SSE stream: HTTP ${status}`));
          return;
        }
        const r = await this.readStream(res);
        // A stream that ran (it opened) counts as a fresh start for the tries.
        again(r.lastEventId ?? lastEventId, 0);
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
    const res = await this.request('DELETE', this.headers({}));
    res.resume();
    const status = res.statusCode ?? 0;
    if ((status < 200 || status > 299) && status !== 405)
      throw new StreamableHttpError(status, `Failed to terminate session: HTTP ${status}`);
    this.sessionId = undefined;
  }

  /** Aborts every request in progress and the GET stream; nothing is sent any more. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.getTimer);
    for (const req of this.open) req.destroy();
    this.open.clear();
  }
}
