/**
 * Splits a stream of text into lines (newline-delimited JSON, as MCP's stdio transport frames
 * messages). Blank lines are skipped and a trailing `\r` is removed.
 */
export class LineSplitter {
  private buffer = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    let start = 0;
    let nl = chunk.indexOf('\n');
    if (nl === -1) {
      this.buffer += chunk;
      return;
    }
    let first = true;
    while (nl !== -1) {
      let line = chunk.slice(start, nl);
      if (first) {
        line = this.buffer + line;
        this.buffer = '';
        first = false;
      }
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.trim() !== '') this.onLine(line);
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    this.buffer = chunk.slice(start);
  }

  /** What is left when the stream ends: a last line without a newline still counts. */
  end(): void {
    const rest = this.buffer.endsWith('\r') ? this.buffer.slice(0, -1) : this.buffer;
    this.buffer = '';
    if (rest.trim() !== '') this.onLine(rest);
  }
}
