// src/guard/language/completion.ts and context.ts: completions at chosen positions, on half-typed files.
import { strict as assert } from 'node:assert';
import { applyTextEdits } from '../../src/guard/language/code-actions';
import { policyCompletions, type PolicyCompletionItem } from '../../src/guard/language/completion';
import { cursorContext } from '../../src/guard/language/context';
import { policyDiagnostics } from '../../src/guard/language/diagnostics';
import type { ReportedTool } from '../../src/guard/language/tool-index';
import { LineIndex } from '../../src/guard/policy/parse';

const TEXT = [
  'version: 1', // 0
  'default: ', // 1
  'risk:', // 2
  '  critical: deny', // 3
  '  ', // 4
  'hide: [read_f, ]', // 5
  'tools:', // 6
  '  execute_method:', // 7
  '    action: ', // 8
  '    when:', // 9
  '      - { path: args.mo, op:  }', // 10
  '      - path: ', // 11
  '        op: re', // 12
  '    ', // 13
  '  search_records:', // 14
  '    rate_limit: { max: 1, w }', // 15
  '  cancel_', // 16
  '  ', // 17
  '', // 18
].join('\n');

function complete(line: number, character: number, text = TEXT, tools?: readonly ReportedTool[]): PolicyCompletionItem[] {
  return policyCompletions(text, { line, character }, tools);
}

const labels = (items: readonly PolicyCompletionItem[]) => items.map((i) => i.label);
const rangeOf = (i: PolicyCompletionItem) =>
  `${i.range.start.line}:${i.range.start.character}-${i.range.end.line}:${i.range.end.character}`;

describe('language completion: where the cursor is (text and indentation only)', () => {
  const lines = new LineIndex(TEXT);
  const ctx = (line: number, character: number) => {
    const c = cursorContext(lines, { line, character });
    return c && [c.path.join('/'), c.kind, c.key ?? '', c.token, c.flow];
  };

  it('keys, values and list items at every level, in block and flow style', () => {
    assert.deepEqual(ctx(1, 9), ['', 'value', 'default', '', false]);
    assert.deepEqual(ctx(4, 2), ['risk', 'key', '', '', false]);
    assert.deepEqual(ctx(5, 12), ['hide/-', 'item', '', 'read_f', true]);
    assert.deepEqual(ctx(8, 12), ['tools/execute_method', 'value', 'action', '', false]);
    assert.deepEqual(ctx(10, 23), ['tools/execute_method/when/-', 'value', 'path', 'args.mo', true]);
    assert.deepEqual(ctx(10, 24), ['tools/execute_method/when/-', 'key', '', '', true]);
    assert.deepEqual(ctx(10, 29), ['tools/execute_method/when/-', 'value', 'op', '', true]);
    assert.deepEqual(ctx(11, 14), ['tools/execute_method/when/-', 'value', 'path', '', false]);
    assert.deepEqual(ctx(12, 14), ['tools/execute_method/when/-', 'value', 'op', 're', false]);
    assert.deepEqual(ctx(13, 4), ['tools/execute_method', 'key', '', '', false]);
    assert.deepEqual(ctx(15, 27), ['tools/search_records/rate_limit', 'key', '', 'w', true]);
    assert.deepEqual(ctx(16, 9), ['tools', 'key', '', 'cancel_', false]);
    assert.deepEqual(ctx(18, 0), ['', 'key', '', '', false]);
  });

  it("compact lists (dash at the key's column), comments and quoted text", () => {
    const t = new LineIndex('tools:\n  a:\n    when:\n    - path: args.x\n      op: \n  # a comment\n  b: "text\n');
    assert.deepEqual(cursorContext(t, { line: 4, character: 10 })?.path, ['tools', 'a', 'when', '-']);
    assert.equal(cursorContext(t, { line: 5, character: 8 }), undefined);
    assert.equal(cursorContext(t, { line: 6, character: 8 }), undefined);
  });
});

