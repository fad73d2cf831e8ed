// src/guard/language/diagnostics.ts: the one validator, every diagnostic with its exact range and message.
import { strict as assert } from 'node:assert';
import { analyzePolicy } from '../../src/guard/language/analyze';
import { policyDiagnostics, validatePolicyText } from '../../src/guard/language/diagnostics';
import { globCovers } from '../../src/guard/language/glob-cover';
import { createToolIndex, type ReportedTool } from '../../src/guard/language/tool-index';
import type { PolicyDiagnostic } from '../../src/guard/policy/diagnostics';
import { parsePolicy } from '../../src/guard/policy/parse';

type Row = [severity: string, code: string, range: string, message: string, suggestion?: string];

function row(d: PolicyDiagnostic): Row {
  const r = `${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character}`;
  return d.suggestion !== undefined ? [d.severity, d.code, r, d.message, d.suggestion] : [d.severity, d.code, r, d.message];
}

function rows(text: string, tools?: readonly ReportedTool[]): Row[] {
  return policyDiagnostics(text, tools).map(row);
}

const NO_LIST = 'in the catalog (odoo-mcp 1.3.0), and the server has not reported its tools';
const WITH_LIST = 'in the catalog nor in the tool list the server reported';

describe("language diagnostics: the parser's diagnostics come through unchanged", () => {
  it('a YAML syntax error (and nothing else: the tree is not trusted)', () => {
    assert.deepEqual(rows('version: 1\ndefault: "x" y\ntools:\n  nope_tool: { action: deny }\n'), [
      ['error', 'yaml-syntax', '1:13-1:14', 'Unexpected scalar at node end'],
    ]);
  });

  it('schema errors: bad enum, max < 1, window <= 0, bad path, unknown op, bad regex, unknown key, with the tool checks between them in order', () => {
    const text = [
      'version: 1',
      'tools:',
      '  a:',
      '    action: alow',
      '    rate_limit: { max: 0, window: 0 }',
      '    when:',
      '      - { path: model, op: eqq, value: 1 }',
      '      - { path: args.x, op: regex, value: "(" }',
      '  b:',
      '    actoin: deny',
      '',
    ].join('\n');
    assert.deepEqual(rows(text), [
      ['warning', 'unknown-tool', '2:2-2:3', `Unknown tool "a": not ${NO_LIST}`],
      [
        'error',
        'bad-action',
        '3:12-3:16',
        'action must be "allow", "deny" or "require_approval", not the text "alow"; did you mean "allow"?',
        'allow',
      ],
      ['error', 'out-of-range', '4:23-4:24', 'rate_limit.max (calls) must be at least 1, not 0'],
      ['error', 'out-of-range', '4:34-4:35', 'rate_limit.window (seconds) must be greater than 0, not 0'],
      ['error', 'bad-path', '6:16-6:21', 'path must be args. followed by a dot path into the arguments, e.g. args.model; got "model"'],
      [
        'error',
        'bad-op',
        '6:27-6:30',
        'op must be "eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "regex", "contains" or "exists", not the text "eqq"; did you mean "eq"?',
        'eq',
      ],
      ['error', 'bad-regex', '7:42-7:45', 'Invalid regular expression "(": /(/u: Unterminated group'],
      ['warning', 'no-effect', '8:2-8:3', 'The entry for b has neither an action nor a rate_limit, so it changes nothing'],
      ['warning', 'unknown-tool', '8:2-8:3', `Unknown tool "b": not ${NO_LIST}`],
      ['error', 'unknown-key', '9:4-9:10', 'Unknown key "actoin" in the entry for b; did you mean "action"?', 'action'],
    ]);
  });

  it('wrong types and an unknown top-level key with "did you mean"', () => {
    assert.deepEqual(rows('version: 1\ndefualt: deny\napproval_timeout: soon\nhide: read_record\n'), [
      ['error', 'unknown-key', '1:0-1:7', 'Unknown key "defualt" at the top level; did you mean "default"?', 'default'],
      ['error', 'wrong-type', '2:18-2:22', 'approval_timeout (seconds) must be a number, not the text "soon"'],
      ['error', 'wrong-type', '3:6-3:17', 'hide must be a list of tool names or globs, e.g. [read_field_to_file]'],
    ]);
  });

  it('validatePolicyText gives the same as policyDiagnostics, and parsePolicy keeps its own (no tool checks)', () => {
    const text = 'version: 1\ntools:\n  serch_records:\n    action: deny\n';
    assert.deepEqual(validatePolicyText(text).map(row), rows(text));
    assert.deepEqual(parsePolicy(text).diagnostics, []);
  });
});

