import { strict as assert } from 'node:assert';
import { ProxyHarness, type HarnessOptions } from '../support/proxy-harness';

/** GuardProxy in process: which catalog classes a call depends on who the server says it is. */
describe('proxy: the catalog by server identity (in process)', () => {
  // A server listing odoo-mcp's execute_method and cancel_async_task with odoo-mcp's own (wrong) annotations.
  const tools = [
    { name: 'execute_method', annotations: { readOnlyHint: false, destructiveHint: true } },
    { name: 'cancel_async_task', annotations: { readOnlyHint: true } },
  ];
  const policy = 'version: 1\ntools:\n  "*": { action: allow }\n';

  async function classes(serverInfo: Record<string, unknown> | null, proxy: NonNullable<HarnessOptions['proxy']> = {}) {
    const h = new ProxyHarness({ tools, policy, mode: 'lockdown', serverInfo, proxy });
    await h.initialize();
    h.call(1, 'execute_method', { model: 'res.partner', method: 'search_read' });
    h.call(2, 'cancel_async_task', { task_id: 'abc' });
    await h.answerTo(1);
    await h.answerTo(2);
    const of = (tool: string) => {
      const d = h.audit.decisions.find((e) => e.tool === tool);
      return `${d.category}/${d.risk} ${d.class_source} ${d.decision}`;
    };
    return {
      read: of('execute_method'),
      cancel: of('cancel_async_task'),
      forwarded: h.upstream.filter((m) => m.method === 'tools/call').map((m) => m.params.name),
      logs: h.logs,
    };
  }

  it('a server that names itself odoo-mcp gets the catalog, by argument: a read-like execute_method passes lockdown', async () => {
    for (const name of ['Odoo MCP Server', 'odoo-mcp', 'odoo-mcp-demo']) {
      const c = await classes({ name, version: '1.3.0' });
      assert.equal(c.read, 'Read/low catalog-argument allowed', name);
      assert.equal(c.cancel, 'Destructive/critical catalog denied', name);
      assert.deepEqual(c.forwarded, ['execute_method'], name);
      assert.ok(c.logs.some((l) => l.includes(`classing tools with the odoo-mcp catalog: the server names itself "${name}"`)));
    }
  });

  it('any other name: the annotations, which the catalog name may only raise', async () => {
    for (const name of ['fake', 'Odoo MCP server', 'odoo-mcp ', '']) {
      const c = await classes({ name, version: '1' });
      assert.equal(c.read, 'Destructive/high annotations denied', JSON.stringify(name));
      assert.equal(c.cancel, 'Destructive/critical name-match denied', JSON.stringify(name));
      assert.deepEqual(c.forwarded, [], JSON.stringify(name));
    }
  });

  it('no serverInfo: the command decides; the catalog setting overrides what the server says', async () => {
    assert.equal((await classes(null)).read, 'Destructive/high annotations denied');
    assert.equal((await classes(null, { catalog: { choice: 'auto', commandIsOdooMcp: true } })).read, 'Read/low catalog-argument allowed');
    assert.equal((await classes({ name: 'fake' }, { catalog: { choice: 'odoo-mcp' } })).read, 'Read/low catalog-argument allowed');
    assert.equal((await classes({ name: 'odoo-mcp' }, { catalog: { choice: 'none' } })).read, 'Destructive/high annotations denied');
  });
});
