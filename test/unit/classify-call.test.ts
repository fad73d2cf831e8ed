import { strict as assert } from 'node:assert';
import {
  argumentClassesOf,
  classifyCall,
  classifyTool,
  stricterThan,
  type CatalogUse,
  type Classification,
} from '../../src/guard/catalog/classify';
import { ODOO_MCP_CATALOG } from '../../src/guard/catalog/odoo-mcp';
import { ODOO_MCP_TOOLS } from '../../src/guard/catalog/odoo-tools';

const annotationsOf = (tool: string) => ODOO_MCP_TOOLS.find((t) => t.name === tool)?.annotations;
/** As the guard classifies a call to odoo-mcp itself: with the server's own (wrong) annotations. */
const odoo = (tool: string, args: unknown): Classification => classifyCall(tool, annotationsOf(tool), args as Record<string, unknown>);
const classOf = (c: Classification) => `${c.category}/${c.risk}`;

const READ_LIKE = ['search', 'search_read', 'read', 'read_group', 'search_count', 'name_search', 'fields_get'];
const WRITE_LIKE = ['create', 'write', 'copy'];

describe('classifyCall: classes by argument', () => {
  describe('execute_method by method', () => {
    it('read-like ORM methods are Read / low, despite the destructiveHint odoo-mcp gives every execute_method', () => {
      assert.equal(annotationsOf('execute_method')?.destructiveHint, true);
      for (const method of READ_LIKE) {
        const c = odoo('execute_method', { model: 'res.partner', method });
        assert.equal(classOf(c), 'Read/low', method);
        assert.equal(c.source, 'catalog-argument', method);
        assert.equal(c.argument, `method=${method}`);
        assert.match(c.reason, new RegExp(`^execute_method with method=${method}: a read-like ORM method`, 'i'));
      }
    });

    it('create, write and copy are Write / high', () => {
      for (const method of WRITE_LIKE) {
        const c = odoo('execute_method', { model: 'res.partner', method, args: [[1]] });
        assert.equal(classOf(c), 'Write/high', method);
        assert.equal(c.argument, `method=${method}`);
      }
    });

    it('unlink, action_* and button_* stay critical, and say why', () => {
      assert.equal(classOf(odoo('execute_method', { model: 'x', method: 'unlink' })), 'Destructive/critical');
      const action = odoo('execute_method', { model: 'account.move', method: 'action_post' });
      assert.deepEqual([classOf(action), action.argument], ['Execute/critical', 'method=action_*']);
      assert.match(action.reason, /action_\* business method/);
      const button = odoo('execute_method', { model: 'sale.order', method: 'button_cancel' });
      assert.deepEqual([classOf(button), button.argument], ['Execute/critical', 'method=button_*']);
    });

    it('anything that is not exactly a listed method keeps the strictest class (Execute / critical)', () => {
      const attempts: unknown[] = [
        'Search_read',
        'SEARCH',
        'search_read ',
        ' search_read',
        'search_read\u0000',
        'search_read\n',
        'ѕearch_read', // Cyrillic dze
        'search\u200bread',
        'sеarch', // Cyrillic ie
        'search_read_then_unlink',
        'readx',
        '',
        'constructor',
        '__proto__',
        'toString',
        'hasOwnProperty',
        ['search_read'],
        { name: 'search_read' },
        42,
        true,
        null,
      ];
      for (const method of attempts) {
        const c = odoo('execute_method', { model: 'res.partner', method });
        assert.equal(classOf(c), 'Execute/critical', JSON.stringify(method));
        assert.equal(c.argument, 'method=(other)', JSON.stringify(method));
        // Nothing the agent sent is echoed in the reason.
        if (typeof method === 'string' && method.length > 0) assert.ok(!c.reason.includes(JSON.stringify(method)));
      }
    });

    it('a missing method, an inherited one, or arguments that are not an object keep the strictest class', () => {
      assert.equal(classOf(odoo('execute_method', { model: 'res.partner' })), 'Execute/critical');
      assert.equal(classOf(odoo('execute_method', {})), 'Execute/critical');
      assert.equal(classOf(odoo('execute_method', undefined)), 'Execute/critical');
      assert.equal(classOf(odoo('execute_method', ['search_read'])), 'Execute/critical');
      const inherited = Object.create({ method: 'search_read' }) as Record<string, unknown>;
      assert.equal(classOf(odoo('execute_method', inherited)), 'Execute/critical');
      // The key as JSON.parse makes it: an own property named __proto__ is not `method`.
      assert.equal(classOf(odoo('execute_method', JSON.parse('{"__proto__": {"method": "search"}}'))), 'Execute/critical');
      // Duplicate keys: JSON.parse (and the guard, which re-serialises what it decided) keeps the last.
      assert.equal(classOf(odoo('execute_method', JSON.parse('{"method": "search", "method": "unlink"}'))), 'Destructive/critical');
    });

    it('the tool-level class (no arguments known) is the strictest of its cases', () => {
      const tool = classifyTool('execute_method');
      for (const c of argumentClassesOf('execute_method')) assert.ok(!stricterThan(c, tool), c.argument);
      assert.equal(argumentClassesOf('execute_method').length, READ_LIKE.length + WRITE_LIKE.length + 1 + 2 + 1);
    });

    it('allocates nothing per call on the common paths (the same class object every time)', () => {
      assert.equal(odoo('execute_method', { method: 'search' }), odoo('execute_method', { method: 'search' }));
      assert.equal(odoo('execute_method', { method: 'zz' }), odoo('execute_method', { method: 'yy' }));
      assert.equal(odoo('search_records', {}), odoo('search_records', { model: 'x' }));
    });
  });

  describe('read_field_to_file and write_field_from_file by file_root', () => {
    it('read_field_to_file without file_root (absent or null) is Write / medium; with any file_root Write / high', () => {
      for (const args of [{ model: 'x', record_id: 1, field: 'f', output_path: '/r/o' }, { file_root: null }]) {
        const c = odoo('read_field_to_file', args);
        assert.deepEqual([classOf(c), c.argument, c.source], ['Write/medium', 'file_root=(absent)', 'catalog-argument']);
      }
      for (const file_root of ['/', '/etc', '', 'relative', ['/srv'], 0, false, {}]) {
        const c = odoo('read_field_to_file', { file_root });
        assert.deepEqual([classOf(c), c.argument], ['Write/high', 'file_root=(other)'], JSON.stringify(file_root));
        assert.match(c.reason, /any absolute path/);
      }
    });

    it('write_field_from_file stays Destructive / high either way, with a reason that names the case', () => {
      const absent = odoo('write_field_from_file', { model: 'x' });
      const given = odoo('write_field_from_file', { file_root: '/' });
      assert.deepEqual([classOf(absent), absent.argument], ['Destructive/high', 'file_root=(absent)']);
      assert.deepEqual([classOf(given), given.argument], ['Destructive/high', 'file_root=(other)']);
      assert.match(given.reason, /any host file/);
    });
  });

  describe('tools without argument classes', () => {
    it('classify as before, whatever the arguments', () => {
      for (const tool of Object.keys(ODOO_MCP_CATALOG)) {
        if (ODOO_MCP_CATALOG[tool]!.byArgument) continue;
        const c = odoo(tool, { method: 'search_read', file_root: null });
        assert.deepEqual(c, classifyTool(tool, annotationsOf(tool)), tool);
      }
    });
  });
});

