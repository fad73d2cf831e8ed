import { strict as assert } from 'node:assert';
import { classifyFromAnnotations, classifyTool, riskRank } from '../../src/guard/catalog/classify';
import { ODOO_MCP_CATALOG } from '../../src/guard/catalog/odoo-mcp';
import type { Catalog } from '../../src/guard/catalog/types';

describe('classify', () => {
  describe('catalog tools', () => {
    it('take category, risk and reason from the catalog', () => {
      const expected: Record<string, [string, string]> = {
        cancel_async_task: ['Destructive', 'critical'],
        execute_method: ['Execute', 'critical'],
        execute_approved_write: ['Destructive', 'critical'],
        chatter_post: ['Write', 'high'],
        write_field_from_file: ['Destructive', 'high'],
        read_field_to_file: ['Write', 'high'],
        validate_write: ['Write', 'medium'],
        scan_addons_source: ['Read', 'medium'],
        search_records: ['Read', 'low'],
        index_knowledge: ['Write', 'low'],
      };
      for (const [tool, [category, risk]] of Object.entries(expected)) {
        const c = classifyTool(tool);
        assert.deepEqual([c.category, c.risk], [category, risk], tool);
        assert.equal(c.source, 'catalog', tool);
        assert.equal(c.reason, ODOO_MCP_CATALOG[tool]!.reason, tool);
      }
    });

    it('cancel_async_task is Destructive / critical', () => {
      assert.deepEqual(classifyTool('cancel_async_task'), {
        category: 'Destructive',
        risk: 'critical',
        reason: ODOO_MCP_CATALOG.cancel_async_task!.reason,
        source: 'catalog',
      });
    });

    it('every catalog tool classifies as its catalog entry', () => {
      for (const [tool, entry] of Object.entries(ODOO_MCP_CATALOG)) {
        const c = classifyTool(tool);
        assert.deepEqual(
          { category: c.category, risk: c.risk, reason: c.reason },
          { category: entry.category, risk: entry.risk, reason: entry.reason },
          tool,
        );
      }
    });

    it('matching agreeing annotations keep the catalog class', () => {
      const c = classifyTool('search_records', { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true });
      assert.deepEqual([c.category, c.risk, c.source], ['Read', 'low', 'catalog']);
    });
  });

  describe('tools not in the catalog: annotations', () => {
    it('destructiveHint: true -> Destructive / high', () => {
      const c = classifyTool('drop_table', { destructiveHint: true });
      assert.deepEqual(c, {
        category: 'Destructive',
        risk: 'high',
        reason: 'The server marks it destructive (destructiveHint).',
        source: 'annotations',
      });
    });

    it('readOnlyHint: true -> Read / low', () => {
      const c = classifyTool('peek', { readOnlyHint: true });
      assert.deepEqual([c.category, c.risk, c.source], ['Read', 'low', 'annotations']);
      assert.equal(c.reason, 'The server marks it read-only (readOnlyHint).');
    });

    it('otherwise -> Write / medium', () => {
      for (const annotations of [{}, { readOnlyHint: false }, { destructiveHint: false }, { idempotentHint: true, openWorldHint: false }]) {
        const c = classifyTool('poke', annotations);
        assert.deepEqual([c.category, c.risk, c.source], ['Write', 'medium', 'annotations'], JSON.stringify(annotations));
      }
    });

    it('destructiveHint wins over readOnlyHint when both are set', () => {
      const c = classifyTool('odd', { readOnlyHint: true, destructiveHint: true });
      assert.deepEqual([c.category, c.risk], ['Destructive', 'high']);
    });

    it('an unknown tool without annotations is Write / medium', () => {
      const c = classifyTool('totally_unknown');
      assert.deepEqual(c, {
        category: 'Write',
        risk: 'medium',
        reason: 'Not in the catalog and the server does not mark it read-only, so it may change data.',
        source: 'annotations',
      });
      assert.deepEqual(classifyFromAnnotations(undefined), c);
    });

    it('names of Object.prototype members are not catalog entries', () => {
      for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
        const c = classifyTool(name, { readOnlyHint: true });
        assert.deepEqual([c.category, c.risk, c.source], ['Read', 'low', 'annotations'], name);
      }
    });
  });

  describe('annotations raise a catalog risk, never lower it', () => {
    it('a catalog low tool with destructiveHint is raised to high, keeping its category', () => {
      const c = classifyTool('search_records', { destructiveHint: true });
      assert.equal(c.category, 'Read');
      assert.equal(c.risk, 'high');
      assert.equal(c.source, 'catalog+annotations');
      assert.equal(c.reason, `${ODOO_MCP_CATALOG.search_records!.reason} Raised to high because the server marks it destructive.`);
    });

    it('a catalog medium tool with destructiveHint is raised to high', () => {
      const c = classifyTool('validate_write', { readOnlyHint: false, destructiveHint: true });
      assert.deepEqual([c.category, c.risk, c.source], ['Write', 'high', 'catalog+annotations']);
    });

    it('cancel_async_task with readOnlyHint stays Destructive / critical', () => {
      const c = classifyTool('cancel_async_task', {
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      });
      assert.deepEqual([c.category, c.risk, c.source], ['Destructive', 'critical', 'catalog']);
    });

    it('read_field_to_file with readOnlyHint stays Write / high', () => {
      const c = classifyTool('read_field_to_file', { readOnlyHint: true });
      assert.deepEqual([c.category, c.risk, c.source], ['Write', 'high', 'catalog']);
    });

    it('a critical tool with destructiveHint stays critical (high is not higher)', () => {
      const c = classifyTool('execute_method', { destructiveHint: true });
      assert.deepEqual([c.category, c.risk, c.source], ['Execute', 'critical', 'catalog']);
    });

    it('a high tool with destructiveHint stays high from the catalog', () => {
      const c = classifyTool('chatter_post', { destructiveHint: true });
      assert.deepEqual([c.category, c.risk, c.source], ['Write', 'high', 'catalog']);
    });

    it('no catalog tool is ever classified below its catalog risk, whatever the annotations', () => {
      const variants = [undefined, {}, { readOnlyHint: true }, { destructiveHint: true }, { readOnlyHint: false, destructiveHint: false }];
      for (const [tool, entry] of Object.entries(ODOO_MCP_CATALOG)) {
        for (const a of variants) {
          const c = classifyTool(tool, a);
          assert.ok(riskRank(c.risk) >= riskRank(entry.risk), `${tool} ${JSON.stringify(a)}: ${c.risk} < ${entry.risk}`);
          assert.equal(c.category, entry.category);
        }
      }
    });

    it('annotations that mark nothing do not raise a catalog tool', () => {
      for (const a of [{}, { openWorldHint: true }, { idempotentHint: true }]) {
        const c = classifyTool('search_records', a);
        assert.equal(c.risk, 'low', JSON.stringify(a));
        assert.equal(c.source, 'catalog', JSON.stringify(a));
        assert.ok(!c.reason.includes('destructive'), c.reason);
      }
    });
  });

  describe('custom catalog', () => {
    const catalog: Catalog = { t: { category: 'Read', risk: 'medium', reason: 'Custom.' } };

    it('uses the given catalog instead of the Odoo one', () => {
      assert.deepEqual(classifyTool('t', undefined, catalog), { category: 'Read', risk: 'medium', reason: 'Custom.', source: 'catalog' });
      assert.equal(classifyTool('search_records', undefined, catalog).source, 'annotations');
    });
  });
});
