// src/guard/language/hover.ts: hovers at chosen positions, with their Markdown and range.
import { strict as assert } from 'node:assert';
import { analyzePolicy } from '../../src/guard/language/analyze';
import { policyHover, type PolicyHover } from '../../src/guard/language/hover';
import type { ReportedTool } from '../../src/guard/language/tool-index';

const TEXT = [
  'version: 1', // 0
  'default: allow', // 1
  'risk:', // 2
  '  high: require_approval', // 3
  'hide: [read_field_to_file, "zz_*"]', // 4
  'approval_timeout: 90', // 5
  'tools:', // 6
  '  "cancel_*":', // 7
  '    action: deny', // 8
  '    reason: No cancelling', // 9
  '  execute_method:', // 10
  '    action: allow', // 11
  '    when:', // 12
  '      - { path: args.model, op: in, value: [res.partner] }', // 13
  '  search_records:', // 14
  '    action: require_approval', // 15
  '    reason: Ask first', // 16
  '    approval_timeout: 30', // 17
  '    rate_limit: { max: 10, window: 60 }', // 18
  '  mystery_tool:', // 19
  '    action: deny', // 20
  '',
].join('\n');

function hover(line: number, character: number, tools?: readonly ReportedTool[], text = TEXT): PolicyHover | undefined {
  return policyHover(text, { line, character }, tools);
}

function range(h: PolicyHover | undefined): string {
  assert.ok(h, 'a hover');
  return `${h.range.start.line}:${h.range.start.character}-${h.range.end.line}:${h.range.end.character}`;
}

