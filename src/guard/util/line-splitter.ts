/** Receives the pieces of a line that is too long to keep, as they arrive. */
export interface OversizeSink {
  feed(text: string): void;
  /** The line ended (or the stream did); `bytes` is its whole length in UTF-8. */
  end(bytes: number): void;
}

export interface LineSplitterOptions {
  /**
   * The longest line kept, in UTF-8 bytes. A longer line is not buffered: what was kept of
   * it and everything up to its newline go to the sink from `onOversize`, piece by piece,
   * and are dropped.
   */
  readonly maxLineBytes?: number;
  readonly onOversize?: () => OversizeSink;
}

/** Each non-empty line of text the proxy wrote whole (newline-terminated lines, no partial ones to keep). */
export function forEachLine(text: string, fn: (line: string) => void): void {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start) fn(text.slice(start, end));
    start = end + 1;
  }
}

const NO_SINK: OversizeSink = { feed: () => {}, end: () => {} };

/**
 * Splits a stream of text into lines (newline-delimited JSON, as MCP's stdio transport frames
 * messages). Blank lines are skipped and a trailing `\r` is removed. With `maxLineBytes`, a
 * line over the limit is discarded as it streams, so memory stays bounded by the limit.
 */
export class LineSplitter {
  private buffer = '';
  /** UTF-8 bytes in `buffer`, counted only when there is a limit. */
  private bufferBytes = 0;
  private oversize: OversizeSink | undefined;
  private oversizeBytes = 0;
  private readonly max: number;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly options: LineSplitterOptions = {},
  ) {
    this.max = options.maxLineBytes ?? Number.POSITIVE_INFINITY;
  }

  push(chunk: string): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (this.oversize) {
        const part = nl === -1 ? chunk.slice(start) : chunk.slice(start, nl);
        this.oversize.feed(part);
        this.oversizeBytes += Buffer.byteLength(part, 'utf8');
        if (nl === -1) return;
        this.endOversize();
        start = nl + 1;
        continue;
      }
      if (nl === -1) {
        if (start < chunk.length) this.keep(start === 0 ? chunk : chunk.slice(start));
        return;
      }
      let line = chunk.slice(start, nl);
      start = nl + 1;
      if (this.buffer !== '') {
        line = this.buffer + line;
        this.buffer = '';
        this.bufferBytes = 0;
      }
      this.complete(line);
    }
  }

  /**
   * One whole line, without its line break (a message its transport delivered whole): what
   * push(`${line}\n`) would do with it, without copying it. `line` must hold no `\n`.
   */
  pushLine(line: string): void {
    if (this.buffer !== '' || this.oversize) return this.push(`${line}\n`);
    this.complete(line);
  }

  /** A line whose end was seen: kept to its limit, its trailing `\r` dropped, skipped when blank. */
  private complete(line: string): void {
    // Fewer than max/3 UTF-16 code units can never exceed max UTF-8 bytes: no count needed.
    if (line.length * 3 > this.max) {
      const bytes = Buffer.byteLength(line, 'utf8');
      if (bytes > this.max) {
        const sink = this.options.onOversize?.() ?? NO_SINK;
        sink.feed(line);
        sink.end(bytes);
        return;
      }
    }
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.trim() !== '') this.onLine(text);
  }

  /** A piece with no newline yet: kept, unless the line it belongs to is now over the limit. */
  private keep(rest: string): void {
    this.buffer += rest;
    if (this.max === Number.POSITIVE_INFINITY) return;
    this.bufferBytes += Buffer.byteLength(rest, 'utf8');
    if (this.bufferBytes > this.max) {
      this.oversize = this.options.onOversize?.() ?? NO_SINK;
      this.oversize.feed(this.buffer);
      this.oversizeBytes = this.bufferBytes;
      this.buffer = '';
      this.bufferBytes = 0;
    }
  }

  private endOversize(): void {
    const sink = this.oversize!;
    const bytes = this.oversizeBytes;
    this.oversize = undefined;
    this.oversizeBytes = 0;
    sink.end(bytes);
  }

  /** What is left when the stream ends: a last line without a newline still counts. */
  end(): void {
    if (this.oversize) {
      this.endOversize();
      return;
    }
    const rest = this.buffer.endsWith('\r') ? this.buffer.slice(0, -1) : this.buffer;
    this.buffer = '';
    this.bufferBytes = 0;
    if (rest.trim() !== '') this.onLine(rest);
  }
}