describe('classifyCall: catalogs by server identity', () => {
  const other: CatalogUse = { kind: 'name-match', catalog: ODOO_MCP_CATALOG, describes: 'odoo-mcp' };

  it('for another server, a same-named catalog tool raises the class its annotations give and says so', () => {
    const c = classifyCall('cancel_async_task', { readOnlyHint: true }, { task_id: 'a' }, other);
    assert.deepEqual([classOf(c), c.source], ['Destructive/critical', 'name-match']);
    assert.match(c.reason, /^Classed by its name: .*This server is not odoo-mcp/);
  });

  it('never lowers it: execute_method with search_read stays what the annotations say', () => {
    const c = classifyCall('execute_method', { destructiveHint: true }, { method: 'search_read' }, other);
    assert.deepEqual([classOf(c), c.source], ['Destructive/high', 'annotations']);
    const none = classifyCall('execute_method', undefined, { method: 'search_read' }, other);
    assert.deepEqual([classOf(none), none.source], ['Write/medium', 'annotations']);
    // A read-only hint cannot bring a critical method down either.
    const unlink = classifyCall('execute_method', { readOnlyHint: true }, { method: 'unlink' }, other);
    assert.deepEqual([classOf(unlink), unlink.source, unlink.argument], ['Destructive/critical', 'name-match', 'method=unlink']);
  });

  it('tools the catalog does not know: the annotations, whoever the server is', () => {
    assert.equal(classOf(classifyCall('drop_table', { destructiveHint: true }, {}, other)), 'Destructive/high');
    assert.equal(classOf(classifyCall('drop_table', { destructiveHint: true }, {})), 'Destructive/high');
  });
});
