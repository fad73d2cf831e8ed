import { strict as assert } from 'node:assert';
import { parsePolicy, type ParseResult } from '../../src/guard/policy/parse';
import type { PolicyDiagnostic } from '../../src/guard/policy/diagnostics';
import type { PolicyEntry } from '../../src/guard/policy/model';

/** The example from the specification, verbatim. */
const SPEC_EXAMPLE = `version: 1
default: allow                  # allow | deny | require_approval: tools that no entry and no risk default decide
risk:                           # default action per risk class, for tools that no entry with an action matches
  critical: deny
  high: require_approval
hide: [read_field_to_file]      # names or globs: removed from tools/list and denied if called anyway
tools:
  cancel_async_task:
    action: require_approval
    reason: Cancelling a background task is irreversible
    approval_timeout: 60        # seconds
  search_records:
    rate_limit: { max: 10, window: 60 }   # at most 10 calls in any 60 s, per guard session
  "write_field_*":             # globs: * and ?
    action: deny
    reason: No file transfers between the Odoo host and agents
  execute_method:
    action: require_approval
    when:                       # all must hold for this entry to apply
      - { path: args.model, op: in, value: [res.partner, sale.order] }
`;

function plainEntry(e: PolicyEntry): Record<string, unknown> {
  return {
    key: e.key,
    index: e.index,
    source: e.pattern.source,
    isGlob: e.pattern.isGlob,
    action: e.action,
    reason: e.reason,
    rateLimit: e.rateLimit,
    approvalTimeoutSeconds: e.approvalTimeoutSeconds,
    when: e.when.map((c) => ({ path: c.path, segments: c.segments, op: c.op, value: c.value })),
  };
}

interface Expected {
  severity: PolicyDiagnostic['severity'];
  code: string;
  message: string;
  line: number;
  character: number;
  suggestion?: string;
}

/** Asserts exactly one diagnostic, with its severity, code, message text and start position. */
function expectOne(text: string, want: Expected): ParseResult {
  const r = parsePolicy(text);
  assert.equal(r.diagnostics.length, 1, `diagnostics: ${JSON.stringify(r.diagnostics)}`);
  expectDiag(r.diagnostics[0]!, want);
  if (want.severity === 'error') assert.equal(r.policy, undefined, 'an error must withhold the policy');
  return r;
}

function expectDiag(d: PolicyDiagnostic, want: Expected): void {
  assert.equal(d.severity, want.severity);
  assert.equal(d.code, want.code);
  assert.ok(d.message.includes(want.message), `message ${JSON.stringify(d.message)} lacks ${JSON.stringify(want.message)}`);
  assert.deepEqual(d.range.start, { line: want.line, character: want.character });
  if (want.suggestion !== undefined) assert.equal(d.suggestion, want.suggestion);
}

function entryWith(lines: string): string {
  return `version: 1\ntools:\n  a:\n${lines}`;
}

function conditionFile(cond: string): string {
  return entryWith(`    action: deny\n    when:\n      - ${cond}\n`);
}

describe('policy parse: the specification example', () => {
  const r = parsePolicy(SPEC_EXAMPLE);

  it('parses with no diagnostics at all', () => {
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.policy);
  });

  it('has version, default, risk, hide and the built-in top-level approval timeout', () => {
    const p = r.policy!;
    assert.equal(p.version, 1);
    assert.equal(p.defaultAction, 'allow');
    assert.deepEqual(p.risk, { critical: 'deny', high: 'require_approval' });
    assert.equal(p.hide.length, 1);
    assert.equal(p.hide[0]!.source, 'read_field_to_file');
    assert.equal(p.hide[0]!.isGlob, false);
    assert.equal(p.hide[0]!.test('read_field_to_file'), true);
    assert.equal(p.hide[0]!.test('read_field_to_files'), false);
    assert.equal(p.approvalTimeoutSeconds, 120);
  });

  it('gives the four entries in file order with their keys, globs, actions, reasons, limits and conditions', () => {
    const entries = r.policy!.entries.map(plainEntry);
    assert.deepEqual(entries, [
      {
        key: 'cancel_async_task',
        index: 0,
        source: 'cancel_async_task',
        isGlob: false,
        action: 'require_approval',
        reason: 'Cancelling a background task is irreversible',
        rateLimit: undefined,
        approvalTimeoutSeconds: 60,
        when: [],
      },
      {
        key: 'search_records',
        index: 1,
        source: 'search_records',
        isGlob: false,
        action: undefined,
        reason: undefined,
        rateLimit: { max: 10, windowSeconds: 60 },
        approvalTimeoutSeconds: undefined,
        when: [],
      },
      {
        key: 'write_field_*',
        index: 2,
        source: 'write_field_*',
        isGlob: true,
        action: 'deny',
        reason: 'No file transfers between the Odoo host and agents',
        rateLimit: undefined,
        approvalTimeoutSeconds: undefined,
        when: [],
      },
      {
        key: 'execute_method',
        index: 3,
        source: 'execute_method',
        isGlob: false,
        action: 'require_approval',
        reason: undefined,
        rateLimit: undefined,
        approvalTimeoutSeconds: undefined,
        when: [{ path: 'args.model', segments: ['model'], op: 'in', value: ['res.partner', 'sale.order'] }],
      },
    ]);
  });

  it('does not set optional entry fields that the file leaves out', () => {
    const search = r.policy!.entries[1]!;
    assert.equal('action' in search, false);
    assert.equal('reason' in search, false);
    assert.equal('approvalTimeoutSeconds' in search, false);
  });

  it('compiles the glob and the condition so they can be used directly', () => {
    const [, , write, exec] = r.policy!.entries;
    assert.equal(write!.pattern.test('write_field_from_file'), true);
    assert.equal(write!.pattern.test('read_field_to_file'), false);
    assert.equal(exec!.when[0]!.test({ model: 'sale.order' }), true);
    assert.equal(exec!.when[0]!.test({ model: 'res.users' }), false);
  });

  it('reads a top-level approval_timeout and a file-set default', () => {
    const p = parsePolicy('version: 1\ndefault: require_approval\napproval_timeout: 45\n').policy!;
    assert.equal(p.approvalTimeoutSeconds, 45);
    assert.equal(p.defaultAction, 'require_approval');
    assert.deepEqual(p.entries, []);
    assert.deepEqual(p.hide, []);
    assert.deepEqual(p.risk, {});
  });

  it('accepts version: 1 alone, with defaults for everything else', () => {
    const r1 = parsePolicy('version: 1\n');
    assert.deepEqual(r1.diagnostics, []);
    assert.equal(r1.policy!.defaultAction, 'allow');
    assert.equal(r1.policy!.approvalTimeoutSeconds, 120);
  });
});