describe('language diagnostics: tool names', () => {
  it('an unknown exact key, with "did you mean", from the catalog alone', () => {
    assert.deepEqual(rows('version: 1\ntools:\n  serch_records: { action: deny }\n  totally_unknown: { action: deny }\n'), [
      [
        'warning',
        'unknown-tool',
        '2:2-2:15',
        `Unknown tool "serch_records": not ${NO_LIST}; did you mean "search_records"?`,
        'search_records',
      ],
      ['warning', 'unknown-tool', '3:2-3:17', `Unknown tool "totally_unknown": not ${NO_LIST}`],
    ]);
  });

  it('a quoted key: the range covers the quotes', () => {
    assert.deepEqual(rows('version: 1\ntools:\n  "serch_records":\n    action: deny\n'), [
      [
        'warning',
        'unknown-tool',
        '2:2-2:17',
        `Unknown tool "serch_records": not ${NO_LIST}; did you mean "search_records"?`,
        'search_records',
      ],
    ]);
  });

  it('a name the running guard reported is known; the message says the list was checked', () => {
    const reported: ReportedTool[] = [{ name: 'my_tool' }, { name: 'search_records' }];
    assert.deepEqual(rows('version: 1\ntools:\n  my_tool: { action: deny }\n  my_tol: { action: deny }\n', reported), [
      ['warning', 'unknown-tool', '3:2-3:8', `Unknown tool "my_tol": not ${WITH_LIST}; did you mean "my_tool"?`, 'my_tool'],
    ]);
  });

  it('a glob matching no known tool', () => {
    assert.deepEqual(rows('version: 1\ntools:\n  "zz_*": { action: deny }\n  "search_*": { action: deny }\n'), [
      ['warning', 'unmatched-glob', '2:2-2:8', `The glob "zz_*" matches no tool ${NO_LIST}`],
    ]);
    assert.deepEqual(rows('version: 1\ntools:\n  "zz_*": { action: deny }\n', [{ name: 'zz_top' }]), []);
  });

  it('hide items: unknown names and globs matching nothing, at the item', () => {
    assert.deepEqual(rows('version: 1\nhide: [serch_records, "zz_*", "search_*", read_record]\n'), [
      [
        'warning',
        'unknown-tool',
        '1:7-1:20',
        `Unknown tool "serch_records" in hide: not ${NO_LIST}; did you mean "search_records"?`,
        'search_records',
      ],
      ['warning', 'unmatched-glob', '1:22-1:28', `The glob "zz_*" in hide matches no tool ${NO_LIST}`],
    ]);
    assert.deepEqual(
      rows('version: 1\nhide:\n  - nope_tool\n', [{ name: 'other' }]).filter((r) => r[1] === 'unknown-tool'),
      [['warning', 'unknown-tool', '2:4-2:13', `Unknown tool "nope_tool" in hide: not ${WITH_LIST}`]],
    );
  });
});

