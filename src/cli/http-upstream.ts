/**
 * `--upstream-url` (`run` and `serve`): the upstream is an MCP server that itself speaks Streamable HTTP. Each guard
 * session (`run`'s one, each of `serve`'s) is one session of that server, through the lean client of
 * guard/http/streamable-client.ts (undici's dispatcher, kept-alive connections): the proxy's lines go out as
 * POST bodies as they are, the server's messages (answers, its requests, the GET stream) come back as lines.
 * There is no process to restart: when the server cannot be reached, the session's upstream is down.
 * `serve` bundles this file; `run` loads it from its own bundle (dist/mcp-guard-http-upstream.js), so a stdio
 * guard in front of a process never loads the HTTP client.
 */
import { StreamableHttpClient, type StreamableHttpError } from '../guard/http/streamable-client';
import type { LineMessage } from '../guard/proxy/channel';
import { DEFAULT_MAX_MESSAGE_BYTES, isPlainObject, isValidId, type JsonRpcId } from '../guard/proxy/jsonrpc';
import { forEachLine } from '../guard/util/line-splitter';
import type { UpstreamLink, UpstreamLinkEvents } from './wiring';

/** Where the upstream is: `label` names it in logs (the URL without its query); `headers` go on every request (never logged). */
export interface HttpUpstreamTarget {
  readonly url: URL;
  readonly label: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** --max-message-bytes: the longest answer or event read from the server (default DEFAULT_MAX_MESSAGE_BYTES). */
  readonly maxMessageBytes?: number;
}

/** The JSON-RPC code the guard answers a request with when the server cannot be reached. */
const UNREACHABLE = -32603;

export class HttpUpstream implements UpstreamLink {
  readonly pid = undefined;
  private readonly client: StreamableHttpClient;
  /** Notifications are sent in order, and before anything written after them (initialized before the first request). */
  private barrier: Promise<unknown> = Promise.resolve();
  /** Notifications whose POST has not ended, and messages waiting behind them: with neither, a message is sent at once. */
  private notificationsInFlight = 0;
  private waiting = 0;
  private initializeId: JsonRpcId | undefined;
  private stopping = false;
  private down = false;
  private readonly label: string;

  /**
   * `label` names the server in logs (the URL without its query); `headers` go on every request (never logged).
   */
  constructor(
    target: HttpUpstreamTarget,
    private readonly events: UpstreamLinkEvents,
    private readonly log: (message: string) => void,
  ) {
    const { url, label } = target;
    this.label = label;
    this.client = new StreamableHttpClient({
      url,
      ...(target.headers !== undefined ? { headers: target.headers } : {}),
      maxBodyBytes: target.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      onMessage: (json) => {
        // The version the server chose goes on every later request (MCP-Protocol-Version), as the spec asks.
        if (this.initializeId !== undefined) this.readInitializeAnswer(json);
        events.onLine(json);
      },
      onError: (e) => {
        if (!this.stopping) log(`the server at ${label}: ${e.message}`);
      },
    });
  }

  private readInitializeAnswer(json: string): void {
    let m: unknown;
    try {
      m = JSON.parse(json);
    } catch {
      return;
    }
    if (!isPlainObject(m) || m['id'] !== this.initializeId || !isPlainObject(m['result'])) return;
    const version = m['result']['protocolVersion'];
    if (typeof version === 'string') this.client.protocolVersion = version;
    this.initializeId = undefined;
  }

  start(): void {}

  write(data: string): void {
    forEachLine(data, (line) => this.writeLine(line, undefined));
  }

  /** One message of the proxy: `msg` tells its id and method when the proxy has them, else the line is read for them. */
  writeLine(line: string, msg: LineMessage | undefined): void {
    let message: LineMessage;
    if (msg !== undefined) message = msg;
    else {
      try {
        message = JSON.parse(line) as LineMessage;
      } catch {
        return; // The proxy writes only JSON it built itself.
      }
    }
    const method = message.method;
    const isRequest = typeof method === 'string' && isValidId(message.id);
    if (method === 'initialize' && isRequest) this.initializeId = message.id as JsonRpcId;
    const isNotification = typeof method === 'string' && !('id' in message);
    const nothingAhead = this.notificationsInFlight === 0 && this.waiting === 0;
    if (!isNotification && nothingAhead) {
      // The usual message (a request, with nothing ahead of it): sent at once, its outcome by callback, no promise.
      this.client.postThen(line, isRequest ? message.id : undefined, (e) => {
        // Never within the proxy's own write (a client already closed fails at once): a failure answers later, as it always did.
        if (e !== undefined) queueMicrotask(() => this.failed(message, e));
      });
      return;
    }
    // The proxy's line is the body as it is: one JSON text it built or checked.
    const send = () => this.client.post(line, isRequest ? message.id : undefined);
    let sent: Promise<void>;
    if (nothingAhead) sent = send();
    else {
      this.waiting++;
      sent = this.barrier.then(() => {
        this.waiting--;
        return send();
      });
    }
    if (isNotification) {
      this.notificationsInFlight++;
      this.barrier = sent.then(
        () => {
          this.notificationsInFlight--;
          // After the client's `initialized`, the server may send its own messages on the GET stream.
          if (method === 'notifications/initialized') this.client.openGetStream();
        },
        () => void this.notificationsInFlight--,
      );
    }
    sent.catch((e: StreamableHttpError) => this.failed(message, e));
  }

  /** A message could not be delivered: a request gets an error answer; a lost session takes the upstream down. */
  private failed(message: LineMessage, e: Error & { code?: number | string }): void {
    if (this.stopping) return;
    const what = typeof message.method === 'string' ? message.method : 'a response';
    this.log(`could not send ${what} to the server: ${e.message}`);
    if (typeof message.method === 'string' && isValidId(message.id)) {
      const answer = {
        jsonrpc: '2.0',
        id: message.id,
        error: { code: UNREACHABLE, message: `the MCP server could not be reached: ${e.message}` },
      };
      this.events.onLine(JSON.stringify(answer));
    }
    // 404: the server forgot the session (restarted, expired); nothing sent later can succeed.
    if (e.code === 404) this.goDown('the server ended its session (404)');
  }

  private goDown(cause: string): void {
    if (this.stopping || this.down) return;
    this.down = true;
    this.events.onDown(cause);
  }

  markReady(): void {}

  killCurrent(): void {
    this.client.close();
    this.goDown(`the connection to the server at ${this.label} was closed`);
  }

  /** Ends the server's session (DELETE) and closes the connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.client.terminate().catch(() => {});
    this.client.close();
  }
}

/** What `run` requires from dist/mcp-guard-http-upstream.js. */
export function connectHttpUpstream(target: HttpUpstreamTarget, events: UpstreamLinkEvents, log: (message: string) => void): UpstreamLink {
  return new HttpUpstream(target, events, log);
}
