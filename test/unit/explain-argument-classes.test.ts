// Issue 14: decisions for execute_method across read-like, write and destructive methods, with and
// without policy entries, through explainCall, policy tests and the built `mcp-guard explain`; the
// audit event and the session scope of a call classed by its arguments.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyCall } from '../../src/guard/catalog/classify';
import { PolicyIndex } from '../../src/guard/policy/evaluate';
import { explainCall, formatExplanation } from '../../src/guard/policy/explain';
import { parsePolicy } from '../../src/guard/policy/parse';
import { runPolicyTestsOnText } from '../../src/guard/policy/tests';
import { decisionEvent } from '../../src/guard/proxy/audit-event';
import { sessionKey, type ToolCall } from '../../src/guard/proxy/subjects';
import { GUARD } from '../support/paths';
import { tempDir } from '../support/temp';

function decide(policy: string, method: unknown, mode: 'enforce' | 'lockdown' = 'enforce', model = 'res.partner'): string {
  const r = parsePolicy(policy);
  assert.ok(r.policy, JSON.stringify(r.diagnostics));
  const args = { model, method };
  const e = explainCall(new PolicyIndex(r.policy), 'execute_method', args, classifyCall('execute_method', undefined, args), mode);
  return `${e.decision} by ${e.rule}`;
}

const BARE = 'version: 1\ndefault: allow\n';
const ENTRIES = [
  'version: 1',
  'default: allow',
  'risk:',
  '  high: deny',
  'tools:',
  '  execute_method:',
  '    action: require_approval',
  '    when:',
  '      - { path: args.model, op: eq, value: res.users }',
  '',
].join('\n');
const ALLOW_ALL = 'version: 1\ntools:\n  execute_method: { action: allow }\n';

