import { strict as assert } from 'node:assert';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect, textOf, type Session } from '../support/guarded';

/**
 * Issue 14: the catalog classes execute_method by its `method`, and the class applies only to
 * the server the catalog describes. Through a real guard process in front of the stand-in
 * odoo-mcp; its journal shows what really ran.
 */
const sessions: Session[] = [];
async function open(...args: Parameters<typeof connect>): Promise<Session> {
  const s = await connect(...args);
  sessions.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

const call = (s: Session, method: unknown, model = 'res.partner', extra: Record<string, unknown> = {}) =>
  s.client.callTool({ name: 'execute_method', arguments: { model, ...(method === undefined ? {} : { method }), ...extra } });

describe('execute_method classed by its method, end to end', function () {
  this.timeout(30_000);

  it('with only the built-in risk defaults: reads run, writes need approval, the rest is denied as critical', async () => {
    const s = await open({ policy: 'version: 1\ndefault: allow\n' });
    for (const method of ['search_read', 'search_count', 'read']) {
      const r = await call(s, method, 'res.partner', { args: method === 'read' ? [[1]] : [[]] });
      assert.notEqual(r.isError, true, `${method}: ${textOf(r)}`);
    }
    const write = await call(s, 'write', 'res.partner', { args: [[1], { name: 'x' }] });
    assert.equal(write.isError, true);
    assert.match(textOf(write), /execute_method \(Write, high risk\) by rule risk\.high \(built-in\)/);
    const action = await call(s, 'action_post', 'account.move', { args: [[1]] });
    assert.match(textOf(action), /blocked the call to execute_method \(Execute, critical risk\) by rule risk\.critical \(built-in\)/);
    assert.match(textOf(action), /method=action_\*/);
    // Anything not exactly a read-like name is critical: case, spaces, look-alike letters, non-strings, absence.
    const evasions: unknown[] = [
      'unlink',
      'Search_read',
      'search_read ',
      '\u0455earch_read',
      'search\u200b_read',
      ['search_read'],
      1,
      null,
      undefined,
    ];
    for (const method of evasions) {
      const r = await call(s, method, 'res.partner', { args: [[1]] });
      assert.equal(r.isError, true, JSON.stringify(method));
      assert.match(textOf(r), /critical risk\) by rule risk\.critical \(built-in\)/, JSON.stringify(method));
    }
    assert.deepEqual(
      s.journal().map((j) => j.arguments['method']),
      ['search_read', 'search_count', 'read'],
    );
    const decisions = s.decisions().filter((e) => e.tool === 'execute_method');
    assert.equal(decisions.length, 5 + evasions.length);
    assert.deepEqual(
      decisions.slice(0, 5).map((e) => [e.category, e.risk, e.class_source, e.class_argument, e.decision]),
      [
        ['Read', 'low', 'catalog-argument', 'method=search_read', 'allowed'],
        ['Read', 'low', 'catalog-argument', 'method=search_count', 'allowed'],
        ['Read', 'low', 'catalog-argument', 'method=read', 'allowed'],
        ['Write', 'high', 'catalog-argument', 'method=write', 'denied'],
        ['Execute', 'critical', 'catalog-argument', 'method=action_*', 'denied'],
      ],
    );
    assert.match(decisions[0].class_reason, /^execute_method with method=search_read: a read-like ORM method/);
    assert.ok(decisions.slice(6).every((e) => e.class_argument === 'method=(other)' && e.risk === 'critical'));
    // The audit log does not echo what the agent sent as a method it does not know.
    assert.ok(!decisions.some((e) => JSON.stringify(e).includes('earch_read ')));
    assert.match(s.stderr(), /classing tools with the odoo-mcp catalog: the server names itself "odoo-mcp-standin"/);
  });

  it('policy entries and conditions still apply on top of the class (strictest wins)', async () => {
    const s = await open({
      policy: [
        'version: 1',
        'default: allow',
        'tools:',
        '  execute_method:',
        '    action: deny',
        '    reason: Nothing on users',
        '    when:',
        '      - { path: args.model, op: eq, value: res.users }',
        '  "execute_*":',
        '    rate_limit: { max: 2, window: 60 }',
      ].join('\n'),
    });
    const users = await call(s, 'search_read', 'res.users', { args: [[]] });
    assert.match(textOf(users), /execute_method \(Read, low risk\) by rule tools\.execute_method/);
    assert.notEqual((await call(s, 'search_read', 'res.partner', { args: [[]] })).isError, true);
    assert.notEqual((await call(s, 'search_count', 'res.partner', { args: [[]] })).isError, true);
    const third = await call(s, 'search_count', 'res.partner', { args: [[]] });
    assert.match(textOf(third), /rate-limited/);
    assert.deepEqual(
      s.journal().map((j) => `${String(j.arguments['model'])} ${String(j.arguments['method'])}`),
      ['res.partner search_read', 'res.partner search_count'],
    );
  });

  it('an entry that asks for approval for every execute_method still asks for reads', async () => {
    const s = await open({ policy: 'version: 1\ndefault: allow\ntools:\n  execute_method: { action: require_approval }\n' });
    const r = await call(s, 'search_read', 'res.partner', { args: [[]] });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /\(Read, low risk\) by rule tools\.execute_method/);
    assert.deepEqual(s.journal(), []);
  });

  it('the approval asks with the class of the call and says which method decided it', async () => {
    const messages: string[] = [];
    const s = await open({
      policy: 'version: 1\ndefault: allow\n',
      capabilities: { elicitation: {} },
      setup: (c) =>
        c.setRequestHandler(ElicitRequestSchema, async (req) => {
          messages.push(req.params.message);
          return { action: 'accept', content: { confirm: true } };
        }),
    });
    // Forwarded once approved (the stand-in, like odoo-mcp, then refuses a direct write itself).
    await call(s, 'write', 'res.partner', { args: [[1], { name: 'Renamed' }] });
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, /Tool: execute_method — Write, high risk/);
    assert.match(messages[0]!, /Why this risk: execute_method with method=write: an ORM method that creates or changes records/);
    assert.deepEqual(
      s.journal().map((j) => j.arguments['method']),
      ['write'],
    );
    assert.equal(s.decisions()[0].decision, 'approved');
  });

  it('lockdown lets a read-like method through and blocks create, even under an allow-all policy', async () => {
    const s = await open({ policy: 'version: 1\ntools:\n  "*": { action: allow }\n', mode: 'lockdown' });
    assert.notEqual((await call(s, 'search_read', 'res.partner', { args: [[]] })).isError, true);
    const create = await call(s, 'create', 'res.partner', { args: [{ name: 'New' }] });
    assert.match(textOf(create), /\(Write, high risk\) by rule mode\.lockdown/);
    assert.deepEqual(
      s.journal().map((j) => j.arguments['method']),
      ['search_read'],
    );
  });

  it('with --catalog none the server is another one: the catalog only raises annotation classes, and says so', async () => {
    const s = await open({ policy: 'version: 1\ntools:\n  "*": { action: allow }\n', mode: 'lockdown', guardArgs: ['--catalog', 'none'] });
    // The stand-in marks execute_method destructive: without the catalog's own judgement that class stands.
    const read = await call(s, 'search_read', 'res.partner', { args: [[]] });
    assert.match(textOf(read), /\(Destructive, high risk\) by rule mode\.lockdown/);
    // cancel_async_task is marked read-only; the name's match raises it to the catalog's critical.
    const cancel = await s.client.callTool({ name: 'cancel_async_task', arguments: { task_id: 'abcdefabcdef' } });
    assert.match(textOf(cancel), /\(Destructive, critical risk\) by rule mode\.lockdown/);
    assert.notEqual((await s.client.callTool({ name: 'health_check', arguments: {} })).isError, true);
    assert.deepEqual(
      s.journal().map((j) => j.tool),
      ['health_check'],
    );
    const byTool = new Map(s.decisions().map((e) => [e.tool, e]));
    assert.equal(byTool.get('execute_method').class_source, 'annotations');
    assert.equal(byTool.get('cancel_async_task').class_source, 'name-match');
    assert.match(byTool.get('cancel_async_task').class_reason, /^Classed by its name: .*This server is not odoo-mcp/);
    assert.match(
      s.stderr(),
      /classing tools by their annotations \(odoo-mcp catalog names may only raise them\): the catalog is set to none/,
    );
  });
});
