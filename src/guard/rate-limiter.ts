/** Sliding-window rate limits, counted per policy entry; only calls that go ahead are counted. */
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
  { readonly ok: true } | { readonly ok: false; readonly key: string; readonly limit: RateLimit; readonly retryAfterMs: number };

/**
 * Sliding-window limiter: a call at time t is allowed when fewer than `max` calls were
 * counted in (t - window, t]. Only calls that go ahead are counted.
 */
export class RateLimiter {
  private readonly logs = new Map<string, number[]>();

  constructor(private readonly clock: Clock = monotonicClock) {}

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

  check(refs: readonly LimitRef[]): QuotaCheck {
    if (refs.length === 0) return { ok: true };
    const now = this.clock();
    let worst: QuotaCheck = { ok: true };
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

  /** Checks every limit and, only if all have room, counts the call against each. */
  tryConsume(refs: readonly LimitRef[]): QuotaCheck {
    const result = this.check(refs);
    if (!result.ok) return result;
    const now = this.clock();
    for (const ref of refs) this.logs.get(ref.key)?.push(now);
    return result;
  }

  reset(): void {
    this.logs.clear();
  }
}
