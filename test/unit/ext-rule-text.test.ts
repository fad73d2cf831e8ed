// src/extension/rule-text.ts and the audit view's rule candidates: the pure parts of "turn a call into a rule".
import { strict as assert } from 'node:assert';
import { auditView, isRuleCandidate, parseAuditLines, type AuditRow } from '../../src/extension/audit-table';
import { callRefOf, parseCallRef, parseRuleOptions, ruleOutcomeMessage } from '../../src/extension/rule-text';
import { runPolicyTestsOnText } from '../../src/guard/language';

function row(over: Partial<AuditRow> = {}): AuditRow {
  return {
    time: '2026-11-26T10:00:00.000Z',
    server: 'Odoo',
    tool: 'cancel_async_task',
    decision: 'declined',
    rule: 'tools.cancel_async_task',
    reason: 'irreversible',
    outcome: 'not_forwarded',
    risk: 'Destructive / critical',
    argsSha256: 'ab12',
    ...over,
  };
}

describe('extension rule-text: audit rows that can become rules', () => {
  it('offers blocked, approved and would-be-blocked calls, not allowed ones', () => {
    for (const d of [
      'denied',
      'declined',
      'approved',
      'rate_limited',
      'monitored (would be denied)',
      'monitored (would be require_approval)',
    ]) {
      assert.equal(isRuleCandidate({ decision: d }), true, d);
    }
    for (const d of ['allowed', 'monitored (would be allowed)', '']) assert.equal(isRuleCandidate({ decision: d }), false, d);
  });

  it('knows the line of every row, with a hint line when a row can become a rule', () => {
    const rows = [row(), row({ decision: 'allowed', tool: 'health_check' })];
    const view = auditView(rows, undefined, '/tmp/audit.jsonl');
    const lines = view.text.split('\n');
    assert.match(lines[view.firstRowLine]!, /`cancel_async_task`.*\*\*declined\*\*/);
    assert.match(lines[view.firstRowLine + 1]!, /`health_check`.*\*\*allowed\*\*/);
    assert.match(view.text, /Allow calls like this/);
    const plain = auditView([row({ decision: 'allowed' })], undefined, 'x');
    assert.ok(!plain.text.includes('Allow calls like this'));
    assert.match(plain.text.split('\n')[plain.firstRowLine]!, /\*\*allowed\*\*/);
  });

  it('carries the arguments the audit log holds (with --audit-include-args) into the call reference', () => {
    const line = JSON.stringify({
      event: 'decision',
      time: 't',
      server: 'Odoo',
      tool: 'x',
      decision: 'denied',
      rule: 'r',
      reason: 'why',
      args_sha256: 'ff',
      arguments: { model: 'res.partner' },
    });
    const [r] = parseAuditLines(line);
    assert.deepEqual(callRefOf(r!).arguments, { model: 'res.partner' });
    const bad = JSON.stringify({ event: 'decision', tool: 'x', decision: 'denied', arguments: ['no'] });
    assert.equal(parseAuditLines(bad)[0]!.arguments, undefined);
  });
});

describe('extension rule-text: command arguments', () => {
  it('reads a call reference and rejects anything without a tool', () => {
    assert.deepEqual(parseCallRef({ tool: 't', server: 's', argsSha256: 'a', arguments: { x: 1 } }), {
      server: 's',
      tool: 't',
      decision: '',
      rule: '',
      time: '',
      argsSha256: 'a',
      arguments: { x: 1 },
    });
    assert.equal(parseCallRef({ server: 's' }), undefined);
    assert.equal(parseCallRef('t'), undefined);
    assert.equal(parseCallRef({ tool: 't', arguments: [1] })?.arguments, undefined);
  });

  it('reads options that skip the questions', () => {
    assert.deepEqual(parseRuleOptions({ conditions: ['args.a', 3], reason: 'r' }), { conditions: ['args.a'], reason: 'r' });
    assert.deepEqual(parseRuleOptions(undefined), {});
    assert.deepEqual(parseRuleOptions({ conditions: 'args.a' }), {});
  });
});

describe('extension rule-text: the message after the edit', () => {
  const passing = runPolicyTestsOnText(
    'version: 1\ntests:\n  - { call: health_check, expect: allow }\n  - { call: cancel_async_task, expect: deny }\n',
  ).results!;
  const failing = runPolicyTestsOnText(
    'version: 1\ntests:\n  - { name: keep asking, call: cancel_async_task, expect: require_approval }\n  - { call: health_check, expect: allow }\n',
  ).results!;

  it('says what changed, whether it still needs saving, and that the tests pass', () => {
    const m = ruleOutcomeMessage({
      tool: 't',
      changes: ['added entry "t": deny', 'added test "Deny t"'],
      results: passing,
      argumentsKnown: true,
      autoSave: false,
    });
    assert.equal(m.severity, 'info');
    assert.equal(
      m.text,
      'MCP Guard: Added entry "t": deny, and added a test. Review it, then save the policy to apply it (Undo drops it). Policy tests: all 2 pass.',
    );
    const saved = ruleOutcomeMessage({
      tool: 't',
      changes: ['added entry "t": deny'],
      results: passing,
      argumentsKnown: true,
      autoSave: true,
    });
    assert.match(saved.text, /Auto save writes it, and running guards apply it to the next call; Undo reverts it\./);
  });

  it('warns about the tests the new rule contradicts, by name', () => {
    const m = ruleOutcomeMessage({
      tool: 't',
      changes: ['added entry "t": deny', 'added test "x"'],
      results: failing,
      argumentsKnown: true,
      autoSave: false,
    });
    assert.equal(m.severity, 'warning');
    assert.match(m.text, /Policy tests: 1 of 2 now fail \(keep asking\): the new rule contradicts it/);
  });

  it('says when the arguments were unknown, and when only a test was needed', () => {
    const m = ruleOutcomeMessage({
      tool: 'search_records',
      changes: ['added test "y"'],
      results: passing,
      argumentsKnown: false,
      autoSave: false,
    });
    assert.match(m.text, /already decides calls like this one that way/);
    assert.match(m.text, /covers every call to search_records; set mcpGuard\.audit\.includeArguments/);
  });
});
