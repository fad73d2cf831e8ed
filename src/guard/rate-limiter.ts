/**
 * Sliding-window rate limits, counted per policy entry; only calls that go ahead are counted. A limit
 * with `scope: shared` is counted by the shared limits of the process (`SharedLimits`: in memory, or
 * in a state store such as Redis) instead of the session's.
 */
import type { RateLimit } from './policy/model';

/** Milliseconds from any fixed origin; monotonic in production, injected in tests. */
export type Clock = () => number;

export const monotonicClock: Clock = () => performance.now();

export interface LimitRef {
  /** Counters are kept per key, so they survive a policy reload that keeps the entry. */
  readonly key: string;
  readonly limit: RateLimit;
}

export type QuotaCheck =
  /** `release`, on an answer that took a remote store's round trip: takes the count back (the call did not go ahead after all). */
  | { readonly ok: true; readonly release?: () => void }
  | {
      readonly ok: false;
      readonly key: string;
      readonly limit: RateLimit;
      readonly retryAfterMs: number;
      readonly unavailable?: undefined;
    }
  /** A shared limit whose store cannot be reached (and the guard does not fail open): the call may not go ahead. */
  | { readonly ok: false; readonly key: string; readonly limit: RateLimit; readonly retryAfterMs: 0; readonly unavailable: string };

export const QUOTA_OK: QuotaCheck = { ok: true };

/**
 * The budgets of `scope: shared` limits, one per process: every session's RateLimiter counts its shared
 * limits here. `check` is a pure read (it may be optimistic: a remote store is asked only on `tryConsume`);
 * `tryConsume` is authoritative and atomic over all the refs it is given. A store in this process answers
 * at once; a remote one with a promise (never rejected: an unreachable store answers `unavailable`, or
 * `ok` when it fails open).
 */
export interface SharedLimits {
  /** What names the store in logs and reasons: `memory`, or `redis://HOST:PORT/DB`. */
  readonly label: string;
  check(refs: readonly LimitRef[]): QuotaCheck;
  tryConsume(refs: readonly LimitRef[]): QuotaCheck | Promise<QuotaCheck>;
  /** Stops using the store (closes a connection); the shared budget itself is kept. */
  close(): Promise<void>;
}

/** The worse of two checks: a check that fails beats one that passes; an unreachable store beats a wait. */
function worse(a: QuotaCheck, b: QuotaCheck): QuotaCheck {
  if (a.ok) return b;
  if (b.ok) return a;
  if (a.unavailable !== undefined) return a;
  if (b.unavailable !== undefined) return b;
  return b.retryAfterMs > a.retryAfterMs ? b : a;
}

function isShared(ref: LimitRef): boolean {
  return ref.limit.scope === 'shared';
}

/**
 * Sliding-window limiter: a call at time t is allowed when fewer than `max` calls were
 * counted in (t - window, t]. Only calls that go ahead are counted. Shared limits are counted
 * by `shared` when given (otherwise, like session limits, here).
 */
export class RateLimiter {
  private readonly logs = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock = monotonicClock,
    private readonly shared?: SharedLimits,
  ) {}

  private live(key: string, windowMs: number, now: number): number[] {
    let log = this.logs.get(key);
    if (!log) {
      log = [];
      this.logs.set(key, log);
    }
    let drop = 0;
    while (drop < log.length && log[drop]! <= now - windowMs) drop++;
    if (drop > 0) log.splice(0, drop);
    return log;
  }

  /** The limits this limiter counts itself, of `refs`. */
  private own(refs: readonly LimitRef[]): readonly LimitRef[] {
    return this.shared === undefined || !refs.some(isShared) ? refs : refs.filter((r) => !isShared(r));
  }

  private checkOwn(refs: readonly LimitRef[], now: number): QuotaCheck {
    let worst: QuotaCheck = QUOTA_OK;
    for (const ref of refs) {
      const windowMs = ref.limit.windowSeconds * 1000;
      const log = this.live(ref.key, windowMs, now);
      if (log.length >= ref.limit.max) {
        // The oldest call that still counts must leave the window before one more fits.
        const retryAfterMs = log[log.length - ref.limit.max]! + windowMs - now;
        if (worst.ok || retryAfterMs > worst.retryAfterMs) worst = { ok: false, key: ref.key, limit: ref.limit, retryAfterMs };
      }
    }
    return worst;
  }

  check(refs: readonly LimitRef[]): QuotaCheck {
    if (refs.length === 0) return QUOTA_OK;
    const own = this.own(refs);
    const result = this.checkOwn(own, this.clock());
    if (own === refs) return result;
    return worse(result, this.shared!.check(refs.filter(isShared)));
  }

  /**
   * Checks every limit and, only if all have room, counts the call against each. Synchronous unless a
   * shared limit is counted by a remote store: then the session's own limits are reserved at once (so
   * concurrent calls of the session cannot overrun them) and released again if the store says no.
   */
  consume(refs: readonly LimitRef[]): QuotaCheck | Promise<QuotaCheck> {
    if (refs.length === 0) return QUOTA_OK;
    const own = this.own(refs);
    const now = this.clock();
    const result = this.checkOwn(own, now);
    if (!result.ok) return result;
    if (own !== refs) {
      const shared = this.shared!.tryConsume(refs.filter(isShared));
      if (shared instanceof Promise) {
        this.count(own, now);
        return shared.then((answer): QuotaCheck => {
          if (!answer.ok) {
            this.uncount(own, now);
            return answer;
          }
          return {
            ok: true,
            release: () => {
              this.uncount(own, now);
              answer.release?.();
            },
          };
        });
      }
      if (!shared.ok) return shared;
    }
    this.count(own, now);
    return result;
  }

  /** `consume` where every limit is counted in this process (session limits, or shared ones in memory). */
  tryConsume(refs: readonly LimitRef[]): QuotaCheck {
    const result = this.consume(refs);
    if (result instanceof Promise) throw new Error('tryConsume: a shared limit is counted by a remote store; use consume');
    return result;
  }

  private count(refs: readonly LimitRef[], now: number): void {
    for (const ref of refs) this.logs.get(ref.key)?.push(now);
  }

  /** Takes back the counts of a call that did not go ahead after all. */
  private uncount(refs: readonly LimitRef[], at: number): void {
    for (const ref of refs) {
      const log = this.logs.get(ref.key);
      const i = log ? log.lastIndexOf(at) : -1;
      if (i !== -1) log!.splice(i, 1);
    }
  }

  /** Forgets the session's counts; shared budgets belong to every guard on the store and are kept. */
  reset(): void {
    this.logs.clear();
  }
}

/** `scope: shared` with `--state memory`: one budget for the sessions of this process. */
export class MemorySharedLimits implements SharedLimits {
  readonly label = 'memory';
  private readonly limiter: RateLimiter;

  constructor(clock: Clock = monotonicClock) {
    this.limiter = new RateLimiter(clock);
  }

  check(refs: readonly LimitRef[]): QuotaCheck {
    return this.limiter.check(refs);
  }

  tryConsume(refs: readonly LimitRef[]): QuotaCheck {
    return this.limiter.tryConsume(refs);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
