// Policy tests: the top-level `tests:` list (src/guard/policy/parse.ts), runPolicyTests (src/guard/policy/tests.ts),
// `mcp-guard test` (src/cli/test.ts, the built CLI), the editor's diagnostics, code lens and hovers
// (src/guard/language/policy-tests.ts), and the starter policy's own tests.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyTool } from '../../src/guard/catalog/classify';
import {
  analyzePolicy,
  policyDiagnostics,
  policyHover,
  policyTestLens,
  policyTestResults,
  starterPolicyFor,
} from '../../src/guard/language';
import { PolicyIndex, evaluatePolicy } from '../../src/guard/policy/evaluate';
import { parsePolicy, parsePolicyDetailed } from '../../src/guard/policy/parse';
import { policyFromText } from '../../src/guard/io/policy-source';
import { describeTestResult, runPolicyTests, runPolicyTestsOnText, summarizeTestResults } from '../../src/guard/policy/tests';
import { GUARD, ROOT } from '../support/paths';
import { tempDir } from '../support/temp';

const POLICY = [
  'version: 1', // 0
  'tools:', // 1
  '  execute_method:', // 2
  '    action: require_approval', // 3
  '    when:', // 4
  '      - { path: args.model, op: eq, value: res.partner }', // 5
  '  search_records:', // 6
  '    action: allow', // 7
  'tests:', // 8
  '  - name: partner methods need approval', // 9
  '    call: execute_method', // 10
  '    args:', // 11
  '      model: res.partner', // 12
  '    expect: require_approval', // 13
  '  - call: execute_method', // 14
  '    args: { model: res.users }', // 15
  '    expect: deny', // 16
  '  - { call: search_records, expect: allow, mode: lockdown }', // 17
  '  - call: cancel_async_task', // 18
  '    expect: allow', // 19  (fails: critical → deny)
  '',
].join('\n');

const r = (l1: number, c1: number, l2: number, c2: number) => ({ start: { line: l1, character: c1 }, end: { line: l2, character: c2 } });