// Tool names are case-sensitive: a key that is a known tool with other capitals matches nothing, so a
// deny written so never applies. It used to be an unknown-tool warning; it is an error (the guard then
// refuses the file, failing closed) naming the real tool.
describe('language diagnostics: tool names with other capitals', () => {
  /** Without the information about reported tools no entry names (beside the point here). */
  const issues = (text: string, tools?: readonly ReportedTool[]) => rows(text, tools).filter((r) => r[0] !== 'information');
  const CASE = (key: string, tool: string, entry = key) =>
    `Unknown tool "${key}": tool names are case-sensitive, and the tool is "${tool}"; as written, the entry for ${entry} never applies`;

  it("a catalog tool: one error (the parser's), no unknown-tool warning beside it", () => {
    assert.deepEqual(rows('version: 1\ntools:\n  Cancel_Async_Task:\n    action: deny\n'), [
      ['error', 'tool-name-case', '2:2-2:19', CASE('Cancel_Async_Task', 'cancel_async_task'), 'cancel_async_task'],
    ]);
    // validate (no reported tools) says the same, as an error
    assert.deepEqual(validatePolicyText('version: 1\ntools:\n  Cancel_Async_Task:\n    action: deny\n').map(row), [
      ['error', 'tool-name-case', '2:2-2:19', CASE('Cancel_Async_Task', 'cancel_async_task'), 'cancel_async_task'],
    ]);
  });

  it('a labelled key: only the name is compared, and the error is on the name', () => {
    assert.deepEqual(
      rows('version: 1\ntools:\n  cancel_async_task:\n    action: require_approval\n  CANCEL_ASYNC_TASK (never):\n    action: deny\n'),
      [
        [
          'error',
          'tool-name-case',
          '4:2-4:19',
          CASE('CANCEL_ASYNC_TASK', 'cancel_async_task', 'CANCEL_ASYNC_TASK (never)'),
          'cancel_async_task',
        ],
      ],
    );
  });

  it('a tool the running guard reported (not in the catalog): an error from the tool list', () => {
    const reported: ReportedTool[] = [{ name: 'delete_repo' }, { name: 'Fork_Repo' }];
    assert.deepEqual(issues('version: 1\ntools:\n  Delete_Repo:\n    action: deny\n  fork_repo (x):\n    action: deny\n', reported), [
      ['error', 'tool-name-case', '2:2-2:13', CASE('Delete_Repo', 'delete_repo'), 'delete_repo'],
      ['error', 'tool-name-case', '4:2-4:11', CASE('fork_repo', 'Fork_Repo', 'fork_repo (x)'), 'Fork_Repo'],
    ]);
    // the exact names are fine; without the list they are unknown tools, as before (warnings)
    assert.deepEqual(issues('version: 1\ntools:\n  delete_repo:\n    action: deny\n', reported), []);
    assert.deepEqual(
      rows('version: 1\ntools:\n  Delete_Repo:\n    action: deny\n').map((r) => r.slice(0, 2)),
      [['warning', 'unknown-tool']],
    );
  });

  it('two reported tools that differ only in case: an error naming both, with no single fix', () => {
    const reported: ReportedTool[] = [{ name: 'Sync' }, { name: 'SYNC' }];
    assert.deepEqual(issues('version: 1\ntools:\n  sync:\n    action: deny\n', reported), [
      [
        'error',
        'tool-name-case',
        '2:2-2:6',
        'Unknown tool "sync": tool names are case-sensitive, and the tools are "Sync" and "SYNC"; as written, the entry for sync never applies',
      ],
    ]);
  });

  it('hide items: a catalog tool from the parser, a reported tool from the list; URIs and globs are not compared', () => {
    const reported: ReportedTool[] = [{ name: 'delete_repo' }];
    assert.deepEqual(issues('version: 1\nhide: [Read_Field_To_File, Delete_Repo, "odoo://Search_Records", "Search_*"]\n', reported), [
      [
        'error',
        'tool-name-case',
        '1:7-1:25',
        'Unknown tool "Read_Field_To_File" in hide: tool names are case-sensitive, and the tool is "read_field_to_file"; as written, hide does not remove it',
        'read_field_to_file',
      ],
      [
        'error',
        'tool-name-case',
        '1:27-1:38',
        'Unknown tool "Delete_Repo" in hide: tool names are case-sensitive, and the tool is "delete_repo"; as written, hide does not remove it',
        'delete_repo',
      ],
      ['warning', 'unmatched-glob', '1:65-1:75', `The glob "Search_*" in hide matches no tool ${WITH_LIST}`],
    ]);
  });
});

