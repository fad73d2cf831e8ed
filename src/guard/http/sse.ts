/**
 * Server-Sent Events as Streamable HTTP uses them: the guard writes one `message` event per JSON-RPC
 * message (serve's SSE answers and GET stream) and reads them back from an upstream's streams. Only
 * the format: no sockets, no MCP. Event ids are read (the upstream's, for resuming its GET stream) but
 * never written: serve keeps no event store, so it offers nothing to resume (see streamable-server.ts).
 */

/** The headers of an SSE answer (the session id is added by the caller). */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
};

/** A comment line: keeps an idle stream's connection from being timed out by proxies; clients ignore it. */
export const SSE_KEEPALIVE = ': keepalive\n\n';

/** Every 15 s on a stream that is open but quiet (the SDK's interval too). */
export const SSE_KEEPALIVE_MS = 15_000;

/**
 * One event carrying `json`, a JSON text on one line (JSON.stringify output, or a line the guard
 * already holds): a data field may not hold a line break, and JSON outside strings needs none.
 */
export function sseMessage(json: string): string {
  // A raw CR is a line end to an SSE reader; in JSON text it can only be whitespace between tokens.
  const line = json.includes('\r') ? json.replace(/\r/g, ' ') : json;
  return `event: message\ndata: ${line}\n\n`;
}

export interface SseEvent {
  readonly event: string;
  readonly data: string;
  /** The `id` field of this event, when it had one. */
  readonly id?: string;
}

/**
 * Reads an SSE stream as it arrives, chunk by chunk (the WHATWG event-stream rules: lines ended by CRLF,
 * LF or CR, `field: value`, comments, multi-line data, an event dispatched at a blank line).
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  /** The last event id seen on this stream (it persists across events, as the spec says). */
  lastEventId: string | undefined;
  /** The `retry` the server asked for, in ms. */
  retryMs: number | undefined;

  constructor(private readonly onEvent: (event: SseEvent) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const lf = this.buffer.indexOf('\n', start);
      const cr = this.buffer.indexOf('\r', start);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        // A CR at the very end may be the first half of a CRLF still on its way.
        if (cr === this.buffer.length - 1) break;
        end = cr;
        next = this.buffer[cr + 1] === '\n' ? cr + 2 : cr + 1;
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else break;
      this.line(this.buffer.slice(start, end));
      start = next;
    }
    this.buffer = start === 0 ? this.buffer : this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
  }

  private dispatch(): void {
    if (this.id !== undefined) this.lastEventId = this.id;
    const id = this.id;
    this.id = undefined;
    const data = this.data.join('\n');
    this.data = [];
    // An event without data (a priming event that only carries an id) is not dispatched.
    if (data === '') {
      this.event = '';
      return;
    }
    const event = { event: this.event || 'message', data, ...(id !== undefined ? { id } : {}) };
    this.event = '';
    this.onEvent(event);
  }
}
