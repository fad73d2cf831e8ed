/**
 * `scope: shared` rate limits kept in Redis (`--state redis://HOST:PORT/DB`): one sorted set per
 * server name and rule, trimmed, checked and added to by one Lua script, so any number of guards on
 * any number of machines count one sliding window exactly. Only bundled into dist/mcp-guard-redis.js,
 * loaded when `--state` names Redis: a guard without it never loads ioredis.
 *
 * Fail closed: while Redis cannot be reached, a call under a shared limit is answered `unavailable`
 * at once (no command is queued: the offline queue is off, commands time out), unless the guard fails
 * open. ioredis reconnects by itself; each change of reachability is reported once.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { monotonicClock, QUOTA_OK, type Clock, type LimitRef, type QuotaCheck, type SharedLimits } from '../rate-limiter';

/**
 * One call against every shared limit that applies to it, atomically. KEYS: one sorted set per limit
 * (members: the calls that went ahead, scored by Redis's own clock in microseconds, so guards whose
 * clocks disagree still share one window). ARGV[1]: this call's member, unique; then per key its max
 * and its window in microseconds. Trims each set to its window; if any is full, adds nothing and
 * answers {0, which key (1-based), microseconds until it has room}; else adds the call to every set
 * and answers {1, 0, 0}. Numbers go to Redis through string.format: Lua would write them with 14
 * significant digits, and microsecond times have 16.
 */
export const CONSUME_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local worst, worstAt = -1, 0
for i = 1, #KEYS do
  local max = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', string.format('%.0f', now - window))
  local count = redis.call('ZCARD', KEYS[i])
  if count >= max then
    local oldest = redis.call('ZRANGE', KEYS[i], count - max, count - max, 'WITHSCORES')
    local wait = tonumber(oldest[2]) + window - now
    if wait > worst then worst, worstAt = wait, i end
  end
end
if worstAt > 0 then return { 0, worstAt, string.format('%.0f', worst) } end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], string.format('%.0f', now), ARGV[1])
  redis.call('PEXPIRE', KEYS[i], string.format('%.0f', math.ceil(tonumber(ARGV[2 * i + 1]) / 1000) + 1000))
end
return { 1, 0, 0 }
`;

/** Where the budgets of `--state redis://…` are: host, port, database. */
export interface RedisTarget {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  /** `redis://HOST:PORT/DB`, for logs and reasons. */
  readonly label: string;
}

export interface RedisLimitsOptions {
  readonly target: RedisTarget;
  /** The server name (`--name`): guards share a budget when they share the store, this name and the rule. */
  readonly serverName: string;
  /** `--state-fail-open`: while Redis cannot be reached, shared-limited calls go ahead uncounted. */
  readonly failOpen: boolean;
  /** Reachability changed: `cause` says why it is not (the first report may be either). */
  readonly onReachable: (reachable: boolean, cause?: string) => void;
  readonly clock?: Clock;
  /** How long a command may take before it counts as failed (ms). */
  readonly commandTimeoutMs?: number;
  /** How long the first connection may take before calls stop waiting for it (ms). */
  readonly connectTimeoutMs?: number;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
/** Longest wait between reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 1000;

/** The Redis key of one shared budget: each part percent-encoded, so no name and rule can make another's key. */
export function budgetKey(serverName: string, rule: string): string {
  return `mcp-guard:rl:${encodeURIComponent(serverName)}:${encodeURIComponent(rule)}`;
}

interface ConsumeCommand {
  mcpGuardConsume(...args: (string | number)[]): Promise<[number, number, number | string]>;
}

type Reachability = 'connecting' | 'up' | 'down';

export class RedisSharedLimits implements SharedLimits {
  readonly label: string;
  private readonly redis: Redis & ConsumeCommand;
  private readonly clock: Clock;
  private state: Reachability = 'connecting';
  private cause = 'not connected yet';
  private lastError: string | undefined;
  /** Settles once the first connection succeeded or failed: calls before that wait for it. */
  private readonly firstAnswer: Promise<void>;
  private settleFirst!: () => void;
  /** Per key: until when (local clock, ms) Redis said the budget is full, so calls meanwhile need no round trip. */
  private readonly fullUntil = new Map<string, number>();
  private readonly keys = new Map<string, string>();
  private readonly instance = randomBytes(6).toString('hex');
  private sequence = 0;
  private closed = false;

