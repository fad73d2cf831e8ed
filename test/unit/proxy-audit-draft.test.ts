import { strict as assert } from 'node:assert';
import { classifyCall } from '../../src/guard/catalog/classify';
import { completeDecision, decisionEvent, draftDecision, type AuditFacts } from '../../src/guard/proxy/audit-event';
import type { ResultSecrets } from '../../src/guard/proxy/result-scan';
import type { GatedSubject } from '../../src/guard/proxy/subjects';
import { ProxyHarness } from '../support/proxy-harness';

/** A decision's audit event drafted while the server works, and completed by its answer (serve's latency). */
describe('proxy: audit events drafted before the answer', () => {
  const call = (name: string, args: Record<string, unknown>): GatedSubject => ({
    kind: 'tool',
    id: 1,
    key: 'n:1',
    name,
    args,
    line: '',
    receivedAt: 10.25,
    classification: classifyCall(name, name === 'execute_method' ? { destructiveHint: true } : undefined, args),
  });
  const secrets: ResultSecrets = { action: 'redacted', kinds: ['aws-access-key'], count: 2 };

  it('completes to exactly the event (and its JSON text) made at once, in every variant of its fields', () => {
    const subjects = [call('execute_method', { method: 'search_read', model: 'res.partner' }), call('health_check', {})];
    const facts: AuditFacts[] = [
      { decision: 'allowed', rule: 'default', reason: 'r', entries: [] },
      { decision: 'allowed', would: 'denied', rule: 'tools.x', reason: 'a "quoted" reason\n', entries: ['x', 'y'], approver: 'editor' },
    ];
    for (const subject of subjects)
      for (const f of facts)
        for (const includeArgs of [false, true])
          for (const outcome of ['ok', 'isError', 'protocol_error'] as const)
            for (const s of [undefined, secrets])
              for (const now of [10.25, 11.0004, 1e9 + 0.1]) {
                const ctx = { serverName: 'odoo "prod"', mode: 'monitor' as const, includeArgs };
                const whole = decisionEvent(subject, f, outcome, 'd1g', s, { ...ctx, now, auditProblem: undefined });
                const done = completeDecision(draftDecision(subject, f, 'd1g', ctx), subject, outcome, s, now);
                assert.deepEqual(done.event, whole);
                assert.equal(done.json, JSON.stringify(whole));
                assert.deepEqual(Object.keys(done.event), Object.keys(whole), 'same field order');
              }
  });

  it('an answered call is recorded from its draft; a mode change while the server works is what the line says', async () => {
    const h = new ProxyHarness({ answerCall: () => undefined });
    await h.initialize();
    h.call(1, 'read_a');
    await h.settle();
    h.fromUpstream({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'ok' }] } });
    assert.equal(h.audit.drafted, 1, 'the line came from the draft (checked equal to the event by the harness)');
    h.call(2, 'read_a');
    await h.settle();
    h.proxy.setMode('monitor');
    h.fromUpstream({ jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: 'ok' }] } });
    assert.deepEqual(
      h.audit.decisions.map((d) => [d.mode, d.outcome]),
      [
        ['enforce', 'ok'],
        ['monitor', 'ok'],
      ],
    );
    assert.equal(h.audit.drafted, 1, 'a draft of another mode is not used');
    // An answer that comes in the same turn as its request, before any draft: recorded at once all the same.
    h.call(3, 'read_a');
    h.fromUpstream({ jsonrpc: '2.0', id: 3, result: { content: [] } });
    assert.deepEqual(
      h.audit.decisions.map((d) => d.outcome),
      ['ok', 'ok', 'ok'],
    );
  });
});
