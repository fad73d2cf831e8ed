/**
 * What a parsed client message is — a request, a notification, a response — or the refusal it
 * gets when it is none of them cleanly: an error answer for the client, or a note for the log.
 */
import { errorLine, INVALID_REQUEST, isPlainObject, isValidId, MAX_JSON_DEPTH, type JsonRpcId, type JsonRpcMessage } from './jsonrpc';

/** Longer string ids are refused: ids are kept while requests are open, and no client needs more. */
export const MAX_ID_LENGTH = 1024;

export type ClientMessage =
  | { readonly kind: 'request'; readonly id: JsonRpcId; readonly method: string; readonly msg: JsonRpcMessage }
  | { readonly kind: 'notification'; readonly method: string; readonly msg: JsonRpcMessage }
  | { readonly kind: 'response'; readonly id: JsonRpcId; readonly msg: JsonRpcMessage }
  /** Answer the client with this error line; nothing goes upstream. */
  | { readonly kind: 'refused'; readonly answer: string }
  /** Nothing to answer (no usable id): log why and drop it. */
  | { readonly kind: 'dropped'; readonly why: string };

/** `tooDeep`: the message nests deeper than the guard inspects (a notification is then dropped; the caller handles the rest). */
export function readClientMessage(raw: unknown, tooDeep: boolean): ClientMessage {
  if (!isPlainObject(raw))
    return { kind: 'refused', answer: errorLine(null, INVALID_REQUEST, 'Invalid request: a message must be a JSON object') };
  const msg = raw as JsonRpcMessage;
  const { method } = msg;
  if (typeof method === 'string') {
    if ('result' in msg || 'error' in msg) {
      // Another reader could take it for a response: it is neither, so it goes nowhere.
      return isValidId(msg.id)
        ? {
            kind: 'refused',
            answer: errorLine(msg.id, INVALID_REQUEST, 'Invalid request: a message with a method cannot carry a result or an error'),
          }
        : { kind: 'dropped', why: 'dropped a client message with both a method and a result or error' };
    }
    if (!('id' in msg)) {
      return tooDeep
        ? {
            kind: 'dropped',
            why: `dropped a client notification ${JSON.stringify(method.slice(0, 80))} nested deeper than ${MAX_JSON_DEPTH} levels`,
          }
        : { kind: 'notification', method, msg };
    }
    if (!isValidId(msg.id))
      return { kind: 'refused', answer: errorLine(null, INVALID_REQUEST, 'Invalid request: id must be a string or a number') };
    if (typeof msg.id === 'string' && msg.id.length > MAX_ID_LENGTH) {
      return {
        kind: 'refused',
        answer: errorLine(
          null,
          INVALID_REQUEST,
          `Invalid request: the id is ${msg.id.length} characters long, over MCP Guard's limit of ${MAX_ID_LENGTH}`,
        ),
      };
    }
    return { kind: 'request', id: msg.id, method, msg };
  }
  if ('result' in msg || 'error' in msg) {
    if (!isValidId(msg.id))
      return {
        kind: 'dropped',
        why:
          `dropped a response from the client without a request id ` +
          `(${JSON.stringify(msg.id ?? null)}): it answers nothing the server asked`,
      };
    if ('result' in msg && 'error' in msg)
      return {
        kind: 'dropped',
        why: `dropped a response from the client to request id ${JSON.stringify(msg.id)} with both a result and an error`,
      };
    return { kind: 'response', id: msg.id, msg };
  }
  return {
    kind: 'refused',
    answer: errorLine(isValidId(msg.id) ? msg.id : null, INVALID_REQUEST, 'Invalid request: no method, result or error'),
  };
}