describe('language completion: items', () => {
  it('top-level keys not yet present, as snippets', () => {
    const items = complete(18, 0);
    assert.deepEqual(labels(items), ['resources', 'approval_timeout', 'tests']);
    assert.deepEqual(items[1], {
      label: 'approval_timeout',
      kind: 'Property',
      detail: 'seconds (> 0), default 120',
      documentation:
        'Seconds to wait for a person to answer an approval before the call is denied; the default for every `require_approval`.',
      insertText: 'approval_timeout: ${1:120}',
      isSnippet: true,
      range: { start: { line: 18, character: 0 }, end: { line: 18, character: 0 } },
      sortText: '006',
    });
    const fresh = policyCompletions('', { line: 0, character: 0 });
    assert.deepEqual(labels(fresh), ['version', 'default', 'risk', 'hide', 'tools', 'resources', 'approval_timeout', 'tests']);
    assert.equal(
      fresh.find((i) => i.label === 'tools')!.insertText,
      'tools:\n  ${1:tool_name}:\n    action: ${2|allow,deny,require_approval|}',
    );
    assert.equal(fresh.find((i) => i.label === 'tools')!.insertTextMode, 'asIs');
  });

  it('actions after default:, action: and a risk class', () => {
    for (const [line, character] of [
      [1, 9],
      [8, 12],
    ] as const) {
      const items = complete(line, character);
      assert.deepEqual(labels(items), ['allow', 'deny', 'require_approval']);
      assert.ok(items.every((i) => i.kind === 'EnumMember' && i.range.start.character === character));
    }
    assert.deepEqual(complete(1, 9)[2], {
      label: 'require_approval',
      kind: 'EnumMember',
      detail: 'ask a person first',
      documentation:
        '`require_approval`: the call is held while a person is asked (the editor, or MCP elicitation); only an approval lets it through. A decline, a cancel or no answer within the approval timeout blocks it.',
      insertText: 'require_approval',
      range: { start: { line: 1, character: 9 }, end: { line: 1, character: 9 } },
      sortText: '002',
    });
    assert.deepEqual(labels(policyCompletions('risk:\n  high: ', { line: 1, character: 8 })), ['allow', 'deny', 'require_approval']);
    // right after the colon, a space is inserted first
    assert.equal(policyCompletions('default:', { line: 0, character: 8 })[0]!.insertText, ' allow');
  });

  it('risk classes under risk:, those not yet present', () => {
    assert.deepEqual(labels(complete(4, 2)), ['high', 'medium', 'low']);
    assert.equal(complete(4, 2)[0]!.insertText, 'high: ');
  });

  it('tool names under tools:, with category and risk in the detail and the description in the documentation, minus the entries present', () => {
    const items = complete(16, 9);
    const tools = items.filter((i) => i.kind === 'Function');
    assert.equal(tools.length, 41);
    assert.ok(!labels(tools).includes('execute_method') && !labels(tools).includes('search_records'));
    assert.deepEqual(
      tools.find((i) => i.label === 'cancel_async_task'),
      {
        label: 'cancel_async_task',
        kind: 'Function',
        detail: 'Destructive · critical risk · recommended: require_approval',
        documentation:
          "Cancel a pending or running background task\n\n**Destructive · critical risk** — Kills any client's task for good: its result is thrown away, no undo, despite the read-only label.\n\nParameters: `task_id`",
        insertText: 'cancel_async_task:',
        range: { start: { line: 16, character: 2 }, end: { line: 16, character: 9 } },
        sortText: '00041',
      },
    );
    const edited = applyTextEdits(TEXT, [
      { range: tools.find((i) => i.label === 'cancel_async_task')!.range, newText: 'cancel_async_task:' },
    ]);
    assert.equal(edited.split('\n')[16], '  cancel_async_task:');
  });

  it('reported tools are offered too; names YAML would misread are quoted', () => {
    const items = policyCompletions('tools:\n  ', { line: 1, character: 2 }, [
      { name: 'odoo:search', description: 'Search.' },
      { name: 'true' },
    ]);
    const byLabel = new Map(items.map((i) => [i.label, i]));
    assert.equal(byLabel.get('odoo:search')?.insertText, '"odoo:search":');
    assert.equal(byLabel.get('odoo:search')?.detail, 'Write · medium risk · recommended: allow');
    assert.equal(byLabel.get('true')?.insertText, '"true":');
  });

  it('editing an existing key: the bare name, and the key itself is offered', () => {
    const text = 'tools:\n  serch_records:\n    action: deny\n';
    const items = policyCompletions(text, { line: 1, character: 5 });
    const item = items.find((i) => i.label === 'search_records')!;
    assert.equal(item.insertText, 'search_records');
    assert.equal(rangeOf(item), '1:2-1:15');
    assert.ok(!items.some((i) => i.kind === 'Snippet'));
  });

  it('snippets for a rule with a rate limit and a conditional rule, indented for the file', () => {
    const snippets = complete(17, 2).filter((i) => i.kind === 'Snippet');
    assert.deepEqual(
      snippets.map((s) => [s.label, s.insertText, s.isSnippet, s.insertTextMode]),
      [
        [
          'rule with a rate limit',
          '${1:tool_name}:\n    action: ${2|allow,require_approval,deny|}\n    rate_limit: { max: ${3:10}, window: ${4:60} }',
          true,
          'asIs',
        ],
        [
          'conditional rule',
          '${1:tool_name}:\n    action: ${2|require_approval,deny,allow|}\n    when:\n      - { path: args.${3:param}, op: ${4|eq,neq,in,not_in,lt,lte,gt,gte,regex,contains,exists|}, value: ${5:value} }',
          true,
          'asIs',
        ],
      ],
    );
    // the snippet, with its placeholders filled in, is a valid entry
    const plain = snippets[1]!.insertText.replace(/\$\{\d+\|([^,|]+)[^}]*\}/g, '$1').replace(/\$\{\d+:([^}]*)\}/g, '$1');
    const text = `version: 1\ntools:\n  ${plain}\n`;
    assert.deepEqual(
      policyDiagnostics(text).filter((d) => d.severity === 'error'),
      [],
    );
  });

  it("entry keys not yet present, with snippets; `when` offers the tool's parameters", () => {
    assert.deepEqual(labels(complete(13, 4)), ['reason', 'rate_limit', 'approval_timeout']);
    const items = policyCompletions('tools:\n  get_async_task:\n    ', { line: 2, character: 4 });
    assert.deepEqual(labels(items), ['action', 'reason', 'rate_limit', 'approval_timeout', 'when']);
    assert.equal(items[0]!.insertText, 'action: ${1|allow,deny,require_approval|}');
    assert.equal(
      items[4]!.insertText,
      'when:\n      - { path: args.${1|task_id|}, op: ${2|eq,neq,in,not_in,lt,lte,gt,gte,regex,contains,exists|}, value: ${3:value} }',
    );
    assert.equal(items[4]!.insertTextMode, 'asIs');
  });

  it('rate_limit keys and condition keys, in block and flow style', () => {
    assert.deepEqual(labels(complete(15, 27)), ['max', 'window', 'scope']);
    assert.equal(rangeOf(complete(15, 27)[1]!), '15:26-15:27');
    assert.deepEqual(labels(policyCompletions('tools:\n  a:\n    when:\n      - { pa', { line: 3, character: 11 })), [
      'path',
      'op',
      'value',
    ]);
    assert.deepEqual(labels(policyCompletions('tools:\n  a:\n    when:\n      - path: args.x\n        ', { line: 4, character: 8 })), [
      'op',
      'value',
    ]);
  });

  it('condition ops after op:', () => {
    const items = complete(12, 14);
    assert.deepEqual(labels(items), ['eq', 'neq', 'in', 'not_in', 'lt', 'lte', 'gt', 'gte', 'regex', 'contains', 'exists']);
    assert.equal(rangeOf(items[8]!), '12:12-12:14');
    assert.equal(items[8]!.detail, 'text matching a regular expression');
    assert.deepEqual(labels(complete(10, 29)), labels(items));
  });

  it("condition paths after path: from the input schema of the entry's tool; for a glob, of every matching tool", () => {
    const items = complete(10, 23);
    assert.deepEqual(labels(items), ['args.args', 'args.instance', 'args.kwargs', 'args.method', 'args.model']);
    assert.equal(rangeOf(items[4]!), '10:16-10:23');
    assert.deepEqual(items[4], {
      label: 'args.model',
      kind: 'Field',
      detail: 'string, required',
      documentation: "Technical Odoo model name, for example 'res.partner'.",
      insertText: 'args.model',
      range: { start: { line: 10, character: 16 }, end: { line: 10, character: 23 } },
      sortText: '004',
    });
    assert.deepEqual(labels(complete(11, 14)), labels(items));
    const glob = policyCompletions('tools:\n  "*_async_task":\n    when:\n      - path: ', { line: 3, character: 14 });
    assert.deepEqual(
      glob.map((i) => [i.label, i.detail]),
      [
        ['args.instance', 'string | null · in 1 of 3 matching tools'],
        ['args.operation', 'string, required · in 1 of 3 matching tools'],
        ['args.params', 'object | null · in 1 of 3 matching tools'],
        ['args.task_id', 'string, required · in 2 of 3 matching tools'],
      ],
    );
  });

  it('tool names in hide, block and flow', () => {
    const flow = complete(5, 12);
    assert.equal(flow.length, 43);
    const item = flow.find((i) => i.label === 'read_field_to_file')!;
    assert.equal(item.insertText, 'read_field_to_file');
    assert.equal(rangeOf(item), '5:7-5:13');
    assert.equal(complete(5, 15).length, 43);
    const block = policyCompletions('hide:\n  - re', { line: 1, character: 6 });
    assert.equal(block.find((i) => i.label === 'read_record')?.insertText, 'read_record');
    assert.equal(rangeOf(block[0]!), '1:4-1:6');
  });

  it('nothing in comments, inside quoted text, after an unknown key, or right after a bare dash', () => {
    assert.deepEqual(policyCompletions('# default: ', { line: 0, character: 11 }), []);
    assert.deepEqual(policyCompletions('tools:\n  a:\n    reason: "al', { line: 2, character: 15 }), []);
    assert.deepEqual(policyCompletions('foo: ', { line: 0, character: 5 }), []);
    assert.deepEqual(policyCompletions('hide:\n  -', { line: 1, character: 3 }), []);
  });
});
