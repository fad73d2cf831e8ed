/**
 * What `mcp-guard serve` checks of a Streamable HTTP request before any session sees it (MCP spec
 * 2025-06-18 / 2025-11-25, basic/transports): the Accept and Content-Type headers of a POST, the
 * Accept of a GET, the MCP-Protocol-Version header, and the body as JSON-RPC messages. A message is
 * read only as far as routing needs (its kind, id and method): the GuardProxy parses and validates
 * everything it forwards. Pure functions over header values and text, tested without a socket.
 */
import { isPlainObject, isValidId, type JsonRpcId } from '../proxy/jsonrpc';

/** The protocol versions a client may name in MCP-Protocol-Version (the SDK's list when serve was written). */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'];

/** At most this many messages in one batch POST (as the SDK's server transport). */
export const MAX_BATCH = 100;

export interface WireRefusal {
  readonly status: 400 | 406 | 415;
  readonly code: number;
  readonly message: string;
}

/** What MCP clients send (the SDK's client exactly): checked without splitting. */
const USUAL_POST_ACCEPT = 'application/json, text/event-stream';

function accepts(accept: string | undefined, type: string): boolean {
  if (accept === undefined) return false;
  if (accept === USUAL_POST_ACCEPT) return true;
  for (const part of accept.split(',')) {
    const media = part.split(';', 1)[0]!.trim().toLowerCase();
    if (media === type || media === '*/*' || media === `${type.split('/')[0]}/*`) return true;
  }
  return false;
}

/** A POST must accept both answer kinds (406) and carry JSON (415). */
export function postRefusal(accept: string | undefined, contentType: string | undefined): WireRefusal | undefined {
  if (!accepts(accept, 'application/json') || !accepts(accept, 'text/event-stream'))
    return { status: 406, code: -32000, message: 'Not Acceptable: Client must accept both application/json and text/event-stream' };
  const media = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (media !== 'application/json')
    return { status: 415, code: -32000, message: 'Unsupported Media Type: Content-Type must be application/json' };
  return undefined;
}

/** A GET opens an event stream: the client must accept one (406). */
export function getRefusal(accept: string | undefined): WireRefusal | undefined {
  if (!accepts(accept, 'text/event-stream'))
    return { status: 406, code: -32000, message: 'Not Acceptable: Client must accept text/event-stream' };
  return undefined;
}

/**
 * MCP-Protocol-Version on every request after initialize: a version this guard does not know is 400
 * (the spec's MUST). Without the header the spec has the server assume 2025-03-26, which is supported.
 */
export function protocolVersionRefusal(header: string | string[] | undefined): WireRefusal | undefined {
  if (header === undefined) return undefined;
  if (typeof header === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(header)) return undefined;
  return {
    status: 400,
    code: -32000,
    message: `Bad Request: Unsupported protocol version: ${String(header)} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
  };
}

/** One message of a POST body, read as far as routing needs. */
export type WireMessage =
  | { readonly kind: 'request'; readonly id: JsonRpcId; readonly method: string; readonly message: Record<string, unknown> }
  | { readonly kind: 'notification'; readonly method: string; readonly message: Record<string, unknown> }
  | { readonly kind: 'response'; readonly message: Record<string, unknown> };

function classify(m: unknown): WireMessage | undefined {
  if (!isPlainObject(m) || m['jsonrpc'] !== '2.0') return undefined;
  const method = m['method'];
  if (typeof method === 'string') {
    if (!('id' in m)) return { kind: 'notification', method, message: m };
    return isValidId(m['id']) ? { kind: 'request', id: m['id'], method, message: m } : undefined;
  }
  if (method !== undefined || !('id' in m) || !('result' in m || 'error' in m)) return undefined;
  return { kind: 'response', message: m };
}

export type ParsedBody =
  | { readonly kind: 'ok'; readonly messages: readonly WireMessage[]; readonly batch: boolean }
  | { readonly kind: 'refused'; readonly refusal: WireRefusal };

/** A POST body: one JSON-RPC message or a batch of them (the SDK accepts batches, so serve does too). */
export function parseBody(text: string): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'refused', refusal: { status: 400, code: -32700, message: 'Parse error: the body is not valid JSON' } };
  }
  const batch = Array.isArray(value);
  const items: unknown[] = batch ? (value as unknown[]) : [value];
  if (batch && (items.length === 0 || items.length > MAX_BATCH))
    return {
      kind: 'refused',
      refusal: { status: 400, code: -32600, message: `Invalid Request: a batch holds 1 to ${MAX_BATCH} messages` },
    };
  const messages: WireMessage[] = [];
  for (const item of items) {
    const m = classify(item);
    if (m === undefined)
      return {
        kind: 'refused',
        refusal: { status: 400, code: -32600, message: 'Invalid Request: not a JSON-RPC 2.0 request, notification or response' },
      };
    messages.push(m);
  }
  return { kind: 'ok', messages, batch };
}

/** The message as one line for the GuardProxy: `text` itself when it is the whole body (JSON has no raw line break inside a string). */
export function asLine(m: WireMessage, wholeBody: string | undefined): string {
  if (wholeBody === undefined) return JSON.stringify(m.message);
  return wholeBody.includes('\n') || wholeBody.includes('\r') ? wholeBody.replace(/[\r\n]/g, ' ') : wholeBody;
}