describe('language diagnostics: condition paths against the input schema', () => {
  const text = [
    'version: 1',
    'tools:',
    '  search_records:',
    '    action: deny',
    '    when:',
    '      - { path: args.modle, op: eq, value: res.partner }',
    '      - { path: args.model.name, op: exists }',
    '      - { path: args.zzz, op: exists }',
    '  health_check:',
    '    action: deny',
    '    when:',
    '      - { path: args.x, op: exists }',
    '  "search_*":',
    '    action: deny',
    '    when:',
    '      - path: args.limit',
    '        op: gt',
    '        value: 10',
    '      - path: args.nope',
    '        op: exists',
    '  "zz_*":',
    '    action: deny',
    '    when:',
    '      - { path: args.whatever, op: exists }',
    '',
  ].join('\n');

  it('exact keys: a typo (did you mean), a name with the parameter list, a tool without parameters; deeper paths check their first step', () => {
    assert.deepEqual(
      rows(text).filter((r) => r[1] === 'unknown-parameter'),
      [
        [
          'warning',
          'unknown-parameter',
          '5:16-5:26',
          'args.modle: search_records has no parameter "modle"; did you mean "args.model"?',
          'args.model',
        ],
        [
          'warning',
          'unknown-parameter',
          '7:16-7:24',
          'args.zzz: search_records has no parameter "zzz"; its parameters: domain, fields, instance, limit, model, offset, order, query',
        ],
        ['warning', 'unknown-parameter', '11:16-11:22', 'args.x: health_check takes no parameters'],
        [
          'warning',
          'unknown-parameter',
          '18:14-18:23',
          'args.nope: none of the 5 tools matching "search_*" (search_records, search_employee, search_holidays, search_knowledge and 1 more) has a parameter "nope"; did you mean "args.name"?',
          'args.name',
        ],
      ],
    );
  });

  it('a glob only warns when no matching tool has the parameter; a glob matching nothing is not checked', () => {
    const all = rows(text);
    assert.ok(!all.some((r) => r[3].startsWith('args.limit')));
    assert.ok(!all.some((r) => r[3].startsWith('args.whatever')));
  });

  it('reported schemas count, and a schema open to any property (additionalProperties: true) accepts any path', () => {
    const reported: ReportedTool[] = [
      { name: 'mine', inputSchema: { type: 'object', properties: { target: { type: 'string' } } } },
      { name: 'open', inputSchema: { type: 'object', properties: {}, additionalProperties: true } },
      { name: 'bare' },
    ];
    const t =
      'version: 1\ntools:\n  mine:\n    action: deny\n    when: [{ path: args.targte, op: exists }]\n  open:\n    action: deny\n    when: [{ path: args.x, op: exists }]\n  bare:\n    action: deny\n    when: [{ path: args.x, op: exists }]\n';
    assert.deepEqual(
      rows(t, reported).filter((r) => r[1] === 'unknown-parameter'),
      [
        [
          'warning',
          'unknown-parameter',
          '4:19-4:30',
          'args.targte: mine has no parameter "targte"; did you mean "args.target"?',
          'args.target',
        ],
      ],
    );
  });
});

