import { strict as assert } from 'node:assert';
import { RateLimiter, type LimitRef, type QuotaCheck } from '../../src/guard/rate-limiter';

function ref(key: string, max: number, windowSeconds: number): LimitRef {
  return { key, limit: { max, windowSeconds } };
}

function denied(q: QuotaCheck): Extract<QuotaCheck, { ok: false }> {
  assert.equal(q.ok, false, 'expected the quota check to fail');
  return q as Extract<QuotaCheck, { ok: false }>;
}

describe('rate limiter (injected clock)', () => {
  let now = 0;
  const clock = () => now;
  let limiter: RateLimiter;

  beforeEach(() => {
    now = 0;
    limiter = new RateLimiter(clock);
  });

  it('the max-th call passes, the next is denied with an exact retryAfterMs', () => {
    const r = ref('tools.search_records', 10, 60);
    for (let i = 1; i <= 10; i++) {
      now = i * 1000;
      assert.deepEqual(limiter.tryConsume([r]), { ok: true }, `call ${i}`);
    }
    now = 10_500;
    const q = denied(limiter.tryConsume([r]));
    assert.equal(q.key, 'tools.search_records');
    assert.deepEqual(q.limit, { max: 10, windowSeconds: 60 });
    // The oldest counted call (t=1000) leaves the window at 61000.
    assert.equal(q.retryAfterMs, 61_000 - 10_500);
  });

  it('max: 1 in the same instant', () => {
    const r = ref('k', 1, 60);
    assert.equal(limiter.tryConsume([r]).ok, true);
    const q = denied(limiter.tryConsume([r]));
    assert.equal(q.retryAfterMs, 60_000);
  });

  it('window edge: at t0+window-1ms still denied, at t0+window allowed', () => {
    const r = ref('k', 1, 60);
    now = 5_000;
    assert.equal(limiter.tryConsume([r]).ok, true);
    now = 5_000 + 60_000 - 1;
    assert.equal(denied(limiter.check([r])).retryAfterMs, 1);
    assert.equal(denied(limiter.tryConsume([r])).retryAfterMs, 1);
    now = 5_000 + 60_000;
    assert.deepEqual(limiter.tryConsume([r]), { ok: true });
  });

  it('sliding window: calls at t count in (t - window, t]', () => {
    const r = ref('k', 2, 1);
    now = 1000;
    assert.equal(limiter.tryConsume([r]).ok, true);
    now = 1500;
    assert.equal(limiter.tryConsume([r]).ok, true);
    now = 1999;
    assert.equal(denied(limiter.check([r])).retryAfterMs, 1);
    now = 2000; // the call at 1000 leaves; 1500 still counts
    assert.equal(limiter.tryConsume([r]).ok, true);
    now = 2200;
    assert.equal(denied(limiter.check([r])).retryAfterMs, 300);
    now = 2499;
    assert.equal(denied(limiter.check([r])).retryAfterMs, 1);
    now = 2500;
    assert.equal(limiter.tryConsume([r]).ok, true);
    now = 2999;
    assert.equal(denied(limiter.check([r])).retryAfterMs, 1);
  });

  it('retryAfterMs is measured from the call that must leave for one more to fit', () => {
    const r = ref('k', 3, 10);
    for (const t of [0, 2000, 4000]) {
      now = t;
      assert.equal(limiter.tryConsume([r]).ok, true);
    }
    now = 5000;
    assert.equal(denied(limiter.check([r])).retryAfterMs, 5000);
    now = 10_000;
    assert.equal(limiter.tryConsume([r]).ok, true); // t=0 left; calls at 2000, 4000, 10000
    now = 10_001;
    assert.equal(denied(limiter.check([r])).retryAfterMs, 2000 + 10_000 - 10_001);
  });

  it('fractional windows are in seconds', () => {
    const r = ref('k', 1, 0.25);
    assert.equal(limiter.tryConsume([r]).ok, true);
    now = 249;
    assert.equal(denied(limiter.check([r])).retryAfterMs, 1);
    now = 250;
    assert.equal(limiter.check([r]).ok, true);
  });

  it('check() never consumes', () => {
    const r = ref('k', 3, 60);
    for (let i = 0; i < 100; i++) assert.deepEqual(limiter.check([r]), { ok: true });
    for (let i = 0; i < 3; i++) assert.equal(limiter.tryConsume([r]).ok, true, `call ${i + 1}`);
    for (let i = 0; i < 10; i++) assert.equal(limiter.check([r]).ok, false);
    now = 60_000;
    assert.equal(limiter.check([r]).ok, true);
  });

  it('an empty list of limits is always ok and counts nothing', () => {
    for (let i = 0; i < 5; i++) assert.deepEqual(limiter.tryConsume([]), { ok: true });
    assert.deepEqual(limiter.check([]), { ok: true });
  });

  it('tryConsume with two limits consumes neither when one is exhausted', () => {
    const a = ref('a', 1, 60);
    const b = ref('b', 3, 60);
    assert.equal(limiter.tryConsume([a, b]).ok, true); // a: 1/1, b: 1/3
    for (let i = 0; i < 5; i++) {
      const q = denied(limiter.tryConsume([a, b]));
      assert.equal(q.key, 'a');
    }
    // b was counted once only: two more fit, the third does not.
    assert.equal(limiter.tryConsume([b]).ok, true);
    assert.equal(limiter.tryConsume([b]).ok, true);
    assert.equal(denied(limiter.tryConsume([b])).key, 'b');
  });

  it('tryConsume with two limits consumes both when both have room', () => {
    const a = ref('a', 2, 60);
    const b = ref('b', 2, 60);
    assert.equal(limiter.tryConsume([a, b]).ok, true);
    assert.equal(limiter.tryConsume([a]).ok, true);
    assert.equal(denied(limiter.check([a])).key, 'a');
    assert.equal(limiter.check([b]).ok, true);
    assert.equal(limiter.tryConsume([b]).ok, true);
    assert.equal(denied(limiter.check([b])).key, 'b');
  });

  it('reports the limit that frees up last when several are exhausted', () => {
    const short = ref('short', 1, 10);
    const long = ref('long', 1, 60);
    assert.equal(limiter.tryConsume([short, long]).ok, true);
    now = 5000;
    const q = denied(limiter.check([short, long]));
    assert.equal(q.key, 'long');
    assert.equal(q.retryAfterMs, 55_000);
    const q2 = denied(limiter.check([long, short]));
    assert.equal(q2.key, 'long');
    now = 10_000;
    assert.equal(denied(limiter.check([short, long])).key, 'long');
    assert.equal(limiter.check([short]).ok, true);
  });

  it('counters are per key', () => {
    const a = ref('tools.a', 1, 60);
    const b = ref('tools.b', 1, 60);
    assert.equal(limiter.tryConsume([a]).ok, true);
    assert.equal(limiter.tryConsume([a]).ok, false);
    assert.equal(limiter.tryConsume([b]).ok, true);
    assert.equal(limiter.tryConsume([b]).ok, false);
  });

  it('counters survive when the same key is used with a new limit', () => {
    assert.equal(limiter.tryConsume([ref('k', 5, 60)]).ok, true);
    assert.equal(limiter.tryConsume([ref('k', 5, 60)]).ok, true);
    // The limit shrinks to 2: the two counted calls exhaust it.
    const q = denied(limiter.check([ref('k', 2, 60)]));
    assert.deepEqual(q.limit, { max: 2, windowSeconds: 60 });
    assert.equal(q.retryAfterMs, 60_000);
    // The limit grows to 3: one more fits, then it is exhausted.
    assert.equal(limiter.tryConsume([ref('k', 3, 60)]).ok, true);
    assert.equal(limiter.tryConsume([ref('k', 3, 60)]).ok, false);
  });

  it('a lowered max with more calls counted than it allows waits for enough calls to leave', () => {
    for (const t of [0, 1000, 2000, 3000, 4000]) {
      now = t;
      assert.equal(limiter.tryConsume([ref('k', 10, 60)]).ok, true);
    }
    now = 5000;
    // 5 counted, max 2: the calls at 0, 1000, 2000 and 3000 must leave; 3000 leaves at 63000.
    assert.equal(denied(limiter.check([ref('k', 2, 60)])).retryAfterMs, 63_000 - 5000);
  });

  it('reset() forgets every counter', () => {
    const a = ref('a', 1, 60);
    const b = ref('b', 1, 60);
    assert.equal(limiter.tryConsume([a, b]).ok, true);
    assert.equal(limiter.check([a]).ok, false);
    limiter.reset();
    assert.equal(limiter.check([a]).ok, true);
    assert.equal(limiter.check([b]).ok, true);
    assert.equal(limiter.tryConsume([a]).ok, true);
    assert.equal(limiter.tryConsume([a]).ok, false);
  });

  it('the default clock is monotonic time in milliseconds', () => {
    const real = new RateLimiter();
    const r = ref('k', 1, 3600);
    assert.equal(real.tryConsume([r]).ok, true);
    const q = denied(real.check([r]));
    assert.ok(q.retryAfterMs > 3_590_000 && q.retryAfterMs <= 3_600_000, String(q.retryAfterMs));
  });
});
