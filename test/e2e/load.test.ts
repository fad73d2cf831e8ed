import { strict as assert } from 'node:assert';
import { memoryOf, startRawGuard, type RawGuard } from '../support/raw-guard';
import type { RawMessage } from '../support/raw-client';
import { waitFor } from '../support/temp';

/**
 * Load through ONE guard: a guard serves one client over stdio, so the 16 clients are 16
 * concurrent logical clients multiplexed on that connection, each with its own ids and a
 * few calls in flight at a time. Mixed decisions; the stand-in's journal must show exactly
 * the allowed calls, each once, and the guard's memory must not grow.
 */
describe('load: 16 clients × 500 mixed calls through one guard', function () {
  this.timeout(60_000);
  let g: RawGuard | undefined;

  after(async () => {
    await g?.close();
  });

  const POLICY = [
    'version: 1',
    'hide: [list_instances]',
    'tools:',
    '  get_odoo_profile: { action: deny, reason: denied by rule }',
    '  "health_chec?":',
    '    when: [{ path: args.lane, op: eq, value: limited }]',
    '    rate_limit: { max: 200, window: 600 }',
  ].join('\n');

  type Kind = 'allowed' | 'allowed_search' | 'denied_rule' | 'limited' | 'hidden' | 'unknown' | 'denied_risk';
  const KINDS: Kind[] = [
    'allowed',
    'allowed',
    'allowed',
    'allowed',
    'allowed_search',
    'denied_rule',
    'limited',
    'hidden',
    'unknown',
    'denied_risk',
  ];

  function params(kind: Kind, nonce: string): { name: string; arguments: Record<string, unknown> } {
    switch (kind) {
      case 'allowed':
        return { name: 'health_check', arguments: { nonce } };
      case 'allowed_search':
        return { name: 'search_records', arguments: { model: 'res.partner', limit: 1, nonce } };
      case 'denied_rule':
        return { name: 'get_odoo_profile', arguments: { nonce } };
      case 'limited':
        return { name: 'health_check', arguments: { lane: 'limited', nonce } };
      case 'hidden':
        return { name: 'list_instances', arguments: { nonce } };
      case 'unknown':
        return { name: 'no_such_tool', arguments: { nonce } };
      case 'denied_risk':
        return { name: 'cancel_async_task', arguments: { task_id: 'aaaaaaaaaaaa', nonce } };
    }
  }

  /** One logical client: `calls` calls, at most `window` in flight, its own id space. */
  async function logicalClient(
    guard: RawGuard,
    client: number,
    calls: number,
    window: number,
    kinds: Kind[],
    answers: Map<string, RawMessage>,
  ): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < calls) {
        const j = next++;
        const kind = kinds[j % kinds.length]!;
        const id = `c${client}-${kind}-${j}`;
        const m = await guard.client.request('tools/call', params(kind, id), id);
        answers.set(id, m);
      }
    };
    await Promise.all(Array.from({ length: window }, worker));
  }

  it('executes exactly the allowed calls, each once, answers every call once, audits every decision, and keeps memory flat', async () => {
    g = startRawGuard({ policy: POLICY });
    const guard = g;
    await guard.client.initialize();
    await guard.call('tools/list', {}, 'list');

    // Warm-up: the same traffic without the rate-limited lane, so its budget stays whole.
    const warmAnswers = new Map<string, RawMessage>();
    const warmKinds = KINDS.filter((k) => k !== 'limited');
    await Promise.all(Array.from({ length: 16 }, (_, c) => logicalClient(guard, 100 + c, 100, 4, warmKinds, warmAnswers)));
    assert.equal(warmAnswers.size, 1600);
    await waitFor('the warm-up audit', () => guard.decisions().length === 1600, 10_000);
    const warmJournal = guard.journal().length;
    const before = memoryOf(guard.pid).rss;

    const started = Date.now();
    const answers = new Map<string, RawMessage>();
    await Promise.all(Array.from({ length: 16 }, (_, c) => logicalClient(guard, c, 500, 4, KINDS, answers)));
    const seconds = (Date.now() - started) / 1000;
    const after = memoryOf(guard.pid).rss;
    const total = 16 * 500;
    assert.equal(answers.size, total);

    // Every call answered exactly once, and as its kind says.
    const perId = new Map<string | number, number>();
    for (const m of guard.client.received) if (m.method === undefined && m.id != null) perId.set(m.id, (perId.get(m.id) ?? 0) + 1);
    for (const id of answers.keys()) assert.equal(perId.get(id), 1, `${id} answered once`);
    const outcome = (id: string, m: RawMessage) => {
      assert.equal(m.error, undefined, `${id}: ${JSON.stringify(m.error)}`);
      const text = m.result.content[0].text as string;
      if (m.result.isError !== true) return 'executed';
      if (/rate-limited the call/.test(text)) return 'rate_limited';
      if (/by rule hide/.test(text)) return 'hidden';
      if (/does not offer a tool/.test(text)) return 'unknown';
      if (/by rule tools\.get_odoo_profile/.test(text)) return 'denied_rule';
      if (/by rule risk\.critical/.test(text)) return 'denied_risk';
      return `unexpected: ${text}`;
    };
    const counts: Record<string, number> = {};
    for (const [id, m] of answers) {
      const o = outcome(id, m);
      counts[o] = (counts[o] ?? 0) + 1;
      const kind = id.split('-')[1] as Kind;
      if (kind === 'allowed' || kind === 'allowed_search') assert.equal(o, 'executed', id);
      else if (kind === 'limited') assert.ok(o === 'executed' || o === 'rate_limited', id);
      else assert.equal(o, kind, id);
    }
    assert.deepEqual(counts, { executed: 4000 + 200, rate_limited: 600, hidden: 800, unknown: 800, denied_rule: 800, denied_risk: 800 });

    // The journal: exactly the allowed calls, none twice, none denied.
    const journal = guard.journal().slice(warmJournal);
    assert.equal(journal.length, 4200, 'executed calls = allowed calls');
    const nonces = journal.map((j) => j.arguments.nonce as string);
    assert.equal(new Set(nonces).size, nonces.length, 'no call executed twice');
    for (const nonce of nonces) {
      assert.equal(outcome(nonce, answers.get(nonce)!), 'executed', `${nonce} ran but was not allowed`);
    }
    assert.ok(journal.every((j) => j.tool === 'health_check' || j.tool === 'search_records'));
    assert.equal(new Set(journal.map((j) => j.pid)).size, 1);

    // The audit log: one line per decision.
    await waitFor('every decision line', () => guard.decisions().length === 1600 + total, 10_000);
    const decisions = guard.decisions().slice(1600);
    const byDecision: Record<string, number> = {};
    for (const d of decisions) byDecision[d.decision] = (byDecision[d.decision] ?? 0) + 1;
    assert.deepEqual(byDecision, { allowed: 4200, denied: 3200, rate_limited: 600 });

    const growth = (after - before) / before;
    console.log(
      `      ${total} calls in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} calls/s); guard VmRSS ${(before / 1048576).toFixed(1)} MB → ${(after / 1048576).toFixed(1)} MB (${(growth * 100).toFixed(1)} %)`,
    );
    assert.ok(Math.abs(growth) <= 0.2, `guard RSS changed by ${(growth * 100).toFixed(1)} %`);
  });
});
