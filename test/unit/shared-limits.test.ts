/**
 * Shared rate limits (issue 13, part 1) below the process level: `--state` and `MCP_GUARD_STATE`, `scope`
 * in the policy, the limiter with a shared store, the Redis store's Lua script against a real redis-server,
 * the bridge message and the status bar.
 */
import { strict as assert } from 'node:assert';
import { parseRunArgs, parseServeArgs, STATE_ENV, USAGE, UsageError } from '../../src/cli/args';
import { parseGuardMessage } from '../../src/guard/bridge/protocol';
import { parsePolicy } from '../../src/guard/policy/parse';
import { MemorySharedLimits, RateLimiter, type LimitRef, type QuotaCheck, type SharedLimits } from '../../src/guard/rate-limiter';
import { budgetKey, RedisSharedLimits } from '../../src/guard/state/redis-limits';
import { statusView } from '../../src/extension/status-text';
import { freePort, RedisServer } from '../support/redis';
import { classifyTool } from '../../src/guard/catalog/classify';
import { policyFromText } from '../../src/guard/io/policy-source';
import type { AuditFacts } from '../../src/guard/proxy/audit-event';
import { Gate } from '../../src/guard/proxy/gate';
import { classified, readToolCall, type GatedSubject } from '../../src/guard/proxy/subjects';
import { MemoryAudit } from '../support/proxy-harness';

const CMD = ['--', 'node', 'server.js'];
const shared = (key: string, max: number, windowSeconds = 60): LimitRef => ({ key, limit: { max, windowSeconds, scope: 'shared' } });
const session = (key: string, max: number, windowSeconds = 60): LimitRef => ({ key, limit: { max, windowSeconds } });

describe('shared limits: --state and MCP_GUARD_STATE', () => {
  it('is memory unless given; --state wins over MCP_GUARD_STATE', () => {
    assert.deepEqual(parseRunArgs(CMD, {}).state, { kind: 'memory' });
    assert.deepEqual(parseRunArgs(['--state', 'memory', ...CMD], { [STATE_ENV]: 'redis://a:1/0' }).state, { kind: 'memory' });
    assert.deepEqual(parseRunArgs(CMD, { [STATE_ENV]: 'redis://redis.internal:6380/3' }).state, {
      kind: 'redis',
      host: 'redis.internal',
      port: 6380,
      db: 3,
      label: 'redis://redis.internal:6380/3',
    });
    assert.deepEqual(parseRunArgs(CMD, { [STATE_ENV]: '' }).state, { kind: 'memory' });
  });

  it('takes redis://HOST[:PORT][/DB], defaulting to port 6379 and database 0, IPv6 in brackets', () => {
    const state = (text: string) => parseRunArgs(['--state', text, ...CMD], {}).state;
    assert.deepEqual(state('redis://127.0.0.1'), {
      kind: 'redis',
      host: '127.0.0.1',
      port: 6379,
      db: 0,
      label: 'redis://127.0.0.1:6379/0',
    });
    assert.deepEqual(state('redis://[::1]:7000/'), { kind: 'redis', host: '::1', port: 7000, db: 0, label: 'redis://[::1]:7000/0' });
    assert.equal(parseServeArgs(['--listen', '0', '--state=redis://r:1/2', ...CMD], {}).state.kind, 'redis');
  });

  it('refuses anything else with a usage error that says what to write', () => {
    const cases: [string, RegExp][] = [
      ['redis', /not a URL/],
      ['http://redis:6379', /the scheme http is not supported/],
      ['rediss://redis:6379', /the scheme rediss is not supported/],
      ['redis://:pw@redis:6379', /user name or password/],
      ['redis://redis:6379/zero', /database number/],
      ['redis://redis:6379/0?timeout=1', /no query/],
      ['redis://redis:99999', /not a URL/],
    ];
    for (const [text, why] of cases) {
      assert.throws(
        () => parseRunArgs(['--state', text, ...CMD], {}),
        (e: Error) =>
          e instanceof UsageError &&
          e.message.startsWith(
            `--state must be memory or redis://HOST:PORT[/DB] (e.g. redis://127.0.0.1:6379/0), not ${JSON.stringify(text)}`,
          ) &&
          why.test(e.message),
        text,
      );
    }
    assert.throws(() => parseRunArgs(CMD, { [STATE_ENV]: 'mysql://db' }), /^Error: MCP_GUARD_STATE must be memory or redis:/);
  });

  it('--state-fail-open is off unless given, and both flags are in the usage text', () => {
    assert.equal(parseRunArgs(CMD, {}).stateFailOpen, undefined);
    assert.equal(parseRunArgs(['--state-fail-open', ...CMD], {}).stateFailOpen, true);
    assert.match(USAGE, /\[--state memory\|redis:\/\/HOST:PORT\[\/DB\]\] \[--state-fail-open\]/);
  });
});