describe('language hover: tool keys', () => {
  it('an exact catalog tool: description, category and risk with why, parameters, and the decision with reason, approval timeout and rate limit', () => {
    const h = hover(14, 5);
    assert.equal(range(h), '14:2-14:16');
    assert.equal(
      h!.contents,
      [
        '**`search_records`** · Read · low risk',
        '',
        'Search Odoo records with read-only search_read; optional free-text `query` matches across name/ref/email-like fields',
        '',
        "**Why low** (catalog): search_read of records within the caller's Odoo rights and a row limit; no record changes.",
        '',
        '| parameter | type | required |',
        '|---|---|---|',
        '| `domain` | any \\| null | no |',
        '| `fields` | string[] \\| null | no |',
        '| `instance` | string \\| null | no |',
        '| `limit` | integer | no |',
        '| `model` | string | yes |',
        '| `offset` | integer | no |',
        '| `order` | string \\| null | no |',
        '| `query` | string \\| null | no |',
        '',
        '**This policy:** `require_approval` by `tools.search_records`  ',
        'Reason: Ask first',
        '',
        'Approval timeout: 30 s.',
        '',
        'Rate limit: at most 10 calls in any 60 s (`tools.search_records`).',
      ].join('\n'),
    );
  });

  it('a tool whose decision depends on conditions: the decision with no arguments, and the conditional entries', () => {
    const h = hover(10, 5);
    assert.equal(range(h), '10:2-10:16');
    const tail = h!.contents.slice(h!.contents.indexOf('**This policy:**'));
    assert.equal(
      tail,
      [
        '**This policy:** `deny` by `risk.critical (built-in)` (with no arguments)',
        '',
        "**Depends on conditions:** these entries apply only when their conditions hold for a call's arguments:",
        '- `tools.execute_method` (allow) when `args.model in ["res.partner"]`',
      ].join('\n'),
    );
    assert.ok(
      h!.contents.startsWith(
        '**`execute_method`** · Execute · critical risk\n\nExecute a custom method on an Odoo model\n\n**Why critical** (catalog): Calls an arbitrary model method',
      ),
    );
    assert.ok(h!.contents.includes('| `model` | string | yes |'));
  });

  it('a tool classed by an argument: its classes by value, each with what this policy does (conditions can split a class)', () => {
    const h = hover(10, 5);
    const start = h!.contents.indexOf('**Classed by `method`**');
    assert.ok(start > 0);
    const block = h!.contents.slice(start, h!.contents.indexOf('\n\n', start));
    assert.equal(
      block,
      [
        "**Classed by `method`** (exact values; any other keeps the class above), and this policy's decision with only `method` set:",
        '- Read · low risk (`search`, `search_read`, `read`, `read_group`, `search_count`, `name_search`, `fields_get`): `allow` by `default`',
        '- Write · high risk (`create`, `write`, `copy`): `require_approval` by `risk.high`',
        '- Destructive · critical risk (`unlink`): `deny` by `risk.critical (built-in)`',
        '- Execute · critical risk (`action_*`, `button_*`, any other value): `deny` by `risk.critical (built-in)`',
      ].join('\n'),
    );
    const split = [
      'version: 1',
      'tools:',
      '  execute_method:',
      '    action: deny',
      '    when:',
      '      - { path: args.method, op: in, value: [read, copy] }',
      '',
    ].join('\n');
    const lines = hover(2, 5, undefined, split)!
      .contents.split('\n')
      .filter((l) => l.startsWith('- '));
    assert.deepEqual(lines.slice(0, 4), [
      '- Read · low risk (`search`, `search_read`, `read_group`, `search_count`, `name_search`, `fields_get`): `allow` by `default`',
      '- Read · low risk (`read`): `deny` by `tools.execute_method`',
      '- Write · high risk (`create`, `write`): `require_approval` by `risk.high (built-in)`',
      '- Write · high risk (`copy`): `deny` by `tools.execute_method`',
    ]);
    // Tools whose class does not depend on an argument have no such block.
    assert.ok(!hover(14, 5)!.contents.includes('**Classed by'));
  });

  it('a glob key lists the tools it matches', () => {
    const h = hover(7, 5);
    assert.equal(range(h), '7:2-7:12');
    assert.equal(
      h!.contents,
      '**Glob `cancel_*`** (`*` any run of characters, `?` one character)\n\nMatches 1 known tool:\n- `cancel_async_task` · Destructive · critical risk',
    );
  });

  it('an unknown tool: where it was looked for, how it would be classified, the decision', () => {
    const h = hover(19, 5);
    assert.equal(range(h), '19:2-19:14');
    assert.equal(
      h!.contents,
      '**`mystery_tool`** · unknown tool\n\nNot in the catalog (odoo-mcp 1.3.0); the server has not reported its tools.\n\nIf a server offers it without annotations, it is classified Write / medium risk.\n\n**This policy:** `deny` by `tools.mystery_tool`',
    );
  });

  it('a reported tool: classified from its annotations, with its live description and schema', () => {
    const h = hover(19, 5, [
      {
        name: 'mystery_tool',
        description: 'Does mysteries.',
        annotations: { destructiveHint: true },
        inputSchema: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
      },
    ]);
    assert.equal(
      h!.contents,
      [
        '**`mystery_tool`** · Destructive · high risk',
        '',
        'Does mysteries.',
        '',
        "**Why high** (the server's annotations): The server marks it destructive (destructiveHint).",
        '',
        '| parameter | type | required |',
        '|---|---|---|',
        '| `id` | integer | yes |',
        '',
        '**This policy:** `deny` by `tools.mystery_tool`',
      ].join('\n'),
    );
  });

  it('items of hide: a hidden tool says so; a glob matching nothing says so', () => {
    const h = hover(4, 10);
    assert.equal(range(h), '4:7-4:25');
    assert.ok(h!.contents.startsWith('**`read_field_to_file`** · Write · high risk'));
    assert.ok(
      h!.contents.endsWith(
        "**This policy:** hidden by `hide: read_field_to_file`: removed from the agent's tools/list, and a call is blocked (rule `hide`).",
      ),
    );
    const g = hover(4, 30);
    assert.equal(range(g), '4:27-4:33');
    assert.equal(g!.contents, '**Glob `zz_*`** (`*` any run of characters, `?` one character) in hide\n\nMatches no known tool.');
  });

  it('while the file has errors, the decision comes from the parts that validate, and says so', () => {
    const broken = TEXT.replace('    action: deny\n    reason: No cancelling', '    action: dny\n    reason: No cancelling');
    const h = hover(14, 5, undefined, broken);
    assert.ok(
      h!.contents.includes(
        '**This policy:** `require_approval` by `tools.search_records` *(from the parts of the file that validate; while it has errors, the guard blocks every call)*',
      ),
    );
  });
});

