import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyCall, classifyTool } from '../../src/guard/catalog/classify';
import { decide, decideResource, type CallFacts, type PolicyState, type Verdict } from '../../src/guard/decider';
import { LayeredPolicySource, PolicySource, loadPolicyFile } from '../../src/guard/io/policy-source';
import { baseLayerFromText, baseWhere, type BaseLayer } from '../../src/guard/policy/base';
import { PolicyIndex } from '../../src/guard/policy/evaluate';
import { explainLayeredCall, explainLayeredResource, formatLayeredExplanation } from '../../src/guard/policy/explain';
import type { Action } from '../../src/guard/policy/model';
import { parsePolicy } from '../../src/guard/policy/parse';
import { runPolicyTests } from '../../src/guard/policy/tests';
import { RateLimiter } from '../../src/guard/rate-limiter';
import { filteredList } from '../../src/guard/proxy/list-filter';
import { parseRunArgs, parseServeArgs } from '../../src/cli/args';
import { explainCommand } from '../../src/cli/explain';
import { splitBaseFlag, testCommand } from '../../src/cli/test';
import { validateCommand } from '../../src/cli/validate';
import { tempDir, waitFor } from '../support/temp';

function base(yaml: string, file = 'org.yaml'): BaseLayer {
  const r = baseLayerFromText(file, yaml);
  assert.ok(r.ok, JSON.stringify(r.diagnostics));
  return r.layer;
}

function index(yaml: string): PolicyIndex {
  const r = parsePolicy(yaml);
  assert.ok(r.policy, JSON.stringify(r.diagnostics));
  return new PolicyIndex(r.policy);
}

function layered(policyYaml: string, baseYaml: string): PolicyState {
  return { kind: 'valid', index: index(policyYaml), base: base(baseYaml) };
}

function call(tool: string, args: Record<string, unknown> = {}): CallFacts {
  return { tool, args, classification: classifyCall(tool, undefined, args) };
}

function action(a: Action): string {
  return `    action: ${a}\n`;
}

/** What the guard does at the gate, in the words of a policy test. */
function outcome(v: Verdict): string {
  return v.kind;
}

// Permissive fallbacks in both layers, so only the entries below decide.
const OPEN = 'version: 1\nrisk: { critical: allow, high: allow }\n';

