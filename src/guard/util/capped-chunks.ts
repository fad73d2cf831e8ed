/**
 * A body's chunks read up to a cap in bytes (a request body of `serve`, an HTTP upstream's answer): past
 * the cap nothing more is kept, so no peer can make the guard buffer more. The usual single chunk is
 * kept without an array.
 */
export class CappedChunks {
  private first: Buffer | undefined;
  private rest: Buffer[] | undefined;
  /** Bytes offered so far, kept or not. */
  bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Keeps `chunk`; false once the bytes offered pass the cap (what was kept is let go). */
  add(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      this.first = undefined;
      this.rest = undefined;
      return false;
    }
    if (this.first === undefined) this.first = chunk;
    else (this.rest ??= [this.first]).push(chunk);
    return true;
  }

  /** What was kept, as UTF-8 text. */
  text(): string {
    if (this.rest !== undefined) return Buffer.concat(this.rest).toString('utf8');
    return this.first?.toString('utf8') ?? '';
  }
}
