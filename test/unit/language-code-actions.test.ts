// src/guard/language/code-actions.ts: every quick fix, checked by applying its edits to the text.
import { strict as assert } from 'node:assert';
import { analyzePolicy } from '../../src/guard/language/analyze';
import { applyTextEdits, policyCodeActions, type PolicyCodeAction } from '../../src/guard/language/code-actions';
import { policyCompletions } from '../../src/guard/language/completion';
import { policyDiagnostics } from '../../src/guard/language/diagnostics';
import { policyHover } from '../../src/guard/language/hover';
import type { ReportedTool } from '../../src/guard/language/tool-index';
import type { Range } from '../../src/guard/policy/diagnostics';

const EVERYWHERE: Range = { start: { line: 0, character: 0 }, end: { line: 10_000, character: 0 } };

function actions(text: string, tools?: readonly ReportedTool[], range: Range = EVERYWHERE): PolicyCodeAction[] {
  return policyCodeActions(text, range, tools);
}

function fixed(text: string, title: string, tools?: readonly ReportedTool[]): string {
  const all = actions(text, tools);
  const a = all.find((x) => x.title === title);
  assert.ok(a, `no action "${title}" among ${JSON.stringify(all.map((x) => x.title))}`);
  return applyTextEdits(text, a.edits);
}

describe('language code actions: "did you mean"', () => {
  it('an unknown key, a bad action, a bad op, an unknown tool, an unknown parameter', () => {
    const text = [
      'version: 1',
      'defualt: deny',
      'tools:',
      '  serch_records:',
      '    actoin: deny',
      '  get_async_task:',
      '    action: alow',
      '    when:',
      '      - { path: args.task, op: eqq, value: x }',
      '',
    ].join('\n');
    assert.deepEqual(
      actions(text).map((a) => [a.title, a.diagnostic.code, a.isPreferred]),
      [
        ['Change to "default"', 'unknown-key', true],
        ['Change to "search_records"', 'unknown-tool', true],
        ['Change to "action"', 'unknown-key', true],
        ['Change to "allow"', 'bad-action', true],
        ['Change to "eq"', 'bad-op', true],
      ],
    );
    assert.equal(fixed(text, 'Change to "default"'), text.replace('defualt: deny', 'default: deny'));
    assert.equal(fixed(text, 'Change to "search_records"'), text.replace('  serch_records:', '  search_records:'));
    assert.equal(fixed(text, 'Change to "action"'), text.replace('actoin', 'action'));
    assert.equal(fixed(text, 'Change to "allow"'), text.replace('alow', 'allow'));
    assert.equal(fixed(text, 'Change to "eq"'), text.replace('op: eqq', 'op: eq'));
    // once the errors are fixed, the parameter check runs (it needs no valid file, but the path must be one)
    const clean = 'version: 1\ntools:\n  get_async_task:\n    action: deny\n    when:\n      - { path: args.tsk_id, op: eq, value: x }\n';
    assert.equal(fixed(clean, 'Change to "args.task_id"'), clean.replace('args.tsk_id,', 'args.task_id,'));
  });

  it('a quoted key is replaced whole, quotes included; an unknown name in hide too', () => {
    const text = 'version: 1\nhide: [serch_records]\ntools:\n  "cancel_asnc_task": { action: deny }\n';
    assert.equal(
      fixed(text, 'Change to "cancel_async_task"'),
      'version: 1\nhide: [serch_records]\ntools:\n  cancel_async_task: { action: deny }\n',
    );
    assert.equal(
      fixed(text, 'Change to "search_records"'),
      'version: 1\nhide: [search_records]\ntools:\n  "cancel_asnc_task": { action: deny }\n',
    );
  });

  it('no "did you mean" fix that would repeat an existing entry\'s key', () => {
    const text = 'version: 1\ntools:\n  serch_records: { action: deny }\n  search_records: { action: allow }\n';
    assert.deepEqual(actions(text), []);
  });

  it('only the diagnostics touching the range, or the ones passed in', () => {
    const text = 'version: 1\ndefualt: deny\ntools:\n  serch_records: { action: deny }\n';
    assert.deepEqual(
      actions(text, undefined, { start: { line: 3, character: 4 }, end: { line: 3, character: 4 } }).map((a) => a.title),
      ['Change to "search_records"'],
    );
    const diagnostics = policyDiagnostics(text).filter((d) => d.code === 'unknown-key');
    const only = policyCodeActions(analyzePolicy(text), EVERYWHERE, undefined, diagnostics);
    assert.deepEqual(
      only.map((a) => a.title),
      ['Change to "default"'],
    );
    assert.equal(only[0]!.diagnostic, diagnostics[0], 'the very diagnostic passed in');
  });
});