describe('language diagnostics: risky actions', () => {
  it('allow on a critical tool: by exact key, by a glob naming the critical tools, and when conditions hold', () => {
    const text = [
      'version: 1',
      'tools:',
      '  cancel_async_task:',
      '    action: allow',
      '  "execute_*":',
      '    action: allow',
      '  execute_method:',
      '    action: allow',
      '    when:',
      '      - { path: args.model, op: eq, value: res.partner }',
      '',
    ].join('\n');
    assert.deepEqual(rows(text), [
      [
        'warning',
        'allow-critical',
        '3:12-3:17',
        "allow lets cancel_async_task through, a critical-risk tool (Destructive): Kills any client's task for good: its result is thrown away, no undo, despite the read-only label. require_approval would ask first",
        'require_approval',
      ],
      [
        'warning',
        'allow-critical',
        '5:12-5:17',
        'allow on "execute_*" lets critical-risk tools through: execute_approved_write (Destructive), execute_method (Execute); require_approval would ask first',
        'require_approval',
      ],
      [
        'warning',
        'allow-critical',
        '7:12-7:17',
        'allow lets execute_method through when its conditions hold, a critical-risk tool (Execute): Calls an arbitrary model method; allowlisted action_*/button_* can post, cancel or send with no undo. require_approval would ask first, ' +
          'or a condition can keep it to low-risk values: { path: args.method, op: in, value: [search, search_read, read, read_group, search_count, name_search, fields_get] }',
        'require_approval',
      ],
    ]);
  });

  it('no allow-critical warning for execute_method kept by eq / in to methods that are not critical; any other condition still warns', () => {
    const entry = (cond: string) =>
      ['version: 1', 'tools:', '  execute_method:', '    action: allow', '    when:', `      - ${cond}`, ''].join('\n');
    const quiet = [
      '{ path: args.method, op: in, value: [search_read, read, search_count] }',
      '{ path: args.method, op: eq, value: fields_get }',
      '{ path: args.method, op: in, value: [search_read, write, copy] }',
    ];
    for (const cond of quiet)
      assert.deepEqual(
        rows(entry(cond)).filter((r) => r[1] === 'allow-critical'),
        [],
        cond,
      );
    const loud = [
      '{ path: args.method, op: in, value: [search_read, unlink] }',
      '{ path: args.method, op: in, value: [search_read, action_post] }',
      '{ path: args.method, op: eq, value: Search_read }',
      '{ path: args.method, op: eq, value: "search_read " }',
      '{ path: args.method, op: regex, value: "^search" }',
      '{ path: args.method, op: neq, value: unlink }',
      '{ path: args.method, op: not_in, value: [unlink] }',
      '{ path: args.kwargs.method, op: eq, value: search }',
      '{ path: args.model, op: eq, value: res.partner }',
    ];
    for (const cond of loud) assert.equal(rows(entry(cond)).filter((r) => r[1] === 'allow-critical').length, 1, cond);
    // With two conditions, one keeping the method to reads is enough.
    const both = [
      'version: 1',
      'tools:',
      '  execute_method:',
      '    action: allow',
      '    when:',
      '      - { path: args.model, op: eq, value: res.partner }',
      '      - { path: args.method, op: in, value: [read] }',
      '',
    ].join('\n');
    assert.deepEqual(
      rows(both).filter((r) => r[1] === 'allow-critical'),
      [],
    );
  });

  it('no allow-critical warning for tools that are hidden or that an unconditional stricter entry decides', () => {
    assert.deepEqual(
      rows('version: 1\nhide: [execute_method]\ntools:\n  "execute_*":\n    action: allow\n  execute_approved_write:\n    action: deny\n'),
      [],
    );
  });

  it('default: allow letting destructive tools through (here by risk lines that say allow), and the risk lines themselves', () => {
    const text =
      'version: 1\ndefault: allow\nrisk:\n  high: allow\n  critical: allow\n  medium: allow\ntools:\n  chatter_post:\n    action: require_approval\n';
    assert.deepEqual(rows(text), [
      [
        'warning',
        'risky-default',
        '1:9-1:14',
        'default: allow lets destructive tools that no entry decides through: read_field_to_file (Write, high risk) by risk.high, execute_approved_write (Destructive, critical risk) by risk.critical, write_field_from_file (Destructive, high risk) by risk.high, execute_method (Execute, critical risk) by risk.critical, cancel_async_task (Destructive, critical risk) by risk.critical; give them entries, or use default: require_approval',
        'require_approval',
      ],
      [
        'warning',
        'risky-risk',
        '3:8-3:13',
        'risk: high: allow lets every high-risk tool that no entry decides through without asking (read_field_to_file, write_field_from_file); the built-in action is require_approval',
        'require_approval',
      ],
      [
        'warning',
        'risky-risk',
        '4:12-4:17',
        'risk: critical: allow lets every critical-risk tool that no entry decides through without asking (execute_approved_write, execute_method, cancel_async_task); the built-in action is deny',
        'deny',
      ],
    ]);
  });

  it('default: allow alone is fine: the built-in risk actions decide critical and high tools', () => {
    assert.deepEqual(rows('version: 1\ndefault: allow\n'), []);
    assert.deepEqual(
      rows('version: 1\ndefault: allow\n', [{ name: 'wiper', annotations: { destructiveHint: true } }]).map((r) => r[1]),
      ['unlisted-tools'],
    );
  });

  it('default: allow with a Destructive tool whose class has no action (a custom catalog): the default lets it through', () => {
    const index = createToolIndex(undefined, {
      catalog: { wipe_cache: { category: 'Destructive', risk: 'medium', reason: 'Drops the cache.' } },
    });
    assert.deepEqual(policyDiagnostics('version: 1\ndefault: allow\n', index).map(row), [
      [
        'warning',
        'risky-default',
        '1:9-1:14',
        'default: allow lets destructive tools that no entry decides through: wipe_cache (Destructive, medium risk) by default; give them entries, or use default: require_approval',
        'require_approval',
      ],
    ]);
    assert.deepEqual(
      policyDiagnostics('version: 1\ndefault: allow\ntools:\n  wipe_cache: { action: require_approval }\n', index).map(row),
      [],
    );
  });

  it('a risk line in flow style, with nothing let through, still warns', () => {
    assert.deepEqual(rows('version: 1\nrisk: { high: allow }\ntools:\n  "*": { action: deny }\n'), [
      [
        'warning',
        'risky-risk',
        '1:14-1:19',
        'risk: high: allow lets every high-risk tool that no entry decides through without asking; the built-in action is require_approval',
        'require_approval',
      ],
    ]);
  });
});

