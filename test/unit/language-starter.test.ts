// src/guard/policy/starter.ts: the starter policy from the catalog or from a live tool list validates cleanly.
import { strict as assert } from 'node:assert';
import fixture from '../fixtures/odoo-tools.json';
import { ODOO_MCP_CATALOG } from '../../src/guard/catalog/odoo-mcp';
import type { ToolDefinition } from '../../src/guard/catalog/types';
import { analyzePolicy } from '../../src/guard/language/analyze';
import { policyDiagnostics } from '../../src/guard/language/diagnostics';
import { parsePolicy } from '../../src/guard/policy/parse';
import { starterPolicy } from '../../src/guard/policy/starter';
import { starterPolicyFor, starterTools } from '../../src/guard/language/starter';

/** A live list as another server might report it (names like @modelcontextprotocol/server-everything's, and awkward ones). */
const LIVE: ToolDefinition[] = [
  { name: 'echo', description: 'Echoes back the input', annotations: { readOnlyHint: true } },
  { name: 'add', description: 'Adds two numbers' },
  { name: 'longRunningOperation', description: 'Demonstrates a long running operation' },
  { name: 'delete_everything', description: 'Deletes everything', annotations: { destructiveHint: true } },
  { name: 'odoo:search', annotations: { readOnlyHint: true } },
  { name: 'true' },
  { name: 'cancel_async_task', annotations: { readOnlyHint: true } },
  { name: 'echo', description: 'a duplicate, listed once' },
];

describe('starter policy for the language: catalog and live lists', () => {
  it('from the catalog: the same text as before, with zero diagnostics of any level', () => {
    const text = starterPolicyFor();
    const tools = Object.entries(ODOO_MCP_CATALOG).map(([name, e]) => ({ name, ...e }));
    assert.equal(text, starterPolicy('the Odoo MCP server (odoo-mcp 1.3.0)', tools));
    assert.deepEqual(policyDiagnostics(text), []);
    assert.deepEqual(parsePolicy(text).diagnostics, []);
  });

  it("from the real server's live list (the fixture): zero diagnostics when validated against that list", () => {
    const live = fixture.tools as unknown as ToolDefinition[];
    const text = starterPolicyFor(live, 'Odoo');
    assert.ok(text.startsWith('# MCP Guard policy for Odoo.\n'));
    assert.deepEqual(policyDiagnostics(text, live), []);
    assert.equal(analyzePolicy(text).policy?.entries.length, 43);
  });

  it("from another server's live list: classified from annotations, grouped by category, zero diagnostics against that list", () => {
    const text = starterPolicyFor(LIVE);
    assert.deepEqual(policyDiagnostics(text, LIVE), []);
    assert.ok(text.startsWith('# MCP Guard policy for this MCP server.\n'));
    const policy = analyzePolicy(text).policy!;
    assert.deepEqual(
      policy.entries.map((e) => [e.key, e.action]),
      [
        ['echo', 'allow'],
        ['odoo:search', 'allow'],
        ['add', 'allow'],
        ['longRunningOperation', 'allow'],
        ['true', 'allow'],
        ['delete_everything', 'require_approval'],
        ['cancel_async_task', 'require_approval'],
      ],
    );
    assert.match(
      text,
      /^ {2}# ── Read: look at data, change nothing ──\n {2}echo: {2}# Read · low risk\n {4}action: allow\n {4}reason: "The server marks it read-only \(readOnlyHint\)\."$/m,
    );
    assert.match(text, /^ {2}delete_everything: {2}# Destructive · high risk\n {4}action: require_approval\n/m);
    // a catalog tool in a live list keeps the catalog's class, whatever its annotations say
    assert.match(text, /^ {2}cancel_async_task: {2}# Destructive · critical risk\n/m);
    assert.match(text, /^ {2}"odoo:search": {2}# Read · low risk$/m);
    assert.match(text, /^ {2}"true": {2}# Write · medium risk$/m);
  });

  it('starterTools: the catalog, or the live list once per name', () => {
    assert.equal(starterTools().length, 43);
    assert.deepEqual(
      starterTools(LIVE).map((t) => `${t.name}:${t.category}:${t.risk}`),
      [
        'echo:Read:low',
        'add:Write:medium',
        'longRunningOperation:Write:medium',
        'delete_everything:Destructive:high',
        'odoo:search:Read:low',
        'true:Write:medium',
        'cancel_async_task:Destructive:critical',
      ],
    );
    assert.deepEqual(starterTools([]), []);
  });

  it('an empty live list still gives a valid policy (no tools: warnings only about nothing)', () => {
    const text = starterPolicyFor([]);
    assert.deepEqual(
      policyDiagnostics(text, []).filter((d) => d.severity !== 'information'),
      [],
    );
  });
});