describe('language code actions: a tool name with other capitals', () => {
  it("Cancel_Async_Task → cancel_async_task (a catalog tool: the parser's error)", () => {
    const text = 'version: 1\ntools:\n  Cancel_Async_Task:\n    action: deny\n';
    assert.deepEqual(
      actions(text).map((a) => [a.title, a.diagnostic.code, a.diagnostic.severity, a.isPreferred]),
      [['Change to "cancel_async_task"', 'tool-name-case', 'error', true]],
    );
    const after = fixed(text, 'Change to "cancel_async_task"');
    assert.equal(after, 'version: 1\ntools:\n  cancel_async_task:\n    action: deny\n');
    assert.deepEqual(policyDiagnostics(after), []);
  });

  it('a labelled key keeps its label, plain or quoted', () => {
    for (const [key, want] of [
      ['CANCEL_async_task (no cancel)', 'cancel_async_task (no cancel)'],
      ['"Cancel_Async_Task (no cancel)"', '"cancel_async_task (no cancel)"'],
      ["'Cancel_Async_Task (no cancel)'", "'cancel_async_task (no cancel)'"],
    ]) {
      const text = `version: 1\ntools:\n  cancel_async_task:\n    action: require_approval\n  ${key}:\n    action: deny\n`;
      assert.deepEqual(
        actions(text).map((a) => [a.title, a.diagnostic.code, a.diagnostic.severity]),
        [['Change to "cancel_async_task"', 'tool-name-case', 'error']],
      );
      const after = fixed(text, 'Change to "cancel_async_task"');
      assert.equal(after, text.replace(key, want));
      assert.deepEqual(
        policyDiagnostics(after).filter((d) => d.severity !== 'information'),
        [],
        after,
      );
    }
  });

  it('a hide item, and a tool the running guard reported', () => {
    const reported: ReportedTool[] = [{ name: 'delete_repo' }];
    const text = 'version: 1\nhide: [Read_Field_To_File]\ntools:\n  Delete_Repo: { action: deny }\n';
    assert.deepEqual(
      actions(text, reported)
        .filter((a) => a.diagnostic.code === 'tool-name-case')
        .map((a) => a.title),
      ['Change to "read_field_to_file"', 'Change to "delete_repo"'],
    );
    assert.equal(fixed(text, 'Change to "read_field_to_file"', reported), text.replace('Read_Field_To_File', 'read_field_to_file'));
    assert.equal(fixed(text, 'Change to "delete_repo"', reported), text.replace('Delete_Repo', 'delete_repo'));
  });

  it('no fix when the right name already has an entry of that key (it would repeat the key)', () => {
    const text = 'version: 1\ntools:\n  Cancel_Async_Task: { action: deny }\n  cancel_async_task: { action: allow }\n';
    assert.deepEqual(
      policyDiagnostics(text)
        .filter((d) => d.severity === 'error')
        .map((d) => d.code),
      ['tool-name-case'],
    );
    assert.deepEqual(
      actions(text).filter((a) => a.diagnostic.code === 'tool-name-case'),
      [],
    );
  });
});