describe('policy tests: the tests: section', () => {
  it('parses every item with call, args (default {}), expect, mode (default enforce), name and exact ranges', () => {
    const p = parsePolicy(POLICY);
    assert.deepEqual(p.diagnostics, []);
    const tests = p.policy!.tests!;
    assert.equal(tests.length, 4);
    assert.deepEqual(
      tests.map((t) => [t.index, t.call, t.args, t.expect, t.mode, t.name]),
      [
        [0, 'execute_method', { model: 'res.partner' }, 'require_approval', 'enforce', 'partner methods need approval'],
        [1, 'execute_method', { model: 'res.users' }, 'deny', 'enforce', undefined],
        [2, 'search_records', {}, 'allow', 'lockdown', undefined],
        [3, 'cancel_async_task', {}, 'allow', 'enforce', undefined],
      ],
    );
    assert.deepEqual(tests[0]!.range, r(9, 4, 13, 28));
    assert.deepEqual(tests[0]!.callRange, r(10, 10, 10, 24));
    assert.deepEqual(tests[0]!.expectRange, r(13, 12, 13, 28));
    assert.deepEqual(tests[2]!.range, r(17, 4, 17, 59));
    assert.deepEqual(tests[2]!.expectRange, r(17, 36, 17, 41));
  });

  it('reads the same with the fast path and the whole-file reading; no tests key, no tests field', () => {
    const auto = parsePolicy(POLICY);
    const whole = parsePolicy(POLICY, { strategy: 'whole' });
    assert.equal(parsePolicyDetailed(POLICY).strategy, 'segments', 'a tests: key keeps the fast path');
    assert.deepEqual(JSON.parse(JSON.stringify(auto.policy!.tests)), JSON.parse(JSON.stringify(whole.policy!.tests)));
    assert.equal(parsePolicy('version: 1\n').policy!.tests, undefined);
    assert.deepEqual(parsePolicy('version: 1\ntests:\n').policy!.tests, []);
    const zero = parsePolicy('version: 1\ntests:\n- call: x\n  expect: deny\n', { strategy: 'whole' });
    assert.deepEqual(zero.policy!.tests![0]!.range, r(2, 2, 3, 14));
  });

  it("leaves the guard's decisions unchanged", () => {
    const without = new PolicyIndex(parsePolicy(POLICY.slice(0, POLICY.indexOf('tests:'))).policy!);
    const withTests = new PolicyIndex(parsePolicy(POLICY).policy!);
    for (const [tool, args] of [
      ['execute_method', { model: 'res.partner' }],
      ['execute_method', {}],
      ['search_records', {}],
      ['cancel_async_task', {}],
      ['list_models', {}],
    ] as const) {
      const a = evaluatePolicy(without, tool, args, classifyTool(tool));
      const b = evaluatePolicy(withTests, tool, args, classifyTool(tool));
      assert.deepEqual([a.action, a.rule], [b.action, b.rule], tool);
    }
  });

  const errors = (text: string) =>
    parsePolicy(text).diagnostics.map((d) => [d.code, d.message, d.range.start.line, d.range.start.character]);

  it('reports an unknown key with did-you-mean, a wrong call, args or expect, a bad mode and missing keys, at their place', () => {
    assert.deepEqual(errors('version: 1\ntests:\n  - call: search_records\n    expct: allow\n'), [
      ['unknown-key', 'Unknown key "expct" in a test; did you mean "expect"?', 3, 4],
      ['missing-key', 'A test needs expect: allow, deny or require_approval', 2, 4],
    ]);
    assert.equal(parsePolicy('version: 1\ntests:\n  - call: search_records\n    expct: allow\n').diagnostics[0]!.suggestion, 'expect');
    assert.deepEqual(errors('version: 1\ntests:\n  - { call: 42, expect: allow }\n'), [
      ['wrong-type', 'call (the tool name) must be a non-empty text, not the number 42', 2, 12],
    ]);
    assert.deepEqual(errors('version: 1\ntests:\n  - { call: "  ", expect: allow }\n'), [
      ['wrong-type', 'call (the tool name) must be a non-empty text, not the text "  "', 2, 12],
    ]);
    assert.deepEqual(
      errors('version: 1\ntests:\n  - { call: x, args: [1], expect: allow }\n').map((e) => [e[0], e[2], e[3]]),
      [['wrong-type', 2, 21]],
    );
    assert.deepEqual(errors('version: 1\ntests:\n  - { call: x, expect: alow }\n'), [
      ['bad-action', 'expect must be "allow", "deny" or "require_approval", not the text "alow"; did you mean "allow"?', 2, 23],
    ]);
    assert.deepEqual(errors('version: 1\ntests:\n  - { call: x, expect: allow, mode: monitor }\n'), [
      ['bad-mode', 'mode must be "enforce" or "lockdown", not the text "monitor"', 2, 36],
    ]);
    assert.deepEqual(errors('version: 1\ntests:\n  - { args: {}, expect: allow }\n'), [
      ['missing-key', 'A test needs call: the name of the tool it calls', 2, 4],
    ]);
    assert.deepEqual(
      errors('version: 1\ntests:\n  call: x\n').map((e) => [e[0], e[2]]),
      [['wrong-type', 2]],
    );
    assert.deepEqual(
      errors('version: 1\ntests:\n  - x\n').map((e) => e[0]),
      ['wrong-type'],
    );
    assert.equal(
      parsePolicy('version: 1\ntests:\n  - { call: x, expect: alow }\n').policy,
      undefined,
      'an invalid test makes the file invalid',
    );
  });
});

describe('policy tests: a mistake in tests: does not stop the guard', () => {
  const broken = 'version: 1\ntools:\n  cancel_async_task:\n    action: deny\ntests:\n  - call: cancel_async_task\n    expect: maybe\n';

  it('is an error for validate, the editor and mcp-guard test', () => {
    for (const strategy of ['auto', 'whole'] as const) {
      const p = parsePolicy(broken, { strategy });
      assert.equal(p.policy, undefined);
      assert.ok(
        p.diagnostics.some((d) => d.severity === 'error' && d.range.start.line === 6),
        JSON.stringify(p.diagnostics),
      );
    }
  });

  it('is skipped when the guard loads the policy: the rules apply, the tests are not read', () => {
    for (const strategy of ['auto', 'whole'] as const) {
      const p = parsePolicy(broken, { strategy, tests: 'ignore' });
      assert.ok(p.policy, JSON.stringify(p.diagnostics));
      assert.equal(p.policy.tests, undefined);
      assert.deepEqual(p.diagnostics, []);
    }
    const load = policyFromText('p.yaml', broken);
    assert.equal(load.state.kind, 'valid');
    if (load.state.kind === 'valid')
      assert.equal(evaluatePolicy(load.state.index, 'cancel_async_task', {}, classifyTool('cancel_async_task')).action, 'deny');
  });

  it('still fails closed on a YAML syntax error inside tests:', () => {
    const load = policyFromText('p.yaml', 'version: 1\ntests:\n  - call: [unclosed\n');
    assert.equal(load.state.kind, 'invalid');
  });
});

