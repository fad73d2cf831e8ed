// src/guard/catalog/odoo-tools.ts (the Odoo tool definitions for the core) and src/guard/language/tool-index.ts.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ODOO_MCP_CATALOG } from '../../src/guard/catalog/odoo-mcp';
import { ODOO_MCP_SERVER, ODOO_MCP_TOOLS } from '../../src/guard/catalog/odoo-tools';
import { ToolIndex, createToolIndex, parametersOf, schemaType, toolIndexOf } from '../../src/guard/language/tool-index';

const ROOT = join(__dirname, '..', '..');

describe('Odoo tool definitions in the core', () => {
  it('src/guard/catalog/odoo-mcp-1.3.0.tools.json is byte-for-byte test/fixtures/odoo-tools.json', () => {
    const core = readFileSync(join(ROOT, 'src', 'guard', 'catalog', 'odoo-mcp-1.3.0.tools.json'));
    const fixture = readFileSync(join(ROOT, 'test', 'fixtures', 'odoo-tools.json'));
    assert.ok(core.equals(fixture), 'the two files differ: copy test/fixtures/odoo-tools.json over the core copy');
  });

  it("43 tools, the catalog's, in catalog order, each with a description and an object input schema", () => {
    assert.equal(ODOO_MCP_SERVER.version, '1.3.0');
    assert.deepEqual(
      ODOO_MCP_TOOLS.map((t) => t.name),
      Object.keys(ODOO_MCP_CATALOG),
    );
    for (const t of ODOO_MCP_TOOLS) {
      assert.equal(typeof t.description, 'string', t.name);
      assert.equal(t.inputSchema?.type, 'object', t.name);
    }
  });
});

describe('tool index', () => {
  it('schemaType: plain, unions, arrays, enums and consts', () => {
    assert.equal(schemaType({ type: 'string' }), 'string');
    assert.equal(schemaType({ anyOf: [{ type: 'string' }, { type: 'null' }] }), 'string | null');
    assert.equal(schemaType({ anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'null' }] }), 'string[] | null');
    assert.equal(schemaType({ type: 'array', items: { anyOf: [{ type: 'integer' }, { type: 'string' }] } }), '(integer | string)[]');
    assert.equal(schemaType({ type: 'array', items: {} }), 'array');
    assert.equal(schemaType({ enum: ['a', 'b'] }), '"a" | "b"');
    assert.equal(schemaType({ const: 5 }), '5');
    assert.equal(schemaType({ type: ['string', 'integer'] }), 'string | integer');
    assert.equal(schemaType({}), 'any');
    assert.equal(schemaType(undefined), 'any');
  });

  it('parameters of a catalog tool from its schema: name, type, required, description', () => {
    const params = parametersOf(ODOO_MCP_TOOLS.find((t) => t.name === 'execute_method')!.inputSchema);
    assert.deepEqual(
      params.map((p) => [p.name, p.type, p.required, p.description]),
      [
        ['args', 'array | null', false, 'Optional positional method arguments.'],
        ['instance', 'string | null', false, 'Optional configured Odoo instance name; uses the default if omitted.'],
        ['kwargs', 'object | null', false, 'Optional keyword method arguments.'],
        ['method', 'string', true, 'Odoo model method to call; direct create, write, and unlink are blocked.'],
        ['model', 'string', true, "Technical Odoo model name, for example 'res.partner'."],
      ],
    );
    assert.deepEqual(parametersOf({ type: 'object', properties: { s: { type: 'string', enum: ['x', 'y'], default: 'x' } } })[0]!.enum, [
      'x',
      'y',
    ]);
  });

  it('the catalog alone: 43 known tools, classified by the catalog', () => {
    const index = createToolIndex();
    assert.equal(index.tools.length, 43);
    assert.equal(index.hasReported, false);
    assert.deepEqual(index.get('cancel_async_task')?.classification.risk, 'critical');
    assert.equal(index.get('cancel_async_task')?.inCatalog, true);
    assert.equal(index.get('cancel_async_task')?.reported, false);
    assert.equal(index.get('nope'), undefined);
    assert.equal(index.classify('nope').category, 'Write');
  });

  it('with a reported list: new tools classified from their annotations, catalog tools keep the catalog class and take the live schema', () => {
    const index = createToolIndex([
      { name: 'wiper', annotations: { destructiveHint: true }, description: 'Wipes.' },
      { name: 'reader', annotations: { readOnlyHint: true } },
      {
        name: 'health_check',
        description: 'Live description',
        inputSchema: { type: 'object', properties: { verbose: { type: 'boolean' } } },
      },
      { name: 'wiper', description: 'duplicate, ignored' },
    ]);
    assert.equal(index.tools.length, 45);
    assert.equal(index.hasReported, true);
    assert.deepEqual(
      [index.get('wiper')!.classification.category, index.get('wiper')!.classification.risk, index.get('wiper')!.description],
      ['Destructive', 'high', 'Wipes.'],
    );
    assert.deepEqual(
      [index.get('reader')!.classification.category, index.get('reader')!.classification.risk, index.get('reader')!.inCatalog],
      ['Read', 'low', false],
    );
    const hc = index.get('health_check')!;
    assert.deepEqual(
      [hc.inCatalog, hc.reported, hc.description, hc.parameters.map((p) => p.name), hc.classification.source],
      [true, true, 'Live description', ['verbose'], 'catalog'],
    );
  });

  it('matching: exact names and globs (with a literal prefix or not), in index order', () => {
    const index = createToolIndex([{ name: 'search_x' }]);
    assert.deepEqual(
      index.matching('search_*').map((t) => t.name),
      ['search_records', 'search_employee', 'search_holidays', 'search_knowledge', 'search_across_instances', 'search_x'],
    );
    assert.deepEqual(
      index.matching('*_async_task').map((t) => t.name),
      ['submit_async_task', 'get_async_task', 'cancel_async_task'],
    );
    assert.deepEqual(
      index.matching('get_?sync_task').map((t) => t.name),
      ['get_async_task'],
    );
    assert.deepEqual(
      index.matching('read_record').map((t) => t.name),
      ['read_record'],
    );
    assert.deepEqual(index.matching('nothing*'), []);
  });

  it('suggest: the closest name, the same with a long list of reported names', () => {
    assert.equal(createToolIndex().suggest('serch_records'), 'search_records');
    assert.equal(createToolIndex().suggest('zzzzzzzz'), undefined);
    const many = Array.from({ length: 500 }, (_, i) => ({ name: `tool_${String(i).padStart(4, '0')}` }));
    const index = createToolIndex(many);
    assert.equal(index.suggest('tool_00x1'), 'tool_0001');
    assert.equal(index.suggest('serch_records'), 'search_records');
    assert.equal(index.suggest('qqqqqqqqqqqqqqqq'), undefined);
  });

  it('toolIndexOf: an index as is, the same list gives the same index, nothing gives the catalog index', () => {
    const list = [{ name: 'a' }];
    assert.equal(toolIndexOf(list), toolIndexOf(list));
    assert.notEqual(toolIndexOf(list), toolIndexOf([{ name: 'a' }]));
    assert.equal(toolIndexOf(undefined), toolIndexOf(undefined));
    const index = createToolIndex();
    assert.equal(toolIndexOf(index), index);
    assert.ok(toolIndexOf(undefined) instanceof ToolIndex);
  });
});
