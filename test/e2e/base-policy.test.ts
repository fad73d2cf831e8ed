import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, textOf, type Session } from '../support/guarded';
import { connectHttp, serve } from '../support/served';
import { tempDir, waitFor } from '../support/temp';

/**
 * Issue 13, part 3: an organisation's base policy under the workspace policy, through a real guard
 * process (`run --base-policy`) in front of the stand-in; its journal shows what really executed.
 */
describe('base policy end to end (SDK client → dist/mcp-guard.js run --base-policy → stand-in)', function () {
  this.timeout(30_000);
  const sessions: Session[] = [];
  const cleanups: (() => void)[] = [];

  async function open(policy: string, base: string): Promise<{ s: Session; basePath: string }> {
    const { dir, cleanup } = tempDir('mcp-guard-base-');
    cleanups.push(cleanup);
    const basePath = join(dir, 'org.yaml');
    writeFileSync(basePath, base);
    const s = await connect({ policy, guardArgs: ['--base-policy', basePath] });
    sessions.push(s);
    return { s, basePath };
  }

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
    for (const c of cleanups.splice(0)) c();
  });

  const BASE = [
    'version: 1',
    'risk: { critical: allow, high: allow }',
    'tools:',
    '  execute_method:',
    '    action: deny',
    '    reason: No arbitrary methods in this organisation',
    '  chatter_post:',
    '    action: require_approval',
    '  search_records:',
    '    rate_limit: { max: 2, window: 60 }',
    '',
  ].join('\n');

  it('a workspace allow cannot loosen a base deny or require_approval: nothing is executed', async () => {
    const { s, basePath } = await open(
      ['version: 1', 'tools:', '  execute_method:', '    action: allow', '  chatter_post:', '    action: allow', ''].join('\n'),
      BASE,
    );
    const denied = await s.client.callTool({
      name: 'execute_method',
      arguments: { model: 'res.partner', method: 'search_count', args: [[]] },
    });
    assert.equal(denied.isError, true);
    assert.match(textOf(denied), /by rule base:tools\.execute_method\./);
    assert.ok(textOf(denied).includes(`From the organisation's base policy ${basePath}:4: No arbitrary methods in this organisation`));
    // The client cannot be asked (no elicitation, no editor): a call the base sends for approval is blocked.
    const asked = await s.client.callTool({
      name: 'chatter_post',
      arguments: { model: 'res.partner', record_id: 3, body: 'hello' },
    });
    assert.equal(asked.isError, true);
    assert.match(textOf(asked), /by rule base:tools\.chatter_post\./);
    assert.deepEqual(s.journal(), [], 'the stand-in executed nothing');
    const decisions = s.decisions();
    assert.deepEqual(
      decisions.map((d) => [d.tool, d.rule]),
      [
        ['execute_method', 'base:tools.execute_method'],
        ['chatter_post', 'base:tools.chatter_post'],
      ],
    );
    assert.deepEqual(decisions[0].entries, ['execute_method', 'base:execute_method']);
    const start = s.audit().find((e) => e.event === 'start');
    assert.equal(start.base_policy, basePath);
  });

  it('a base rate limit applies on top of the policy (both count; the base one is named base:tools.KEY)', async () => {
    const { s } = await open(['version: 1', 'tools:', '  search_records:', '    rate_limit: { max: 5, window: 60 }', ''].join('\n'), BASE);
    const args = { model: 'res.partner', domain: [], limit: 1 };
    for (let i = 0; i < 2; i++) {
      const ok = await s.client.callTool({ name: 'search_records', arguments: args });
      assert.notEqual(ok.isError, true, textOf(ok));
    }
    const third = await s.client.callTool({ name: 'search_records', arguments: args });
    assert.equal(third.isError, true);
    assert.match(textOf(third), /rate-limited the call to search_records .* by rule base:tools\.search_records\./);
    assert.equal(s.journal().length, 2);
    assert.deepEqual(
      s.decisions().map((d) => d.decision),
      ['allowed', 'allowed', 'rate_limited'],
    );
  });

  it('an invalid base policy blocks every call, naming the base file; fixing it lets calls through', async () => {
    const { s, basePath } = await open('version: 1\n', 'version: 1\ntools:\n  search_records: { acton: deny }\n');
    const tools = await s.client.listTools();
    assert.ok(tools.tools.length > 0);
    for (const name of ['search_records', 'list_models', 'health_check']) {
      const r = await s.client.callTool({ name, arguments: name === 'search_records' ? { model: 'res.partner' } : {} });
      assert.equal(r.isError, true, name);
      assert.match(textOf(r), /by rule base:policy\./);
      assert.ok(textOf(r).includes(basePath), textOf(r));
    }
    assert.deepEqual(s.journal(), []);
    assert.match(s.stderr(), /base policy .* is missing or invalid: every tool call will be blocked/);
    writeFileSync(basePath, 'version: 1\n');
    await waitFor('the fixed base', () => s.stderr().includes('base policy reloaded'), 10_000);
    const ok = await s.client.callTool({ name: 'list_models', arguments: {} });
    assert.notEqual(ok.isError, true, textOf(ok));
    assert.equal(s.journal().length, 1);
  });

  it('a missing base policy blocks every call', async () => {
    const { dir, cleanup } = tempDir('mcp-guard-base-');
    cleanups.push(cleanup);
    const s = await connect({ policy: 'version: 1\n', guardArgs: ['--base-policy', join(dir, 'nowhere.yaml')] });
    sessions.push(s);
    const r = await s.client.callTool({ name: 'list_models', arguments: {} });
    assert.equal(r.isError, true);
    assert.match(
      textOf(r),
      /by rule base:policy\..*\n.*nowhere\.yaml:1:1: error: cannot read the base policy file: the file does not exist/s,
    );
    assert.deepEqual(s.journal(), []);
  });

  it('serve --base-policy: every session gets the base under its policy', async () => {
    const { dir, cleanup } = tempDir('mcp-guard-base-');
    cleanups.push(cleanup);
    const basePath = join(dir, 'org.yaml');
    writeFileSync(basePath, BASE);
    const served = await serve({
      policy: 'version: 1\ntools:\n  execute_method:\n    action: allow\n',
      serveArgs: ['--base-policy', basePath],
    });
    try {
      const { client } = await connectHttp(served.url);
      const r = await client.callTool({ name: 'execute_method', arguments: { model: 'res.partner', method: 'search_count', args: [[]] } });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /by rule base:tools\.execute_method\./);
      const ok = await client.callTool({ name: 'list_models', arguments: {} });
      assert.notEqual(ok.isError, true, textOf(ok));
      assert.deepEqual(
        served.journal().map((j) => j.tool),
        ['list_models'],
      );
      await client.close();
    } finally {
      await served.stop();
    }
  });
});