describe('language diagnostics: dead entries', () => {
  const text = [
    'version: 1',
    'tools:',
    '  "search_*":',
    '    action: deny',
    '  search_records:',
    '    action: allow',
    '  "search_k*":',
    '    action: require_approval',
    '  search_employee:',
    '    action: deny',
    '  search_holidays:',
    '    rate_limit: { max: 1, window: 1 }',
    '  search_knowledge:',
    '    action: allow',
    '    rate_limit: { max: 1, window: 1 }',
    '  list_models:',
    '    action: allow',
    '  "list_*":',
    '    action: require_approval',
    '    when:',
    '      - { path: args.limit, op: gt, value: 5 }',
    '',
  ].join('\n');

  it('an exact allow and a narrower glob under an unconditional deny glob are dead; a rate-limit-only entry never is; a conditional glob does not count', () => {
    assert.deepEqual(rows(text), [
      [
        'information',
        'dead-entry',
        '4:2-4:16',
        'The entry for search_records never changes a decision: "search_*" (deny, no conditions) also matches search_records, and deny is stricter than allow',
      ],
      [
        'information',
        'dead-entry',
        '6:2-6:13',
        'The entry for search_k* never changes a decision: "search_*" (deny, no conditions) also matches every tool this entry matches, and deny is stricter than require_approval',
      ],
      [
        'information',
        'dead-action',
        '13:12-13:17',
        'action allow of search_knowledge never changes a decision: "search_*" (deny, no conditions) also matches search_knowledge, and deny is stricter than allow; only its rate_limit has an effect',
      ],
    ]);
  });

  it('an entry whose tools are all hidden never applies', () => {
    assert.deepEqual(
      rows(
        'version: 1\nhide: ["read_*"]\ntools:\n  read_record:\n    action: allow\n  "read_a*":\n    rate_limit: { max: 1, window: 1 }\n',
      ),
      [
        [
          'information',
          'dead-entry',
          '3:2-3:13',
          'The entry for read_record never applies: hide removes this tool (hide item "read_*"), so its calls are blocked first',
        ],
        [
          'information',
          'dead-entry',
          '5:2-5:11',
          'The entry for read_a* never applies: hide removes every tool it matches (hide item "read_*"), so its calls are blocked first',
        ],
      ],
    );
  });

  it('while other parts have errors too, but an entry with an error never makes another one dead', () => {
    const otherBroken = `${text}  read_record:\n    action: dny\n`;
    assert.deepEqual(
      rows(otherBroken).map((r) => r[1]),
      ['dead-entry', 'dead-entry', 'dead-action', 'bad-action'],
    );
    const coverBroken = text.replace('  "search_*":\n    action: deny\n', '  "search_*":\n    action: dny\n');
    assert.ok(rows(coverBroken).some((r) => r[0] === 'error'));
    assert.deepEqual(
      rows(coverBroken)
        .filter((r) => r[1] === 'dead-entry' || r[1] === 'dead-action')
        .map((r) => r[3]),
      [
        'action allow of search_knowledge never changes a decision: "search_k*" (require_approval, no conditions) also matches search_knowledge, and require_approval is stricter than allow; only its rate_limit has an effect',
      ],
    );
  });
});