describe('policy tests: runPolicyTests', () => {
  const policy = parsePolicy(POLICY).policy!;
  const results = runPolicyTests(policy);

  it('runs each test with explainCall in its mode, and says which pass', () => {
    assert.deepEqual(
      results.map((x) => [x.index, x.call, x.actual, x.expect, x.passed]),
      [
        [0, 'execute_method', 'require_approval', 'require_approval', true],
        [1, 'execute_method', 'deny', 'deny', true],
        [2, 'search_records', 'allow', 'allow', true],
        [3, 'cancel_async_task', 'deny', 'allow', false],
      ],
    );
    assert.equal(results[0]!.name, 'partner methods need approval');
    assert.equal(results[3]!.short, 'deny by risk.critical (built-in)');
    assert.match(results[3]!.full, /^Decision: deny$/m);
    assert.equal(results[3]!.explanation.rule, 'risk.critical (built-in)');
    assert.deepEqual(results[3]!.expectRange, r(19, 12, 19, 17));
    assert.deepEqual(results[3]!.range, r(18, 4, 19, 17));
    assert.equal(describeTestResult(results[3]!), 'call cancel_async_task {} → deny (expected allow)');
  });

  it('lockdown denies what enforce allows; other tests, classification and catalogs can be given', () => {
    const t = { ...policy.tests![2]!, call: 'submit_async_task', expect: 'deny' as const };
    const [locked] = runPolicyTests(policy, { tests: [t] });
    assert.equal(locked!.actual, 'deny');
    assert.equal(locked!.explanation.rule, 'mode.lockdown');
    const [unlocked] = runPolicyTests(policy, {
      tests: [{ ...t, mode: 'enforce' }],
      classify: () => ({ category: 'Read', risk: 'low', reason: 'test', source: 'catalog' }) as never,
    });
    assert.equal(unlocked!.actual, 'allow');
    assert.deepEqual(runPolicyTests(parsePolicy('version: 1\n').policy!), []);
  });

  it('summarizes: all pass, some fail, none', () => {
    assert.equal(summarizeTestResults(results), '1 of 4 tests fails');
    assert.equal(summarizeTestResults(results.slice(0, 3)), '3 tests pass');
    assert.equal(summarizeTestResults(results.slice(0, 1)), '1 test passes');
    assert.equal(summarizeTestResults(results.slice(3)), '1 of 1 test fails');
    assert.equal(summarizeTestResults([results[3]!, results[3]!]), '2 of 2 tests fail');
    assert.equal(summarizeTestResults([]), 'no tests');
  });

  it('runPolicyTestsOnText: no results while the policy has errors', () => {
    assert.equal(runPolicyTestsOnText(POLICY).results!.length, 4);
    const bad = runPolicyTestsOnText('version: 1\ndefault: alow\ntests:\n  - { call: x, expect: allow }\n');
    assert.equal(bad.results, undefined);
    assert.equal(bad.diagnostics[0]!.code, 'bad-action');
  });
});

describe('policy tests in the editor', () => {
  const doc = analyzePolicy(POLICY);

  it('a failing test is an error at its expect value; an unknown tool in call a warning', () => {
    const ds = policyDiagnostics(doc).filter((d) => d.code === 'test-failed' || d.code === 'unknown-tool');
    assert.deepEqual(ds, [
      {
        severity: 'error',
        code: 'test-failed',
        message: 'Test fails: cancel_async_task is deny, expected allow — deny by risk.critical (built-in)',
        range: r(19, 12, 19, 17),
      },
    ]);
    const unknown = policyDiagnostics('version: 1\ntests:\n  - { call: serch_records, expect: allow }\n');
    assert.deepEqual(
      unknown.map((d) => [d.severity, d.code, d.range, d.suggestion]),
      [['warning', 'unknown-tool', r(2, 12, 2, 25), 'search_records']],
    );
    assert.match(unknown[0]!.message, /^Unknown tool "serch_records": not in the catalog .*; did you mean "search_records"\?$/);
  });

  it('the code lens over tests: counts passes and failures', () => {
    const lens = policyTestLens(doc)!;
    assert.deepEqual(lens.range, r(8, 0, 8, 5));
    assert.equal(lens.title, '1 of 4 tests fails');
    assert.equal(lens.passed, 3);
    assert.equal(lens.failed, 1);
    const fixed = POLICY.replace('    expect: allow', '    expect: deny');
    assert.equal(policyTestLens(fixed)!.title, '4 tests pass');
    assert.deepEqual(
      policyDiagnostics(fixed).filter((d) => d.code === 'test-failed'),
      [],
    );
    assert.equal(policyTestLens('version: 1\n'), undefined);
    assert.equal(
      policyTestLens('version: 1\ndefault: alow\ntests:\n  - { call: x, expect: allow }\n')!.title,
      'Tests not run: the policy has errors',
    );
    assert.equal(policyTestResults('version: 1\ndefault: alow\ntests: []\n'), undefined);
  });

  it('hovering a test item shows its full explanation; the tests: key keeps its own hover', () => {
    const h = policyHover(doc, { line: 19, character: 14 })!;
    assert.deepEqual(h.range, r(18, 4, 19, 17));
    assert.match(h.contents, /^\*\*Test fails\*\*: `cancel_async_task` is `deny`, expected `allow`/);
    assert.match(h.contents, /Decided by: risk\.critical \(built-in\)/);
    const pass = policyHover(doc, { line: 12, character: 9 })!;
    assert.match(pass.contents, /^\*\*Test passes\*\*/);
    assert.match(pass.contents, /Decided by: tools\.execute_method/);
    const key = policyHover(doc, { line: 8, character: 2 })!;
    assert.match(key.contents, /mcp-guard test/);
  });
});

