// src/guard/policy/parse.ts: the fast path (one top-level key and one entry at a time, simple entries
// without the YAML library, reuse of unchanged entries) must give exactly what reading the whole file gives.
import { strict as assert } from 'node:assert';
import { relativeEntryOutline } from '../../src/guard/language/analyze';
import { LineIndex, parsePolicy, parsePolicyDetailed, type DetailedParseResult } from '../../src/guard/policy/parse';

/** Everything observable of a parse, as JSON: diagnostics, the policy, and the entries with their places and outlines. */
function observable(r: DetailedParseResult): string {
  const policy = r.policy && {
    ...r.policy,
    hide: r.policy.hide.map((h) => h.source),
    entries: r.policy.entries.map((e) => ({ ...e, pattern: e.pattern.source, when: e.when.map((c) => ({ ...c, test: 0 })) })),
  };
  const units = r.yamlOk
    ? r.entries.map((u) => ({
        line: u.line,
        endLine: u.endLine,
        index: u.index,
        lastLine: u.record.lastLine,
        key: u.record.key,
        pattern: u.record.pattern,
        label: u.record.label,
        outline: relativeEntryOutline(u.record),
      }))
    : null;
  const top = r.top.map((t) => ({ key: t.key, line: t.line, endLine: t.endLine }));
  return JSON.stringify({ d: r.diagnostics, policy, units, top: r.yamlOk ? top : null, indent: r.entryIndent ?? null });
}

function assertSame(text: string, previous?: DetailedParseResult): DetailedParseResult {
  const fast = parsePolicyDetailed(text, {}, previous);
  const whole = parsePolicyDetailed(text, { strategy: 'whole' });
  assert.equal(observable(fast), observable(whole), `for ${JSON.stringify(text)}`);
  return fast;
}

const SPEC = `# head comment
version: 1
default: allow                  # c
risk:                           # c
  critical: deny
  high: require_approval
hide: [read_field_to_file]      # names
approval_timeout: 120
tools:
  # group
  cancel_async_task:
    action: require_approval
    reason: Cancelling a background task is irreversible
    approval_timeout: 60        # seconds
  search_records:
    rate_limit: { max: 10, window: 60 }   # at most
  "write_field_*":             # globs
    action: deny
    reason: No file transfers between the Odoo host and agents
  execute_method:
    action: require_approval
    when:                       # all must hold
      - { path: args.model, op: in, value: [res.partner, sale.order] }
      - path: args.method
        op: regex
        value: "^action_"
  execute_method (no unlink):  # labelled: a second entry for the tool
    action: deny
    when:
      - { path: args.method, op: eq, value: unlink }
  "write_field_* (audit)":
    rate_limit: { max: 5, window: 60 }
  search_records   (two, spaces):
    action: allow
  x:
  - a
  'y': { action: deny }
  'y (z)': { action: deny }
  bad key:
    action: deny
  z:
    reason: |
      multi
      line
hide2:
- a
`;

/** A small deterministic generator (the same cases on every run). */
function prng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

describe('policy parse: LineIndex', () => {
  it('positions, offsets and lines, with CRLF and without a final newline', () => {
    const li = new LineIndex('ab\r\ncd\n\nef');
    assert.deepEqual(li.starts, [0, 4, 7, 8]);
    assert.equal(li.lineCount, 4);
    assert.deepEqual(li.position(0), { line: 0, character: 0 });
    assert.deepEqual(li.position(5), { line: 1, character: 1 });
    assert.deepEqual(li.position(10), { line: 3, character: 2 });
    assert.equal(li.offsetAt({ line: 1, character: 1 }), 5);
    assert.equal(li.offsetAt({ line: 1, character: 99 }), 6);
    assert.equal(li.offsetAt({ line: 9, character: 0 }), 10);
    assert.equal(li.line(0), 'ab');
    assert.equal(li.line(1), 'cd');
    assert.equal(li.line(2), '');
    assert.equal(li.line(3), 'ef');
    assert.equal(li.line(4), '');
  });
});

