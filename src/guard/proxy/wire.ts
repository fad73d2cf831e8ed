/**
 * What the guard writes to the upstream: messages rebuilt from what it parsed and decided on,
 * framed so that every reader sees exactly one message per line.
 *
 * Readers disagree on where a line ends. The MCP TypeScript SDK splits on `\n` only; the Python
 * SDK reads stdin through a text wrapper with universal newlines, where a bare `\r` ends a line
 * too; `str.splitlines` and some JavaScript line readers also break on U+0085, U+2028 and U+2029.
 * `JSON.parse` accepts a raw `\r` as whitespace between tokens, so a line the guard reads as one
 * message could be several messages to a Python server. Re-serialising removes every raw line
 * terminator outside strings, and `JSON.stringify` escapes `\r`, `\n` and the other C0 controls
 * inside strings; the three non-ASCII terminators it leaves raw are escaped here. A structural
 * character is always ASCII, so those three can only occur inside a string, where `\uXXXX` means
 * the same character to every JSON reader.
 */
import type { JsonRpcId } from './jsonrpc';

const NON_ASCII_TERMINATORS = /[\u0085\u2028\u2029]/g;

function escapeTerminator(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** One line of JSON text with no character any common reader takes for a line end (no trailing newline). */
export function wireLine(value: unknown): string {
  const text = JSON.stringify(value);
  // indexOf is ~25x cheaper than a regex test here (on a one-byte string it cannot find a
  // two-byte character), and most messages have none of the three.
  if (text.indexOf('\u2028') === -1 && text.indexOf('\u2029') === -1 && text.indexOf('\u0085') === -1) return text;
  return text.replace(NON_ASCII_TERMINATORS, escapeTerminator);
}

/** Line terminators of any reader: `\n`, `\r`, VT, FF, the file/group/record separators, NEL, LS, PS. */
export const ANY_LINE_TERMINATOR = /[\n\r\v\f\x1c-\x1e\u0085\u2028\u2029]/;

/**
 * A client request, notification or response as the upstream gets it: the JSON-RPC fields and
 * nothing else, so no field the guard did not look at (a stray `result` on a request, say) can
 * make another parser read the message as something else.
 */
export function requestMessage(id: JsonRpcId, method: string, params: unknown): Record<string, unknown> {
  return params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
}

export function notificationMessage(method: string, params: unknown): Record<string, unknown> {
  return params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
}

export function responseMessage(id: JsonRpcId, msg: { readonly result?: unknown; readonly error?: unknown }): Record<string, unknown> {
  return 'error' in msg ? { jsonrpc: '2.0', id, error: msg.error } : { jsonrpc: '2.0', id, result: msg.result };
}

/**
 * A server's line as the client gets it: byte for byte when no reader could split it (most lines),
 * else rebuilt like a client message, so a Python client reading with universal newlines sees the
 * messages the guard routed and filtered, no more. Undefined when it is too deep to rebuild.
 */
export function lineForAnyReader(value: unknown, line: string, rebuild: (value: unknown) => string | undefined): string | undefined {
  const raw = line.indexOf('\r') !== -1 || line.indexOf('\u2028') !== -1 || line.indexOf('\u2029') !== -1 || line.indexOf('\u0085') !== -1;
  return raw ? rebuild(value) : line;
}