describe('language code actions: risky allow', () => {
  it('allow on a critical tool becomes require_approval (exact key and glob)', () => {
    const text = 'version: 1\ntools:\n  cancel_async_task:\n    action: allow\n  "execute_*": { action: allow }\n';
    const a = actions(text);
    assert.deepEqual(
      a.map((x) => [x.title, x.diagnostic.code]),
      [
        ['Change allow to require_approval', 'allow-critical'],
        ['Change allow to require_approval', 'allow-critical'],
      ],
    );
    assert.equal(applyTextEdits(text, a[0]!.edits), text.replace('    action: allow', '    action: require_approval'));
    assert.equal(applyTextEdits(text, a[1]!.edits), text.replace('{ action: allow }', '{ action: require_approval }'));
  });

  it('default: allow becomes require_approval; a risk line takes the built-in action', () => {
    const text = 'version: 1\ndefault: allow\nrisk:\n  critical: allow\n  high: allow\n';
    assert.equal(fixed(text, 'Change to default: require_approval'), text.replace('default: allow', 'default: require_approval'));
    assert.equal(fixed(text, 'Change to the built-in deny'), text.replace('critical: allow', 'critical: deny'));
    assert.equal(fixed(text, 'Change to the built-in require_approval'), text.replace('high: allow', 'high: require_approval'));
  });
});

describe('language code actions: dead entries', () => {
  const text = [
    'version: 1',
    'tools:',
    '  "search_*":',
    '    action: deny',
    '  # a comment that belongs to the next entry',
    '  search_records:',
    '    action: allow',
    '    reason: Reading is fine',
    '',
    '  search_knowledge:',
    '    action: allow',
    '    rate_limit: { max: 1, window: 1 }',
    '  list_models: { action: allow }',
    '',
  ].join('\n');

  it("removes a dead entry's lines, keeping the comments and blank lines around it", () => {
    assert.equal(
      fixed(text, 'Remove the entry for search_records'),
      text.replace('  search_records:\n    action: allow\n    reason: Reading is fine\n', ''),
    );
  });

  it('removes only the action of an entry whose rate limit still counts', () => {
    assert.equal(fixed(text, 'Remove the action of search_knowledge'), text.replace('    action: allow\n    rate_limit', '    rate_limit'));
  });

  it('the last entry of a file without a final newline', () => {
    const t = 'version: 1\ntools:\n  "*": { action: deny }\n  read_record:\n    action: allow';
    assert.equal(fixed(t, 'Remove the entry for read_record'), 'version: 1\ntools:\n  "*": { action: deny }');
  });

  it('a hidden entry', () => {
    const t = 'version: 1\nhide: [read_record]\ntools:\n  read_record:\n    action: allow\n  list_models: { action: allow }\n';
    assert.equal(
      fixed(t, 'Remove the entry for read_record'),
      'version: 1\nhide: [read_record]\ntools:\n  list_models: { action: allow }\n',
    );
  });

  it('no removal for entries sharing lines (flow style)', () => {
    const t = 'version: 1\ntools: { "*": { action: deny }, read_record: { action: allow } }\n';
    assert.deepEqual(
      policyDiagnostics(t).map((d) => d.code),
      ['dead-entry'],
    );
    assert.deepEqual(actions(t), []);
  });
});

