import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { ProxyHarness, textOfResult, type FakeTool } from '../support/proxy-harness';

/**
 * Property-based checks of GuardProxy in process, driven by random sequences of valid and
 * invalid client lines (and some upstream noise): hidden tools are never listed or
 * forwarded, nothing undecided reaches the upstream, and the guard keeps serving.
 */
describe('property: GuardProxy under random message sequences', function () {
  this.timeout(30_000);

  const TOOLS: FakeTool[] = [
    { name: 'read_a', annotations: { readOnlyHint: true } },
    { name: 'read_b', annotations: { readOnlyHint: true } },
    { name: 'write_a' },
    { name: 'secret_tool', annotations: { readOnlyHint: true } },
    { name: 'hidden_one', annotations: { readOnlyHint: true } },
    { name: 'danger', annotations: { destructiveHint: true } },
  ];
  const HIDDEN = new Set(['secret_tool', 'hidden_one']);
  const POLICY = [
    'version: 1',
    'hide: ["secret_*", hidden_one]',
    'tools:',
    '  write_a: { action: deny, reason: no writes }',
    '  danger: { action: require_approval }',
  ].join('\n');
  const NAMES = ['read_a', 'read_b', 'write_a', 'secret_tool', 'hidden_one', 'danger', 'not_listed', '', 'secret_', 'SECRET_TOOL'];

  // Mostly fresh ids, sometimes colliding, odd or invalid ones.
  const id = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 100_000 }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom('a', 'b', '0', 'mcp-guard-x-1', '') },
    { weight: 1, arbitrary: fc.constantFrom(null, 1.5, -1, true) },
  );
  const args = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.dictionary(fc.constantFrom('x', 'password', 'name', '__proto__', 'model'), fc.jsonValue({ maxDepth: 2 }), {
        maxKeys: 3,
      }),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  );
  const call = fc.record(
    {
      jsonrpc: fc.constant('2.0'),
      id,
      method: fc.constant('tools/call'),
      params: fc.record({ name: fc.constantFrom(...NAMES), arguments: args }, { requiredKeys: ['name'] }),
    },
    { requiredKeys: ['id', 'method', 'params'] },
  );
  const request = fc.record({
    jsonrpc: fc.constant('2.0'),
    id,
    method: fc.constantFrom('tools/list', 'resources/list', 'ping', 'initialize', 'prompts/get'),
    params: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
  });
  const notification = fc.oneof(
    fc.record({ jsonrpc: fc.constant('2.0'), method: fc.constant('notifications/cancelled'), params: fc.record({ requestId: id }) }),
    fc.constant({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    fc.record({
      jsonrpc: fc.constant('2.0'),
      method: fc.constant('tools/call'),
      params: fc.record({ name: fc.constantFrom(...NAMES), arguments: fc.constant({}) }),
    }),
  );
  const response = fc.record({ jsonrpc: fc.constant('2.0'), id, result: fc.jsonValue({ maxDepth: 2 }) });
  const message = fc.oneof(
    { weight: 6, arbitrary: call },
    { weight: 2, arbitrary: request },
    notification,
    response,
    fc.constant({ jsonrpc: '2.0', id: 'list', method: 'tools/list' }),
  );
  const line: fc.Arbitrary<{ to: 'guard' | 'fromUpstream'; text: string }> = fc.oneof(
    { weight: 8, arbitrary: message.map((m) => ({ to: 'guard' as const, text: JSON.stringify(m) })) },
    { weight: 2, arbitrary: fc.array(message, { maxLength: 4 }).map((b) => ({ to: 'guard' as const, text: JSON.stringify(b) })) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => ({ to: 'guard' as const, text: s })) },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => ({ to: 'guard' as const, text: JSON.stringify(v) })) },
    // Deep and oversized lines (the limit is 4096 bytes here).
    {
      weight: 1,
      arbitrary: fc.integer({ min: 200, max: 400 }).map((d) => ({
        to: 'guard' as const,
        text: `{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{"name":"read_a","arguments":{"x":${'['.repeat(d)}${']'.repeat(d)}}}}`,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 4000, max: 6000 }).map((n) => ({
        to: 'guard' as const,
        text: `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"read_a","arguments":{"x":"${'y'.repeat(n)}"}},"id":3}`,
      })),
    },
    // Upstream noise: garbage, unknown responses, list changes, requests to the client.
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => ({ to: 'fromUpstream' as const, text: s })) },
    { weight: 1, arbitrary: response.map((m) => ({ to: 'fromUpstream' as const, text: JSON.stringify(m) })) },
    {
      weight: 1,
      arbitrary: fc.constant({ to: 'fromUpstream' as const, text: '{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}' }),
    },
    { weight: 1, arbitrary: fc.constant({ to: 'fromUpstream' as const, text: '{"jsonrpc":"2.0","id":"up-1","method":"roots/list"}' }) },
  );
  const sequence = fc.record({
    initializeFirst: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    lines: fc.array(line, { maxLength: 30 }),
  });

  async function run(h: ProxyHarness, s: { initializeFirst: boolean; lines: { to: string; text: string }[] }): Promise<void> {
    if (s.initializeFirst) await h.initialize();
    for (const l of s.lines) {
      if (l.to === 'guard') h.send(l.text);
      else h.fromUpstream(l.text);
    }
    await h.settle(15);
  }

  function harness(): ProxyHarness {
    return new ProxyHarness({ policy: POLICY, tools: TOOLS, proxy: { maxMessageBytes: 4096, callTimeoutMs: 0 } });
  }

  it('hidden tools are never listed to the client nor forwarded; nothing blocked or undecided reaches the upstream', async () => {
    await fc.assert(
      fc.asyncProperty(sequence, async (s) => {
        const h = harness();
        await run(h, s);
        for (const m of h.toClient) {
          const tools = m.result?.tools;
          if (Array.isArray(tools)) for (const t of tools) assert.ok(!HIDDEN.has(t?.name), `listed ${t?.name}`);
        }
        for (const c of h.forwardedCalls) {
          assert.ok(!HIDDEN.has(c.params?.name), `forwarded ${c.params?.name}`);
          assert.ok(['read_a', 'read_b'].includes(c.params?.name), `forwarded ${c.params?.name}: only allowed, listed tools may go`);
          assert.ok(c.id !== undefined && c.id !== null, 'forwarded a call without an id');
        }
        // Every forwarded call was decided (allowed) before it went: one audit line each, once answered.
        const allowed = h.audit.decisions.filter((d) => d.decision === 'allowed');
        assert.equal(allowed.length, h.forwardedCalls.length);
        assert.ok(h.audit.decisions.every((d) => d.decision !== 'allowed' || ['read_a', 'read_b'].includes(d.tool)));
      }),
      { numRuns: 150 },
    );
  });

  it('any sequence of lines leaves the guard serving: a fresh valid call is still answered correctly', async () => {
    await fc.assert(
      fc.asyncProperty(sequence, async (s) => {
        const h = harness();
        await run(h, s);
        h.send({
          jsonrpc: '2.0',
          id: 'probe-init',
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'p', version: '1' } },
        });
        h.call('probe-ok', 'read_a', { probe: true });
        h.call('probe-hidden', 'secret_tool', {});
        h.call('probe-denied', 'write_a', {});
        const ok = await h.answerTo('probe-ok');
        assert.equal(ok.result?.isError, false, JSON.stringify(ok));
        assert.equal(textOfResult(ok), 'ran read_a');
        assert.match(textOfResult(await h.answerTo('probe-hidden')), /by rule hide/);
        assert.match(textOfResult(await h.answerTo('probe-denied')), /by rule tools\.write_a/);
        assert.deepEqual(
          h.forwardedCalls.filter((c) => typeof c.id === 'string' && c.id.startsWith('probe')).map((c) => c.id),
          ['probe-ok'],
        );
        // Each request the client sent gets at most one answer.
        const counts = new Map<string, number>();
        for (const m of h.toClient)
          if (m.method === undefined && m.id !== null) counts.set(JSON.stringify(m.id), (counts.get(JSON.stringify(m.id)) ?? 0) + 1);
        for (const [pid, n] of counts) if (pid.startsWith('"probe')) assert.equal(n, 1, pid);
      }),
      { numRuns: 150 },
    );
  });
});
