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
 */
export class IdleWatch {
  private open = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly idleMs: number,
    private readonly onIdle: () => void,
  ) {
    this.arm();
  }

  /** A request of the session started; call the returned function once it has ended. */
  begin(): () => void {
    this.open++;
    clearTimeout(this.timer);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.open--;
      this.arm();
    };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private arm(): void {
    if (this.stopped || this.open > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (!this.stopped && this.open === 0) this.onIdle();
    }, this.idleMs);
    this.timer.unref();
  }
}
