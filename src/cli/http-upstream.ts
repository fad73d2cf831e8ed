/**
 * `--upstream-url` (`run` and `serve`): the upstream is an MCP server that itself speaks Streamable HTTP. Each guard
 * session (`run`'s one, each of `serve`'s) is one session of that server, through the SDK's client transport: the proxy's lines go out
 * as messages (POST), the server's messages (answers, its requests, the GET stream) come back as lines.
 * There is no process to restart: when the server cannot be reached, the session's upstream is down.
 * `serve` bundles this file; `run` loads it from its own bundle (dist/mcp-guard-http-upstream.js), so a stdio
 * guard in front of a process never loads the SDK's HTTP client.
 */
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { isPlainObject, isValidId, type JsonRpcId } from '../guard/proxy/jsonrpc';
import type { UpstreamLink, UpstreamLinkEvents } from './wiring';

/**
 * fetch with a signal of its own per request, that follows the transport's (which aborts them all
 * when the session ends). The SDK hands every request of a session the same signal, and Node's fetch
 * adds an abort listener to it per request, dropped only when that request is collected; it also
 * lists the signal's listeners on every request, so each call cost more the more requests were not
 * collected yet (in a profile of `serve --upstream-url`, the largest item after the socket writes). A dependent
 * signal from AbortSignal.any holds no listener on the session's.
 */
export const fetchWithOwnSignal: FetchLike = (url, init) =>
  fetch(url, init?.signal ? { ...init, signal: AbortSignal.any([init.signal]) } : init);

/** The JSON-RPC code the guard answers a request with when the server cannot be reached. */
const UNREACHABLE = -32603;

export class HttpUpstream implements UpstreamLink {
  readonly pid = undefined;
  private readonly transport: StreamableHTTPClientTransport;
  /** Notifications are sent in order, and before anything written after them (initialized before the first request). */
  private barrier: Promise<unknown> = Promise.resolve();
  private initializeId: JsonRpcId | undefined;
  private stopping = false;
  private down = false;

  /**
   * `label` names the server in logs (the URL without its query); `headers` go on every request (never logged).
   */
  constructor(
    target: { readonly url: URL; readonly label: string; readonly headers?: Readonly<Record<string, string>> },
    private readonly events: UpstreamLinkEvents,
    private readonly log: (message: string) => void,
  ) {
    const { url, label } = target;
    this.transport = new StreamableHTTPClientTransport(url, {
      fetch: fetchWithOwnSignal,
      ...(target.headers !== undefined ? { requestInit: { headers: { ...target.headers } } } : {}),
    });
    this.transport.onmessage = (message) => {
      const m = message as unknown as Record<string, unknown>;
      // The version the server chose goes on every later request (MCP-Protocol-Version), as the spec asks.
      if (this.initializeId !== undefined && m['id'] === this.initializeId && isPlainObject(m['result'])) {
        const version = m['result']['protocolVersion'];
        if (typeof version === 'string') this.transport.setProtocolVersion(version);
        this.initializeId = undefined;
      }
      events.onData(`${JSON.stringify(message)}\n`);
    };
    this.transport.onerror = (e) => {
      if (!this.stopping) log(`the server at ${label}: ${e.message}`);
    };
    this.transport.onclose = () => this.goDown(`the connection to the server at ${label} was closed`);
  }

  start(): void {
    void this.transport.start();
  }

  write(data: string): void {
    for (const line of data.split('\n')) {
      if (line === '') continue;
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // The proxy writes only JSON it built itself.
      }
      if (message['method'] === 'initialize' && isValidId(message['id'])) this.initializeId = message['id'];
      const isNotification = typeof message['method'] === 'string' && !('id' in message);
      const sent = this.barrier.then(() => this.transport.send(message as unknown as JSONRPCMessage));
      if (isNotification) this.barrier = sent.catch(() => {});
      sent.catch((e: Error & { code?: number }) => this.failed(message, e));
    }
  }

  /** A message could not be delivered: a request gets an error answer; a lost session takes the upstream down. */
  private failed(message: Record<string, unknown>, e: Error & { code?: number }): void {
    if (this.stopping) return;
    const what = typeof message['method'] === 'string' ? message['method'] : 'a response';
    this.log(`could not send ${what} to the server: ${e.message}`);
    if (typeof message['method'] === 'string' && isValidId(message['id'])) {
      const answer = {
        jsonrpc: '2.0',
        id: message['id'],
        error: { code: UNREACHABLE, message: `the MCP server could not be reached: ${e.message}` },
      };
      this.events.onData(`${JSON.stringify(answer)}\n`);
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
    void this.transport.close();
  }

  /** Ends the server's session (DELETE) and closes the transport. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.transport.sessionId !== undefined) await this.transport.terminateSession().catch(() => {});
    await this.transport.close().catch(() => {});
  }
}

/** What `run` requires from dist/mcp-guard-http-upstream.js. */
export function connectHttpUpstream(
  target: { readonly url: URL; readonly label: string; readonly headers?: Readonly<Record<string, string>> },
  events: UpstreamLinkEvents,
  log: (message: string) => void,
): UpstreamLink {
  return new HttpUpstream(target, events, log);
}
