/** JSON-RPC 2.0 framing helpers for MCP's stdio transport (one message per line). */

export type JsonRpcId = string | number;

export interface JsonRpcMessage {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
/** Server-defined: the upstream is gone or did not answer. */
export const UPSTREAM_ERROR = -32000;

export function isValidId(id: unknown): id is JsonRpcId {
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

/** A map key that keeps `1` and `"1"` apart, as JSON-RPC does. */
export function idKey(id: JsonRpcId): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}

export { isPlainObject } from '../util/json';

export function errorLine(id: JsonRpcId | null, code: number, message: string, data?: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } });
}

export function resultLine(id: JsonRpcId, result: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result });
}

export function requestLine(id: JsonRpcId, method: string, params?: unknown): string {
  return JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
}

export function notificationLine(method: string, params?: unknown): string {
  return JSON.stringify(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
}

/**
 * The deepest nesting of arrays and objects the guard accepts in a message it has to
 * inspect or re-serialise. `JSON.parse` copes with any depth, but `JSON.stringify` and every
 * recursive walk do not (V8's stringify overflows the stack at a few thousand levels), so a
 * deeper `tools/call` is denied rather than half-handled. Real tool arguments nest a few
 * levels; 256 leaves ample room.
 */
export const MAX_JSON_DEPTH = 256;

/** The default for `--max-message-bytes`: 16 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * Whether a parsed JSON value nests arrays and objects deeper than `limit` (`[]` is depth 1).
 * Iterative, so it is safe on values of any depth; stops as soon as the limit is passed.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const values: object[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    const children: unknown[] = Array.isArray(v) ? v : Object.values(v);
    for (const child of children) {
      if (child !== null && typeof child === 'object') {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/**
 * A line of `length` characters cannot nest deeper than `limit`: each level takes at least
 * an opening and a closing bracket. Lets the common small message skip the walk.
 */
export function mayNestDeeperThan(length: number, limit: number): boolean {
  return length > 2 * limit;
}

/**
 * Finds the top-level `"id"` of a JSON-RPC message that arrives in pieces and is too large
 * to keep: it reads each piece once and keeps only a few bytes of state, so an oversized
 * request can still be answered with its own id instead of leaving the sender waiting.
 * It only tokenises (strings, nesting); it does not validate the JSON.
 */
export class TopLevelIdScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private topIsObject = false;
  private expectKey = false;
  private capturingKey = false;
  private key = '';
  private capturingValue = false;
  private value = '';
  private raw: string | undefined;
  private sawMethod = false;

  /** Whether the message has a top-level `"method"`: a request or notification, not a response. */
  get hasMethod(): boolean {
    return this.sawMethod;
  }

  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') {
          this.inString = false;
          if (this.capturingKey) {
            this.capturingKey = false;
            if (this.key === 'method') this.sawMethod = true;
            continue;
          }
        }
        if (this.capturingKey) {
          if (this.key.length < 8) this.key += c;
          else this.key = '\u0000';
        } else if (this.capturingValue && this.value.length < 512) this.value += c;
        continue;
      }
      if (this.capturingValue) {
        if (this.depth === 1 && (c === ',' || c === '}')) this.finishValue();
        else if (c === '{' || c === '[') {
          // An object or array is no id.
          this.capturingValue = false;
          this.value = '';
          this.raw = undefined;
        } else {
          if (this.value.length < 512) this.value += c;
          if (c === '"') this.inString = true;
          continue;
        }
      }
      switch (c) {
        case '"':
          this.inString = true;
          if (this.depth === 1 && this.topIsObject && this.expectKey) {
            this.capturingKey = true;
            this.key = '';
            this.expectKey = false;
          }
          break;
        case '{':
        case '[':
          this.depth++;
          if (this.depth === 1) {
            this.topIsObject = c === '{';
            this.expectKey = this.topIsObject;
          }
          break;
        case '}':
        case ']':
          this.depth--;
          break;
        case ':':
          if (this.depth === 1 && this.key === 'id') {
            this.capturingValue = true;
            this.value = '';
          }
          break;
        case ',':
          if (this.depth === 1) {
            this.expectKey = true;
            this.key = '';
          }
          break;
      }
    }
  }

  private finishValue(): void {
    this.capturingValue = false;
    this.raw = this.value.trim();
    this.value = '';
  }

  /** The message's id, or `null` when it has none a response could name. */
  id(): JsonRpcId | null {
    if (this.capturingValue) this.finishValue();
    if (this.raw === undefined || this.raw === '') return null;
    try {
      const id: unknown = JSON.parse(this.raw);
      return isValidId(id) ? id : null;
    } catch {
      return null;
    }
  }
}
