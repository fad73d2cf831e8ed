/**
 * The sessions of `mcp-guard serve`, by their Mcp-Session-Id: at most `max` at once (places are
 * reserved while an initialize is in progress, so a burst of them cannot exceed it), each ended after
 * `idleMs` without any open HTTP request. Knows nothing of HTTP or MCP: a session is anything closable.
 */

export interface Closable {
  close(reason: string): Promise<void>;
}

export class SessionRegistry<S extends Closable> {
  private readonly sessions = new Map<string, S>();
  private reserved = 0;

  constructor(private readonly max: number) {}

  /** Holds a place for a session being initialized; false when the guard is full. Release it with `add` or `release`. */
  reserve(): boolean {
    if (this.sessions.size + this.reserved >= this.max) return false;
    this.reserved++;
    return true;
  }

  release(): void {
    this.reserved--;
  }

  /** The reserved place becomes the session `id`. */
  add(id: string, session: S): void {
    this.reserved--;
    this.sessions.set(id, session);
  }

  get(id: string): S | undefined {
    return this.sessions.get(id);
  }

  remove(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Ends every session (the guard is stopping). */
  async closeAll(reason: string): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.close(reason)));
  }
}

/**
 * Ends a session that has had no open HTTP request for `idleMs`: a client holding its GET stream open
 * is not idle; one that went away without DELETE is, once its last connection closed.
 *
 * One timer, armed lazily: a request only moves the "last active" time, and the timer, when it
 * fires, sleeps again for what is left. A session serving calls back to back thus sets no timer per
 * call (serve's hot path), and still ends `idleMs` after its last request, give or take the timer's
 * own lateness.
 */
export class IdleWatch {
  private open = 0;
  private lastActive: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly idleMs: number,
    private readonly onIdle: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastActive = now();
    this.arm(idleMs);
  }

  /** A request of the session started; call the returned function once it has ended. */
  begin(): () => void {
    this.open++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.open--;
      if (this.open === 0) {
        this.lastActive = this.now();
        if (this.timer === undefined) this.arm(this.idleMs);
      }
    };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.check(), Math.max(1, Math.ceil(delayMs)));
    this.timer.unref();
  }

  private check(): void {
    this.timer = undefined;
    if (this.stopped) return;
    // A request is open: the timer is set again when the last one ends.
    if (this.open > 0) return;
    const left = this.lastActive + this.idleMs - this.now();
    if (left > 0) return this.arm(left);
    this.onIdle();
  }
}
