import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyTool } from '../../src/guard/catalog/classify';
import { PolicyIndex } from '../../src/guard/policy/evaluate';
import {
  explainCall,
  explainResource,
  formatExplanation,
  formatResourceExplanation,
  shortExplanation,
} from '../../src/guard/policy/explain';
import { parsePolicy } from '../../src/guard/policy/parse';
import { GUARD } from '../support/paths';
import { tempDir } from '../support/temp';

function index(yaml: string): PolicyIndex {
  const r = parsePolicy(yaml);
  assert.ok(r.policy, JSON.stringify(r.diagnostics));
  return new PolicyIndex(r.policy);
}

const POLICY = [
  'version: 1',
  'hide: [read_field_to_file]',
  'tools:',
  '  execute_method:',
  '    action: require_approval',
  '    reason: Methods can change anything',
  '    when:',
  '      - { path: args.model, op: in, value: [res.partner, sale.order] }',
  '  search_records:',
  '    rate_limit: { max: 10, window: 60 }',
  '  "search_*":',
  '    action: allow',
  '  chatter_post:',
  '    action: deny',
  '    when:',
  '      - { path: args.message_type, op: eq, value: email }',
  '',
].join('\n');

describe('explain: why a call is decided as it is', () => {
  const idx = index(POLICY);
  const explain = (tool: string, args: Record<string, unknown> = {}, mode: 'enforce' | 'lockdown' = 'enforce') =>
    explainCall(idx, tool, args, classifyTool(tool), mode);

  it('names the entry that decided and every entry that applied', () => {
    const e = explain('search_records', { model: 'res.partner' });
    assert.equal(e.decision, 'allow');
    assert.equal(e.rule, 'tools.search_*');
    assert.deepEqual(
      e.applied.map((x) => x.key),
      ['search_records', 'search_*'],
    );
    assert.deepEqual(e.rateLimits, [{ rule: 'tools.search_records', max: 10, windowSeconds: 60 }]);
    assert.equal(e.fallback, undefined);
    assert.equal(shortExplanation(e), 'allow by tools.search_* (entries: search_records, search_*)');
  });

  it('shows an entry whose conditions failed, with the value it saw, and the fallback that decided', () => {
    const e = explain('execute_method', { model: 'res.users', method: 'unlink' });
    assert.equal(e.decision, 'deny');
    assert.equal(e.rule, 'risk.critical (built-in)');
    assert.deepEqual(e.applied, []);
    assert.equal(e.notMatched.length, 1);
    assert.equal(e.notMatched[0]!.entry.key, 'execute_method');
    assert.equal(e.notMatched[0]!.failed.actual, 'res.users');
    assert.match(e.fallback!.text, /built-in default for critical-risk tools applies: deny/);
    const text = formatExplanation(e);
    assert.match(text, /^Decision: deny$/m);
    assert.match(text, /tools\.execute_method: args\.model in \["res\.partner","sale\.order"\] does not hold \(got "res\.users"\)/);
  });

  it('says when a condition path is absent from the arguments', () => {
    const e = explain('chatter_post', { model: 'res.partner' });
    assert.equal(e.notMatched[0]!.failed.found, false);
    assert.match(formatExplanation(e), /args\.message_type is not in the arguments/);
    assert.equal(e.decision, 'require_approval');
    assert.equal(e.rule, 'risk.high (built-in)');
  });

  it('uses default for medium and low tools no entry decides', () => {
    const e = explain('list_models');
    assert.equal(e.decision, 'allow');
    assert.equal(e.rule, 'default');
    assert.match(e.fallback!.text, /default applies: allow/);
  });

  it('reports hidden tools and lockdown', () => {
    assert.equal(explain('read_field_to_file').rule, 'hide');
    const locked = explain('submit_async_task', {}, 'lockdown');
    assert.equal(locked.decision, 'deny');
    assert.equal(locked.rule, 'mode.lockdown');
    assert.equal(explain('list_models', {}, 'lockdown').decision, 'allow');
  });

  describe('resources', () => {
    const policy = parsePolicy(
      'version: 1\ndefault: allow\nhide: ["odoo://secret/*"]\nresources:\n  "odoo://record/*":\n    action: require_approval\n    reason: Records hold personal data\n    rate_limit: { max: 5, window: 60 }\n  "odoo://record/res.users/*":\n    action: deny\n',
    ).policy!;
    const index = new PolicyIndex(policy);

    it('the strictest matching entry decides, and every matching entry and rate limit is listed', () => {
      const e = explainResource(index, 'odoo://record/res.users/2');
      assert.equal(e.decision, 'deny');
      assert.equal(e.rule, 'resources.odoo://record/res.users/*');
      assert.deepEqual(
        e.applied.map((x) => x.key),
        ['odoo://record/*', 'odoo://record/res.users/*'],
      );
      assert.deepEqual(e.rateLimits, [{ rule: 'resources.odoo://record/*', max: 5, windowSeconds: 60 }]);
      const text = formatResourceExplanation(e);
      assert.match(text, /^Decision: deny\nResource: odoo:\/\/record\/res\.users\/2\n/);
      assert.match(text, /resources\.odoo:\/\/record\/\*: action require_approval, rate_limit 5 per 60 s/);
      const partner = explainResource(index, 'odoo://record/res.partner/7');
      assert.equal(partner.decision, 'require_approval');
      assert.equal(partner.reason, 'Records hold personal data');
    });

    it('hide comes first, and default decides what no entry does', () => {
      assert.equal(explainResource(index, 'odoo://secret/key').rule, 'hide');
      const other = explainResource(index, 'odoo://schema/res.partner');
      assert.equal(other.decision, 'allow');
      assert.equal(other.rule, 'default');
      assert.match(other.fallback!, /default applies: allow/);
    });
  });

  describe('mcp-guard explain (the built CLI)', () => {
    let file = '';
    let cleanup = () => {};
    before(() => {
      const t = tempDir();
      cleanup = t.cleanup;
      file = join(t.dir, 'p.yaml');
      writeFileSync(file, POLICY);
      writeFileSync(join(t.dir, 'bad.yaml'), 'version: 1\ntools:\n  x: { action: alow }\n');
    });
    after(() => cleanup());

    it('prints the explanation and exits 0', () => {
      const out = execFileSync(process.execPath, [GUARD, 'explain', '--policy', file, 'execute_method', '{"model":"sale.order"}'], {
        encoding: 'utf8',
      });
      assert.match(out, /^Decision: require_approval$/m);
      assert.match(out, /^Decided by: tools\.execute_method — Methods can change anything$/m);
    });

    it('prints JSON with --json', () => {
      const out = execFileSync(process.execPath, [GUARD, 'explain', '--policy', file, '--json', 'cancel_async_task', '{"task_id":"x"}'], {
        encoding: 'utf8',
      });
      const j = JSON.parse(out);
      assert.equal(j.decision, 'deny');
      assert.equal(j.category, 'Destructive');
      assert.equal(j.risk, 'critical');
    });

    it('explains a resource read with --resource, as text or JSON', () => {
      const out = execFileSync(process.execPath, [GUARD, 'explain', '--policy', file, '--resource', 'odoo://record/res.partner/7'], {
        encoding: 'utf8',
      });
      assert.match(out, /^Decision: allow$/m);
      assert.match(out, /^Resource: odoo:\/\/record\/res\.partner\/7$/m);
      const j = JSON.parse(
        execFileSync(process.execPath, [GUARD, 'explain', '--policy', file, '--json', '--resource', 'odoo://x'], { encoding: 'utf8' }),
      );
      assert.deepEqual(Object.keys(j), ['resource', 'decision', 'rule', 'reason', 'applied', 'fallback', 'rateLimits']);
      const usage = spawnSync(process.execPath, [GUARD, 'explain', '--policy', file, '--resource', 'odoo://x', 'extra'], {
        encoding: 'utf8',
      });
      assert.equal(usage.status, 2);
      assert.match(usage.stderr, /takes no tool or arguments/);
    });

    it('exits 1 on an invalid policy and 2 on bad arguments', () => {
      const bad = spawnSync(process.execPath, [GUARD, 'explain', '--policy', join(file, '..', 'bad.yaml'), 'x'], { encoding: 'utf8' });
      assert.equal(bad.status, 1);
      assert.match(bad.stdout, /bad\.yaml:3:16: error: action must be/);
      const usage = spawnSync(process.execPath, [GUARD, 'explain', '--policy', file, 'x', '{not json'], { encoding: 'utf8' });
      assert.equal(usage.status, 2);
      assert.match(usage.stderr, /not valid JSON/);
    });
  });
});