describe('execute_method decisions by method (explain)', () => {
  const table: [string, unknown, string, string, string][] = [
    // [policy, method, enforce, with entries (res.partner), allow-all entry]
    ['read-like', 'search_read', 'allow by default', 'allow by default', 'allow by tools.execute_method'],
    ['read-like', 'fields_get', 'allow by default', 'allow by default', 'allow by tools.execute_method'],
    ['write', 'write', 'require_approval by risk.high (built-in)', 'deny by risk.high', 'allow by tools.execute_method'],
    ['write', 'copy', 'require_approval by risk.high (built-in)', 'deny by risk.high', 'allow by tools.execute_method'],
    ['destructive', 'unlink', 'deny by risk.critical (built-in)', 'deny by risk.critical (built-in)', 'allow by tools.execute_method'],
    ['action', 'action_post', 'deny by risk.critical (built-in)', 'deny by risk.critical (built-in)', 'allow by tools.execute_method'],
    ['case', 'Search_read', 'deny by risk.critical (built-in)', 'deny by risk.critical (built-in)', 'allow by tools.execute_method'],
    ['space', 'read ', 'deny by risk.critical (built-in)', 'deny by risk.critical (built-in)', 'allow by tools.execute_method'],
    ['array', ['read'], 'deny by risk.critical (built-in)', 'deny by risk.critical (built-in)', 'allow by tools.execute_method'],
  ];
  for (const [what, method, bare, entries, allowAll] of table) {
    it(`${what} (${JSON.stringify(method)}): ${bare}; ${entries} with risk entries; an allow entry still decides`, () => {
      assert.equal(decide(BARE, method), bare);
      assert.equal(decide(ENTRIES, method), entries);
      // An unconditional allow entry decides over any class, as entries always did (the editor warns about it).
      assert.equal(decide(ALLOW_ALL, method), allowAll);
    });
  }

  it('a conditional entry applies on top: a read on res.users needs approval, on res.partner it does not', () => {
    assert.equal(decide(ENTRIES, 'search_read', 'enforce', 'res.users'), 'require_approval by tools.execute_method');
    assert.equal(decide(ENTRIES, 'unlink', 'enforce', 'res.users'), 'require_approval by tools.execute_method');
  });

  it('lockdown uses the call’s class: a read passes, a write does not', () => {
    assert.equal(decide(ALLOW_ALL, 'search_read', 'lockdown'), 'allow by tools.execute_method');
    assert.equal(decide(ALLOW_ALL, 'create', 'lockdown'), 'deny by mode.lockdown');
    assert.equal(decide(ALLOW_ALL, 'unlink', 'lockdown'), 'deny by mode.lockdown');
  });

  it('the explanation says which argument value decided the class', () => {
    const r = parsePolicy(BARE);
    const args = { model: 'res.partner', method: 'search_count' };
    const text = formatExplanation(
      explainCall(new PolicyIndex(r.policy!), 'execute_method', args, classifyCall('execute_method', undefined, args)),
    );
    assert.match(text, /^Tool: execute_method — Read \/ low risk: execute_method with method=search_count: a read-like ORM method/m);
    assert.match(text, /^Class by argument: method=search_count /m);
  });

  it('policy tests classify each call by its arguments, as the guard does', () => {
    const run = runPolicyTestsOnText(
      [
        BARE.trim(),
        'tests:',
        '  - { call: execute_method, args: { model: res.partner, method: search_read }, expect: allow }',
        '  - { call: execute_method, args: { model: res.partner, method: write }, expect: require_approval }',
        '  - { call: execute_method, args: { model: res.partner, method: button_confirm }, expect: deny }',
        '  - { call: execute_method, args: { model: res.partner, method: search_read }, mode: lockdown, expect: allow }',
        '  - { call: read_field_to_file, args: { model: x, record_id: 1, field: f, output_path: /r/a }, mode: lockdown, expect: deny }',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      run.results!.map((r) => [r.actual, r.passed]),
      [
        ['allow', true],
        ['require_approval', true],
        ['deny', true],
        ['allow', true],
        ['deny', true],
      ],
    );
  });

  describe('mcp-guard explain (the built CLI)', () => {
    let file = '';
    let cleanup = () => {};
    before(() => {
      const t = tempDir();
      cleanup = t.cleanup;
      file = join(t.dir, 'p.yaml');
      writeFileSync(file, ENTRIES);
    });
    after(() => cleanup());
    const explain = (...args: string[]) =>
      execFileSync(process.execPath, [GUARD, 'explain', '--policy', file, ...args], { encoding: 'utf8' });

    it('--json gives the class by argument, its source and reason', () => {
      const read = JSON.parse(explain('--json', 'execute_method', '{"model":"res.partner","method":"search_read"}'));
      assert.deepEqual(
        [read.decision, read.rule, read.category, read.risk, read.classSource, read.classArgument],
        ['allow', 'default', 'Read', 'low', 'catalog-argument', 'method=search_read'],
      );
      const write = JSON.parse(explain('--json', 'execute_method', '{"model":"res.partner","method":"write"}'));
      assert.deepEqual([write.decision, write.rule, write.risk, write.classArgument], ['deny', 'risk.high', 'high', 'method=write']);
      const other = JSON.parse(explain('--json', 'execute_method', '{"model":"res.partner","method":"search_read\\u00a0"}'));
      assert.deepEqual([other.decision, other.risk, other.classArgument], ['deny', 'critical', 'method=(other)']);
      const users = JSON.parse(explain('--json', 'execute_method', '{"model":"res.users","method":"read"}'));
      assert.deepEqual([users.decision, users.rule, users.risk], ['require_approval', 'tools.execute_method', 'low']);
      const noArgs = JSON.parse(explain('--json', 'execute_method'));
      assert.deepEqual([noArgs.decision, noArgs.risk, noArgs.classArgument], ['deny', 'critical', 'method=(other)']);
    });

    it('the text names the argument case', () => {
      const out = explain('execute_method', '{"model":"res.partner","method":"button_cancel"}');
      assert.match(out, /^Decision: deny$/m);
      assert.match(out, /^Class by argument: method=button_\* /m);
    });
  });
});

describe('a call classed by its arguments: audit event and session scope', () => {
  const call = (method: string): ToolCall => {
    const args = { model: 'res.partner', method };
    return {
      kind: 'tool',
      id: 1,
      key: 'n:1',
      name: 'execute_method',
      args,
      line: '',
      receivedAt: 0,
      classification: classifyCall('execute_method', { destructiveHint: true }, args),
    };
  };

  it('the audit event has the class that applied and why', () => {
    const e = decisionEvent(call('search_read'), { decision: 'allowed', rule: 'default', reason: 'r', entries: [] }, 'ok', 'd', undefined, {
      serverName: 's',
      mode: 'enforce',
      includeArgs: false,
      now: 1,
      auditProblem: undefined,
    });
    assert.deepEqual([e.category, e.risk, e.class_source, e.class_argument], ['Read', 'low', 'catalog-argument', 'method=search_read']);
    assert.match(e.class_reason, /^execute_method with method=search_read: /);
    const plain = decisionEvent(
      { ...call('x'), name: 'health_check', classification: classifyCall('health_check', undefined, {}) },
      { decision: 'allowed', rule: 'default', reason: 'r', entries: [] },
      'ok',
      'd',
      undefined,
      { serverName: 's', mode: 'enforce', includeArgs: false, now: 1, auditProblem: undefined },
    );
    assert.equal(plain.class_source, 'catalog');
    assert.ok(!('class_argument' in plain));
  });

  it('"allow for this session" covers only the same argument case', () => {
    assert.equal(sessionKey(call('search_read')), 'tool execute_method method=search_read');
    assert.notEqual(sessionKey(call('search_read')), sessionKey(call('write')));
    assert.notEqual(sessionKey(call('search_read')), sessionKey(call('search_count')));
    // Unknown values share one key, but it is critical, which is never allowed for a session.
    assert.equal(sessionKey(call('foo')), sessionKey(call('bar')));
    assert.equal(call('foo').classification.risk, 'critical');
  });
});
