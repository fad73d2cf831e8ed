/**
 * Shared rate limits (`scope: shared`, `--state redis://…`) end to end: real guard processes (`run` and
 * `serve`) in front of the stand-in, a real redis-server of this file's own on a free loopback port, and
 * the stand-ins' journals of what they really executed.
 */
import { strict as assert } from 'node:assert';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connect, textOf, type Session } from '../support/guarded';
import { connectHttp, serve, type Served } from '../support/served';
import { freePort, RedisServer } from '../support/redis';
import { waitFor } from '../support/temp';

const NAME = 'odoo-team';

function policy(sharedMax: number, sessionMax = 3): string {
  return [
    'version: 1',
    'tools:',
    '  health_check:',
    `    rate_limit: { max: ${sharedMax}, window: 600, scope: shared }`,
    '  read_record:',
    `    rate_limit: { max: ${sessionMax}, window: 600 }`,
    '',
  ].join('\n');
}

const health = (c: Client) => c.callTool({ name: 'health_check', arguments: {} });
const read = (c: Client, id: number) => c.callTool({ name: 'read_record', arguments: { model: 'res.partner', record_id: id } });
const executed = (journal: { tool: string }[], tool: string) => journal.filter((j) => j.tool === tool).length;

describe('shared rate limits in Redis (--state, scope: shared)', function () {
  this.timeout(180_000);
  let redis: RedisServer;
  const open: { close(): Promise<unknown> }[] = [];

  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    await redis?.close();
  });
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close().catch(() => {});
    await redis.startAgain();
    await redis.command('FLUSHALL');
  });

  async function guard(text: string, args: string[] = [], env: Record<string, string> = {}): Promise<Session> {
    const s = await connect({ policy: text, guardArgs: [`--name=${NAME}`, ...args], env });
    open.push(s);
    return s;
  }

  async function served(text: string, args: string[] = []): Promise<Served> {
    const s = await serve({ policy: text, serveArgs: [`--name=${NAME}`, ...args] });
    open.push({ close: () => s.stop() });
    return s;
  }

  it('two run guards and a serve with two sessions share one budget: exactly max of 1,000 concurrent calls execute; a session limit stays per session', async () => {
    const max = 37;
    const text = policy(max);
    const [g1, g2, s] = await Promise.all([
      guard(text, ['--state', redis.url]),
      guard(text, ['--state', redis.url]),
      served(text, ['--state', redis.url]),
    ]);
    const { client: h1, transport: t1 } = await connectHttp(s.url);
    const { client: h2, transport: t2 } = await connectHttp(s.url);
    open.push({ close: () => t1.close() }, { close: () => t2.close() });
    const clients = [g1.client, g2.client, h1, h2];

    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => health(clients[i % clients.length]!)));
    const through = results.filter((r) => r.isError !== true).length;
    const limited = results.filter((r) => r.isError === true);
    assert.equal(through, max, 'answers that went through');
    for (const r of limited) assert.match(textOf(r), /rate-limited the call to health_check .*by rule tools\.health_check\./);
    // What really executed, by the stand-ins' journals: exactly max, all guards and sessions together.
    const journals = () => [g1.journal(), g2.journal(), s.journal()];
    assert.equal(
      journals().reduce((n, j) => n + executed(j, 'health_check'), 0),
      max,
      'health_check calls the stand-ins executed',
    );
    const decisions = [...g1.decisions(), ...g2.decisions(), ...s.decisions()].filter((d) => d.tool === 'health_check');
    assert.equal(decisions.filter((d) => d.decision === 'allowed').length, max);
    assert.equal(decisions.filter((d) => d.decision === 'rate_limited').length, 1000 - max);
    assert.ok(decisions.filter((d) => d.decision === 'rate_limited').every((d) => d.rule === 'tools.health_check'));

    // scope: session next to it: each of the four sessions has its own 3 calls.
    const reads = await Promise.all(clients.map((c) => Promise.all([1, 2, 3, 4, 5].map((id) => read(c, id)))));
    for (const [i, r] of reads.entries())
      assert.equal(r.filter((x) => x.isError !== true).length, 3, `session ${i + 1}: its own 3 read_record calls`);
    assert.equal(
      journals().reduce((n, j) => n + executed(j, 'read_record'), 0),
      12,
      'read_record calls the stand-ins executed',
    );
  });

  it('Redis stopped mid-run: shared-limited calls are denied naming the store and never executed, others go on; Redis back: calls flow again', async () => {
    const g = await guard(policy(1000), ['--state', redis.url]);
    await waitFor('the store reachable', () => g.stderr().includes(`state store reachable: ${redis.url}`), 10_000);
    assert.notEqual((await health(g.client)).isError, true);

    await redis.stop();
    await waitFor(
      'the store reported unreachable',
      () => g.stderr().includes(`the shared rate-limit store ${redis.url} cannot be reached`),
      10_000,
    );
    const denied = await health(g.client);
    assert.equal(denied.isError, true);
    assert.match(textOf(denied), new RegExp(`blocked the call to health_check .*by rule tools\\.health_check`));
    assert.ok(textOf(denied).includes(`The shared rate-limit store ${redis.url} cannot be reached`), textOf(denied));
    // A call no shared limit governs is not affected.
    assert.notEqual((await read(g.client, 1)).isError, true);
    assert.equal(executed(g.journal(), 'health_check'), 1, 'the denied call never reached the stand-in');

    await redis.startAgain();
    await waitFor('the store reachable again', () => g.stderr().includes(`state store reachable again: ${redis.url}`), 15_000);
    assert.notEqual((await health(g.client)).isError, true, 'calls flow again without restarting the guard');
    assert.equal(executed(g.journal(), 'health_check'), 2);

    const audit = g.audit();
    const denial = audit.find((e) => e.event === 'decision' && e.tool === 'health_check' && e.decision === 'denied');
    assert.equal(denial?.rule, 'tools.health_check');
    assert.deepEqual(
      audit.filter((e) => e.event === 'state_store').map((e) => e.state),
      ['reachable', 'unreachable', 'reachable'],
    );
  });

  it('counters survive a guard restart with Redis (also given by MCP_GUARD_STATE), and start afresh without it', async () => {
    const first = await guard(policy(2), ['--state', redis.url]);
    assert.notEqual((await health(first.client)).isError, true);
    assert.notEqual((await health(first.client)).isError, true);
    assert.equal((await health(first.client)).isError, true);
    await first.close();
    const again = await guard(policy(2), [], { MCP_GUARD_STATE: redis.url });
    const after = await health(again.client);
    assert.equal(after.isError, true, 'the budget used by the first guard still counts');
    assert.match(textOf(after), /rate-limited/);
    assert.equal(executed(again.journal(), 'health_check'), 0);

    // Memory state: the budget is the process's, and a new process starts afresh.
    const memory = await guard(policy(2));
    for (let i = 0; i < 2; i++) assert.notEqual((await health(memory.client)).isError, true);
    assert.equal((await health(memory.client)).isError, true);
    await memory.close();
    const fresh = await guard(policy(2));
    assert.notEqual((await health(fresh.client)).isError, true);
  });

  it('fails closed while the store cannot be reached at start; --state-fail-open lets shared-limited calls through and says so', async () => {
    const nowhere = `redis://127.0.0.1:${await freePort()}/0`;
    const closed = await guard(policy(5), ['--state', nowhere]);
    const denied = await health(closed.client);
    assert.equal(denied.isError, true);
    assert.ok(textOf(denied).includes(`The shared rate-limit store ${nowhere} cannot be reached`), textOf(denied));
    assert.notEqual((await read(closed.client, 1)).isError, true);
    assert.equal(executed(closed.journal(), 'health_check'), 0);

    const openGuard = await guard(policy(5), ['--state', nowhere, '--state-fail-open']);
    assert.ok(openGuard.stderr().includes('--state-fail-open'), openGuard.stderr());
    for (let i = 0; i < 7; i++) assert.notEqual((await health(openGuard.client)).isError, true, `call ${i + 1}`);
    assert.equal(executed(openGuard.journal(), 'health_check'), 7, 'uncounted while the store is down');
  });

  it('with memory state, scope: shared is one budget for the sessions of one serve process', async () => {
    const s = await served(policy(3));
    const { client: a, transport: ta } = await connectHttp(s.url);
    const { client: b, transport: tb } = await connectHttp(s.url);
    open.push({ close: () => ta.close() }, { close: () => tb.close() });
    const results = await Promise.all([a, b, a, b, a, b].map((c) => health(c)));
    assert.equal(results.filter((r) => r.isError !== true).length, 3);
    assert.equal(executed(s.journal(), 'health_check'), 3);
  });
});