describe('policy parse: reading one piece at a time gives the same result as reading the whole file', () => {
  it('parsePolicy still returns exactly { policy, diagnostics } or { diagnostics }', () => {
    assert.deepEqual(Object.keys(parsePolicy('version: 1\n')), ['policy', 'diagnostics']);
    assert.deepEqual(Object.keys(parsePolicy('version: 2\n')), ['diagnostics']);
  });

  it('the specification-like example, with comments, quotes, flow values, compact lists and a block scalar', () => {
    const r = assertSame(SPEC);
    assert.equal(r.strategy, 'segments');
    assert.equal(r.entryIndent, 2);
  });

  it('tools in flow style: read as one piece, entries found in it', () => {
    const r = assertSame('version: 1\ntools: { a: { action: deny }, b: { action: allow } }\n');
    assert.equal(r.strategy, 'segments');
    assert.deepEqual(
      r.entries.map((u) => [u.record.key, u.line]),
      [
        ['a', 1],
        ['b', 1],
      ],
    );
    assert.equal(r.entryIndent, undefined);
  });

  it('layouts it leaves to the whole reading: document markers, directives, BOM, tabs, indented start, explicit keys, duplicates', () => {
    for (const text of [
      '---\nversion: 1\n',
      'version: 1\n...\n',
      '%YAML 1.2\n---\nversion: 1\n',
      '\uFEFFversion: 1\n',
      'version: 1\ntools:\n\ta:\n\t\taction: deny\n',
      '  version: 1\n',
      '? version\n: 1\n',
      'version: 1\nversion: 1\n',
      'version: 1\ntools:\n  a: { action: deny }\n  a: { action: deny }\n',
      'version: 1\ntools:\n  a: { action: deny }\n  "a": { action: deny }\n',
      'version: 1\ndefault: &d deny\ntools:\n  a:\n    action: *d\n',
      '- version: 1\n',
      '',
      '# only a comment\n',
    ]) {
      const r = assertSame(text);
      assert.equal(r.strategy, 'whole', JSON.stringify(text));
    }
    // A tools value that is not a block of keys is read as one piece.
    for (const text of ['version: 1\ntools:\n  - a\n', 'version: 1\ntools:\n  ? a\n  : { action: deny }\n']) assertSame(text);
  });

  it("a comment indented deeper than the keys after an entry's last value belongs to that value, as in the whole reading", () => {
    for (const comment of ['     # c', '\n     # c', '     # c\n    # d', '    # c\n     # d', '   # c']) {
      for (const value of ['60', '"q"', '{ max: 1, window: 2 }']) {
        assertSame(`version: 1\ntools:\n  a:\n    action: deny\n    x: ${value}\n${comment}\n  b:\n    action: deny\n`);
      }
    }
  });

  it('labelled keys: plain, quoted, with several spaces and symbols, bad ones too', () => {
    const r = assertSame(
      'version: 1\ntools:\n  a (x):\n    action: deny\n  "b* (q r)":\n    action: allow\n  c  (d, e/f=1):  # c\n    reason: r\n  a b:\n    action: deny\n  \'g (h)\': { action: deny }\n  i ():\n    action: deny\n',
    );
    assert.equal(r.strategy, 'segments');
    assert.deepEqual(
      r.entries.map((u) => [u.record.key, u.record.pattern, u.record.label]),
      [
        ['a (x)', 'a', 'x'],
        ['b* (q r)', 'b*', 'q r'],
        ['c  (d, e/f=1)', 'c', 'd, e/f=1'],
        ['a b', undefined, undefined],
        ['g (h)', 'g', 'h'],
        ['i ()', undefined, undefined],
      ],
    );
  });

  it('an empty list item before the next entry ends where the whole reading ends it', () => {
    assertSame('version: 1\ntools:\n  x:\n  -       # c\n  y: { action: deny }\n');
  });

  it('CRLF line ends, trailing spaces, no final newline, blank lines and comments between entries', () => {
    assertSame('version: 1\r\ntools:\r\n  a:\r\n    action: deny\r\n\r\n  # c\r\n  b:   \r\n    action: alow');
    assertSame('version: 1\ntools:\n  a:\n    action: deny   \n\n\n# col 0 comment\n  b:\n    action: allow\n    # trailing\n');
  });

  it('simple entries read without the YAML library: quotes, numbers, plain text, comments, and the words YAML reads otherwise', () => {
    for (const value of [
      'allow',
      'alow',
      '"allow"',
      "'deny'",
      '60',
      '012',
      '1.5',
      'null',
      '~',
      'true',
      'yes',
      'Some plain text',
      '"a # b"',
      "'it''s'",
      '"x\\"y"',
      'a: b',
      '[a]',
      '{}',
      '',
      'ünïcode',
      '.inf',
      'x\u0085y',
      '{ max: 10, window: 60 }',
      '{max: 10,window: 60}',
      '{ max: 10, window: 60, }',
      '{ max: 10 , window : 60 }',
      '{ max: a b, window: "x" }',
      '{ max: 10, max: 2 }',
      '{ max:10 }',
      '{ max: 0, window: -1 }',
      '{ }',
      '{ maxx: 1, window: 2 }',
    ]) {
      for (const key of ['action', 'reason', 'approval_timeout', 'rate_limit', 'actoin', 'true']) {
        assertSame(`version: 1\ntools:\n  a:\n    ${key}: ${value}\n  "b*":  # c\n    action: deny  # c\n    reason: ${value}\n`);
      }
    }
  });

  it('600 random edits of typical files (insertions, deletions, moved text): same diagnostics, policy, places and outlines', () => {
    const rnd = prng(20261126);
    const bases = [
      SPEC,
      'version: 1\ntools:\n  a: {action: deny}\n  b:\n    action: allow\n\n\n  # trailing\n# col0\n  c:\n    when:\n    - path: args.x\n      op: exists\n',
      'version: 1\ndefault: allow\ntools:\n  tool_0001:\n    action: allow\n    reason: "Entry 1 says allow."\n  tool_0002:\n    action: deny\n    reason: Plain words\n    approval_timeout: 30\n  "grp_*":\n    action: require_approval\n    rate_limit: { max: 5, window: 60 }\n',
    ];
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
      'x',
      '1',
      '\t',
      '  ',
      '\n  ',
      '\n    ',
      '---\n',
      '%',
      '.',
      '  - ',
      '&a ',
      '*a',
      '!!str ',
      '\r\n',
      '\n  k: v',
      ' # c\n',
      '\n  # c',
      '~',
      'null',
      '\n  "q":',
      '|\n',
    ];
    let fastPath = 0;
    for (let i = 0; i < 600; i++) {
      let t = bases[rnd(bases.length)]!;
      const edits = 1 + rnd(3);
      for (let k = 0; k < edits; k++) {
        const p = rnd(t.length + 1);
        const op = rnd(3);
        if (op === 0) t = t.slice(0, p) + alphabet[rnd(alphabet.length)] + t.slice(p);
        else if (op === 1) t = t.slice(0, p) + t.slice(p + 1 + rnd(3));
        else {
          const q = rnd(t.length + 1);
          t = t.slice(0, p) + t.slice(q, q + rnd(20)) + t.slice(p);
        }
      }
      if (assertSame(t).strategy === 'segments') fastPath++;
    }
    assert.ok(fastPath > 120, `the fast path was taken ${fastPath} times`);
  });
});

