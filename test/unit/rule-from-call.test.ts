// src/guard/language/rule-from-call.ts: "Allow calls like this" / "Always deny" as policy edits.
import { strict as assert } from 'node:assert';
import { ODOO_MCP_CATALOG } from '../../src/guard/catalog/odoo-mcp';
import { applyTextEdits, runPolicyTestsOnText, starterPolicyFor } from '../../src/guard/language';
import { argumentChoices, ruleFromCall, type RuleEditResult, type RuleRequest } from '../../src/guard/language/rule-from-call';
import { PolicyIndex } from '../../src/guard/policy/evaluate';
import { explainCall } from '../../src/guard/policy/explain';
import { parsePolicy } from '../../src/guard/policy/parse';
import { classifyTool } from '../../src/guard/catalog/classify';
import { REDACTED } from '../../src/guard/approval/describe';

type Ok = Extract<RuleEditResult, { ok: true }>;

/** Runs the edit and checks what every successful edit must give: edits that make `text`, a valid policy, the new test last and passing. */
function edit(text: string, req: RuleRequest): Ok {
  const r = ruleFromCall(text, req);
  if (!r.ok) assert.fail(`refused: ${r.message}`);
  assert.equal(applyTextEdits(text, r.edits), r.text, 'the edits turn the old text into the new one');
  const parsed = parsePolicy(r.text);
  assert.ok(parsed.policy, `the edited policy validates: ${JSON.stringify(parsed.diagnostics.filter((d) => d.severity === 'error'))}`);
  const run = runPolicyTestsOnText(r.text);
  const last = run.results![run.results!.length - 1]!;
  assert.equal(last.call, req.tool);
  assert.equal(last.expect, req.intent);
  assert.equal(last.passed, true, `the new test passes: ${last.full}`);
  assert.deepEqual(
    r.results.map((x) => x.passed),
    run.results!.map((x) => x.passed),
  );
  return r;
}

function decide(text: string, tool: string, args: Record<string, unknown>): string {
  const p = parsePolicy(text).policy!;
  return explainCall(new PolicyIndex(p), tool, args, classifyTool(tool)).decision;
}

function refused(text: string, req: RuleRequest): string {
  const r = ruleFromCall(text, req);
  assert.equal(r.ok, false, 'refused');
  assert.equal(r.ok ? undefined : r.message.length > 0, true);
  return r.ok ? '' : r.message;
}

describe('rule from call: argumentChoices', () => {
  it('offers scalars and short scalar lists, inside objects too, in argument order', () => {
    const choices = argumentChoices({ model: 'res.partner', ids: [1, 2], kw: { context: { lang: 'en' } }, on: true, n: null });
    assert.deepEqual(
      choices.map((c) => [c.path, c.value]),
      [
        ['args.model', 'res.partner'],
        ['args.ids', [1, 2]],
        ['args.kw.context.lang', 'en'],
        ['args.on', true],
        ['args.n', null],
      ],
    );
    assert.equal(choices[0]!.label, 'args.model = "res.partner"');
  });

  it('leaves out what a condition cannot name or should not pin', () => {
    const choices = argumentChoices({
      'a.b': 1,
      long: 'x'.repeat(500),
      rows: [{ id: 1 }],
      many: Array.from({ length: 30 }, (_, i) => i),
      api_key: REDACTED,
      deep: { a: { b: { c: { d: 1 } } } },
    });
    assert.deepEqual(choices, []);
    assert.deepEqual(argumentChoices(undefined), []);
  });
});