describe('policy parse: errors with code, message and range', () => {
  it('YAML syntax error', () => {
    expectOne('version: 1\ndefault: "x" y\n', {
      severity: 'error',
      code: 'yaml-syntax',
      message: 'Unexpected scalar at node end',
      line: 1,
      character: 13,
    });
  });

  it('YAML syntax error: unclosed flow sequence', () => {
    expectOne('version: 1\ndefault: [allow\n', {
      severity: 'error',
      code: 'yaml-syntax',
      message: 'Flow sequence in block collection must be sufficiently indented and end with a ]',
      line: 2,
      character: 0,
    });
  });

  it('duplicate key at the top level points at the second key', () => {
    expectOne('version: 1\ndefault: allow\ndefault: deny\n', {
      severity: 'error',
      code: 'yaml-syntax',
      message: 'Map keys must be unique',
      line: 2,
      character: 0,
    });
  });

  it('duplicate key inside an entry', () => {
    expectOne(entryWith('    action: deny\n    action: allow\n'), {
      severity: 'error',
      code: 'yaml-syntax',
      message: 'Map keys must be unique',
      line: 4,
      character: 4,
    });
  });

  it('empty file', () => {
    expectOne('', { severity: 'error', code: 'empty-policy', message: 'The policy file is empty', line: 0, character: 0 });
  });

  it('file with only comments and blanks counts as empty', () => {
    expectOne('   \n# just a comment\n\n', {
      severity: 'error',
      code: 'empty-policy',
      message: 'start it with version: 1',
      line: 0,
      character: 0,
    });
  });

  it('missing version points at the first key', () => {
    expectOne('\ndefault: allow\n', {
      severity: 'error',
      code: 'missing-version',
      message: 'Missing version: add version: 1',
      line: 1,
      character: 0,
    });
  });

  it('version 2', () => {
    expectOne('version: 2\n', {
      severity: 'error',
      code: 'bad-version',
      message: 'Unsupported version the number 2: this guard reads policy version 1',
      line: 0,
      character: 9,
    });
  });

  it('version "1" as text is not version 1 (no coercion)', () => {
    expectOne('version: "1"\n', {
      severity: 'error',
      code: 'bad-version',
      message: 'Unsupported version the text "1"',
      line: 0,
      character: 9,
    });
  });

  it('a root that is not a mapping', () => {
    expectOne('- version\n', {
      severity: 'error',
      code: 'wrong-type',
      message: 'A policy file must be a mapping of keys to values, not a list',
      line: 0,
      character: 0,
    });
  });

  it('unknown top-level key suggests the close one (tool -> tools)', () => {
    expectOne('version: 1\ntool:\n  a: { action: deny }\n', {
      severity: 'error',
      code: 'unknown-key',
      message: 'Unknown key "tool" at the top level; did you mean "tools"?',
      line: 1,
      character: 0,
      suggestion: 'tools',
    });
  });

  it('unknown top-level key with nothing close lists the allowed keys', () => {
    const r = expectOne('version: 1\nzzzzzzzz: 1\n', {
      severity: 'error',
      code: 'unknown-key',
      message:
        'Unknown key "zzzzzzzz" at the top level; expected "version", "default", "risk", "hide", "tools", "resources", "approval_timeout" or "tests"',
      line: 1,
      character: 0,
    });
    assert.equal(r.diagnostics[0]!.suggestion, undefined);
  });

  it('unknown entry key suggests the close one (acton -> action), plus the no-effect warning', () => {
    const r = parsePolicy(entryWith('    acton: deny\n'));
    assert.equal(r.policy, undefined);
    assert.equal(r.diagnostics.length, 2);
    expectDiag(r.diagnostics[0]!, {
      severity: 'error',
      code: 'unknown-key',
      message: 'Unknown key "acton" in the entry for a; did you mean "action"?',
      line: 3,
      character: 4,
      suggestion: 'action',
    });
    expectDiag(r.diagnostics[1]!, {
      severity: 'warning',
      code: 'no-effect',
      message: 'neither an action nor a rate_limit',
      line: 2,
      character: 2,
    });
  });

  it('wrong type: reason: 5', () => {
    expectOne(entryWith('    action: deny\n    reason: 5\n'), {
      severity: 'error',
      code: 'wrong-type',
      message: 'reason must be a non-empty text, not the number 5',
      line: 4,
      character: 12,
    });
  });

  it('wrong type: tools: [a]', () => {
    expectOne('version: 1\ntools: [a]\n', {
      severity: 'error',
      code: 'wrong-type',
      message: 'tools must be a mapping of keys to values, not a list',
      line: 1,
      character: 7,
    });
  });

  it('wrong type: an entry that is a scalar', () => {
    expectOne('version: 1\ntools:\n  a: deny\n', {
      severity: 'error',
      code: 'wrong-type',
      message: 'The entry for a must be a mapping of keys to values, not the text "deny"',
      line: 2,
      character: 5,
    });
  });

  it('wrong type: hide that is not a list, and a hide item that is not text', () => {
    expectOne('version: 1\nhide: read_field_to_file\n', {
      severity: 'error',
      code: 'wrong-type',
      message: 'hide must be a list of tool names or globs',
      line: 1,
      character: 6,
    });
    expectOne('version: 1\nhide: [ok, 1]\n', {
      severity: 'error',
      code: 'wrong-type',
      message: 'Each entry of hide must be a non-empty text, not the number 1',
      line: 1,
      character: 11,
    });
  });

  it('wrong type: when that is not a list', () => {
    expectOne(entryWith('    action: deny\n    when: { path: args.x, op: eq, value: 1 }\n'), {
      severity: 'error',
      code: 'wrong-type',
      message: 'when must be a list of conditions',
      line: 4,
      character: 10,
    });
  });

  it('unknown action (alow) suggests allow', () => {
    expectOne(entryWith('    action: alow\n'), {
      severity: 'error',
      code: 'bad-action',
      message: 'action must be "allow", "deny" or "require_approval", not the text "alow"; did you mean "allow"?',
      line: 3,
      character: 12,
      suggestion: 'allow',
    });
  });

  it('unknown default action', () => {
    expectOne('version: 1\ndefault: maybe\n', {
      severity: 'error',
      code: 'bad-action',
      message: 'default must be "allow", "deny" or "require_approval", not the text "maybe"',
      line: 1,
      character: 9,
    });
  });

  it('unknown action for a risk class', () => {
    expectOne('version: 1\nrisk:\n  high: nope\n', {
      severity: 'error',
      code: 'bad-action',
      message: 'The action for risk class high must be',
      line: 2,
      character: 8,
    });
  });

  it('unknown risk class', () => {
    expectOne('version: 1\nrisk:\n  extreme: deny\n', {
      severity: 'error',
      code: 'unknown-key',
      message: 'Unknown key "extreme" under risk (risk classes); expected "low", "medium", "high" or "critical"',
      line: 2,
      character: 2,
    });
  });

  it('misspelt risk class gets a suggestion', () => {
    expectOne('version: 1\nrisk:\n  critcal: deny\n', {
      severity: 'error',
      code: 'unknown-key',
      message: 'did you mean "critical"?',
      line: 2,
      character: 2,
      suggestion: 'critical',
    });
  });

  it('rate_limit max: 0', () => {
    expectOne(entryWith('    rate_limit: { max: 0, window: 60 }\n'), {
      severity: 'error',
      code: 'out-of-range',
      message: 'rate_limit.max (calls) must be at least 1, not 0',
      line: 3,
      character: 23,
    });
  });

  it('rate_limit max: 1.5', () => {
    expectOne(entryWith('    rate_limit: { max: 1.5, window: 60 }\n'), {
      severity: 'error',
      code: 'wrong-type',
      message: 'rate_limit.max (calls) must be a whole number, not 1.5',
      line: 3,
      character: 23,
    });
  });

  it('rate_limit max as text', () => {
    expectOne(entryWith('    rate_limit: { max: "10", window: 60 }\n'), {
      severity: 'error',
      code: 'wrong-type',
      message: 'rate_limit.max (calls) must be a number, not the text "10"',
      line: 3,
      character: 23,
    });
  });

  it('rate_limit window: 0', () => {
    expectOne(entryWith('    rate_limit: { max: 1, window: 0 }\n'), {
      severity: 'error',
      code: 'out-of-range',
      message: 'rate_limit.window (seconds) must be greater than 0, not 0',
      line: 3,
      character: 34,
    });
  });

  it('rate_limit window: -1', () => {
    expectOne(entryWith('    rate_limit: { max: 1, window: -1 }\n'), {
      severity: 'error',
      code: 'out-of-range',
      message: 'rate_limit.window (seconds) must be greater than 0, not -1',
      line: 3,
      character: 34,
    });
  });

  it('rate_limit window may be a fraction of a second', () => {
    const r = parsePolicy(entryWith('    rate_limit: { max: 1, window: 0.5 }\n'));
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.policy!.entries[0]!.rateLimit, { max: 1, windowSeconds: 0.5 });
  });

  it('rate_limit missing max', () => {
    expectOne(entryWith('    rate_limit: { window: 60 }\n'), {
      severity: 'error',
      code: 'missing-key',
      message: 'rate_limit needs max',
      line: 3,
      character: 16,
    });
  });

  it('rate_limit missing window', () => {
    expectOne(entryWith('    rate_limit: { max: 3 }\n'), {
      severity: 'error',
      code: 'missing-key',
      message: 'rate_limit needs window',
      line: 3,
      character: 16,
    });
  });

  it('rate_limit unknown key', () => {
    const r = parsePolicy(entryWith('    rate_limit: { max: 3, windw: 60 }\n'));
    assert.equal(r.policy, undefined);
    expectDiag(r.diagnostics[0]!, {
      severity: 'error',
      code: 'unknown-key',
      message: 'Unknown key "windw" in rate_limit; did you mean "window"?',
      line: 3,
      character: 26,
      suggestion: 'window',
    });
  });

  it('approval_timeout: 0 in an entry and at the top level', () => {
    expectOne(entryWith('    action: require_approval\n    approval_timeout: 0\n'), {
      severity: 'error',
      code: 'out-of-range',
      message: 'approval_timeout (seconds) must be greater than 0, not 0',
      line: 4,
      character: 22,
    });
    expectOne('version: 1\napproval_timeout: 0\n', {
      severity: 'error',
      code: 'out-of-range',
      message: 'approval_timeout (seconds) must be greater than 0, not 0',
      line: 1,
      character: 18,
    });
  });

  it('bad regex "("', () => {
    expectOne(conditionFile('{ path: args.x, op: regex, value: "(" }'), {
      severity: 'error',
      code: 'bad-regex',
      message: 'Invalid regular expression "(":',
      line: 5,
      character: 42,
    });
  });

  it('regex value that is not text', () => {
    expectOne(conditionFile('{ path: args.x, op: regex, value: 5 }'), {
      severity: 'error',
      code: 'wrong-type',
      message: 'The value of op regex must be a regular expression as text, not the number 5',
      line: 5,
      character: 42,
    });
  });

  it('unknown op (equals)', () => {
    expectOne(conditionFile('{ path: args.x, op: equals, value: 1 }'), {
      severity: 'error',
      code: 'bad-op',
      message: 'op must be "eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "regex", "contains" or "exists", not the text "equals"',
      line: 5,
      character: 28,
    });
  });

  it('misspelt op gets a suggestion', () => {
    expectOne(conditionFile('{ path: args.x, op: not_inn, value: [1] }'), {
      severity: 'error',
      code: 'bad-op',
      message: 'did you mean "not_in"?',
      line: 5,
      character: 28,
      suggestion: 'not_in',
    });
  });

  it('path not starting with args.', () => {
    expectOne(conditionFile('{ path: model, op: eq, value: 1 }'), {
      severity: 'error',
      code: 'bad-path',
      message: 'path must be args. followed by a dot path into the arguments, e.g. args.model; got "model"',
      line: 5,
      character: 16,
    });
  });

  it('path args. with nothing after it, and bare args', () => {
    for (const p of ['args.', 'args', 'args..x', 'argsx.y', 'arguments.model']) {
      expectOne(conditionFile(`{ path: "${p}", op: eq, value: 1 }`), {
        severity: 'error',
        code: 'bad-path',
        message: `got ${JSON.stringify(p)}`,
        line: 5,
        character: 16,
      });
    }
  });

  it('in with a non-list value', () => {
    expectOne(conditionFile('{ path: args.x, op: in, value: res.partner }'), {
      severity: 'error',
      code: 'wrong-type',
      message: 'The value of op in must be a list, not the text "res.partner"',
      line: 5,
      character: 39,
    });
  });

  it('not_in with a non-list value', () => {
    expectOne(conditionFile('{ path: args.x, op: not_in, value: 3 }'), {
      severity: 'error',
      code: 'wrong-type',
      message: 'The value of op not_in must be a list, not the number 3',
      line: 5,
      character: 43,
    });
  });

  it('lt with a boolean value', () => {
    expectOne(conditionFile('{ path: args.x, op: lt, value: true }'), {
      severity: 'error',
      code: 'wrong-type',
      message: 'The value of op lt must be a number or a text, not the boolean true',
      line: 5,
      character: 39,
    });
  });

  it('contains with a list value', () => {
    expectOne(conditionFile('{ path: args.x, op: contains, value: [1] }'), {
      severity: 'error',
      code: 'wrong-type',
      message: 'The value of op contains must be a single value',
      line: 5,
      character: 45,
    });
  });

  it('exists with a non-boolean value', () => {
    expectOne(conditionFile('{ path: args.x, op: exists, value: "yes" }'), {
      severity: 'error',
      code: 'wrong-type',
      message: 'The value of op exists must be true or false, not the text "yes"',
      line: 5,
      character: 43,
    });
  });

  it('exists without a value means exists: true', () => {
    const r = parsePolicy(conditionFile('{ path: args.x, op: exists }'));
    assert.deepEqual(r.diagnostics, []);
    const cond = r.policy!.entries[0]!.when[0]!;
    assert.equal(cond.test({ x: 1 }), true);
    assert.equal(cond.test({}), false);
  });

  it('eq without a value', () => {
    expectOne(conditionFile('{ path: args.x, op: eq }'), {
      severity: 'error',
      code: 'missing-key',
      message: '`value` is missing: eq needs a value to compare with; to test that the argument is absent use `op: exists, value: false`',
      line: 5,
      character: 28,
    });
  });

  // YAML reads `value:` with nothing after it as null, so `eq` compared with null and quietly never held.
  it('an empty value is an error for every op that needs a value, at the value key', () => {
    const ops = ['eq', 'neq', 'in', 'not_in', 'lt', 'lte', 'gt', 'gte', 'regex', 'contains'];
    for (const op of ops) {
      const present = op === 'neq' || op === 'not_in';
      const r = expectOne(conditionFile(`{ path: args.model, op: ${op}, value: }`), {
        severity: 'error',
        code: 'empty-value',
        message: `\`value\` is empty: ${op} needs a value to compare with; ${present ? 'to test that the argument is present use `op: exists`' : 'to test that the argument is absent use `op: exists, value: false`'}`,
        line: 5,
        character: 34 + op.length,
      });
      assert.equal(r.diagnostics[0]!.range.end.line, 5);
    }
  });

  it('an empty value in block style, and a value key with no value at all, are errors too', () => {
    expectOne(entryWith('    action: deny\n    when:\n      - path: args.model\n        op: eq\n        value:\n'), {
      severity: 'error',
      code: 'empty-value',
      message: '`value` is empty: eq needs a value',
      line: 7,
      character: 8,
    });
    expectOne(conditionFile('{ path: args.model, op: eq, value }'), {
      severity: 'error',
      code: 'empty-value',
      message: '`value` is empty: eq needs a value',
      line: 5,
      character: 36,
    });
  });

  it('an explicit null value (null, ~) is an error that shows how to match a JSON null', () => {
    for (const written of ['null', '~', 'Null']) {
      expectOne(conditionFile(`{ path: args.x, op: contains, value: ${written} }`), {
        severity: 'error',
        code: 'empty-value',
        message:
          '`value` is null: contains would compare with null, which is almost never meant; to test that the argument is absent use `op: exists, value: false`, and to match an argument that is JSON null use `op: in, value: [null]`',
        line: 5,
        character: 45,
      });
    }
    // The way it suggests is valid and does what it says.
    const r = parsePolicy(conditionFile('{ path: args.x, op: in, value: [null] }'));
    assert.deepEqual(r.diagnostics, []);
    const cond = r.policy!.entries[0]!.when[0]!;
    assert.equal(cond.test({ x: null }), true);
    assert.equal(cond.test({}), false);
    assert.equal(cond.test({ x: 'null' }), false);
  });

  it('exists keeps its optional boolean; an empty one is still a wrong type', () => {
    assert.deepEqual(parsePolicy(conditionFile('{ path: args.x, op: exists }')).diagnostics, []);
    assert.deepEqual(parsePolicy(conditionFile('{ path: args.x, op: exists, value: false }')).diagnostics, []);
    expectOne(conditionFile('{ path: args.x, op: exists, value: }'), {
      severity: 'error',
      code: 'wrong-type',
      message: 'The value of op exists must be true or false, not nothing',
      line: 5,
      character: 36,
    });
  });

  it('an empty text is a value: eq "" is allowed', () => {
    assert.deepEqual(parsePolicy(conditionFile('{ path: args.x, op: eq, value: "" }')).diagnostics, []);
  });

  it('a regex that needs backtracking is refused at the value, saying why', () => {
    const cases: [string, string][] = [
      [
        '^(?=.*admin)',
        'regex uses a lookahead `(?=`, which MCP Guard does not support: conditions are matched in linear time (RE2 syntax); rewrite without it',
      ],
      ['(?<!x)y', 'regex uses a negative lookbehind `(?<!`'],
      ['(a)\\\\1', 'regex uses the backreference `\\1`'],
      ['a{5000}', 'regex uses the repeat count `{5000}`'],
    ];
    for (const [pattern, message] of cases) {
      expectOne(conditionFile(`{ path: args.x, op: regex, value: "${pattern}" }`), {
        severity: 'error',
        code: 'unsupported-regex',
        message,
        line: 5,
        character: 42,
      });
    }
  });

  it('a regex runs in linear time: ^([a-z_]+\\.?)+$ against a long near miss', () => {
    const r = parsePolicy(conditionFile(`{ path: args.model, op: regex, value: '^([a-z_]+\\.?)+$' }`));
    assert.deepEqual(r.diagnostics, []);
    const cond = r.policy!.entries[0]!.when[0]!;
    const t0 = Date.now();
    assert.equal(cond.test({ model: `${'a'.repeat(40)}!` }), false);
    assert.equal(cond.test({ model: `${'res.partner.'.repeat(5_400)}!` }), false);
    assert.equal(cond.test({ model: 'res.partner' }), true);
    assert.ok(Date.now() - t0 < 100, `${Date.now() - t0} ms`);
  });

  // Tool names are case-sensitive: `Cancel_Async_Task` matches no tool, so a deny written so never applies.
  it('a tool key that differs from a catalog tool only in case is an error naming the tool', () => {
    const r = expectOne('version: 1\ntools:\n  Cancel_Async_Task:\n    action: deny\n', {
      severity: 'error',
      code: 'tool-name-case',
      message:
        'Unknown tool "Cancel_Async_Task": tool names are case-sensitive, and the tool is "cancel_async_task"; as written, the entry for Cancel_Async_Task never applies',
      line: 2,
      character: 2,
      suggestion: 'cancel_async_task',
    });
    assert.deepEqual(r.diagnostics[0]!.range.end, { line: 2, character: 19 });
    // The guard refuses the file (fails closed) rather than enforce a policy without the deny.
    assert.equal(r.policy, undefined);
  });

  it('a labelled tool key: only its name is compared, and the error covers only the name', () => {
    for (const [key, start] of [
      ['CANCEL_async_task (no cancel)', 2],
      ['"CANCEL_async_task (no cancel)"', 3],
      ["'CANCEL_async_task (no cancel)'", 3],
    ] as const) {
      const r = expectOne(`version: 1\ntools:\n  ${key}:\n    action: deny\n`, {
        severity: 'error',
        code: 'tool-name-case',
        message:
          'Unknown tool "CANCEL_async_task": tool names are case-sensitive, and the tool is "cancel_async_task"; as written, the entry for CANCEL_async_task (no cancel) never applies',
        line: 2,
        character: start,
        suggestion: 'cancel_async_task',
      });
      assert.deepEqual(r.diagnostics[0]!.range.end, { line: 2, character: start + 'CANCEL_async_task'.length });
    }
    // The exact name, labelled or not, and names no catalog tool resembles are fine.
    assert.deepEqual(parsePolicy('version: 1\ntools:\n  cancel_async_task (no cancel):\n    action: deny\n').diagnostics, []);
    assert.deepEqual(parsePolicy('version: 1\ntools:\n  My_Own_Tool:\n    action: deny\n').diagnostics, []);
    // Globs are not compared (a glob may mean other tools of another server).
    assert.deepEqual(parsePolicy('version: 1\ntools:\n  Cancel_*:\n    action: deny\n').diagnostics, []);
  });

  it('a hide item that differs from a catalog tool only in case is an error; URIs are not compared', () => {
    expectOne('version: 1\nhide: [search_records, Read_Field_To_File, "odoo://Search_Records"]\n', {
      severity: 'error',
      code: 'tool-name-case',
      message:
        'Unknown tool "Read_Field_To_File" in hide: tool names are case-sensitive, and the tool is "read_field_to_file"; as written, hide does not remove it',
      line: 1,
      character: 23,
      suggestion: 'read_field_to_file',
    });
  });

  it('condition without a path, and without an op', () => {
    expectOne(conditionFile('{ op: eq, value: 1 }'), {
      severity: 'error',
      code: 'missing-key',
      message: 'A condition needs a path',
      line: 5,
      character: 8,
    });
    expectOne(conditionFile('{ path: args.x, value: 1 }'), {
      severity: 'error',
      code: 'missing-key',
      message: 'A condition needs an op',
      line: 5,
      character: 8,
    });
  });

  it('unknown key in a condition', () => {
    const r = parsePolicy(conditionFile('{ path: args.x, op: eq, valu: 1 }'));
    assert.equal(r.policy, undefined);
    expectDiag(r.diagnostics[0]!, {
      severity: 'error',
      code: 'unknown-key',
      message: 'Unknown key "valu" in a condition; did you mean "value"?',
      line: 5,
      character: 32,
      suggestion: 'value',
    });
  });

  it('an entry with no action and no rate_limit is a warning and the policy is still returned', () => {
    const r = expectOne(entryWith('    reason: nothing to do\n'), {
      severity: 'warning',
      code: 'no-effect',
      message: 'The entry for a has neither an action nor a rate_limit, so it changes nothing',
      line: 2,
      character: 2,
    });
    assert.ok(r.policy);
    assert.equal(r.policy.entries.length, 1);
    assert.equal(r.policy.entries[0]!.key, 'a');
    assert.equal(r.policy.entries[0]!.action, undefined);
  });

  it('an empty mapping as entry is the same warning', () => {
    const r = expectOne('version: 1\ntools:\n  a: {}\n', {
      severity: 'warning',
      code: 'no-effect',
      message: 'neither an action nor a rate_limit',
      line: 2,
      character: 2,
    });
    assert.ok(r.policy);
  });

  it('an entry with nothing after the key is a no-effect warning at the key', () => {
    expectOne('version: 1\ntools:\n  a:\n', {
      severity: 'warning',
      code: 'no-effect',
      message: 'The entry for a is empty',
      line: 2,
      character: 2,
    });
    assert.ok(parsePolicy('version: 1\ntools:\n  a:\n').policy);
  });

  it('tools: with nothing under it is an empty list of entries', () => {
    const r = parsePolicy('version: 1\ntools:\n');
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.policy!.entries, []);
  });

  it('any error withholds the policy, even next to a valid rest of the file', () => {
    const text = SPEC_EXAMPLE.replace('action: deny', 'action: deni');
    const r = parsePolicy(text);
    assert.equal(r.policy, undefined);
    assert.equal(r.diagnostics.filter((d) => d.severity === 'error').length, 1);
    assert.equal(r.diagnostics[0]!.code, 'bad-action');
    assert.equal(r.diagnostics[0]!.range.start.line, 14);
  });

  it('reports several independent errors in one pass', () => {
    const r = parsePolicy('version: 1\ndefault: nope\nrisk:\n  huge: deny\ntools:\n  a:\n    action: alow\n');
    assert.equal(r.policy, undefined);
    assert.deepEqual(
      r.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]),
      [
        ['bad-action', 1, 9],
        ['unknown-key', 3, 2],
        ['bad-action', 6, 12],
      ],
    );
  });

  it('counts lines of CRLF files like LF files', () => {
    const r = parsePolicy('version: 1\r\ntools:\r\n  a:\r\n    acton: deny\r\n');
    expectDiag(r.diagnostics[0]!, {
      severity: 'error',
      code: 'unknown-key',
      message: 'did you mean "action"?',
      line: 3,
      character: 4,
    });
  });

  it('ranges end after the start on the same token', () => {
    const r = parsePolicy(entryWith('    action: alow\n'));
    assert.deepEqual(r.diagnostics[0]!.range, { start: { line: 3, character: 12 }, end: { line: 3, character: 16 } });
  });
});

