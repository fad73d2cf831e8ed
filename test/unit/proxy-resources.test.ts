// src/guard/proxy/guard-proxy.ts: resources/read and resources/subscribe gated in process.
import { strict as assert } from 'node:assert';
import { argumentsDigest } from '../../src/guard/canonical-json';
import { ProxyHarness } from '../support/proxy-harness';

const POLICY =
  'version: 1\nhide: ["secret://*"]\nresources:\n  "odoo://record/*":\n    action: deny\n    reason: Records only through tools\n';

function read(h: ProxyHarness, id: string, uri: unknown, method = 'resources/read'): void {
  h.send({ jsonrpc: '2.0', id, method, params: { uri } });
}

const forwarded = (h: ProxyHarness) => h.upstream.filter((m) => typeof m.method === 'string' && m.method.startsWith('resources/'));

describe('proxy resources: gating resources/read and resources/subscribe', () => {
  it('a denied read and subscribe never reach the server and get a JSON-RPC error naming the rule', async () => {
    const h = new ProxyHarness({ policy: POLICY });
    await h.initialize();
    read(h, 'r1', 'odoo://record/res.partner/2');
    read(h, 's1', 'odoo://record/res.partner/2', 'resources/subscribe');
    read(h, 'ok', 'odoo://models');
    await h.settle();
    assert.deepEqual(
      forwarded(h).map((m) => m.id),
      ['ok'],
    );
    const e = h.answersTo('r1')[0].error;
    assert.equal(e.code, -32001);
    assert.equal(
      e.message,
      'MCP Guard blocked reading odoo://record/res.partner/2 by rule resources.odoo://record/*: Records only through tools',
    );
    assert.deepEqual(e.data, { guard: 'mcp-guard', decision: 'denied', rule: 'resources.odoo://record/*' });
    assert.match(h.answersTo('s1')[0].error.message, /^MCP Guard blocked subscribing to odoo:\/\/record\/res\.partner\/2 by rule/);
    assert.deepEqual(h.answersTo('ok')[0].result, {});
    const d = h.audit.decisions;
    assert.deepEqual(
      d.map((x) => [x.tool, x.decision, x.outcome]),
      [
        ['resources/read', 'denied', 'not_forwarded'],
        ['resources/subscribe', 'denied', 'not_forwarded'],
        ['resources/read', 'allowed', 'ok'],
      ],
    );
    assert.equal(d[0].args_sha256, argumentsDigest({ uri: 'odoo://record/res.partner/2' }));
    assert.ok(!JSON.stringify(h.audit.events).includes('res.partner/2'));
  });

  it('refuses a read without a uri, and before initialize', async () => {
    const h = new ProxyHarness({ policy: POLICY });
    read(h, 'early', 'odoo://models');
    await h.settle();
    assert.match(h.answersTo('early')[0].error.message, /before initialize/);
    await h.initialize();
    read(h, 'bad', 42);
    h.send({ jsonrpc: '2.0', id: 'none', method: 'resources/read' });
    await h.settle();
    assert.equal(h.answersTo('bad')[0].error.code, -32602);
    assert.equal(h.answersTo('none')[0].error.code, -32602);
    assert.deepEqual(forwarded(h), []);
  });

  it('blocks every read while the policy is invalid', async () => {
    const h = new ProxyHarness({ policy: 'version: 1\nresources:\n  x: { action: nope }\n' });
    await h.initialize();
    read(h, 'r', 'odoo://models');
    await h.settle();
    assert.match(h.answersTo('r')[0].error.message, /by rule policy: The policy file is invalid/);
    assert.deepEqual(forwarded(h), []);
  });

  it('filters hidden resources and templates from the list answers', async () => {
    const h = new ProxyHarness({ policy: POLICY });
    await h.initialize();
    h.upstreamAnswers = false;
    h.send({ jsonrpc: '2.0', id: 'l', method: 'resources/list' });
    h.send({ jsonrpc: '2.0', id: 't', method: 'resources/templates/list' });
    await h.settle();
    h.fromUpstream({
      jsonrpc: '2.0',
      id: 'l',
      result: {
        resources: [
          { uri: 'secret://a', name: 'a' },
          { uri: 'odoo://models', name: 'm' },
        ],
      },
    });
    h.fromUpstream({
      jsonrpc: '2.0',
      id: 't',
      result: {
        resourceTemplates: [
          { uriTemplate: 'secret://{id}', name: 's' },
          { uriTemplate: 'odoo://model/{m}', name: 'm' },
        ],
      },
    });
    await h.settle();
    assert.deepEqual(
      h.answersTo('l')[0].result.resources.map((r: any) => r.uri),
      ['odoo://models'],
    );
    assert.deepEqual(
      h.answersTo('t')[0].result.resourceTemplates.map((r: any) => r.uriTemplate),
      ['odoo://model/{m}'],
    );
  });

  it('audits a forwarded read the server never answers when it exits', async () => {
    const h = new ProxyHarness({ policy: POLICY });
    await h.initialize();
    h.upstreamAnswers = false;
    read(h, 'r', 'odoo://models');
    await h.settle();
    h.proxy.upstreamExited('crashed');
    await h.settle();
    assert.equal(h.answersTo('r')[0].error.code, -32000);
    assert.deepEqual(
      h.audit.decisions.map((d) => [d.tool, d.decision, d.outcome]),
      [['resources/read', 'allowed', 'no_response']],
    );
  });

  it('monitor mode forwards a denied read and audits it as monitored', async () => {
    const h = new ProxyHarness({ policy: POLICY, mode: 'monitor' });
    await h.initialize();
    read(h, 'r', 'odoo://record/a/1');
    await h.settle();
    assert.deepEqual(
      forwarded(h).map((m) => m.id),
      ['r'],
    );
    assert.deepEqual(
      h.audit.decisions.map((d) => [d.decision, d.would, d.rule]),
      [['monitored', 'denied', 'resources.odoo://record/*']],
    );
  });
});