describe('policy parse: random simple entries (most read without the YAML library)', () => {
  it('800 generated files of key: value entries, some values odd: same as the whole reading', () => {
    let seed = 1126;
    const rnd = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const pick = <T>(a: readonly T[]): T => a[rnd(a.length)]!;
    const oddKeys = [
      '"1st"',
      'null',
      'yes',
      "'q'",
      'true',
      '"write_*"',
      'a b',
      '"a (b"',
      'x ()',
      "'q (r)'",
      'p (a: b)',
      'p (#c)',
      'f(x)',
      'f(x) (y)',
    ];
    // Labels, most valid (the fast path reads plain words), some not.
    const labels = [' (no unlink)', '  (a, b)', ' (x/y=1)', ' (v2.0-beta)', ' ( spaced )', ' (a', ' ()', ' (a) b', ' (ü)', " (it's)"];
    const bodyKeys = ['action', 'reason', 'approval_timeout', 'rate_limit', 'when', 'actoin', 'true', 'null', 'y', 'max'];
    const goodValues = [
      'allow',
      'deny',
      'require_approval',
      'alow',
      '"quoted text"',
      "'single'",
      '"it\'s"',
      'plain text here',
      '012',
      '60',
      '{ max: 10, window: 60 }',
      '{max: 1,window: 2}',
      '{ max: 0, window: 60 }',
      '{ maxx: 1 }',
    ];
    const oddValues = [
      '"a # b"',
      'it is # c',
      '1.5',
      '-3',
      'null',
      '~',
      'true',
      'yes',
      'ünïcode',
      '"x\\"y"',
      "'it''s'",
      'a: b',
      '[a]',
      '{ max: 10, window: 60, }',
      '',
      '"',
      'tab\there',
      '0x1F',
      '.inf',
      '9999999999999999',
      '{ max: a, b }',
      '{ max: "1" }',
      '{ a: {b: 1} }',
    ];
    let fast = 0;
    for (let i = 0; i < 800; i++) {
      const out = ['version: 1', 'tools:'];
      for (let e = 1 + rnd(5); e > 0; e--) {
        const body = 2 + pick([2, 2, 2, 1, 3]);
        const label = rnd(3) === 0 ? pick(labels) : '';
        const key = rnd(15)
          ? rnd(4)
            ? `${pick(['a', 'search_records', 'grp_*', 'Get.Thing-2', '_p', 'x?y'])}${rnd(100000)}${label}`
            : `"k${rnd(100000)}*${label}"`
          : pick(oddKeys);
        out.push(`  ${key}:${rnd(15) ? pick(['', '  # c']) : pick([' ', ' {}'])}`);
        const used = new Set<string>();
        for (let n = 1 + rnd(3); n > 0; n--) {
          if (rnd(6) === 0) out.push(pick(['', '    # note', '# col0', '      # deep']));
          const good = rnd(40) > 0;
          let k = good ? pick(bodyKeys.slice(0, 4)) : pick(bodyKeys);
          for (let g = 0; g < 5 && used.has(k); g++) k = pick(bodyKeys.slice(0, 4));
          used.add(k);
          const value = good ? pick(goodValues) : pick(oddValues);
          out.push(
            `${' '.repeat(!good && rnd(4) === 0 ? body + 1 : body)}${k}:${pick([' ', '  '])}${value}${good ? pick(['', '', ' # c', '  ']) : pick(['', ' # c', '\t'])}`,
          );
        }
      }
      if (rnd(9) === 0) out.push('hide: [a]');
      if (assertSame(out.join(rnd(30) === 0 ? '\r\n' : '\n') + pick(['\n', '', '\n\n'])).strategy === 'segments') fast++;
    }
    assert.ok(fast > 400, `the fast path was taken ${fast} times`);
  });
});