describe('policy parse: never throws on odd input', () => {
  function noThrow(text: string): ParseResult {
    let r: ParseResult | undefined;
    assert.doesNotThrow(() => {
      r = parsePolicy(text);
    });
    assert.ok(r);
    assert.ok(Array.isArray(r.diagnostics));
    for (const d of r.diagnostics) {
      assert.equal(typeof d.message, 'string');
      assert.ok(d.range.start.line >= 0 && d.range.start.character >= 0);
    }
    return r;
  }

  function laughs(): string {
    const names = 'abcdefghi';
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < names.length; i++) {
      lines.push(
        `${names[i]}: &${names[i]} [${Array(9)
          .fill(`*${names[i - 1]}`)
          .join(', ')}]`,
      );
    }
    return lines.join('\n') + '\n';
  }

  it('binary junk', () => {
    const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)).toString('latin1');
    const r = noThrow(junk);
    assert.equal(r.policy, undefined);
    assert.ok(r.diagnostics.some((d) => d.severity === 'error'));
  });

  it('NUL bytes and control characters', () => {
    const r = noThrow('version: 1\u0000\ntools:\n  \u0007: {}\n');
    assert.equal(r.policy, undefined);
  });

  it('tabs as indentation', () => {
    const r = noThrow('version: 1\ntools:\n\ta:\n\t\taction: deny\n');
    assert.equal(r.policy, undefined);
    assert.equal(r.diagnostics[0]!.code, 'yaml-syntax');
    assert.ok(r.diagnostics[0]!.message.includes('Tabs'));
    assert.equal(r.diagnostics[0]!.range.start.line, 2);
  });

  it('aliases, even to scalars, are refused at the alias', () => {
    const r = noThrow('version: 1\ndefault: &d deny\ntools:\n  a:\n    action: *d\n');
    assert.equal(r.policy, undefined);
    assert.deepEqual(
      r.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]),
      [['alias', 4, 12]],
    );
  });

  it('a merge key with an alias is refused as an alias', () => {
    const r = noThrow('version: 1\ntools:\n  a: &e { action: deny }\n  b:\n    <<: *e\n');
    assert.equal(r.policy, undefined);
    assert.deepEqual(
      r.diagnostics.map((d) => d.code),
      ['alias'],
    );
  });

  it('an alias bomb is refused without being expanded', () => {
    const started = Date.now();
    const r = noThrow(laughs() + 'version: 1\n');
    assert.equal(r.policy, undefined);
    assert.ok(r.diagnostics.length > 0 && r.diagnostics.every((d) => d.code === 'alias'));
    assert.ok(Date.now() - started < 1000);
  });

  it('an alias to an undefined anchor is a diagnostic, not an exception', () => {
    for (const text of [
      'version: 1\ntools: *nope\n',
      'version: *nope\n',
      'version: 1\ntools:\n  a:\n    action: *nope\n',
      conditionFile('{ path: args.x, op: eq, value: *nope }'),
    ]) {
      const r = noThrow(text);
      assert.equal(r.policy, undefined);
      assert.ok(r.diagnostics.some((d) => d.severity === 'error'));
    }
  });

  it('an alias bomb that the checker reads is a diagnostic, not an exception', () => {
    for (const tail of ['version: *i\n', 'version: 1\ntools: *i\n']) {
      const r = noThrow(laughs() + tail);
      assert.equal(r.policy, undefined);
    }
  });

  it('an alias to a mapping is clearly rejected, at the alias', () => {
    const r = noThrow('version: 1\ntools:\n  a: &e { action: deny }\n  b: *e\n');
    for (const d of r.diagnostics) assert.ok(!/not a mapping$/.test(d.message), d.message);
    assert.equal(r.policy, undefined);
    assert.deepEqual(
      r.diagnostics.map((d) => [d.code, d.message, d.range.start.line, d.range.start.character]),
      [['alias', 'YAML aliases (*e) are not supported in a policy file: write the value out', 3, 5]],
    );
  });

  it('a 10,000-line file', function () {
    this.timeout(20000);
    const lines = ['version: 1', 'default: allow', 'tools:'];
    for (let i = 0; lines.length < 10000; i++) lines.push(`  tool_${i}:`, `    action: ${i % 2 ? 'deny' : 'allow'}`);
    assert.equal(lines.length, 10001);
    const r = noThrow(lines.join('\n') + '\n');
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.policy!.entries.length, 4999);
    assert.equal(r.policy!.entries[4998]!.key, 'tool_4998');
    assert.equal(r.policy!.entries[4998]!.index, 4998);
  });

  it('a 10,000-line file with an error on its last line reports the right line', function () {
    this.timeout(20000);
    const lines = ['version: 1', 'tools:'];
    while (lines.length < 9999) lines.push(`  t${lines.length}: { action: deny }`);
    lines.push('  last: { action: dny }');
    const r = noThrow(lines.join('\n'));
    assert.equal(r.diagnostics.length, 1);
    assert.equal(r.diagnostics[0]!.code, 'bad-action');
    assert.deepEqual(r.diagnostics[0]!.range.start, { line: 9999, character: 18 });
  });

  it('deeply nested flow maps and sequences', () => {
    for (const text of [
      'version: 1\ntools: ' + '{a: '.repeat(5000) + '1' + '}'.repeat(5000) + '\n',
      'version: ' + '['.repeat(5000) + ']'.repeat(5000) + '\n',
      'version: 1\nhide: ' + '['.repeat(300) + ']'.repeat(300) + '\n',
      conditionFile('{ path: args.x, op: eq, value: ' + '{a: '.repeat(300) + '1' + '}'.repeat(300) + ' }'),
    ]) {
      noThrow(text);
    }
  });

  it('deeply nested block mappings', () => {
    let text = 'version: 1\ntools:\n';
    for (let i = 0; i < 2000; i++) text += ' '.repeat(i + 2) + `k${i}:\n`;
    const r = noThrow(text);
    assert.equal(r.policy, undefined);
  });

  it('several YAML documents in one file', () => {
    const r = noThrow('version: 1\n---\nversion: 1\n');
    assert.equal(r.policy, undefined);
    assert.equal(r.diagnostics[0]!.code, 'yaml-syntax');
  });

  it('complex (non-scalar) keys', () => {
    const r = noThrow('version: 1\ntools:\n  ? { a: 1 }\n  : { action: deny }\n');
    assert.equal(r.policy, undefined);
    assert.equal(r.diagnostics[0]!.code, 'bad-key');
  });

  it('a byte-order mark before version', () => {
    const r = noThrow('\uFEFFversion: 1\n');
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.policy);
  });

  it('infinite and NaN numbers are rejected', () => {
    for (const v of ['.inf', '-.inf', '.nan']) {
      const r = noThrow(entryWith(`    rate_limit: { max: 1, window: ${v} }\n`));
      assert.equal(r.policy, undefined);
      assert.equal(r.diagnostics[0]!.code, 'wrong-type');
    }
  });

  it('infinite numbers are named correctly in the message', () => {
    const r = noThrow(entryWith('    rate_limit: { max: 1, window: .inf }\n'));
    assert.ok(!r.diagnostics[0]!.message.includes('null'), r.diagnostics[0]!.message);
  });
});
