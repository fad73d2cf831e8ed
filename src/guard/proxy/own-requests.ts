/**
 * The guard's own requests: to the client (elicitation for approvals) and to the upstream (its
 * tool list, the restart handshake and replay), each with a response handler keyed by an id no
 * client or server uses, a timeout, and a way to wait for a restarting upstream.
 */
import { randomBytes } from 'node:crypto';
import type { Channel } from './channel';
import { idKey, isPlainObject, notificationLine, requestLine, type JsonRpcMessage } from './jsonrpc';

interface ResponseHandler {
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** The peer answered one of the guard's requests with a JSON-RPC error. */
export class RemoteError extends Error {}

export interface OwnRequestsOptions {
  readonly channel: Channel;
  /** How long the guard waits for its own requests to the upstream. */
  readonly timeoutMs: number;
}

export class OwnRequests {
  /** Unique per process, so the guard's ids never collide with a client's or a server's. */
  readonly idPrefix = `mcp-guard-${randomBytes(4).toString('hex')}-`;
  private nextId = 1;
  private readonly toClient = new Map<string, ResponseHandler>();
  private readonly toUpstream = new Map<string, ResponseHandler>();
  private readonly upWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(private readonly opts: OwnRequestsOptions) {}

  /** A fresh id for a request or an approval, `PREFIX` + counter. */
  nextOwnId(label = ''): string {
    return `${this.idPrefix}${label}${this.nextId++}`;
  }

  /** Takes the client's answer if it is to one of the guard's requests. */
  answeredByClient(key: string, msg: JsonRpcMessage): boolean {
    return settle(this.toClient, key, msg);
  }

  /** Takes the server's answer if it is to one of the guard's requests. */
  answeredByUpstream(key: string, msg: JsonRpcMessage): boolean {
    return settle(this.toUpstream, key, msg);
  }

  /** Fails the guard's own request to the upstream whose answer could not be read; true if it was one. */
  failUpstream(key: string, why: string): boolean {
    const handler = this.toUpstream.get(key);
    if (!handler) return false;
    this.toUpstream.delete(key);
    handler.reject(new Error(`the server's answer could not be read: ${why}`));
    return true;
  }

  requestClient(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const id = this.nextOwnId();
    const key = idKey(id);
    const { channel } = this.opts;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.toClient.delete(key)) return;
        channel.sendDownNow(
          notificationLine('notifications/cancelled', { requestId: id, reason: 'MCP Guard stopped waiting for an answer' }),
        );
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.toClient.set(key, {
        resolve: (r) => {
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      channel.sendDown(requestLine(id, method, params));
    });
  }

  /** `direct` sends past the restart queue (the guard's own handshake with a restarted server). */
  requestUpstream(method: string, params: Record<string, unknown> | undefined, direct = false): Promise<unknown> {
    const id = this.nextOwnId();
    const key = idKey(id);
    const { channel, timeoutMs } = this.opts;
    return new Promise((resolve, reject) => {
      if (channel.upstreamGone !== undefined) return reject(new Error(`the server is not running (${channel.upstreamGone})`));
      const timer = setTimeout(() => {
        if (this.toUpstream.delete(key)) {
          const cancel = notificationLine('notifications/cancelled', { requestId: id, reason: 'timeout' });
          if (direct) channel.sendUpNow(cancel);
          else channel.sendUp(cancel);
          reject(new Error(`the server did not answer ${method} within ${timeoutMs / 1000} s`));
        }
      }, timeoutMs);
      this.toUpstream.set(key, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const line = requestLine(id, method, params);
      if (direct) channel.sendUpNow(line);
      else if (!channel.sendUp(line)) {
        this.toUpstream.delete(key);
        clearTimeout(timer);
        reject(new Error(`the server is not running (${channel.upstreamGone ?? 'restarting'})`));
      }
    });
  }

  /** Resolves when the upstream is up (at once, usually); rejects when it is down or does not come back in time. */
  whenUp(): Promise<void> {
    const { channel, timeoutMs } = this.opts;
    if (channel.upstreamState === 'up') return Promise.resolve();
    if (channel.upstreamState === 'down') return Promise.reject(new Error(`the server is not running (${channel.upstreamGone})`));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.upWaiters.indexOf(waiter);
        if (i !== -1) this.upWaiters.splice(i, 1);
        reject(new Error(`the server is restarting and was not back within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.upWaiters.push(waiter);
    });
  }

  /** The upstream stopped: its answers will never come; waiters fail only when it is down for good. */
  upstreamStopped(cause: string, restarting: boolean): void {
    for (const [, handler] of this.toUpstream) handler.reject(new Error(`the server stopped (${cause})`));
    this.toUpstream.clear();
    if (!restarting) for (const w of this.upWaiters.splice(0)) w.reject(new Error(`the server is not running (${cause})`));
  }

  upstreamBack(): void {
    for (const w of this.upWaiters.splice(0)) w.resolve();
  }
}

function settle(handlers: Map<string, ResponseHandler>, key: string, msg: JsonRpcMessage): boolean {
  const handler = handlers.get(key);
  if (!handler) return false;
  handlers.delete(key);
  if ('error' in msg) handler.reject(new RemoteError(describeRpcError(msg.error)));
  else handler.resolve(msg.result);
  return true;
}

function describeRpcError(error: unknown): string {
  if (isPlainObject(error) && typeof error['message'] === 'string') return error['message'];
  return 'unknown error';
}
