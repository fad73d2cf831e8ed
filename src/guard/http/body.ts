/**
 * Reads a request body with a cap (--max-message-bytes): a body announced or found to be longer is
 * refused as soon as that is known, so no client can make the guard buffer more than the cap.
 */
import type { IncomingMessage } from 'node:http';
import { CappedChunks } from '../util/capped-chunks';

export type BodyResult =
  { readonly kind: 'ok'; readonly text: string } | { readonly kind: 'too-large'; readonly bytes: number } | { readonly kind: 'aborted' };

export function readCappedBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  return new Promise((resolve) => readBody(req, maxBytes, resolve));
}

/** readCappedBody with a callback, called once: what serve's request handler uses (no promise per request). */
export function readBody(req: IncomingMessage, maxBytes: number, done: (result: BodyResult) => void): void {
  const announced = Number(req.headers['content-length']);
  if (Number.isFinite(announced) && announced > maxBytes) {
    // Not a byte of it is read: the caller answers 413 and closes the connection.
    return done({ kind: 'too-large', bytes: announced });
  }
  const body = new CappedChunks(maxBytes);
  let finished = false;
  const finish = (result: BodyResult) => {
    if (finished) return;
    finished = true;
    done(result);
  };
  req.on('data', (chunk: Buffer) => {
    if (finished || body.add(chunk)) return;
    req.pause();
    finish({ kind: 'too-large', bytes: body.bytes });
  });
  req.on('end', () => finish({ kind: 'ok', text: body.text() }));
  req.on('error', () => finish({ kind: 'aborted' }));
  req.on('close', () => finish({ kind: 'aborted' }));
}