describe('rule from call: Always deny', () => {
  it('adds an entry named by the tool when it has none, with the reason and conditions, and a test', () => {
    const text = 'version: 1\ntools:\n  search_records:\n    rate_limit: { max: 5, window: 60 }\n';
    const r = edit(text, {
      tool: 'submit_async_task',
      intent: 'deny',
      args: { operation: 'data_quality_report', params: {} },
      conditions: [{ path: 'args.operation', value: 'data_quality_report' }],
      reason: 'No reports today',
    });
    assert.equal(
      r.text,
      [
        'version: 1',
        'tools:',
        '  search_records:',
        '    rate_limit: { max: 5, window: 60 }',
        '  submit_async_task:',
        '    action: deny',
        '    reason: No reports today',
        '    when:',
        '      - { path: args.operation, op: eq, value: data_quality_report }',
        '',
        'tests:',
        '  - name: Deny submit_async_task when args.operation = "data_quality_report" (from the audit log)',
        '    call: submit_async_task',
        '    args: { operation: data_quality_report }',
        '    expect: deny',
        '',
      ].join('\n'),
    );
    assert.equal(r.entryKey, 'submit_async_task');
    assert.equal(decide(r.text, 'submit_async_task', { operation: 'other' }), 'allow', 'other calls are untouched');
    assert.equal(r.summary, '1 test passes');
    assert.equal(r.focus.start.line, 4);
  });

  it('adds a labelled entry when the tool already has one, and reports the starter test it now contradicts', () => {
    const text = starterPolicyFor();
    const r = edit(text, {
      tool: 'execute_method',
      intent: 'deny',
      args: { model: 'res.partner', method: 'unlink', args: [[7]] },
      conditions: [{ path: 'args.method', value: 'unlink' }],
      reason: 'No unlink',
    });
    assert.equal(r.entryKey, 'execute_method (deny method=unlink)');
    assert.match(
      r.text,
      /\n {2}execute_method \(deny method=unlink\):\n {4}action: deny\n {4}reason: No unlink\n {4}when:\n {6}- \{ path: args\.method, op: eq, value: unlink \}\n/,
    );
    assert.equal(r.summary, '1 of 5 tests fails');
    const failed = r.results.filter((x) => !x.passed);
    assert.deepEqual(
      failed.map((x) => [x.call, x.expect, x.actual]),
      [['execute_method', 'require_approval', 'deny']],
    );
    assert.equal(decide(r.text, 'execute_method', { model: 'res.partner', method: 'read' }), 'require_approval');
    // Only the lines around the new entry and test change: every other line of the file stays.
    assert.equal(r.edits.length, 2);
    assert.ok(
      r.edits.every((e) => e.range.start.line === e.range.end.line && e.range.start.character === 0 && e.range.end.character === 0),
    );
  });

  it("changes the action of the tool's unconditional entry when no argument is picked", () => {
    const text = 'version: 1\ntools:\n  search_records:  # reads\n    action: allow\n    reason: reads only\n';
    const r = edit(text, { tool: 'search_records', intent: 'deny', conditions: [], reason: 'Not now' });
    assert.equal(
      r.text.split('\n').slice(0, 5).join('\n'),
      'version: 1\ntools:\n  search_records:  # reads\n    action: deny\n    reason: Not now',
    );
    assert.deepEqual(r.changes.slice(0, 1), ['set the action of entry "search_records" to deny']);
  });

  it('adds a tools section before the tests when the file has none', () => {
    const text = 'version: 1\ntests:\n  - call: search_records\n    expect: allow\n';
    const r = edit(text, { tool: 'cancel_async_task', intent: 'deny', conditions: [] });
    assert.ok(
      r.text.startsWith('version: 1\ntools:\n  cancel_async_task:\n    action: deny\n\ntests:\n  - call: search_records\n'),
      r.text,
    );
    assert.match(r.text, /expect: allow\n {2}- name: Deny cancel_async_task \(from the audit log\)\n/);
  });

  it('writes into flow-style sections, a file without a final newline, and keeps CRLF line ends', () => {
    const flow = 'version: 1\ntools: { search_records: { action: allow } }\ntests: [ { call: search_records, expect: allow } ]';
    const r1 = edit(flow, { tool: 'cancel_async_task', intent: 'deny', conditions: [{ path: 'args.task_id', value: 'a, b' }] });
    assert.match(r1.text, /cancel_async_task: \{ action: deny, when: \[ \{ path: args\.task_id, op: eq, value: "a, b" \} \] \}/);
    assert.ok(r1.text.endsWith('\n'));
    const empty = 'version: 1\ntools: {}\ntests: []\n';
    edit(empty, { tool: 'cancel_async_task', intent: 'deny', conditions: [] });
    const crlf = 'version: 1\r\ntools:\r\n  cancel_async_task: { action: require_approval }\r\n';
    const r3 = edit(crlf, { tool: 'cancel_async_task', intent: 'deny', conditions: [{ path: 'args.task_id', value: '7' }] });
    assert.ok(!/[^\r]\n/.test(r3.text), 'every new line ends in CRLF');
    assert.match(r3.text, /cancel_async_task \(deny task_id=7\):\r\n/);
  });
});

