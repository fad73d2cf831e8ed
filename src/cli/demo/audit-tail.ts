/** Reads the decisions guards append to the demo's audit log, in order, so each call is shown with the guard's own verdict. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { DecisionEvent } from '../../guard/audit-events';

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export class AuditTail {
  private offset = 0;
  private readonly decisions: DecisionEvent[] = [];
  /** Decisions read so far. */
  seen = 0;

  constructor(readonly path: string) {}

  /** Reads whole lines appended since the last read; a line still being written waits for the next. */
  private readNew(): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return; // not created yet
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return;
      const buf = Buffer.alloc(size - this.offset);
      const got = readSync(fd, buf, 0, buf.length, this.offset);
      const end = buf.subarray(0, got).lastIndexOf(0x0a) + 1;
      this.offset += end;
      for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        const event = JSON.parse(line) as { event?: string };
        if (event.event === 'decision') this.decisions.push(event as DecisionEvent);
      }
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The next decision. The guard writes it before it answers the call, so it is normally there at once;
   * `undefined` if it does not come within `timeoutMs`.
   */
  async next(timeoutMs = 2000): Promise<DecisionEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.readNew();
      const d = this.decisions.shift();
      if (d !== undefined) {
        this.seen++;
        return d;
      }
      if (Date.now() >= deadline) return undefined;
      await sleep(10);
    }
  }
}