describe('language code actions: entries for tools the server reported', () => {
  const reported: ReportedTool[] = [
    { name: 'new_wiper', annotations: { destructiveHint: true } },
    { name: 'new_reader', annotations: { readOnlyHint: true } },
    { name: 'search_records' },
  ];

  it('adds an entry with the recommended action after the last entry, one tool or all', () => {
    const text = 'version: 1\ntools:\n  search_records:\n    action: allow\n\n# the end\n';
    assert.deepEqual(
      actions(text, reported).map((a) => [a.title, a.diagnostic.code]),
      [
        ['Add an entry for new_wiper (Destructive, high risk: require_approval)', 'unlisted-tools'],
        ['Add an entry for new_reader (Read, low risk: allow)', 'unlisted-tools'],
        ['Add entries for all 2 tools', 'unlisted-tools'],
      ],
    );
    assert.equal(
      fixed(text, 'Add an entry for new_wiper (Destructive, high risk: require_approval)', reported),
      'version: 1\ntools:\n  search_records:\n    action: allow\n  new_wiper:  # Destructive · high risk\n    action: require_approval\n\n# the end\n',
    );
    const all = fixed(text, 'Add entries for all 2 tools', reported);
    assert.equal(
      all,
      'version: 1\ntools:\n  search_records:\n    action: allow\n  new_wiper:  # Destructive · high risk\n    action: require_approval\n  new_reader:  # Read · low risk\n    action: allow\n\n# the end\n',
    );
    assert.deepEqual(policyDiagnostics(all, reported), []);
  });

  it("follows the file's indentation", () => {
    const text = 'version: 1\ntools:\n    search_records:\n        action: allow\n';
    assert.equal(
      fixed(text, 'Add an entry for new_reader (Read, low risk: allow)', reported),
      'version: 1\ntools:\n    search_records:\n        action: allow\n    new_reader:  # Read · low risk\n        action: allow\n',
    );
  });

  it('with an empty tools:, tools: {}, a flow mapping, or no tools key at all', () => {
    const title = 'Add an entry for new_reader (Read, low risk: allow)';
    assert.equal(
      fixed('version: 1\ntools:\nhide: []\n', title, reported),
      'version: 1\ntools:\n  new_reader:  # Read · low risk\n    action: allow\nhide: []\n',
    );
    assert.equal(
      fixed('version: 1\ntools: {}\n', title, reported),
      'version: 1\ntools:\n  new_reader:  # Read · low risk\n    action: allow\n',
    );
    assert.equal(
      fixed('version: 1\ntools: { search_records: { action: allow } }\n', title, reported),
      'version: 1\ntools: { search_records: { action: allow }, new_reader: { action: allow } }\n',
    );
    assert.equal(fixed('version: 1', title, reported), 'version: 1\ntools:\n  new_reader:  # Read · low risk\n    action: allow\n');
    for (const t of [
      'version: 1\ntools:\nhide: []\n',
      'version: 1\ntools: {}\n',
      'version: 1\ntools: { search_records: { action: allow } }\n',
      'version: 1',
    ]) {
      const after = fixed(t, title, reported);
      assert.deepEqual(
        policyDiagnostics(after, reported).filter((d) => d.severity !== 'information'),
        [],
        after,
      );
    }
  });
});

describe('language services never throw on broken files', () => {
  it('300 randomly broken files: diagnostics, hovers, completions and quick fixes at random places', () => {
    let seed = 3;
    const rnd = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const base =
      'version: 1\ndefault: allow\nrisk: { high: allow }\nhide: [a, "b*"]\ntools:\n  execute_method:\n    action: allow\n    when:\n      - { path: args.model, op: in, value: [a] }\n      - path: args.x\n        op: eq\n  "*_task": { action: deny }\n  serch_records:\n    action: alow\n    rate_limit: { max: 0, window: 1 }\n';
    const alphabet = [
      ' ',
      '\n',
      ':',
      '-',
      '#',
      '"',
      "'",
      '{',
      '}',
      '[',
      ']',
      ',',
      '*',
      '&',
      '!',
      '|',
      '>',
      '?',
      'a',
      '\t',
      '\n  ',
      '\n    ',
      '---\n',
      '%',
      '.',
      '*a',
      '\r\n',
      '~',
    ];
    const reported: ReportedTool[] = [
      { name: 'x_tool', inputSchema: { type: 'object', properties: { a: { type: 'string' } } } },
      { name: 'odd:name' },
    ];
    for (let i = 0; i < 300; i++) {
      let t = base;
      for (let k = 1 + rnd(4); k > 0; k--) {
        const p = rnd(t.length + 1);
        t = rnd(2) ? t.slice(0, p) + alphabet[rnd(alphabet.length)] + t.slice(p) : t.slice(0, p) + t.slice(p + 1 + rnd(5));
      }
      const lines = t.split('\n');
      const tools = rnd(2) ? reported : undefined;
      policyDiagnostics(t, tools);
      for (let j = 0; j < 4; j++) {
        const line = rnd(lines.length + 1);
        const character = rnd((lines[line]?.length ?? 0) + 2);
        policyCompletions(t, { line, character }, tools);
        policyHover(t, { line, character }, tools);
        for (const a of policyCodeActions(t, { start: { line, character: 0 }, end: { line: line + 3, character: 0 } }, tools))
          applyTextEdits(t, a.edits);
      }
    }
  });
});
