// src/guard/policy/starter.ts: the commented policy written for a new user.
import { strict as assert } from 'node:assert';
import { classifyTool } from '../../src/guard/catalog/classify';
import { ODOO_MCP_CATALOG } from '../../src/guard/catalog/odoo-mcp';
import { TOOL_CATEGORIES, type CatalogEntry } from '../../src/guard/catalog/types';
import { PolicyIndex, evaluatePolicy } from '../../src/guard/policy/evaluate';
import type { Policy } from '../../src/guard/policy/model';
import { parsePolicy } from '../../src/guard/policy/parse';
import { recommendedAction, starterPolicy, type StarterTool } from '../../src/guard/policy/starter';

const TOOLS: StarterTool[] = Object.entries(ODOO_MCP_CATALOG).map(([name, e]) => ({ name, ...e }));
const LABEL = 'the Odoo MCP server (odoo-mcp 1.3.0)';

function parsed(text: string): Policy {
  const r = parsePolicy(text);
  assert.deepEqual(r.diagnostics, [], 'no diagnostics at all');
  assert.ok(r.policy, 'a policy');
  return r.policy;
}

describe('starter policy: starterPolicy with the full Odoo catalog', () => {
  const text = starterPolicy(LABEL, TOOLS);
  let policy: Policy;

  before(() => {
    policy = parsed(text);
  });

  it('the catalog is not trivially small (guards the rest of this suite)', () => {
    assert.ok(TOOLS.length >= 40, `${TOOLS.length} tools`);
    assert.ok(TOOLS.some((t) => t.risk === 'critical'));
    assert.ok(TOOLS.some((t) => t.risk === 'high'));
    assert.ok(TOOLS.some((t) => t.risk === 'medium'));
    assert.ok(TOOLS.some((t) => t.risk === 'low'));
  });

  it('parses with zero diagnostics (no errors, no warnings)', () => {
    const r = parsePolicy(text);
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.policy);
  });

  it('starts with the label and ends with exactly one newline', () => {
    assert.ok(text.startsWith(`# MCP Guard policy for ${LABEL}.\n`));
    assert.ok(text.endsWith('\n'));
    assert.ok(!text.endsWith('\n\n'));
  });

  it('top level: version 1, default require_approval, risk critical deny / high require_approval, nothing hidden', () => {
    assert.equal(policy.version, 1);
    assert.equal(policy.defaultAction, 'require_approval');
    assert.deepEqual(policy.risk, { critical: 'deny', high: 'require_approval' });
    assert.deepEqual(policy.hide, []);
    assert.equal(policy.approvalTimeoutSeconds, 120);
  });

  it('has exactly one entry per catalog tool, nothing else', () => {
    assert.deepEqual([...policy.entries.map((e) => e.key)].sort(), Object.keys(ODOO_MCP_CATALOG).sort());
    for (const e of policy.entries) {
      assert.equal(e.pattern.isGlob, false, e.key);
      assert.deepEqual(e.when, [], e.key);
      assert.equal(e.rateLimit, undefined, e.key);
    }
  });

  it('entries are grouped by category in the order Read, Write, Destructive, Execute', () => {
    const order = policy.entries.map((e) => TOOL_CATEGORIES.indexOf(ODOO_MCP_CATALOG[e.key]!.category));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    for (const category of TOOL_CATEGORIES) {
      if (TOOLS.some((t) => t.category === category)) assert.match(text, new RegExp(`^  # ── ${category}: `, 'm'), category);
    }
  });

  it('critical and high need approval; medium and low are allowed', () => {
    for (const e of policy.entries) {
      const { risk } = ODOO_MCP_CATALOG[e.key]!;
      const expected = risk === 'critical' || risk === 'high' ? 'require_approval' : 'allow';
      assert.equal(e.action, expected, `${e.key} (${risk})`);
    }
    const byKey = new Map(policy.entries.map((e) => [e.key, e.action]));
    assert.equal(byKey.get('cancel_async_task'), 'require_approval');
    assert.equal(byKey.get('execute_method'), 'require_approval');
    assert.equal(byKey.get('health_check'), 'allow');
    assert.equal(byKey.get('submit_async_task'), 'allow');
  });

  it('recommendedAction per risk class', () => {
    assert.equal(recommendedAction('critical'), 'require_approval');
    assert.equal(recommendedAction('high'), 'require_approval');
    assert.equal(recommendedAction('medium'), 'allow');
    assert.equal(recommendedAction('low'), 'allow');
  });

  it("each entry's reason is the catalog's reason, exactly (quotes and apostrophes survive)", () => {
    for (const e of policy.entries) assert.equal(e.reason, ODOO_MCP_CATALOG[e.key]!.reason, e.key);
    assert.match(ODOO_MCP_CATALOG['cancel_async_task']!.reason, /'/, 'the test covers an apostrophe');
  });

  it('each entry carries its category and risk as a comment', () => {
    assert.match(text, /^ {2}cancel_async_task: {2}# Destructive · critical risk\n {4}action: require_approval\n {4}reason: "/m);
    assert.match(text, /^ {2}health_check: {2}# Read · low risk\n {4}action: allow\n/m);
  });

  it('evaluates cancel_async_task to require_approval by its own entry', () => {
    const v = evaluatePolicy(new PolicyIndex(policy), 'cancel_async_task', { task_id: 'abc' }, classifyTool('cancel_async_task'));
    assert.equal(v.action, 'require_approval');
    assert.equal(v.rule, 'tools.cancel_async_task');
    assert.equal(v.reason, ODOO_MCP_CATALOG['cancel_async_task']!.reason);
    assert.equal(v.approvalTimeoutSeconds, 120);
  });

  it('every catalog tool evaluates to the recommended action of its risk, by its own entry', () => {
    const index = new PolicyIndex(policy);
    for (const t of TOOLS) {
      const v = evaluatePolicy(index, t.name, {}, classifyTool(t.name));
      assert.equal(v.action, recommendedAction(t.risk), t.name);
      assert.equal(v.rule, `tools.${t.name}`, t.name);
    }
  });

  it('a tool not in the file gets default = require_approval', () => {
    const index = new PolicyIndex(policy);
    const unknown = evaluatePolicy(index, 'brand_new_tool', {}, classifyTool('brand_new_tool'));
    assert.equal(classifyTool('brand_new_tool').risk, 'medium');
    assert.equal(unknown.action, 'require_approval');
    assert.equal(unknown.rule, 'default');
    // even one its server marks read-only (low risk) needs approval until listed
    const readOnly = evaluatePolicy(index, 'new_reader', {}, classifyTool('new_reader', { readOnlyHint: true }));
    assert.equal(readOnly.action, 'require_approval');
    assert.equal(readOnly.rule, 'default');
    // a new destructive one is decided by risk.high
    const destructive = evaluatePolicy(index, 'new_wiper', {}, classifyTool('new_wiper', { destructiveHint: true }));
    assert.equal(destructive.action, 'require_approval');
    assert.equal(destructive.rule, 'risk.high');
  });
});

describe('starter policy: tool names and edge cases', () => {
  const entry = (name: string, over: Partial<CatalogEntry> = {}): StarterTool => ({
    name,
    category: 'Read',
    risk: 'low',
    reason: 'r',
    ...over,
  });

  it('plain names are written bare', () => {
    const text = starterPolicy('x', [entry('search_records'), entry('Get.Thing-2'), entry('_private')]);
    assert.match(text, /^ {2}search_records: {2}#/m);
    assert.match(text, /^ {2}Get\.Thing-2: {2}#/m);
    assert.match(text, /^ {2}_private: {2}#/m);
    assert.deepEqual(
      parsed(text).entries.map((e) => e.key),
      ['search_records', 'Get.Thing-2', '_private'],
    );
  });

  it('names needing quotes are quoted and parse back to the same name; a name with whitespace becomes a ? glob', () => {
    const names = ['odoo:search', 'my tool', '1st', 'a#b', '-dash', 'ünïcode', 'say "hi"', "it's", '[x]', '{y}', '@at', '& ref', '%pct'];
    // A key with whitespace must be PATTERN (LABEL): a name with whitespace is written as a glob matching it.
    const keys = names.map((n) => n.replace(/\s/g, '?'));
    const text = starterPolicy(
      'x',
      names.map((n) => entry(n)),
    );
    for (const k of keys) assert.ok(text.includes(`\n  ${JSON.stringify(k)}:  #`), `${k} is quoted`);
    const policy = parsed(text);
    assert.deepEqual(
      policy.entries.map((e) => e.key),
      keys,
    );
    const index = new PolicyIndex(policy);
    names.forEach((n, i) => assert.equal(evaluatePolicy(index, n, {}, classifyTool(n)).rule, `tools.${keys[i]}`, n));
  });

  it('YAML reserved words (null, true, False, NULL, TRUE) are quoted too', () => {
    const names = ['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE'];
    const policy = parsed(
      starterPolicy(
        'x',
        names.map((n) => entry(n)),
      ),
    );
    assert.deepEqual(
      policy.entries.map((e) => e.key),
      names,
    );
  });

  it('skips empty categories and keeps the input order inside a category', () => {
    const text = starterPolicy('x', [entry('w2', { category: 'Write' }), entry('r1'), entry('w1', { category: 'Write' })]);
    assert.doesNotMatch(text, /# ── Destructive/);
    assert.doesNotMatch(text, /# ── Execute/);
    assert.deepEqual(
      parsed(text).entries.map((e) => e.key),
      ['r1', 'w2', 'w1'],
    );
  });

  it('no tools at all still parses, with an empty tools map', () => {
    const text = starterPolicy('nothing', []);
    const r = parsePolicy(text);
    assert.equal(r.diagnostics.filter((d) => d.severity === 'error').length, 0, JSON.stringify(r.diagnostics));
    assert.ok(r.policy);
    assert.deepEqual(r.policy.entries, []);
    assert.equal(r.policy.defaultAction, 'require_approval');
  });

  it('reasons with quotes, backslashes, colons, hashes and newlines survive', () => {
    const reason = 'a "quoted" \\ back: colon # hash\nnext line\ttab';
    const policy = parsed(starterPolicy('x', [entry('t', { reason })]));
    assert.equal(policy.entries[0]!.reason, reason);
  });
});
