import { strict as assert } from 'node:assert';
import fixture from '../fixtures/odoo-tools.json';
import { ODOO_MCP_CATALOG, ODOO_MCP_VERSION } from '../../src/guard/catalog/odoo-mcp';
import { RISK_CLASSES, TOOL_CATEGORIES, type RiskClass } from '../../src/guard/catalog/types';

interface FixtureTool {
  name: string;
  description?: string;
  annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean };
}

const tools = fixture.tools as FixtureTool[];
const rank = (r: RiskClass): number => RISK_CLASSES.indexOf(r);

describe('Odoo MCP catalog', () => {
  it('matches the fixture server version', () => {
    assert.equal(ODOO_MCP_VERSION, fixture.server.version);
  });

  it('has exactly the 43 fixture tools, in fixture order', () => {
    assert.equal(tools.length, 43);
    assert.deepEqual(
      Object.keys(ODOO_MCP_CATALOG),
      tools.map((t) => t.name),
    );
  });

  it('gives every entry a valid category, risk and a single-line reason of our own', () => {
    for (const tool of tools) {
      const entry = ODOO_MCP_CATALOG[tool.name];
      assert.ok(entry, `missing ${tool.name}`);
      assert.ok(TOOL_CATEGORIES.includes(entry.category), `${tool.name}: category ${entry.category}`);
      assert.ok(RISK_CLASSES.includes(entry.risk), `${tool.name}: risk ${entry.risk}`);
      const reason = entry.reason;
      assert.equal(typeof reason, 'string');
      assert.ok(reason.trim().length > 0, `${tool.name}: empty reason`);
      assert.ok(!/[\r\n]/.test(reason), `${tool.name}: reason spans lines`);
      assert.ok(reason.length < 160, `${tool.name}: reason is ${reason.length} chars`);
      if (tool.description) {
        assert.ok(!reason.includes(tool.description), `${tool.name}: reason copies the description`);
      }
    }
  });

  it("classes by argument only on a parameter the tool has, with reasons of our own, never above the tool's own class", () => {
    const byArgument = Object.entries(ODOO_MCP_CATALOG).filter(([, e]) => e.byArgument);
    assert.deepEqual(
      byArgument.map(([tool, e]) => `${tool}:${e.byArgument!.argument}`),
      ['read_field_to_file:file_root', 'write_field_from_file:file_root', 'execute_method:method'],
    );
    for (const [tool, entry] of byArgument) {
      const by = entry.byArgument!;
      const schema = (fixture.tools as { name: string; inputSchema: { properties: Record<string, unknown> } }[]).find(
        (t) => t.name === tool,
      )!.inputSchema;
      assert.ok(Object.hasOwn(schema.properties, by.argument), `${tool}: ${by.argument} is not a parameter`);
      const judgements = [...Object.values(by.values ?? {}), ...(by.absent ? [by.absent] : [])];
      const reasons = [...judgements.map((j) => j.reason), ...(by.strictPrefixes ?? []).map((p) => p.reason), by.otherReason];
      for (const reason of reasons) {
        assert.ok(reason.trim().length > 0 && !/[\r\n]/.test(reason) && reason.length < 160, `${tool}: ${reason}`);
      }
      for (const j of judgements) {
        assert.ok(TOOL_CATEGORIES.includes(j.category) && RISK_CLASSES.includes(j.risk));
        assert.ok(rank(j.risk) <= rank(entry.risk), `${tool}: a case above the tool's own class`);
      }
    }
  });

  it('classifies cancel_async_task as Destructive / critical', () => {
    assert.deepEqual(
      { category: ODOO_MCP_CATALOG.cancel_async_task.category, risk: ODOO_MCP_CATALOG.cancel_async_task.risk },
      { category: 'Destructive', risk: 'critical' },
    );
  });

  it('never rates a tool annotated destructiveHint:true below high', () => {
    const destructive = tools.filter((t) => t.annotations?.destructiveHint === true);
    assert.ok(destructive.length > 0);
    for (const tool of destructive) {
      const { risk } = ODOO_MCP_CATALOG[tool.name];
      assert.ok(rank(risk) >= rank('high'), `${tool.name}: ${risk}`);
    }
  });

  it('does not trust misleading read-only annotations', () => {
    for (const name of ['cancel_async_task', 'submit_async_task', 'validate_write', 'read_field_to_file', 'index_knowledge']) {
      const tool = tools.find((t) => t.name === name);
      assert.equal(tool?.annotations?.readOnlyHint, true, `${name} fixture annotation changed`);
      assert.notEqual(ODOO_MCP_CATALOG[name].category, 'Read', `${name} must not be Read`);
    }
  });

  it('rates record-changing tools as Destructive and method execution as Execute', () => {
    assert.equal(ODOO_MCP_CATALOG.execute_approved_write.category, 'Destructive');
    assert.ok(rank(ODOO_MCP_CATALOG.execute_approved_write.risk) >= rank('high'));
    assert.equal(ODOO_MCP_CATALOG.execute_method.category, 'Execute');
    assert.ok(rank(ODOO_MCP_CATALOG.execute_method.risk) >= rank('high'));
  });
});