describe('policy tests: the starter policy ships with tests that pass', () => {
  it('cancel_async_task, execute_method and execute_approved_write need approval; search_records is allowed', () => {
    const text = starterPolicyFor();
    const run = runPolicyTestsOnText(text);
    assert.deepEqual(run.diagnostics, []);
    assert.deepEqual(
      run.results!.map((x) => [x.call, x.expect, x.passed]),
      [
        ['cancel_async_task', 'require_approval', true],
        ['execute_method', 'require_approval', true],
        ['execute_approved_write', 'require_approval', true],
        ['search_records', 'allow', true],
      ],
    );
    assert.equal(policyTestLens(text)!.title, '4 tests pass');
    assert.deepEqual(policyDiagnostics(text), []);
  });

  it('for another server: tests of its riskiest tools and a Read tool, all passing', () => {
    const text = starterPolicyFor([
      { name: 'drop_db', annotations: { destructiveHint: true } },
      { name: 'peek', annotations: { readOnlyHint: true } },
      { name: 'poke', annotations: { readOnlyHint: false, destructiveHint: false } },
    ] as never);
    const run = runPolicyTestsOnText(text);
    assert.ok(run.results && run.results.length >= 1, text);
    for (const x of run.results) assert.ok(x.passed, `${x.call}: ${x.full}`);
    assert.ok(
      run.results.some((x) => x.call === 'drop_db'),
      text,
    );
  });
});

describe('mcp-guard test (the built CLI)', function () {
  this.timeout(60_000);
  let dir = '';
  let cleanup = () => {};
  before(() => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, `build failed: ${build.stderr}`);
    const t = tempDir();
    dir = t.dir;
    cleanup = t.cleanup;
    writeFileSync(join(dir, 'fail.yaml'), POLICY);
    writeFileSync(join(dir, 'pass.yaml'), POLICY.replace('    expect: allow', '    expect: deny'));
    writeFileSync(join(dir, 'bad.yaml'), 'version: 1\ntests:\n  - { call: x, expect: alow }\n');
  });
  after(() => cleanup());
  const run = (...args: string[]) => spawnSync(process.execPath, [GUARD, 'test', ...args], { encoding: 'utf8' });

  it('prints each test and the summary, and exits 0 when all pass', () => {
    const file = join(dir, 'pass.yaml');
    const out = run(file);
    assert.equal(out.status, 0, out.stderr);
    const lines = out.stdout.trimEnd().split('\n');
    assert.deepEqual(lines, [
      `${file}:10:5: pass: call execute_method {"model":"res.partner"} → require_approval (expected require_approval)`,
      `${file}:15:5: pass: call execute_method {"model":"res.users"} → deny (expected deny)`,
      `${file}:18:5: pass: call search_records {} → allow (expected allow)`,
      `${file}:19:5: pass: call cancel_async_task {} → deny (expected deny)`,
      '4 tests, 4 passed, 0 failed',
    ]);
  });

  it('prints a failure with its explanation indented, and exits 1', () => {
    const file = join(dir, 'fail.yaml');
    const out = run(file);
    assert.equal(out.status, 1);
    assert.match(
      out.stdout,
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:19:5: FAIL: call cancel_async_task \\{\\} → deny \\(expected allow\\)\\n    Decision: deny\\n    Tool: cancel_async_task`,
        'm',
      ),
    );
    assert.match(out.stdout, /^ {4}Decided by: risk\.critical \(built-in\)/m);
    assert.match(out.stdout, /\n4 tests, 3 passed, 1 failed\n$/);
  });

  it('exits 1 on an invalid policy (printing its errors) and 2 on usage errors', () => {
    const file = join(dir, 'bad.yaml');
    const out = run(file);
    assert.equal(out.status, 1);
    assert.match(out.stdout, /bad\.yaml:3:24: error: expect must be "allow", "deny" or "require_approval"/);
    assert.match(out.stdout, /0 tests, 0 passed, 0 failed/);
    const none = run();
    assert.equal(none.status, 2);
    assert.match(none.stderr, /test needs at least one policy file/);
    assert.equal(run('--json', file).status, 2);
    assert.equal(run(join(dir, 'missing.yaml')).status, 1);
  });
});
