/**
 * Reads a request body with a cap (--max-message-bytes): a body announced or found to be longer is
 * refused as soon as that is known, so no client can make the guard buffer more than the cap.
 */
import type { IncomingMessage } from 'node:http';

export type BodyResult =
  { readonly kind: 'ok'; readonly text: string } | { readonly kind: 'too-large'; readonly bytes: number } | { readonly kind: 'aborted' };

export function readCappedBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const announced = Number(req.headers['content-length']);
  if (Number.isFinite(announced) && announced > maxBytes) {
    // Not a byte of it is read: the caller answers 413 and closes the connection.
    return Promise.resolve({ kind: 'too-large', bytes: announced });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let done = false;
    const finish = (result: BodyResult) => {
      if (done) return;
      done = true;
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      bytes += chunk.length;
      if (bytes > maxBytes) {
        chunks.length = 0;
        req.pause();
        finish({ kind: 'too-large', bytes });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => finish({ kind: 'ok', text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', () => finish({ kind: 'aborted' }));
    req.on('close', () => finish({ kind: 'aborted' }));
  });
}
