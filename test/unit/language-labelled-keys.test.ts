// The policy language with labelled keys under tools (`PATTERN (LABEL)`): every check, fix, hover and
// completion that treats an entry key as a tool name or glob uses PATTERN, and its range where it points
// at the name; messages may name the entry by its whole key.
import { strict as assert } from 'node:assert';
import { analyzePolicy, entryOutline, refAt } from '../../src/guard/language/analyze';
import { applyTextEdits, policyCodeActions, type PolicyCodeAction } from '../../src/guard/language/code-actions';
import { policyCompletions } from '../../src/guard/language/completion';
import { policyDiagnostics } from '../../src/guard/language/diagnostics';
import { policyHover, type PolicyHover } from '../../src/guard/language/hover';
import type { ReportedTool } from '../../src/guard/language/tool-index';
import type { PolicyDiagnostic, Range } from '../../src/guard/policy/diagnostics';

const EVERYWHERE: Range = { start: { line: 0, character: 0 }, end: { line: 10_000, character: 0 } };
const NO_LIST = 'in the catalog (odoo-mcp 1.3.0), and the server has not reported its tools';

function at(r: Range): string {
  return `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
}

function rows(text: string, tools?: readonly ReportedTool[]): [string, string, string][] {
  return policyDiagnostics(text, tools).map((d: PolicyDiagnostic) => [d.code, at(d.range), d.message]);
}

function fix(text: string, title: string, tools?: readonly ReportedTool[]): { action: PolicyCodeAction; text: string } {
  const all = policyCodeActions(text, EVERYWHERE, tools);
  const action = all.find((a) => a.title === title);
  assert.ok(action, `no action "${title}" among ${JSON.stringify(all.map((a) => a.title))}`);
  return { action, text: applyTextEdits(text, action.edits) };
}

function hover(text: string, line: number, character: number, tools?: readonly ReportedTool[]): PolicyHover {
  const h = policyHover(text, { line, character }, tools);
  assert.ok(h, `a hover at ${line}:${character}`);
  return h;
}

const README_EXAMPLE = [
  'version: 1', // 0
  'tools:', // 1
  '  execute_method:', // 2
  '    action: require_approval', // 3
  '  execute_method (no unlink):', // 4
  '    action: deny', // 5
  '    reason: Deleting records through execute_method is not allowed', // 6
  '    when:', // 7
  '      - { path: args.method, op: eq, value: unlink }', // 8
  '',
].join('\n');

describe('language labelled keys: the outline', () => {
  it('a labelled key is a tool ref for its PATTERN (range of that part only) and a label ref for the parentheses', () => {
    const doc = analyzePolicy(README_EXAMPLE);
    const o = entryOutline(doc.entries[1]!);
    assert.equal(o.key, 'execute_method (no unlink)');
    assert.equal(o.pattern, 'execute_method');
    assert.equal(o.label, 'no unlink');
    assert.equal(at(o.keyRange), '4:2-4:28');
    const [tool, label] = o.refs;
    assert.deepEqual(tool, {
      kind: 'tool',
      name: 'execute_method',
      range: { start: { line: 4, character: 2 }, end: { line: 4, character: 16 } },
      where: 'entry',
      key: 'execute_method (no unlink)',
      label: 'no unlink',
    });
    assert.deepEqual(label, {
      kind: 'label',
      name: 'no unlink',
      key: 'execute_method (no unlink)',
      pattern: 'execute_method',
      range: { start: { line: 4, character: 17 }, end: { line: 4, character: 28 } },
    });
    assert.equal(refAt(doc, { line: 4, character: 20 })?.ref.kind, 'label');
    // An unlabelled key is one tool ref over the whole key, as before.
    assert.deepEqual(entryOutline(doc.entries[0]!).refs[0], {
      kind: 'tool',
      name: 'execute_method',
      range: { start: { line: 2, character: 2 }, end: { line: 2, character: 16 } },
      where: 'entry',
    });
  });

  it('a quoted labelled key: the name starts one character later; a key that is no valid tool key is no tool ref', () => {
    const doc = analyzePolicy(
      'version: 1\ntools:\n  "write_* (no files)": { action: deny }\n  \'read_?ecord  (x)\': { action: allow }\n  bad key: { action: deny }\n',
    );
    const refs = doc.entries.map((u) =>
      entryOutline(u)
        .refs.filter((r) => r.kind === 'tool' || r.kind === 'label')
        .map((r) => [r.kind, r.name, at(r.range)]),
    );
    assert.deepEqual(refs, [
      [
        ['tool', 'write_*', '2:3-2:10'],
        ['label', 'no files', '2:11-2:21'],
      ],
      [
        ['tool', 'read_?ecord', '3:3-3:14'],
        ['label', 'x', '3:16-3:19'],
      ],
      [],
    ]);
  });
});

describe('language labelled keys: diagnostics', () => {
  it('the README example has no diagnostic at all', () => {
    assert.deepEqual(rows(README_EXAMPLE), []);
  });

  it('an unknown tool inside a labelled key is flagged on the name only, plain or quoted, with "did you mean"', () => {
    const text =
      'version: 1\ntools:\n  execute_methd (no unlink):\n    action: deny\n  "serch_records (slow)":\n    rate_limit: { max: 1, window: 60 }\n  "nothing_* (x)":\n    action: deny\n';
    assert.deepEqual(rows(text), [
      ['unknown-tool', '2:2-2:15', `Unknown tool "execute_methd": not ${NO_LIST}; did you mean "execute_method"?`],
      ['unknown-tool', '4:3-4:16', `Unknown tool "serch_records": not ${NO_LIST}; did you mean "search_records"?`],
      ['unmatched-glob', '6:3-6:12', `The glob "nothing_*" matches no tool ${NO_LIST}`],
    ]);
    assert.equal(policyDiagnostics(text)[0]!.suggestion, 'execute_method');
  });

  it("condition paths are checked against the PATTERN's tool", () => {
    const text =
      'version: 1\ntools:\n  execute_method (no unlink):\n    action: deny\n    when:\n      - { path: args.metod, op: eq, value: unlink }\n      - { path: args.method, op: eq, value: unlink }\n';
    assert.deepEqual(rows(text), [
      ['unknown-parameter', '5:16-5:26', 'args.metod: execute_method has no parameter "metod"; did you mean "args.method"?'],
    ]);
  });

  it("a key with whitespace and no label is the parser's bad-key error only, not also an unknown tool", () => {
    assert.deepEqual(rows('version: 1\ntools:\n  execute method:\n    action: deny\n'), [
      [
        'bad-key',
        '2:2-2:16',
        'Invalid key "execute method": a key under tools is a tool name or glob, optionally followed by a label in parentheses, e.g. "execute_method (no unlink)"',
      ],
    ]);
  });

  it('allow on a critical tool through a labelled key names the tool; a stricter unconditional sibling for the same tool silences it', () => {
    // Kept to a read-like method, execute_method is Read / low: no warning (issue 14).
    const reads =
      'version: 1\ntools:\n  execute_method (reads):\n    action: allow\n    when:\n      - { path: args.method, op: eq, value: read }\n';
    assert.deepEqual(
      rows(reads).filter((r) => r[0] === 'allow-critical'),
      [],
    );
    const text =
      'version: 1\ntools:\n  execute_method (partners):\n    action: allow\n    when:\n      - { path: args.model, op: eq, value: res.partner }\n';
    const warned = rows(text).filter((r) => r[0] === 'allow-critical');
    assert.equal(warned.length, 1);
    assert.equal(warned[0]![1], '3:12-3:17');
    assert.match(warned[0]![2], /^allow lets execute_method through when its conditions hold, a critical-risk tool \(Execute\)/);
    const silenced = `${text}  execute_method:\n    action: deny\n`;
    assert.deepEqual(
      rows(silenced).filter((r) => r[0] === 'allow-critical'),
      [],
    );
  });

  it("the tools the server reported: a labelled key names its PATTERN's tools", () => {
    const reported: ReportedTool[] = [{ name: 'custom_tool', inputSchema: { type: 'object' } }];
    assert.deepEqual(
      rows('version: 1\ntools:\n  custom_tool (x):\n    action: deny\n', reported).filter((r) => r[0] === 'unlisted-tools'),
      [],
    );
    assert.deepEqual(
      rows('version: 1\ntools:\n  "custom_* (x)":\n    action: deny\n', reported).filter((r) => r[0] === 'unlisted-tools'),
      [],
    );
    assert.equal(
      rows('version: 1\ntools:\n  other (custom_tool):\n    action: deny\n', reported).filter((r) => r[0] === 'unlisted-tools').length,
      1,
    );
  });
});

describe('language labelled keys: dead entries', () => {
  it('an unconditional stricter glob makes a labelled entry with the same glob dead, named by its whole key', () => {
    const text =
      'version: 1\ntools:\n  "write_*":\n    action: deny\n  "write_* (audit)":\n    action: allow\n  "write_* (count)":\n    action: require_approval\n    rate_limit: { max: 2, window: 60 }\n';
    assert.deepEqual(rows(text), [
      [
        'dead-entry',
        '4:2-4:19',
        'The entry for write_* (audit) never changes a decision: "write_*" (deny, no conditions) also matches every tool this entry matches, and deny is stricter than allow',
      ],
      [
        'dead-action',
        '7:12-7:28',
        'action require_approval of write_* (count) never changes a decision: "write_*" (deny, no conditions) also matches every tool this entry matches, and deny is stricter than require_approval; only its rate_limit has an effect',
      ],
    ]);
  });

  it('an unconditional exact entry makes a less strict entry for the same tool dead, whichever has the label', () => {
    const text =
      'version: 1\ntools:\n  search_records (never):\n    action: deny\n  search_records:\n    action: allow\n  search_records (ask):\n    action: require_approval\n    when:\n      - { path: args.model, op: eq, value: res.users }\n';
    assert.deepEqual(rows(text), [
      [
        'dead-entry',
        '4:2-4:16',
        'The entry for search_records never changes a decision: "search_records (never)" (deny, no conditions) also matches search_records, and deny is stricter than allow',
      ],
      [
        'dead-entry',
        '6:2-6:22',
        'The entry for search_records (ask) never changes a decision: "search_records (never)" (deny, no conditions) also matches search_records, and deny is stricter than require_approval',
      ],
    ]);
    // Entries that are stricter, or only conditional, stay alive; two entries never make each other dead.
    assert.deepEqual(
      rows(
        'version: 1\ntools:\n  search_records (ask):\n    action: require_approval\n  search_records:\n    action: deny\n    when:\n      - { path: args.model, op: eq, value: res.users }\n',
      ),
      [],
    );
    assert.deepEqual(rows('version: 1\ntools:\n  search_records (a):\n    action: deny\n  search_records (b):\n    action: deny\n'), []);
  });

  it('a labelled glob that hide removes never applies, and the quick fix removes the whole entry', () => {
    const text = 'version: 1\nhide: ["write_*"]\ntools:\n  "write_field_* (x)":\n    action: allow\n  search_records:\n    action: allow\n';
    assert.deepEqual(rows(text), [
      [
        'dead-entry',
        '3:2-3:21',
        'The entry for write_field_* (x) never applies: hide removes every tool it matches (hide item "write_*"), so its calls are blocked first',
      ],
    ]);
    assert.equal(
      fix(text, 'Remove the entry for write_field_* (x)').text,
      'version: 1\nhide: ["write_*"]\ntools:\n  search_records:\n    action: allow\n',
    );
  });
});

describe('language labelled keys: quick fixes', () => {
  it('"did you mean" on a labelled key replaces only the name and keeps the label', () => {
    const text = 'version: 1\ntools:\n  execute_methd (no unlink):\n    action: deny\n';
    const { action, text: fixed } = fix(text, 'Change to "execute_method"');
    assert.deepEqual(action.edits, [
      { range: { start: { line: 2, character: 2 }, end: { line: 2, character: 15 } }, newText: 'execute_method' },
    ]);
    assert.equal(fixed, 'version: 1\ntools:\n  execute_method (no unlink):\n    action: deny\n');
    assert.deepEqual(rows(fixed), []);
  });

  it('inside quotes too (double and single), and several spaces before the label stay', () => {
    const text = 'version: 1\ntools:\n  "serch_records   (slow)": { action: deny }\n  \'execute_methd (x)\': { action: deny }\n';
    assert.equal(
      fix(text, 'Change to "search_records"').text,
      'version: 1\ntools:\n  "search_records   (slow)": { action: deny }\n  \'execute_methd (x)\': { action: deny }\n',
    );
    assert.equal(
      fix(text, 'Change to "execute_method"').text,
      'version: 1\ntools:\n  "serch_records   (slow)": { action: deny }\n  \'execute_method (x)\': { action: deny }\n',
    );
  });

  it('a name that a plain key cannot hold rewrites the key whole, quoted, label kept', () => {
    const reported: ReportedTool[] = [{ name: '@odd_tool', inputSchema: { type: 'object' } }];
    const text = 'version: 1\ntools:\n  odd_tool (x):\n    action: deny\n';
    const fixed = fix(text, 'Change to "@odd_tool"', reported).text;
    assert.equal(fixed, 'version: 1\ntools:\n  "@odd_tool (x)":\n    action: deny\n');
    assert.deepEqual(rows(fixed, reported), []);
  });

  it("no fix that would repeat another entry's whole key; a different label is fine", () => {
    const clash = 'version: 1\ntools:\n  execute_methd (x):\n    action: deny\n  execute_method (x):\n    action: deny\n';
    assert.deepEqual(
      policyCodeActions(clash, EVERYWHERE).map((a) => a.title),
      [],
    );
    const other =
      'version: 1\ntools:\n  execute_methd (x):\n    action: deny\n  execute_method (y):\n    action: deny\n  execute_method:\n    action: require_approval\n';
    assert.equal(fix(other, 'Change to "execute_method"').text, other.replace('execute_methd (x)', 'execute_method (x)'));
  });
});

describe('language labelled keys: tool names with whitespace, which a key cannot hold', () => {
  const reported: ReportedTool[] = [{ name: 'my tool', inputSchema: { type: 'object' } }];

  it('the quick fix for unlisted tools writes a glob with ? for the whitespace, which is a valid key matching the tool', () => {
    const text = 'version: 1\ntools:\n  search_records:\n    action: allow\n';
    const fixed = fix(text, 'Add an entry for my tool (Write, medium risk: allow)', reported).text;
    assert.equal(
      fixed,
      'version: 1\ntools:\n  search_records:\n    action: allow\n  "my?tool":  # Write · medium risk\n    action: allow\n',
    );
    assert.deepEqual(rows(fixed, reported), []);
  });

  it('completion and "did you mean" under tools give the same glob; in hide the name stays as it is', () => {
    const item = policyCompletions('version: 1\ntools:\n  my\n', { line: 2, character: 4 }, reported).find((c) => c.label === 'my tool');
    assert.equal(item?.insertText, '"my?tool":');
    const hideItem = policyCompletions('version: 1\nhide: [my]\n', { line: 1, character: 9 }, reported).find((c) => c.label === 'my tool');
    assert.equal(hideItem?.insertText, '"my tool"');
    const text = 'version: 1\ntools:\n  my_tol:\n    action: deny\n  my_tol (x):\n    action: deny\n';
    assert.deepEqual(
      policyCodeActions(text, EVERYWHERE, reported)
        .filter((a) => a.diagnostic.code === 'unknown-tool')
        .map((a) => [a.title, applyTextEdits(text, a.edits)]),
      [
        ['Change to "my tool"', text.replace('  my_tol:', '  "my?tool":')],
        ['Change to "my tool"', text.replace('  my_tol (x):', '  "my?tool (x)":')],
      ],
    );
  });
});

describe('language labelled keys: hover and completion', () => {
  it("hovering the name of a labelled key: the tool's documentation for PATTERN over that range, with a line about the label", () => {
    const h = hover(README_EXAMPLE, 4, 5);
    assert.equal(at(h.range), '4:2-4:16');
    assert.ok(h.contents.startsWith('**`execute_method`** · Execute · critical risk'), h.contents);
    assert.match(h.contents, /\*\*This policy:\*\* `require_approval` by `tools\.execute_method` \(with no arguments\)/);
    assert.match(h.contents, /- `tools\.execute_method \(no unlink\)` \(deny\) when `args\.method eq "unlink"`/);
    assert.ok(
      h.contents.endsWith(
        '**Label** `no unlink`: this entry is `tools.execute_method (no unlink)` in rules and the audit log. It is judged on its own, like any other entry for the tool.',
      ),
      h.contents,
    );
    // The unlabelled key's hover has no label line.
    assert.ok(!hover(README_EXAMPLE, 2, 5).contents.includes('**Label**'));
  });

  it('hovering the label explains the syntax; hovering tools: mentions labels', () => {
    const h = hover(README_EXAMPLE, 4, 20);
    assert.equal(at(h.range), '4:17-4:28');
    assert.match(h.contents, /^\*\*Label\*\* `no unlink`: this entry is `tools\.execute_method \(no unlink\)`/);
    assert.match(h.contents, /optionally followed by one or more spaces and a label in parentheses \(`PATTERN \(LABEL\)`\)/);
    assert.match(
      hover(README_EXAMPLE, 1, 2).contents,
      /follow its name or glob with a label in parentheses: `execute_method \(no unlink\)` is an entry for `execute_method`/,
    );
  });

  it("hovering a glob with a label lists the glob's tools; an unknown name with a label is an unknown tool", () => {
    const text = 'version: 1\ntools:\n  "write_* (x)": { action: deny }\n  nope_tool (y): { action: deny }\n';
    assert.match(hover(text, 2, 5).contents, /^\*\*Glob `write_\*`\*\*[^\n]*\n\nMatches 1 known tool:\n- `write_field_from_file`/);
    assert.match(hover(text, 3, 4).contents, /^\*\*`nope_tool`\*\* · unknown tool/);
  });

  it("a condition path in a labelled entry: hover and completion know the PATTERN's parameters", () => {
    const h = hover(README_EXAMPLE, 8, 20);
    assert.match(h.contents, /\*\*`execute_method`\*\* — `method`: `string`/);
    const text = 'version: 1\ntools:\n  execute_method (no unlink):\n    action: deny\n    when:\n      - path: \n';
    assert.deepEqual(
      policyCompletions(text, { line: 5, character: 14 }).map((c) => c.label),
      ['args.args', 'args.instance', 'args.kwargs', 'args.method', 'args.model'],
    );
    // The when snippet under a labelled key offers its tool's parameters too.
    const keys = policyCompletions('version: 1\ntools:\n  execute_method (no unlink):\n    action: deny\n    \n', {
      line: 4,
      character: 4,
    });
    assert.match(keys.find((c) => c.label === 'when')!.insertText, /args\.\$\{1\|args,instance,kwargs,method,model\|\}/);
  });

  it('completing a key under tools leaves out tools that have an entry, labelled or not', () => {
    const text = 'version: 1\ntools:\n  execute_method (no unlink):\n    action: deny\n  "search_* (x)":\n    action: allow\n  \n';
    const labels = policyCompletions(text, { line: 6, character: 2 }).map((c) => c.label);
    assert.ok(!labels.includes('execute_method'), 'execute_method has an entry');
    assert.ok(labels.includes('search_records'), 'a glob key does not count as naming a tool');
    assert.ok(labels.includes('cancel_async_task'));
  });
});