describe('language hover: keys, values and condition paths', () => {
  it("a condition path shows the parameter from the tool's schema", () => {
    const h = hover(13, 20);
    assert.equal(range(h), '13:16-13:26');
    assert.equal(
      h!.contents,
      "**`args.model`** — `args.` followed by a dot path into the call's arguments, e.g. `args.model`, `args.values.state`, `args.record_ids.0`.\n\n**`execute_method`** — `model`: `string`, required  \nTechnical Odoo model name, for example 'res.partner'.",
    );
  });

  it('a path deeper than the parameter, a path that is not a parameter, an enum and a default', () => {
    const tools: ReportedTool[] = [
      {
        name: 'mystery_tool',
        inputSchema: {
          type: 'object',
          properties: { state: { type: 'string', enum: ['draft', 'done'], default: 'draft', description: 'The state.' } },
        },
      },
    ];
    const text =
      'version: 1\ntools:\n  mystery_tool:\n    action: deny\n    when:\n      - { path: args.state.x, op: exists }\n      - { path: args.other, op: exists }\n';
    const a = policyHover(text, { line: 5, character: 20 }, tools);
    assert.ok(
      a!.contents.endsWith(
        '**`mystery_tool`** — `state`: `string`, optional  \nThe state.  \nOne of: `"draft"`, `"done"`  \nDefault: `"draft"`  \nThe path goes on inside it: `x`.',
      ),
      a!.contents,
    );
    const b = policyHover(text, { line: 6, character: 20 }, tools);
    assert.ok(b!.contents.endsWith('Not a parameter of `mystery_tool`.'), b!.contents);
  });

  it('an op, an action (entry, default, risk class), a risk class key', () => {
    assert.equal(hover(13, 33)!.contents, '**`in`** — is one of the list\n\n`in`: the value at `path` is one of the list `value`.');
    assert.equal(range(hover(13, 33)), '13:32-13:34');
    assert.equal(
      hover(11, 14)!.contents,
      '**`allow`** — let the call through\n\n`allow`: the call goes to the server (rate limits still count it). The least strict action.',
    );
    assert.equal(hover(1, 10)!.contents, hover(11, 14)!.contents);
    assert.ok(hover(3, 10)!.contents.startsWith('**`require_approval`** — ask a person first'));
    const h = hover(3, 3);
    assert.equal(range(h), '3:2-3:6');
    assert.equal(
      h!.contents,
      '**`high`** risk class: irreversible, bounded target — built in: require_approval\n\n`high` risk: one call has an effect that cannot be taken back, but its target is bounded (one field, one message, one new host file). Built in: `require_approval`.\n\nKnown tools of this class: `read_field_to_file`, `chatter_post`, `write_field_from_file`',
    );
  });

  it('keys at every level: top level, entry, rate_limit, condition', () => {
    assert.equal(
      hover(5, 3)!.contents,
      '**`approval_timeout`** at the top level: seconds (> 0), default 120\n\nSeconds to wait for a person to answer an approval before the call is denied; the default for every `require_approval`.',
    );
    assert.equal(range(hover(5, 3)), '5:0-5:16');
    assert.ok(hover(12, 5)!.contents.startsWith('**`when`** in an entry: list of { path, op, value }'));
    assert.ok(hover(17, 6)!.contents.startsWith('**`approval_timeout`** in an entry: seconds (> 0)'));
    assert.equal(
      hover(18, 19)!.contents,
      '**`max`** in rate_limit: calls (a whole number ≥ 1)\n\nHow many calls may go ahead within any `window` seconds.',
    );
    assert.ok(hover(18, 28)!.contents.startsWith('**`window`** in rate_limit: seconds (> 0)'));
    assert.ok(hover(13, 10)!.contents.startsWith('**`path`** in a condition:'));
    assert.ok(hover(13, 30)!.contents.startsWith('**`op`** in a condition:'));
    assert.ok(hover(0, 2)!.contents.startsWith('**`version`** at the top level: policy format version: 1'));
    assert.ok(hover(6, 2)!.contents.startsWith('**`tools`** at the top level:'));
    assert.ok(hover(4, 2)!.contents.startsWith('**`hide`** at the top level:'));
  });

  it('nothing on blank space, past the end, or on an unknown key', () => {
    assert.equal(hover(21, 0), undefined);
    assert.equal(hover(18, 22), undefined);
    assert.equal(policyHover('version: 1\nfoo: bar\n', { line: 1, character: 1 }), undefined);
  });

  it("works from a document as from its text, and on a file with a YAML error (YAML's best effort)", () => {
    assert.deepEqual(policyHover(analyzePolicy(TEXT), { line: 14, character: 5 }), hover(14, 5));
    const broken = `${TEXT}oops: "unclosed\n`;
    assert.ok(policyHover(broken, { line: 13, character: 33 })?.contents.startsWith('**`in`**'));
  });
});
