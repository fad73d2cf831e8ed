/**
 * On which HTTP stream of its session a message from the guard to the client goes. Streamable HTTP
 * has no single pipe: a response must go on the stream of the POST that carried its request; a
 * server request or notification may go on the stream of an open client request (which it should
 * relate to) or on the session's GET stream. Many clients open no GET stream, so a message is tied to
 * an open request whenever there is one: progress to the request that asked for it, anything else
 * (the guard's approval elicitation, the server's sampling or logging) to the latest open request.
 * Only this session's requests are ever candidates: routing never crosses sessions.
 */
import { idKey, isPlainObject, isValidId, type JsonRpcId } from '../proxy/jsonrpc';

export type Route =
  /** A response: the transport finds its stream by the id. */
  | { readonly kind: 'response' }
  /** On the stream of this open client request. */
  | { readonly kind: 'related'; readonly requestId: JsonRpcId }
  /** On the session's GET stream (no client request is open). */
  | { readonly kind: 'standalone' }
  /** A response to no request of this client (an id-less error): nowhere to send it. */
  | { readonly kind: 'none' };

function progressKey(token: unknown): string | undefined {
  return isValidId(token) ? idKey(token) : undefined;
}

export class SessionRouting {
  /** Open client requests, oldest first (Map keeps insertion order). */
  private readonly open = new Map<string, { readonly id: JsonRpcId; readonly progress?: string }>();
  /** progressToken → the request that set it. */
  private readonly progress = new Map<string, string>();

  /** A message from the client, as the transport parsed it: requests are remembered until answered. */
  fromClient(msg: unknown): void {
    if (!isPlainObject(msg) || typeof msg['method'] !== 'string' || !isValidId(msg['id'])) return;
    const key = idKey(msg['id']);
    const params = msg['params'];
    const meta = isPlainObject(params) ? params['_meta'] : undefined;
    const progress = isPlainObject(meta) ? progressKey(meta['progressToken']) : undefined;
    this.forget(key);
    this.open.set(key, { id: msg['id'], ...(progress !== undefined ? { progress } : {}) });
    if (progress !== undefined) this.progress.set(progress, key);
  }

  /** Where a message from the guard goes; a response closes its request. */
  toClient(msg: unknown): Route {
    if (!isPlainObject(msg)) return { kind: 'none' };
    if (typeof msg['method'] !== 'string') {
      if (!isValidId(msg['id']) || !this.open.has(idKey(msg['id']))) return { kind: 'none' };
      this.forget(idKey(msg['id']));
      return { kind: 'response' };
    }
    if (msg['method'] === 'notifications/progress' && isPlainObject(msg['params'])) {
      const token = progressKey(msg['params']['progressToken']);
      const owner = token === undefined ? undefined : this.progress.get(token);
      const request = owner === undefined ? undefined : this.open.get(owner);
      if (request !== undefined) return { kind: 'related', requestId: request.id };
    }
    let latest: JsonRpcId | undefined;
    for (const { id } of this.open.values()) latest = id;
    return latest === undefined ? { kind: 'standalone' } : { kind: 'related', requestId: latest };
  }

  /** Client requests not yet answered. */
  get openRequests(): number {
    return this.open.size;
  }

  private forget(key: string): void {
    const request = this.open.get(key);
    if (request === undefined) return;
    this.open.delete(key);
    if (request.progress !== undefined && this.progress.get(request.progress) === key) this.progress.delete(request.progress);
  }
}
