import { strict as assert } from 'node:assert';
import type { ApprovalRequest, Approver } from '../../src/guard/approval/approver';
import { classifyCall, classifyTool } from '../../src/guard/catalog/classify';
import { policyFromText } from '../../src/guard/io/policy-source';
import type { AuditFacts } from '../../src/guard/proxy/audit-event';
import { Gate } from '../../src/guard/proxy/gate';
import { classified, readResourceRequest, readToolCall, type GatedSubject } from '../../src/guard/proxy/subjects';
import { RateLimiter } from '../../src/guard/rate-limiter';
import type { Untrusted } from '../../src/guard/pins/trust';
import { MemoryAudit } from '../support/proxy-harness';

/**
 * The one gate: a tool call and a resource request go through the same pipeline (decide →
 * approve → quota → forward or block → audit), so a change to how a gated request is approved,
 * blocked, forwarded or audited is made in one place and holds for both.
 */
describe('proxy gate: tool calls and resource requests through one pipeline', () => {
  const POLICY = [
    'version: 1',
    'tools:',
    '  write_a: { action: require_approval, rate_limit: { max: 2, window: 60 } }',
    '  gone_tool: { action: deny, reason: never }',
    'resources:',
    '  "odoo://record/*": { action: require_approval, rate_limit: { max: 2, window: 60 } }',
    '  "odoo://secret/*": { action: deny, reason: never }',
  ].join('\n');

  function setup(answers: ('once' | 'session' | 'pin' | 'decline')[], policy = POLICY, untrusted: Map<string, Untrusted> = new Map()) {
    const asked: ApprovalRequest[] = [];
    const approver: Approver = {
      name: 'test',
      isAvailable: () => true,
      request: async (req) => {
        asked.push(req);
        const a = answers.shift() ?? 'decline';
        return a === 'decline' ? { outcome: 'declined', by: 'test', detail: 'no' } : { outcome: 'approved', by: 'test', scope: a };
      },
    };
    const forwarded: { subject: GatedSubject; facts: AuditFacts }[] = [];
    const trusted: { tool: string; by: string; scope: string }[] = [];
    const responses: any[] = [];
    const records: { name: string; facts: AuditFacts; outcome: string }[] = [];
    const now = 1000;
    const gate = new Gate({
      policy: { state: policyFromText('p.yaml', policy).state },
      limiter: new RateLimiter(() => now),
      audit: new MemoryAudit(),
      approvers: [approver],
      serverName: 'test',
      auditFailOpen: false,
      mode: () => 'enforce',
      approvalId: () => 'a',
      batched: (work) => work(),
      respond: (line) => responses.push(JSON.parse(line)),
      forward: (subject, facts) => forwarded.push({ subject, facts }),
      untrusted: (name) => untrusted.get(name),
      trustDefinition: (u, by, scope) => {
        trusted.push({ tool: u.tool, by, scope });
        return untrusted.delete(u.tool);
      },
      record: (subject, facts, outcome) => records.push({ name: subject.name, facts, outcome }),
    });
    return { gate, asked, forwarded, responses, records, trusted };
  }

  let n = 0;
  const tool = (name: string): GatedSubject => {
    const r = readToolCall(++n, `n${n}`, { params: { name, arguments: { x: 1 } } }, '', false, 0);
    assert.equal(r.kind, 'subject');
    return classified(r.kind === 'subject' ? r.subject : (undefined as never), classifyTool(name));
  };
  const resource = (uri: string): GatedSubject => {
    const r = readResourceRequest(++n, `n${n}`, 'resources/read', { params: { uri } }, 0);
    assert.equal(r.kind, 'subject');
    return r.kind === 'subject' ? r.subject : (undefined as never);
  };
  const settle = () => new Promise((r) => setImmediate(r));

  it('"for this session" on a call classed by an argument covers only that case: another method is asked again', async () => {
    const g = setup(['session', 'session', 'once'], 'version: 1\ntools:\n  execute_method: { action: require_approval }\n');
    const method = (m: string): GatedSubject => {
      const args = { model: 'res.partner', method: m };
      const r = readToolCall(++n, `n${n}`, { params: { name: 'execute_method', arguments: args } }, '', false, 0);
      return classified(r.kind === 'subject' ? r.subject : (undefined as never), classifyCall('execute_method', undefined, args));
    };
    for (const m of ['search_read', 'search_read', 'write', 'write', 'search_count']) {
      g.gate.admit(method(m));
      await settle();
    }
    assert.deepEqual(
      g.asked.map((a) => `${a.args['method'] as string} ${a.risk}`),
      ['search_read low', 'write high', 'search_count low'],
    );
    assert.deepEqual(
      g.forwarded.map((f) => f.facts.approver),
      ['test', 'session', 'test', 'session', 'test'],
    );
  });

  for (const [what, make, blocked] of [
    ['a tool call', () => tool('write_a'), () => tool('gone_tool')],
    ['a resource read', () => resource('odoo://record/res.partner/1'), () => resource('odoo://secret/x')],
  ] as const) {
    it(`${what}: asked, allowed for the session, then rate-limited; a deny is answered and audited, never forwarded`, async () => {
      const g = setup(['session']);
      g.gate.admit(make());
      await settle();
      assert.equal(g.asked.length, 1, 'a person was asked');
      g.gate.admit(make());
      await settle();
      assert.equal(g.asked.length, 1, '"for this session" covers the second one');
      assert.deepEqual(
        g.forwarded.map((f) => [f.facts.decision, f.facts.approver]),
        [
          ['approved', 'test'],
          ['approved', 'session'],
        ],
      );
      g.gate.admit(make());
      await settle();
      assert.equal(g.forwarded.length, 2, 'the third is over the rate limit');
      assert.equal(g.records.at(-1)!.facts.decision, 'rate_limited');
      g.gate.admit(blocked());
      assert.equal(g.forwarded.length, 2);
      assert.deepEqual(
        g.records.map((r) => [r.facts.decision, r.outcome]),
        [
          ['rate_limited', 'not_forwarded'],
          ['denied', 'not_forwarded'],
        ],
      );
      assert.equal(g.responses.length, 2, 'both blocked requests were answered');
    });

    it(`${what}: a declined approval blocks it, and a cancelled one answers nothing`, async () => {
      const g = setup(['decline']);
      g.gate.admit(make());
      await settle();
      assert.equal(g.forwarded.length, 0);
      assert.equal(g.records[0]!.facts.decision, 'declined');
      assert.equal(g.responses.length, 1);
      const slow = setup([]);
      const subject = make();
      // An approver that never answers: the client's cancel ends the wait.
      (slow.gate as any).opts.approvers[0].request = (_req: ApprovalRequest, signal: AbortSignal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))),
        );
      slow.gate.admit(subject);
      assert.ok(slow.gate.isHeld(subject.key));
      slow.gate.cancel(subject.key);
      await settle();
      await settle();
      assert.equal(slow.responses.length, 0, 'a cancelled request expects no answer');
      assert.deepEqual(
        slow.records.map((r) => [r.facts.decision, r.outcome]),
        [['declined', 'not_forwarded']],
      );
      assert.ok(!slow.gate.isHeld(subject.key));
    });
  }

  describe('a tool whose definition is not trusted', () => {
    const change = (tool: string): Untrusted => ({
      tool,
      why: 'changed',
      reason: `The server changed the definition of ${tool}: description changed.`,
      change: { kind: 'changed', against: 'session', parts: ['description'], schemaChanges: [], fingerprint: 'sha256:ab' },
    });

    it('is asked about with the change; declined, it is blocked by rule tool_definition and never forwarded', async () => {
      const g = setup(['decline'], POLICY, new Map([['read_a', change('read_a')]]));
      g.gate.admit(tool('read_a'));
      await settle();
      assert.equal(g.asked.length, 1);
      assert.deepEqual(g.asked[0]!.definitionChange?.parts, ['description']);
      assert.equal(g.forwarded.length, 0);
      assert.deepEqual(
        g.records.map((r) => [r.facts.decision, r.facts.rule]),
        [['declined', 'tool_definition']],
      );
      assert.match(g.responses[0].result.content[0].text, /by rule tool_definition\.\nReason: The server changed the definition of read_a/);
    });

    it('trusted by a person, it becomes trusted and the call is then decided by the policy like any other', async () => {
      const g = setup(['pin', 'once'], POLICY, new Map([['write_a', change('write_a')]]));
      g.gate.admit(tool('write_a'));
      await settle();
      await settle();
      assert.deepEqual(g.trusted, [{ tool: 'write_a', by: 'test', scope: 'pin' }]);
      assert.equal(g.asked.length, 2, 'the definition first, then the call the policy asks about');
      assert.equal(g.asked[1]!.definitionChange, undefined);
      assert.deepEqual(
        g.forwarded.map((f) => f.facts.decision),
        ['approved'],
      );
    });

    it('is denied without asking when nobody may trust it (two tools of one name, an unreadable pins file)', async () => {
      const g = setup(
        ['once'],
        POLICY,
        new Map([['read_a', { tool: 'read_a', why: 'duplicate', reason: 'The server lists 2 tools named read_a.' } as Untrusted]]),
      );
      g.gate.admit(tool('read_a'));
      await settle();
      assert.equal(g.asked.length, 0);
      assert.equal(g.forwarded.length, 0);
      assert.deepEqual(
        g.records.map((r) => [r.facts.decision, r.facts.rule]),
        [['denied', 'tool_definition']],
      );
    });
  });
});