describe('base policy (issue 13): decisions', () => {
  let now = 0;
  let limiter: RateLimiter;
  beforeEach(() => {
    now = 0;
    limiter = new RateLimiter(() => now);
  });

  describe('the stricter of the two layers decides (base × policy)', () => {
    const actions: Action[] = ['allow', 'require_approval', 'deny'];
    const rank = { allow: 0, require_approval: 1, deny: 2 } as const;
    for (const b of actions) {
      for (const p of actions) {
        it(`base ${b} × policy ${p}`, () => {
          const state = layered(`${OPEN}tools:\n  chatter_post:\n${action(p)}`, `${OPEN}tools:\n  chatter_post:\n${action(b)}`);
          const v = decide(state, 'enforce', call('chatter_post'), limiter);
          const expected = rank[b] >= rank[p] ? b : p;
          assert.equal(outcome(v), expected);
          // The base is named when it is at least as strict (and not a mere allow): the user learns it is in force.
          const fromBase = rank[b] > rank[p] || (b === p && b !== 'allow');
          assert.equal(v.rule, fromBase ? 'base:tools.chatter_post' : 'tools.chatter_post');
          if (fromBase) assert.match(v.reason, /^From the organisation's base policy org\.yaml:4: /);
        });
      }
    }
  });

  it('a workspace allow cannot loosen a base deny: the reason names the base file and line', () => {
    const state = layered(
      'version: 1\ntools:\n  execute_method:\n    action: allow\n',
      'version: 1\ntools:\n  search_records:\n    action: allow\n  execute_method:\n    action: deny\n    reason: No arbitrary methods\n',
    );
    const v = decide(state, 'enforce', call('execute_method', { model: 'res.partner', method: 'read' }), limiter);
    assert.equal(v.kind, 'deny');
    assert.equal(v.rule, 'base:tools.execute_method');
    assert.equal(v.reason, "From the organisation's base policy org.yaml:5: No arbitrary methods");
  });

  it("the base's risk classes and default apply too (a base is a whole policy): built-in critical deny holds", () => {
    const state = layered('version: 1\ntools:\n  cancel_async_task:\n    action: allow\n', 'version: 1\n');
    const v = decide(state, 'enforce', call('cancel_async_task', { task_id: 'x' }), limiter);
    assert.equal(v.kind, 'deny');
    assert.equal(v.rule, 'base:risk.critical (built-in)');
    assert.match(v.reason, /^From the organisation's base policy org\.yaml: /);
    // A base that allows lets the workspace decide.
    const open = layered('version: 1\ntools:\n  cancel_async_task:\n    action: allow\n', OPEN);
    assert.equal(decide(open, 'enforce', call('cancel_async_task', { task_id: 'x' }), limiter).rule, 'tools.cancel_async_task');
  });

  it('the shorter approval timeout holds when both ask', () => {
    const state = layered(
      `${OPEN}tools:\n  chatter_post:\n    action: require_approval\n    approval_timeout: 30\n`,
      `${OPEN}tools:\n  chatter_post:\n    action: require_approval\n    approval_timeout: 90\n`,
    );
    const v = decide(state, 'enforce', call('chatter_post'), limiter);
    assert.ok(v.kind === 'require_approval');
    assert.equal(v.timeoutMs, 30_000);
  });

  it('what either layer hides is hidden, in decisions and in tools/list', () => {
    const state = layered(`${OPEN}hide: [list_models]\n`, `${OPEN}hide: [read_field_to_file]\n`);
    const a = decide(state, 'enforce', call('read_field_to_file'), limiter);
    assert.equal(a.rule, 'base:hide');
    assert.match(a.reason, /org\.yaml:3/);
    assert.equal(decide(state, 'enforce', call('list_models'), limiter).rule, 'hide');
    const list = {
      jsonrpc: '2.0' as const,
      id: 1,
      result: { tools: [{ name: 'read_field_to_file' }, { name: 'list_models' }, { name: 'search_records' }] },
    };
    const out = JSON.parse(filteredList(state, 'tools/list', list, JSON.stringify(list))) as typeof list;
    assert.deepEqual(
      out.result.tools.map((t) => t.name),
      ['search_records'],
    );
    // A base that hides alone still filters.
    const onlyBase = layered(OPEN, `${OPEN}hide: [list_models]\n`);
    const out2 = JSON.parse(filteredList(onlyBase, 'tools/list', list, JSON.stringify(list))) as typeof list;
    assert.deepEqual(
      out2.result.tools.map((t) => t.name),
      ['read_field_to_file', 'search_records'],
    );
  });

  it('rate limits of both layers count, under distinct keys; the base one is named base:tools.KEY', () => {
    const state = layered(
      `${OPEN}tools:\n  search_records:\n    rate_limit: { max: 5, window: 60 }\n`,
      `${OPEN}tools:\n  search_records:\n    rate_limit: { max: 2, window: 60 }\n`,
    );
    const v = decide(state, 'enforce', call('search_records'), limiter);
    assert.ok(v.kind === 'allow');
    assert.deepEqual(
      v.limits.map((l) => [l.key, l.limit.max]),
      [
        ['tools.search_records', 5],
        ['base:tools.search_records', 2],
      ],
    );
    assert.deepEqual(
      v.policy.applicable.map((e) => e.key),
      ['search_records', 'base:search_records'],
    );
    for (let i = 0; i < 2; i++) {
      const ok = decide(state, 'enforce', call('search_records'), limiter);
      assert.ok(ok.kind === 'allow');
      assert.ok(limiter.tryConsume(ok.limits).ok);
    }
    const third = decide(state, 'enforce', call('search_records'), limiter);
    assert.equal(third.kind, 'rate_limited');
    assert.equal(third.rule, 'base:tools.search_records');
    // The policy's own limit is the one that binds when it is the tighter.
    const tight = layered(
      `${OPEN}tools:\n  search_records:\n    rate_limit: { max: 1, window: 60 }\n`,
      `${OPEN}tools:\n  search_records:\n    rate_limit: { max: 3, window: 60 }\n`,
    );
    const l2 = new RateLimiter(() => now);
    const first = decide(tight, 'enforce', call('search_records'), l2);
    assert.ok(first.kind === 'allow');
    l2.tryConsume(first.limits);
    assert.equal(decide(tight, 'enforce', call('search_records'), l2).rule, 'tools.search_records');
  });

  it('lockdown and monitor are unchanged: lockdown blocks by mode.lockdown whatever the layers say', () => {
    const state = layered(OPEN, OPEN);
    assert.equal(decide(state, 'lockdown', call('chatter_post'), limiter).rule, 'mode.lockdown');
  });

  it('a condition that cannot be checked in the base denies the call (rule arguments)', () => {
    const state = layered(
      OPEN,
      `${OPEN}tools:\n  chatter_post:\n    action: deny\n    when:\n      - { path: args.body, op: regex, value: "x" }\n`,
    );
    const v = decide(state, 'enforce', call('chatter_post', { body: 'y'.repeat(70_000) }), limiter);
    assert.equal(v.kind, 'deny');
    assert.equal(v.rule, 'arguments');
  });

  it('resources: strictest of both, hide of both, rate limits of both', () => {
    const state = layered(
      `${OPEN}resources:\n  "odoo://record/*":\n    action: allow\n    rate_limit: { max: 5, window: 60 }\n`,
      `${OPEN}hide: ["odoo://models"]\nresources:\n  "odoo://record/*":\n    action: require_approval\n  "odoo://search/*":\n    rate_limit: { max: 1, window: 60 }\n`,
    );
    const r = decideResource(state, 'enforce', 'odoo://record/res.partner/1', limiter);
    assert.equal(r.kind, 'require_approval');
    assert.equal(r.rule, 'base:resources.odoo://record/*');
    assert.match(r.reason, /org\.yaml:5/);
    assert.equal(decideResource(state, 'enforce', 'odoo://models', limiter).rule, 'base:hide');
    const s1 = decideResource(state, 'enforce', 'odoo://search/x', limiter);
    assert.ok(s1.kind === 'allow');
    assert.deepEqual(
      s1.limits.map((l) => l.key),
      ['base:resources.odoo://search/*'],
    );
    limiter.tryConsume(s1.limits);
    assert.equal(decideResource(state, 'enforce', 'odoo://search/x', limiter).kind, 'rate_limited');
  });

  describe('fail closed', () => {
    it('an invalid or missing base blocks every call and read, naming the base file', () => {
      const { dir, cleanup } = tempDir();
      try {
        const bad = join(dir, 'org.yaml');
        writeFileSync(bad, 'version: 1\ntools:\n  x: { acton: deny }\n');
        for (const file of [bad, join(dir, 'missing.yaml')]) {
          const load = loadPolicyFile(file, {}, 'base');
          assert.equal(load.state.kind, 'invalid');
          const v = decide(load.state, 'enforce', call('search_records'), limiter);
          assert.equal(v.kind, 'deny');
          assert.equal(v.rule, 'base:policy');
          assert.match(v.reason, /^The organisation's base policy is missing or invalid, so every tool call is blocked/);
          assert.ok(v.reason.includes(file), v.reason);
          const r = decideResource(load.state, 'enforce', 'odoo://x', limiter);
          assert.equal(r.rule, 'base:policy');
        }
      } finally {
        cleanup();
      }
    });

    it('LayeredPolicySource: base invalid at start blocks; an invalid reload of the base keeps the last valid one', async () => {
      const { dir, cleanup } = tempDir();
      const sources: PolicySource[] = [];
      try {
        const p = join(dir, 'p.yaml');
        const b = join(dir, 'org.yaml');
        writeFileSync(p, 'version: 1\n');
        writeFileSync(b, 'version: 1\ntools:\n  x: { acton: deny }\n');
        const reloads: boolean[] = [];
        const policy = new PolicySource(p, { onReload: () => undefined });
        const baseSource = new PolicySource(b, { onReload: (r) => reloads.push(r.applied) }, {}, 10, 'base');
        sources.push(policy, baseSource);
        const layers = new LayeredPolicySource(policy, baseSource);
        assert.equal(layers.state.kind, 'invalid');
        assert.equal(layers.state, layers.state, 'one object while nothing changes');
        layers.watch();
        writeFileSync(b, 'version: 1\ntools:\n  search_records:\n    action: deny\n');
        await waitFor('the valid base', () => layers.state.kind === 'valid', 5000);
        assert.equal(decide(layers.state, 'enforce', call('search_records'), limiter).rule, 'base:tools.search_records');
        writeFileSync(b, 'version: 1\ntools: [oops\n');
        await waitFor('the rejected reload', () => reloads.includes(false), 5000);
        assert.equal(layers.state.kind, 'valid');
        assert.equal(decide(layers.state, 'enforce', call('search_records'), limiter).rule, 'base:tools.search_records');
        layers.close();
      } finally {
        for (const s of sources) s.close();
        cleanup();
      }
    });
  });

  it('baseWhere: FILE:LINE for rules the file writes, the file alone for built-ins', () => {
    const b = base('version: 1\ndefault: deny\nrisk:\n  high: deny\ntools:\n  a:\n    action: deny\n');
    assert.equal(baseWhere(b, 'tools.a'), 'org.yaml:6');
    assert.equal(baseWhere(b, 'base:tools.a'), 'org.yaml:6');
    assert.equal(baseWhere(b, 'default'), 'org.yaml:2');
    assert.equal(baseWhere(b, 'risk.high'), 'org.yaml:4');
    assert.equal(baseWhere(b, 'risk.critical (built-in)'), 'org.yaml');
  });
});

describe('base policy (issue 13): explain and test', () => {
  const BASE =
    'version: 1\nrisk: { critical: allow, high: allow }\ntools:\n  execute_method:\n    action: deny\n    reason: No arbitrary methods\n  search_records:\n    rate_limit: { max: 2, window: 60 }\n';
  const POLICY =
    'version: 1\ntools:\n  execute_method:\n    action: allow\n  search_records:\n    rate_limit: { max: 5, window: 60 }\ntests:\n  - { call: execute_method, args: { model: res.partner, method: read }, expect: allow }\n  - { call: search_records, expect: allow }\n';

  it('explainLayeredCall gives each layer and the effective decision', () => {
    const le = explainLayeredCall(index(POLICY), base(BASE), 'execute_method', { method: 'read' }, classifyTool('execute_method'));
    assert.equal(le.base.decision, 'deny');
    assert.equal(le.policy.decision, 'allow');
    assert.equal(le.effective.decision, 'deny');
    assert.equal(le.effective.rule, 'base:tools.execute_method');
    const text = formatLayeredExplanation(le, 'p.yaml');
    assert.match(text, /^Decision: deny\n/);
    assert.match(
      text,
      /\nDecided by: base:tools\.execute_method — From the organisation's base policy org\.yaml:4: No arbitrary methods\n/,
    );
    assert.match(text, /\nBase policy \(org\.yaml\): deny by tools\.execute_method at org\.yaml:4\n/);
    assert.match(text, /\nPolicy \(p\.yaml\): allow by tools\.execute_method\n/);
    assert.match(text, /\n {4}tools\.execute_method \(org\.yaml:4\): action deny\n/);
    const limits = explainLayeredCall(index(POLICY), base(BASE), 'search_records', {}, classifyTool('search_records'));
    assert.deepEqual(
      limits.effective.rateLimits.map((r) => r.rule),
      ['tools.search_records', 'base:tools.search_records'],
    );
    const res = explainLayeredResource(index('version: 1\n'), base('version: 1\nhide: ["odoo://models"]\n'), 'odoo://models');
    assert.equal(res.effective.rule, 'base:hide');
  });

  it('runPolicyTests with a base runs the tests against the effective decision', () => {
    const r = parsePolicy(POLICY);
    assert.ok(r.policy);
    const results = runPolicyTests(r.policy, { base: base(BASE), policyFile: 'p.yaml' });
    assert.deepEqual(
      results.map((x) => [x.actual, x.passed]),
      [
        ['deny', false],
        ['allow', true],
      ],
    );
    assert.match(results[0]!.full, /Decided by: base:tools\.execute_method/);
    // Without the base they pass.
    assert.ok(runPolicyTests(r.policy).every((x) => x.passed));
  });

  it('mcp-guard explain --base-policy and test --base-policy; output without a base is unchanged', () => {
    const { dir, cleanup } = tempDir();
    try {
      const p = join(dir, 'p.yaml');
      const b = join(dir, 'org.yaml');
      writeFileSync(p, POLICY);
      writeFileSync(b, BASE);
      const lines: string[] = [];
      assert.equal(
        explainCommand(['--policy', p, '--base-policy', b, 'execute_method', '{"method":"read"}'], (t) => lines.push(t)),
        0,
      );
      assert.match(lines.join('\n'), /Decided by: base:tools\.execute_method/);
      const json: string[] = [];
      explainCommand(['--policy', p, '--base-policy', b, '--json', 'execute_method'], (t) => json.push(t));
      const j = JSON.parse(json.join('')) as {
        decision: string;
        rule: string;
        layers: { base: { decision: string }; policy: { decision: string } };
      };
      assert.equal(j.decision, 'deny');
      assert.equal(j.rule, 'base:tools.execute_method');
      assert.equal(j.layers.base.decision, 'deny');
      assert.equal(j.layers.policy.decision, 'allow');
      const plain: string[] = [];
      explainCommand(['--policy', p, '--json', 'execute_method'], (t) => plain.push(t));
      assert.equal((JSON.parse(plain.join('')) as { layers?: unknown }).layers, undefined);
      // An invalid base: exit 1, blocked.
      writeFileSync(join(dir, 'bad.yaml'), 'version: 2\n');
      const bad: string[] = [];
      assert.equal(
        explainCommand(['--policy', p, '--base-policy', join(dir, 'bad.yaml'), 'search_records'], (t) => bad.push(t)),
        1,
      );
      assert.match(bad.join('\n'), /base policy is missing or invalid, so a running guard blocks every tool call/);

      const out: string[] = [];
      assert.equal(
        testCommand(['--base-policy', b, p], (l) => out.push(l)),
        1,
      );
      assert.match(out.join('\n'), /FAIL: call execute_method .* → deny \(expected allow\)/);
      assert.equal(out.at(-1), '2 tests, 1 passed, 1 failed');
      const without: string[] = [];
      assert.equal(
        testCommand([p], (l) => without.push(l)),
        0,
      );
      const missing: string[] = [];
      assert.equal(
        testCommand([`--base-policy=${join(dir, 'none.yaml')}`, p], (l) => missing.push(l)),
        1,
      );
      assert.match(missing.join('\n'), /the base policy is missing or invalid/);
    } finally {
      cleanup();
    }
  });

  it('mcp-guard validate --base-policy warns of entries the base overrides', () => {
    const { dir, cleanup } = tempDir();
    try {
      const p = join(dir, 'p.yaml');
      const b = join(dir, 'org.yaml');
      writeFileSync(p, 'version: 1\ntools:\n  execute_method:\n    action: allow\n');
      writeFileSync(b, BASE);
      const out: string[] = [];
      assert.equal(
        validateCommand(['--base-policy', b, p], (l) => out.push(l)),
        0,
      );
      assert.ok(
        out.includes(`${p}:4:13: warning: this allow has no effect: the base policy denies execute_method at ${b}:4`),
        out.join('\n'),
      );
      const plain: string[] = [];
      validateCommand([p], (l) => plain.push(l));
      assert.ok(!plain.some((l) => l.includes('no effect')));
      const bad: string[] = [];
      assert.equal(
        validateCommand(['--base-policy', join(dir, 'none.yaml'), p], (l) => bad.push(l)),
        1,
      );
      assert.match(bad.join('\n'), /cannot read the base policy file/);
    } finally {
      cleanup();
    }
  });

  it('args: --base-policy for run and serve, and test', () => {
    assert.equal(parseRunArgs(['--base-policy', '/etc/org.yaml', '--', 'node', 's.js']).basePolicy, '/etc/org.yaml');
    assert.equal(parseRunArgs(['--', 'node', 's.js']).basePolicy, undefined);
    assert.equal(parseServeArgs(['--listen', '0', '--base-policy', 'org.yaml', '--', 'node', 's.js']).basePolicy, 'org.yaml');
    assert.throws(() => parseRunArgs(['--base-policy', ' ', '--', 'node']), /--base-policy needs a file name/);
    assert.deepEqual(splitBaseFlag(['a.yaml', '--base-policy', 'o.yaml', 'b.yaml']), { files: ['a.yaml', 'b.yaml'], baseFile: 'o.yaml' });
    assert.throws(() => splitBaseFlag(['--base-policy']), /needs a file name/);
    assert.throws(() => splitBaseFlag(['--base-policy', 'a', '--base-policy=b']), /given twice/);
  });
});