describe('policy parse: incremental re-reading', () => {
  const base = 'version: 1\ntools:\n  a:\n    action: deny\n  b:\n    action: allow\n  c:\n    rate_limit: { max: 1, window: 2 }\n';

  it('reuses every unchanged entry (the same record) and re-reads the edited one', () => {
    const first = parsePolicyDetailed(base);
    const edited = base.replace('action: allow', 'action: alow');
    const second = parsePolicyDetailed(edited, {}, first);
    assert.equal(second.entries[0]!.record, first.entries[0]!.record);
    assert.notEqual(second.entries[1]!.record, first.entries[1]!.record);
    assert.equal(second.entries[2]!.record, first.entries[2]!.record);
    assert.equal(observable(second), observable(parsePolicyDetailed(edited)));
  });

  it('entries that moved keep their records; their diagnostics and indexes follow their new place', () => {
    const first = parsePolicyDetailed(base.replace('rate_limit: { max: 1, window: 2 }', 'rate_limit: { max: 0, window: 2 }'));
    const moved = `version: 1\ntools:\n  new_one: { action: deny }\n  # note\n${base.slice(base.indexOf('  a:')).replace('rate_limit: { max: 1, window: 2 }', 'rate_limit: { max: 0, window: 2 }')}`;
    const second = parsePolicyDetailed(moved, {}, first);
    assert.equal(second.entries[3]!.record, first.entries[2]!.record);
    assert.equal(second.entries[3]!.index, 3);
    assert.deepEqual(
      second.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]),
      [['out-of-range', 9, 23]],
    );
    assert.equal(observable(second), observable(parsePolicyDetailed(moved)));
  });

  it('random edit sequences: every step equals a fresh parse', () => {
    const rnd = prng(42);
    let prev = parsePolicyDetailed(base);
    let text = base;
    const pieces = ['  d:\n    action: deny\n', 'x', '\n', '  e: { action: allow }\n', '    reason: r\n', ' ', '#'];
    for (let i = 0; i < 250; i++) {
      const p = rnd(text.length + 1);
      text = rnd(3) === 0 ? text.slice(0, p) + text.slice(p + 1) : text.slice(0, p) + pieces[rnd(pieces.length)] + text.slice(p);
      if (rnd(20) === 0) text = base;
      prev = assertSame(text, prev);
    }
  });
});

describe('policy parse: the detailed result', () => {
  it('keeps a partial policy when some parts have errors, and none after a YAML syntax error', () => {
    const r = parsePolicyDetailed('version: 1\ndefault: deny\ntools:\n  a:\n    action: dny\n  b:\n    action: allow\n');
    assert.equal(r.policy, undefined);
    assert.equal(r.partial?.defaultAction, 'deny');
    assert.deepEqual(
      r.partial?.entries.map((e) => [e.key, e.index]),
      [['b', 1]],
    );
    const y = parsePolicyDetailed('version: 1\ndefault: "x" y\ntools:\n  a: { action: deny }\n');
    assert.equal(y.yamlOk, false);
    assert.equal(y.partial, undefined);
    assert.deepEqual(
      y.top.map((t) => t.key),
      ['version', 'default', 'tools'],
    );
  });

  it('entries know their lines: key line, end (trailing comments included), last content line', () => {
    const r = parsePolicyDetailed('version: 1\ntools:\n  a:\n    action: deny\n\n  # for b\n  b:\n    action: allow\nhide: []\n');
    assert.deepEqual(
      r.entries.map((u) => [u.record.key, u.line, u.endLine, u.line + u.record.lastLine]),
      [
        ['a', 2, 6, 3],
        ['b', 6, 8, 7],
      ],
    );
  });
});
