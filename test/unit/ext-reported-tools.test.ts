// src/extension/reported-tools.ts: the running guards' tool lists, merged for the policy language.
import { strict as assert } from 'node:assert';
import type { ToolDefinition } from '../../src/guard/catalog/types';
import { ReportedToolsCache, mergeReportedTools } from '../../src/extension/reported-tools';

function source(tools: [string, string[]][] = [], definitions: [string, ToolDefinition[]][] = []) {
  return {
    reportedTools: new Map<string, readonly string[]>(tools),
    reportedDefinitions: new Map<string, readonly ToolDefinition[]>(definitions),
  };
}

describe('extension reported-tools: mergeReportedTools', () => {
  it('is undefined when no guard reported a tool, so the catalog alone applies', () => {
    assert.equal(mergeReportedTools(source()), undefined);
    assert.equal(mergeReportedTools(source([['Odoo', []]])), undefined);
  });

  it('lists every name once, in report order, with its definition when the guard sent one', () => {
    const echo: ToolDefinition = { name: 'echo', description: 'Echoes', annotations: { readOnlyHint: true } };
    const merged = mergeReportedTools(
      source(
        [
          ['Everything', ['echo', 'add']],
          ['Odoo', ['health_check']],
        ],
        [['Everything', [echo]]],
      ),
    );
    assert.deepEqual(merged, [echo, { name: 'add' }, { name: 'health_check' }]);
  });

  it('a name two servers report takes the first server’s definition', () => {
    const first: ToolDefinition = { name: 'search', description: 'first' };
    const second: ToolDefinition = { name: 'search', description: 'second' };
    const merged = mergeReportedTools(
      source(
        [
          ['A', ['search']],
          ['B', ['search', 'other']],
        ],
        [
          ['A', [first]],
          ['B', [second]],
        ],
      ),
    );
    assert.deepEqual(merged, [first, { name: 'other' }]);
  });

  it('a server whose definitions did not fit still contributes its names', () => {
    const merged = mergeReportedTools(
      source(
        [
          ['A', ['x']],
          ['B', ['y']],
        ],
        [['A', [{ name: 'x', description: 'has one' }]]],
      ),
    );
    assert.deepEqual(merged, [{ name: 'x', description: 'has one' }, { name: 'y' }]);
  });
});

describe('extension reported-tools: ReportedToolsCache', () => {
  it('returns the same list until invalidated, then the new report', () => {
    const s = source([['A', ['x']]]);
    const cache = new ReportedToolsCache(s);
    const first = cache.get();
    assert.deepEqual(first, [{ name: 'x' }]);
    s.reportedTools.set('A', ['x', 'y']);
    assert.equal(cache.get(), first, 'the same object, so the language service keeps its index');
    cache.invalidate();
    const second = cache.get();
    assert.notEqual(second, first);
    assert.deepEqual(second, [{ name: 'x' }, { name: 'y' }]);
  });

  it('with nothing reported yet, looks again on every call', () => {
    const s = source();
    const cache = new ReportedToolsCache(s);
    assert.equal(cache.get(), undefined);
    s.reportedTools.set('A', ['x']);
    assert.deepEqual(cache.get(), [{ name: 'x' }]);
  });
});