describe('shared limits: scope in the policy', () => {
  it('reads scope: shared into the model, and session (or nothing) as the default', () => {
    const p = parsePolicy(
      'version: 1\ntools:\n  a:\n    rate_limit: { max: 2, window: 60, scope: shared }\n  b:\n    rate_limit: { max: 2, window: 60, scope: session }\n  c:\n    rate_limit: { max: 2, window: 60 }\nresources:\n  "x://*":\n    rate_limit: { max: 1, window: 1, scope: shared }\n',
    );
    assert.equal(p.policy?.entries[0]?.rateLimit?.scope, 'shared');
    assert.deepEqual(p.policy?.entries[1]?.rateLimit, { max: 2, windowSeconds: 60 });
    assert.deepEqual(p.policy?.entries[2]?.rateLimit, { max: 2, windowSeconds: 60 });
    assert.equal(p.policy?.resources?.[0]?.rateLimit?.scope, 'shared');
  });

  it('rejects any other scope, with "did you mean"', () => {
    for (const [value, guess] of [
      ['global', undefined],
      ['shard', 'shared'],
      ['true', undefined],
      ['[shared]', undefined],
    ] as const) {
      const r = parsePolicy(`version: 1\ntools:\n  a:\n    rate_limit: { max: 2, window: 60, scope: ${value} }\n`);
      assert.equal(r.policy, undefined, value);
      const d = r.diagnostics.find((x) => x.code === 'bad-scope');
      assert.ok(d, `${value}: ${JSON.stringify(r.diagnostics)}`);
      assert.match(d.message, /^rate_limit\.scope must be "session" or "shared"/);
      assert.equal(d.suggestion, guess);
    }
  });
});

describe('shared limits: the limiter with a store in memory', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => (now = 0));

  it('shared limits are one budget for every session of the process; session limits stay per session', () => {
    const store = new MemorySharedLimits(clock);
    const a = new RateLimiter(clock, store);
    const b = new RateLimiter(clock, store);
    const refs = [shared('tools.x', 3), session('tools.y', 2)];
    assert.equal(a.tryConsume(refs).ok, true);
    assert.equal(b.tryConsume(refs).ok, true);
    assert.equal(a.tryConsume(refs).ok, true);
    // a has used its 2 session calls; the shared budget has used 3 of 3.
    const q = b.tryConsume(refs);
    assert.equal(q.ok, false);
    assert.equal((q as Extract<QuotaCheck, { ok: false }>).key, 'tools.x');
    assert.equal(b.check([session('tools.y', 2)]).ok, true, "b's session budget still has room");
    now = 60_001;
    assert.equal(b.tryConsume(refs).ok, true);
  });

  it('a call that one limit refuses counts against none of them (shared nor session)', () => {
    const store = new MemorySharedLimits(clock);
    const a = new RateLimiter(clock, store);
    assert.equal(a.tryConsume([session('tools.s', 1)]).ok, true);
    assert.equal(a.tryConsume([shared('tools.x', 5), session('tools.s', 1)]).ok, false);
    assert.equal(store.check([shared('tools.x', 1)]).ok, true, 'the shared budget was not touched');
  });

  it('without a store, a shared limit counts per session (as it did before scope existed)', () => {
    const a = new RateLimiter(clock);
    const b = new RateLimiter(clock);
    assert.equal(a.tryConsume([shared('tools.x', 1)]).ok, true);
    assert.equal(b.tryConsume([shared('tools.x', 1)]).ok, true);
  });

  it('reset forgets the session budgets and keeps the shared ones', () => {
    const store = new MemorySharedLimits(clock);
    const a = new RateLimiter(clock, store);
    a.tryConsume([shared('tools.x', 1), session('tools.y', 1)]);
    a.reset();
    assert.equal(a.check([session('tools.y', 1)]).ok, true);
    assert.equal(a.check([shared('tools.x', 1)]).ok, false);
  });

  it('session limits are reserved while a remote store answers, and released when it says no', async () => {
    let answer: (q: QuotaCheck) => void = () => {};
    const remote: SharedLimits = {
      label: 'remote',
      check: () => ({ ok: true }),
      tryConsume: () => new Promise<QuotaCheck>((r) => (answer = r)),
      close: () => Promise.resolve(),
    };
    const a = new RateLimiter(clock, remote);
    const refs = [shared('tools.x', 5), session('tools.s', 1)];
    const first = a.consume(refs);
    assert.ok(first instanceof Promise);
    // A second call of the session meanwhile finds the session budget taken.
    assert.equal((a.consume(refs) as QuotaCheck).ok, false);
    answer({ ok: false, key: 'tools.x', limit: refs[0]!.limit, retryAfterMs: 10 });
    assert.equal((await first).ok, false);
    assert.equal(a.check([session('tools.s', 1)]).ok, true, 'released');
    assert.throws(() => a.tryConsume(refs), /use consume/);
  });
});