describe('rule from call: Allow calls like this', () => {
  it('adds an allow entry when a risk class decided the call', () => {
    const text = 'version: 1\n';
    const r = edit(text, {
      tool: 'cancel_async_task',
      intent: 'allow',
      args: { task_id: 'abc' },
      conditions: [{ path: 'args.task_id', value: 'abc' }],
    });
    assert.equal(decide('version: 1\n', 'cancel_async_task', { task_id: 'abc' }), 'deny', 'denied before: critical risk');
    assert.equal(decide(r.text, 'cancel_async_task', { task_id: 'abc' }), 'allow');
    assert.equal(decide(r.text, 'cancel_async_task', { task_id: 'xyz' }), 'deny', 'other tasks still denied');
    assert.deepEqual(r.changes, [
      'added entry "cancel_async_task": allow when args.task_id = "abc"',
      'added test "Allow cancel_async_task when args.task_id = "abc" (from the audit log)"',
    ]);
  });

  it("exempts calls like this one from the tool's stricter entry with one neq condition, and allows them", () => {
    const text = starterPolicyFor();
    const r = edit(text, {
      tool: 'cancel_async_task',
      intent: 'allow',
      args: { task_id: '99' },
      conditions: [{ path: 'args.task_id', value: '99' }],
    });
    assert.match(
      r.text,
      /\n {2}cancel_async_task: {2}# Destructive · critical risk\n {4}action: require_approval\n {4}reason: .*\n {4}when:\n {6}- \{ path: args\.task_id, op: neq, value: "99" \}\n/,
    );
    assert.match(r.text, /\n {2}cancel_async_task \(allow task_id=99\):\n {4}action: allow\n/);
    assert.equal(decide(r.text, 'cancel_async_task', { task_id: '99' }), 'allow');
    assert.equal(decide(r.text, 'cancel_async_task', { task_id: '1' }), 'require_approval');
    assert.equal(r.summary, '5 tests pass');
  });

  it('pins a null argument with in/not_in [null] (eq and neq need a non-null value), for deny and allow', () => {
    const text = starterPolicyFor();
    const deny = edit(text, {
      tool: 'search_records',
      intent: 'deny',
      args: { model: 'res.partner', order: null },
      conditions: [{ path: 'args.order', value: null }],
      reason: 'No unordered searches',
    });
    assert.match(deny.text, /- \{ path: args\.order, op: in, value: \[ null \] \}/);
    assert.equal(decide(deny.text, 'search_records', { model: 'res.partner', order: null }), 'deny');
    assert.equal(decide(deny.text, 'search_records', { model: 'res.partner', order: 'name' }), 'allow');
    const allow = edit(text, {
      tool: 'cancel_async_task',
      intent: 'allow',
      args: { task_id: null },
      conditions: [{ path: 'args.task_id', value: null }],
    });
    assert.match(allow.text, /- \{ path: args\.task_id, op: not_in, value: \[ null \] \}/);
    assert.equal(decide(allow.text, 'cancel_async_task', { task_id: null }), 'allow');
    assert.equal(decide(allow.text, 'cancel_async_task', { task_id: '1' }), 'require_approval');
  });

  it("sets the stricter entry's action to allow when no argument is picked", () => {
    const r = edit(starterPolicyFor(), { tool: 'chatter_post', intent: 'allow', conditions: [] });
    assert.match(r.text, /\n {2}chatter_post: {2}# Write · high risk\n {4}action: allow\n/);
  });

  it('adds to an existing when list, block or flow', () => {
    const block =
      'version: 1\ntools:\n  execute_method:\n    action: require_approval\n    when:\n      - { path: args.model, op: in, value: [res.partner, sale.order] }\n';
    const r1 = edit(block, {
      tool: 'execute_method',
      intent: 'allow',
      args: { model: 'res.partner', method: 'read' },
      conditions: [{ path: 'args.method', value: 'read' }],
    });
    assert.match(r1.text, /value: \[res\.partner, sale\.order\] \}\n {6}- \{ path: args\.method, op: neq, value: read \}\n/);
    const flow = 'version: 1\ntools:\n  execute_method: { action: deny, when: [ { path: args.model, op: eq, value: res.partner } ] }\n';
    const r2 = edit(flow, {
      tool: 'execute_method',
      intent: 'allow',
      args: { model: 'res.partner', method: 'read' },
      conditions: [{ path: 'args.method', value: 'read' }],
    });
    assert.match(r2.text, /value: res\.partner \}, \{ path: args\.method, op: neq, value: read \} \] \}/);
  });

  it('only adds a test when the policy already allows such calls (a rate-limited call, say)', () => {
    const text = 'version: 1\ntools:\n  search_records:\n    rate_limit: { max: 1, window: 60 }\n';
    const r = edit(text, { tool: 'search_records', intent: 'allow', conditions: [] });
    assert.deepEqual(r.changes, ['added test "Allow search_records (from the audit log)"']);
  });

  it('refuses what only a hand edit can do, and says why', () => {
    const glob = 'version: 1\ntools:\n  "write_*":\n    action: deny\n';
    assert.match(
      refused(glob, { tool: 'write_field_from_file', intent: 'allow', conditions: [] }),
      /Entry "write_\*" \(deny\) also applies/,
    );
    const two = 'version: 1\ntools:\n  execute_method:\n    action: require_approval\n';
    assert.match(
      refused(two, {
        tool: 'execute_method',
        intent: 'allow',
        conditions: [
          { path: 'args.model', value: 'a' },
          { path: 'args.method', value: 'b' },
        ],
      }),
      /Pick no argument .* or exactly one/,
    );
    assert.match(
      refused('version: 1\nhide: [cancel_async_task]\n', { tool: 'cancel_async_task', intent: 'allow', conditions: [] }),
      /hidden/,
    );
    assert.match(refused('version: 1\ntools:\n  x: { action: maybe }\n', { tool: 'x', intent: 'deny', conditions: [] }), /has errors/);
  });

  it('points at the entry it refuses to change', () => {
    const r = ruleFromCall('version: 1\ntools:\n  "write_*":\n    action: deny\n', {
      tool: 'write_field_from_file',
      intent: 'allow',
      conditions: [],
    });
    assert.equal(r.ok, false);
    assert.equal(r.ok ? -1 : r.focus?.start.line, 2);
  });
});

describe('rule from call: every catalog tool, on the starter policy', () => {
  const text = starterPolicyFor();
  for (const tool of Object.keys(ODOO_MCP_CATALOG)) {
    it(`${tool}: deny and allow, with and without a condition`, () => {
      for (const intent of ['deny', 'allow'] as const) {
        for (const conditions of [[], [{ path: 'args.model', value: 'res.partner' }]]) {
          const r = edit(text, { tool, intent, args: { model: 'res.partner' }, conditions });
          assert.equal(decide(r.text, tool, { model: 'res.partner' }), intent);
        }
      }
    });
  }
});