  constructor(private readonly o: RedisLimitsOptions) {
    this.label = o.target.label;
    this.clock = o.clock ?? monotonicClock;
    this.firstAnswer = new Promise((resolve) => (this.settleFirst = resolve));
    const connectTimeout = o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.redis = new Redis({
      host: o.target.host,
      port: o.target.port,
      db: o.target.db,
      // A call never waits in a queue for a store that is down: it is answered at once (fail closed or open).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: o.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      connectTimeout,
      retryStrategy: (times) => Math.min(100 * times, MAX_RECONNECT_DELAY_MS),
      connectionName: 'mcp-guard',
    }) as Redis & ConsumeCommand;
    this.redis.defineCommand('mcpGuardConsume', { lua: CONSUME_SCRIPT });
    this.redis.on('ready', () => this.reachable());
    this.redis.on('error', (e: Error) => {
      this.lastError = e.message;
      if (this.state === 'connecting') this.unreachable(e.message);
    });
    this.redis.on('close', () => this.unreachable(this.lastError ?? 'the connection was closed'));
    setTimeout(() => {
      if (this.state === 'connecting') this.unreachable(`no answer within ${connectTimeout} ms`);
    }, connectTimeout).unref();
  }

  private reachable(): void {
    this.lastError = undefined;
    if (this.state === 'up' || this.closed) return;
    this.state = 'up';
    this.settleFirst();
    this.o.onReachable(true);
  }

  private unreachable(cause: string): void {
    if (this.state === 'down' || this.closed) return;
    this.state = 'down';
    this.cause = cause;
    this.fullUntil.clear();
    this.settleFirst();
    this.o.onReachable(false, cause);
  }

  private key(rule: string): string {
    let k = this.keys.get(rule);
    if (k === undefined) {
      k = budgetKey(this.o.serverName, rule);
      this.keys.set(rule, k);
    }
    return k;
  }

  private unavailableAnswer(refs: readonly LimitRef[], cause: string): QuotaCheck {
    if (this.o.failOpen) return QUOTA_OK;
    const ref = refs[0]!;
    return {
      ok: false,
      key: ref.key,
      limit: ref.limit,
      retryAfterMs: 0,
      unavailable:
        `The shared rate-limit store ${this.label} cannot be reached (${cause}), so calls under the shared limit ` +
        `${ref.key} are blocked until it can be (the guard fails closed; --state-fail-open would let them through).`,
    };
  }

  /** What is known without asking Redis: down, or a budget it said is full. */
  private known(refs: readonly LimitRef[]): QuotaCheck | undefined {
    if (this.state === 'down') return this.unavailableAnswer(refs, this.cause);
    if (this.fullUntil.size === 0) return undefined;
    const now = this.clock();
    let worst: QuotaCheck | undefined;
    for (const ref of refs) {
      const until = this.fullUntil.get(ref.key);
      if (until === undefined) continue;
      if (until <= now) {
        this.fullUntil.delete(ref.key);
        continue;
      }
      if (worst === undefined || (!worst.ok && until - now > worst.retryAfterMs))
        worst = { ok: false, key: ref.key, limit: ref.limit, retryAfterMs: until - now };
    }
    return worst;
  }

  check(refs: readonly LimitRef[]): QuotaCheck {
    // Optimistic: only what is already known; the count itself is Redis's answer to tryConsume.
    return this.known(refs) ?? QUOTA_OK;
  }

  tryConsume(refs: readonly LimitRef[]): QuotaCheck | Promise<QuotaCheck> {
    const known = this.known(refs);
    if (known !== undefined) return known;
    return this.ask(refs);
  }

  private async ask(refs: readonly LimitRef[]): Promise<QuotaCheck> {
    if (this.state === 'connecting') {
      await this.firstAnswer;
      const known = this.known(refs);
      if (known !== undefined) return known;
    }
    const member = `${this.instance}:${++this.sequence}`;
    const keys = refs.map((r) => this.key(r.key));
    const args: (string | number)[] = [keys.length, ...keys, member];
    for (const r of refs) args.push(r.limit.max, Math.max(1, Math.round(r.limit.windowSeconds * 1_000_000)));
    let answer: [number, number, number | string];
    try {
      answer = await this.redis.mcpGuardConsume(...args);
    } catch (e) {
      // It may have been counted before the answer was lost (a timeout): take it back if Redis is there.
      this.redis.zrem(keys[0]!, member).catch(() => undefined);
      for (const k of keys.slice(1)) this.redis.zrem(k, member).catch(() => undefined);
      return this.unavailableAnswer(refs, (e as Error).message);
    }
    if (Number(answer[0]) === 1)
      return { ok: true, release: () => void Promise.all(keys.map((k) => this.redis.zrem(k, member))).catch(() => undefined) };
    const ref = refs[Number(answer[1]) - 1] ?? refs[0]!;
    const retryAfterMs = Math.max(0, Number(answer[2]) / 1000);
    this.fullUntil.set(ref.key, this.clock() + retryAfterMs);
    return { ok: false, key: ref.key, limit: ref.limit, retryAfterMs };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.settleFirst();
    try {
      await Promise.race([this.redis.quit(), new Promise((resolve) => setTimeout(resolve, 200).unref())]);
    } catch {
      // Already gone.
    }
    this.redis.disconnect();
  }
}