describe('shared limits: the Redis store and its Lua script (real redis-server)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  const stores: RedisSharedLimits[] = [];
  const events: string[] = [];

  const open = (serverName = 'srv', failOpen = false, url?: { port: number }) => {
    const port = url?.port ?? redis.port;
    const s = new RedisSharedLimits({
      target: { host: '127.0.0.1', port, db: 0, label: `redis://127.0.0.1:${port}/0` },
      serverName,
      failOpen,
      onReachable: (up, cause) => events.push(up ? 'up' : `down: ${cause}`),
    });
    stores.push(s);
    return s;
  };

  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    for (const s of stores.splice(0)) await s.close();
    await redis?.close();
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    events.length = 0;
    await redis.startAgain();
    await redis.command('FLUSHALL');
  });

  it('keys each budget by server name and rule, percent-encoded so no two pairs share a key', () => {
    assert.equal(budgetKey('odoo', 'tools.search_records'), 'mcp-guard:rl:odoo:tools.search_records');
    assert.notEqual(budgetKey('a:b', 'c'), budgetKey('a', 'b:c'));
    assert.equal(budgetKey('a b', 'tools.x (y)'), 'mcp-guard:rl:a%20b:tools.x%20(y)');
  });

  it('N stores x M concurrent calls against max K: exactly K go ahead, the rest wait the right time', async () => {
    const n = 6;
    const m = 100;
    const k = 23;
    const all = Array.from({ length: n }, () => open());
    const ref = shared('tools.x', k, 30);
    const answers = await Promise.all(all.flatMap((s) => Array.from({ length: m }, () => Promise.resolve(s.tryConsume([ref])))));
    assert.equal(answers.filter((a) => a.ok).length, k);
    for (const a of answers.filter((x) => !x.ok) as Extract<QuotaCheck, { ok: false }>[]) {
      assert.equal(a.key, 'tools.x');
      assert.equal(a.unavailable, undefined);
      assert.ok(a.retryAfterMs > 25_000 && a.retryAfterMs <= 30_000, String(a.retryAfterMs));
    }
    assert.equal(await redis.command(`ZCARD ${budgetKey('srv', 'tools.x')}`), `:${k}`);
    // The key expires a little after its window.
    const ttl = Number((await redis.command(`PTTL ${budgetKey('srv', 'tools.x')}`)).slice(1));
    assert.ok(ttl > 29_000 && ttl <= 31_000, String(ttl));
  });

  it('checks every limit of a call before counting it against any', async () => {
    const s = open();
    assert.equal((await s.tryConsume([shared('tools.small', 1)])).ok, true);
    const both = await s.tryConsume([shared('tools.big', 10), shared('tools.small', 1)]);
    assert.equal(both.ok, false);
    assert.equal((both as Extract<QuotaCheck, { ok: false }>).key, 'tools.small');
    assert.equal(await redis.command(`ZCARD ${budgetKey('srv', 'tools.big')}`), ':0', 'nothing was added to the other limit');
  });

  it('slides: a call fits again once the oldest leaves the window (Redis time)', async () => {
    const s = open();
    const ref = shared('tools.w', 2, 0.3);
    assert.equal((await s.tryConsume([ref])).ok, true);
    assert.equal((await s.tryConsume([ref])).ok, true);
    const full = (await s.tryConsume([ref])) as Extract<QuotaCheck, { ok: false }>;
    assert.equal(full.ok, false);
    // Known to be full: answered without asking Redis until then.
    assert.equal(s.check([ref]).ok, false);
    assert.ok(!(s.tryConsume([ref]) instanceof Promise));
    await new Promise((r) => setTimeout(r, full.retryAfterMs + 20));
    assert.equal((await s.tryConsume([ref])).ok, true);
  });

  it('release takes a counted call back (a call cancelled while Redis answered)', async () => {
    const s = open();
    const ref = shared('tools.r', 1);
    const q = await s.tryConsume([ref]);
    assert.ok(q.ok && q.release);
    q.release();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await redis.command(`ZCARD ${budgetKey('srv', 'tools.r')}`), ':0');
    assert.equal((await s.tryConsume([ref])).ok, true);
  });

  it('different server names do not share a budget', async () => {
    const a = open('a');
    const b = open('b');
    assert.equal((await a.tryConsume([shared('tools.x', 1)])).ok, true);
    assert.equal((await b.tryConsume([shared('tools.x', 1)])).ok, true);
    assert.equal((await a.tryConsume([shared('tools.x', 1)])).ok, false);
  });

  it('fails closed at once while Redis is down (naming the store), or open with failOpen; comes back by itself', async () => {
    const closed = open();
    const opened = open('srv', true);
    const ref = shared('tools.x', 100);
    assert.equal((await closed.tryConsume([ref])).ok, true);
    await redis.stop();
    const deadline = Date.now() + 5000;
    while (closed.check([ref]).ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const started = performance.now();
    const denied = closed.tryConsume([ref]);
    assert.ok(!(denied instanceof Promise), 'answered at once, no command queued');
    assert.ok(performance.now() - started < 5);
    assert.equal(denied.ok, false);
    assert.match(
      (denied as { unavailable: string }).unavailable,
      new RegExp(`^The shared rate-limit store redis://127\\.0\\.0\\.1:${redis.port}/0 cannot be reached`),
    );
    assert.equal((await opened.tryConsume([ref])).ok, true, 'fail open');
    await redis.startAgain();
    const back = Date.now() + 10_000;
    while (!closed.check([ref]).ok && Date.now() < back) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await closed.tryConsume([ref])).ok, true);
    assert.ok(events.filter((e) => e === 'up').length >= 4, events.join(', '));
    assert.ok(
      events.some((e) => e.startsWith('down: ')),
      events.join(', '),
    );
  });

  it('a store that never answered fails closed after its first connection fails', async () => {
    const port = await freePort();
    const s = open('srv', false, { port });
    const q = await s.tryConsume([shared('tools.x', 1)]);
    assert.equal(q.ok, false);
    assert.match((q as { unavailable: string }).unavailable, new RegExp(`redis://127\\.0\\.0\\.1:${port}/0 cannot be reached`));
  });
});