describe('language diagnostics: tools the server reported', () => {
  it('reported tools the catalog does not know and no entry names: one information at tools', () => {
    const reported: ReportedTool[] = [
      { name: 'new_tool', annotations: { destructiveHint: true } },
      { name: 'other_tool' },
      { name: 'named_tool' },
      { name: 'hidden_tool' },
      { name: 'search_records' },
    ];
    assert.deepEqual(rows('version: 1\nhide: [hidden_tool]\ntools:\n  named_tool: { action: allow }\n', reported), [
      [
        'information',
        'unlisted-tools',
        '2:0-2:5',
        'The server reports 2 tools that the catalog does not know and no entry names: new_tool (Destructive, high risk), other_tool (Write, medium risk); the risk defaults and default decide them',
      ],
    ]);
  });

  it('without a tools key, at version; a glob naming them counts', () => {
    assert.deepEqual(rows('version: 1\n', [{ name: 'solo' }]), [
      [
        'information',
        'unlisted-tools',
        '0:0-0:7',
        'The server reports a tool that the catalog does not know and no entry names: solo (Write, medium risk); the risk defaults and default decide it',
      ],
    ]);
    assert.deepEqual(rows('version: 1\ntools:\n  "so*": { action: allow }\n', [{ name: 'solo' }]), []);
  });
});

describe('language diagnostics: document handling', () => {
  it('sorted by position; the same for a document, its text, and an incremental document', () => {
    const text = 'version: 1\ntools:\n  b_tool: { action: deny }\n  a_tool: { action: deny }\nhide: [zz]\n';
    const all = rows(text);
    assert.deepEqual(
      all.map((r) => r[2]),
      ['2:2-2:8', '3:2-3:8', '4:7-4:9'],
    );
    const doc = analyzePolicy(text);
    assert.deepEqual(policyDiagnostics(doc).map(row), all);
    const edited = text.replace('a_tool', 'a_tool2');
    assert.deepEqual(policyDiagnostics(analyzePolicy(edited, doc)).map(row), policyDiagnostics(analyzePolicy(edited)).map(row));
  });

  it('an incremental re-validation after lines move shifts cached entry diagnostics', () => {
    const text = 'version: 1\ntools:\n  one_tool: { action: deny }\n  two_tool:\n    action: deny\n';
    const doc = analyzePolicy(text);
    policyDiagnostics(doc);
    const moved = text.replace('tools:\n', 'tools:\n  # a comment\n\n');
    assert.deepEqual(policyDiagnostics(analyzePolicy(moved, doc)).map(row), [
      ['warning', 'unknown-tool', '4:2-4:10', `Unknown tool "one_tool": not ${NO_LIST}`],
      ['warning', 'unknown-tool', '5:2-5:10', `Unknown tool "two_tool": not ${NO_LIST}`],
    ]);
  });

  it('the format has no mode key: `mode` is an unknown key, not a monitor-mode warning', () => {
    assert.deepEqual(rows('version: 1\nmode: monitor\n'), [
      ['error', 'unknown-key', '1:0-1:4', 'Unknown key "mode" at the top level; did you mean "hide"?', 'hide'],
    ]);
  });

  it('a clean policy has no diagnostics at all', () => {
    assert.deepEqual(
      rows(
        'version: 1\ndefault: require_approval\ntools:\n  search_records:\n    action: allow\n    rate_limit: { max: 10, window: 60 }\n    when:\n      - { path: args.model, op: in, value: [res.partner] }\n',
      ),
      [],
    );
  });
});

describe('globCovers: one name pattern covering another', () => {
  const cases: [string, string, boolean][] = [
    ['*', 'anything', true],
    ['*', 'a*', true],
    ['search_*', 'search_records', true],
    ['search_*', 'search_k*', true],
    ['search_*', 'search*', false],
    ['search_k*', 'search_*', false],
    ['?', 'a', true],
    ['?', '*', false],
    ['a?c', 'abc', true],
    ['a?c', 'a?c', true],
    ['a*c', 'a?c', true],
    ['a*c', 'a*b*c', true],
    ['*ab*', '*a*b*', false],
    ['*?', '?*', true],
    ['?*', '*?', true],
    ['**', 'x', true],
    ['exact', 'exact', true],
    ['exact', 'exac?', false],
    ['a*', 'b*', false],
  ];
  for (const [outer, inner, want] of cases) {
    it(`${outer} ${want ? 'covers' : 'does not cover'} ${inner}`, () => assert.equal(globCovers(outer, inner), want));
  }
});