describe('shared limits: the one gate waits for a remote store only when a shared limit applies', () => {
  const POLICY = [
    'version: 1',
    'tools:',
    '  shared_tool: { action: allow, rate_limit: { max: 5, window: 60, scope: shared } }',
    '  asked_tool: { action: require_approval, rate_limit: { max: 5, window: 60, scope: shared } }',
    '  local_tool: { action: allow, rate_limit: { max: 1, window: 60 } }',
  ].join('\n');

  /** Makes the store's promise reject, which no store should do. */
  const REJECT = { ok: true } as QuotaCheck;

  function setup() {
    const pending: ((q: QuotaCheck) => void)[] = [];
    const remote: SharedLimits = {
      label: 'redis://r:6379/0',
      check: () => ({ ok: true }),
      tryConsume: () => new Promise<QuotaCheck>((r, reject) => pending.push((q) => (q === REJECT ? reject(new Error('store bug')) : r(q)))),
      close: () => Promise.resolve(),
    };
    const forwarded: AuditFacts[] = [];
    const responses: string[] = [];
    const records: AuditFacts[] = [];
    const gate = new Gate({
      policy: { state: policyFromText('p.yaml', POLICY).state },
      limiter: new RateLimiter(() => 0, remote),
      audit: new MemoryAudit(),
      approvers: [
        { name: 'test', isAvailable: () => true, request: () => Promise.resolve({ outcome: 'approved', by: 'test', scope: 'once' }) },
      ],
      serverName: 'test',
      auditFailOpen: false,
      mode: () => 'enforce',
      approvalId: () => 'a',
      batched: (work) => work(),
      respond: (line) => responses.push(line),
      forward: (_s, facts) => forwarded.push(facts),
      untrusted: () => undefined,
      trustDefinition: () => false,
      record: (_s, facts) => records.push(facts),
    });
    return { gate, pending, forwarded, responses, records };
  }
  let n = 0;
  const call = (name: string): GatedSubject => {
    const r = readToolCall(++n, `k${n}`, { params: { name, arguments: {} } }, '', false, 0);
    return classified(r.kind === 'subject' ? r.subject : (undefined as never), classifyTool(name));
  };
  const settle = () => new Promise((r) => setImmediate(r));
  const limit = { max: 5, windowSeconds: 60, scope: 'shared' as const };

  it('a call under no shared limit is forwarded at once, as before', () => {
    const g = setup();
    g.gate.admit(call('local_tool'));
    assert.equal(g.forwarded.length, 1);
    assert.equal(g.gate.heldCount, 0);
    assert.equal(g.pending.length, 0, 'the store was not asked');
  });

  it('holds a shared-limited call until the store answers, then forwards it, or blocks it as rate-limited or denied naming the store', async () => {
    const g = setup();
    for (let i = 0; i < 3; i++) g.gate.admit(call('shared_tool'));
    assert.equal(g.forwarded.length, 0);
    assert.equal(g.gate.heldCount, 3);
    g.pending[0]!({ ok: true });
    g.pending[1]!({ ok: false, key: 'tools.shared_tool', limit, retryAfterMs: 1500 });
    g.pending[2]!({
      ok: false,
      key: 'tools.shared_tool',
      limit,
      retryAfterMs: 0,
      unavailable: 'The shared rate-limit store redis://r:6379/0 cannot be reached (x).',
    });
    await settle();
    assert.equal(g.gate.heldCount, 0);
    assert.deepEqual(
      g.forwarded.map((f) => f.decision),
      ['allowed'],
    );
    assert.deepEqual(
      g.records.map((r) => [r.decision, r.rule]),
      [
        ['rate_limited', 'tools.shared_tool'],
        ['denied', 'tools.shared_tool'],
      ],
    );
    assert.match(g.responses[0]!, /rate-limited the call to shared_tool/);
    assert.match(g.responses[1]!, /The shared rate-limit store redis:\/\/r:6379\/0 cannot be reached/);
  });

  it('a store whose promise rejects (which none should) gets the call denied, never forwarded nor held', async () => {
    const g = setup();
    g.gate.admit(call('shared_tool'));
    g.pending[0]!(REJECT);
    await settle();
    assert.equal(g.gate.heldCount, 0);
    assert.equal(g.forwarded.length, 0);
    assert.deepEqual(
      g.records.map((r) => [r.decision, r.rule]),
      [['denied', 'tools.shared_tool']],
    );
    assert.match(g.responses[0]!, /could not be counted \(store bug\), so the call is blocked/);
  });

  it('an approved call is counted after the approval, and a call cancelled while the store answers is not answered nor forwarded', async () => {
    const g = setup();
    g.gate.admit(call('asked_tool'));
    await settle();
    assert.equal(g.pending.length, 1, 'counted only once approved');
    g.pending[0]!({ ok: true });
    await settle();
    assert.deepEqual(
      g.forwarded.map((f) => [f.decision, f.approver]),
      [['approved', 'test']],
    );
    const c = call('shared_tool');
    g.gate.admit(c);
    assert.equal(g.gate.cancel(c.key), true);
    let released = 0;
    g.pending[1]!({ ok: true, release: () => released++ });
    await settle();
    assert.equal(released, 1, 'what was counted for it is taken back');
    assert.equal(g.forwarded.length, 1);
    assert.equal(g.responses.length, 0);
    assert.equal(g.records.at(-1)?.decision, 'declined');
  });
});

describe('shared limits: the bridge and the status bar', () => {
  it('the state message is validated', () => {
    const ok = { type: 'state', server: 'Odoo', store: 'redis://r:6379/0', reachable: false, failOpen: false, cause: 'ECONNREFUSED' };
    assert.deepEqual(parseGuardMessage(JSON.stringify(ok)), ok);
    assert.equal(parseGuardMessage(JSON.stringify({ ...ok, reachable: 'no' })), undefined);
    assert.equal(parseGuardMessage(JSON.stringify({ ...ok, store: 1 })), undefined);
  });

  it('the status bar warns while a store cannot be reached, and says what happens meanwhile', () => {
    const base = { mode: 'enforce' as const, blocked: 0, trusted: true, guards: 1 };
    const v = statusView({ ...base, unreachableStore: { store: 'redis://r:6379/0', failOpen: false, cause: 'ECONNREFUSED' } });
    assert.match(v.text, /\$\(warning\) shared limits/);
    assert.match(
      v.tooltip,
      /Shared rate limits: redis:\/\/r:6379\/0 cannot be reached \(ECONNREFUSED\); calls under a shared limit are denied/,
    );
    assert.equal(v.background, 'statusBarItem.warningBackground');
    assert.match(statusView({ ...base, unreachableStore: { store: 's', failOpen: true } }).tooltip, /go ahead uncounted/);
    assert.doesNotMatch(statusView(base).text, /shared limits/);
  });
});
