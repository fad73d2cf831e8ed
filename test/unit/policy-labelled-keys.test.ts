// Labelled keys under tools: `PATTERN (LABEL)` gives one tool several entries. The parser splits the key
// (the entry keeps the whole key as its name, its pattern is PATTERN), both ways of reading a file agree,
// and evaluation, explanations and rate limits treat each labelled entry as an entry of its own.
import { strict as assert } from 'node:assert';
import { classifyTool } from '../../src/guard/catalog/classify';
import { decide } from '../../src/guard/decider';
import { evaluatePolicy, PolicyIndex } from '../../src/guard/policy/evaluate';
import { explainCall, formatExplanation, shortExplanation } from '../../src/guard/policy/explain';
import { LABELLED_TOOL_KEY, splitToolKey, type Policy, type PolicyEntry } from '../../src/guard/policy/model';
import { parsePolicy, parsePolicyDetailed } from '../../src/guard/policy/parse';
import { RateLimiter } from '../../src/guard/rate-limiter';

/** The README's example of labelled keys. */
const README_EXAMPLE = `version: 1
tools:
  execute_method:
    action: require_approval
  execute_method (no unlink):
    action: deny
    reason: Deleting records through execute_method is not allowed
    when:
      - { path: args.method, op: eq, value: unlink }
`;

function policyOf(yaml: string): Policy {
  const r = parsePolicy(yaml);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
    'no errors',
  );
  assert.ok(r.policy);
  return r.policy;
}

function plain(e: PolicyEntry): Record<string, unknown> {
  return { key: e.key, source: e.pattern.source, isGlob: e.pattern.isGlob, label: e.label, action: e.action };
}

describe('policy labelled keys: splitToolKey', () => {
  it('a key without whitespace is the pattern itself, parentheses included', () => {
    assert.deepEqual(splitToolKey('execute_method'), { pattern: 'execute_method' });
    assert.deepEqual(splitToolKey('foo(bar)'), { pattern: 'foo(bar)' });
    assert.deepEqual(splitToolKey('write_*'), { pattern: 'write_*' });
  });

  it('PATTERN, one or more spaces, (LABEL) at the end', () => {
    assert.deepEqual(splitToolKey('execute_method (no unlink)'), { pattern: 'execute_method', label: 'no unlink' });
    assert.deepEqual(splitToolKey('write_*   (x)'), { pattern: 'write_*', label: 'x' });
    assert.deepEqual(splitToolKey('a\t( spaced )'), { pattern: 'a', label: ' spaced ' });
    assert.deepEqual(splitToolKey('a (x: y, #1)'), { pattern: 'a', label: 'x: y, #1' });
  });

  it('whitespace without that form, a blank or nested label, or parentheses in the pattern: no key', () => {
    for (const key of [
      '',
      'a b',
      'a (b',
      'a b)',
      'a ()',
      'a ( )',
      'a (b) c',
      'a ((b))',
      'a (b(c))',
      'f(x) (y)',
      ' a (b)',
      'a (b) ',
      'a(b) (c)',
      '(a) (b)',
    ]) {
      assert.equal(splitToolKey(key), undefined, JSON.stringify(key));
    }
  });

  it('splitToolKey follows LABELLED_TOOL_KEY, the rule the README and the schema give', () => {
    assert.equal(LABELLED_TOOL_KEY.source, String.raw`^([^\s()]+)\s+\(([^()]*[^\s()][^()]*)\)$`);
  });
});

describe('policy labelled keys: parsing', () => {
  it('the README example: two entries for execute_method, the labelled one named by its whole key', () => {
    const p = policyOf(README_EXAMPLE);
    assert.deepEqual(p.entries.map(plain), [
      { key: 'execute_method', source: 'execute_method', isGlob: false, label: undefined, action: 'require_approval' },
      { key: 'execute_method (no unlink)', source: 'execute_method', isGlob: false, label: 'no unlink', action: 'deny' },
    ]);
    assert.equal('label' in p.entries[0]!, false, 'no label field on an unlabelled entry');
    assert.equal(p.entries[1]!.reason, 'Deleting records through execute_method is not allowed');
    assert.deepEqual(
      p.entries[1]!.when.map((c) => [c.path, c.op, c.value]),
      [['args.method', 'eq', 'unlink']],
    );
    assert.deepEqual(
      p.entries.map((e) => e.index),
      [0, 1],
    );
  });

  it('quoted keys, globs, several spaces, symbols in the label; a label never makes a glob', () => {
    const p = policyOf(
      [
        'version: 1',
        'tools:',
        '  "write_* (no files)": { action: deny }',
        "  'read_?ecord (ok)': { action: allow }",
        '  search_records   (two, spaces):',
        '    rate_limit: { max: 5, window: 60 }',
        '  chatter_post (any * or ?):',
        '    action: require_approval',
        '  foo(bar):',
        '    action: deny',
        '',
      ].join('\n'),
    );
    assert.deepEqual(p.entries.map(plain), [
      { key: 'write_* (no files)', source: 'write_*', isGlob: true, label: 'no files', action: 'deny' },
      { key: 'read_?ecord (ok)', source: 'read_?ecord', isGlob: true, label: 'ok', action: 'allow' },
      { key: 'search_records   (two, spaces)', source: 'search_records', isGlob: false, label: 'two, spaces', action: undefined },
      { key: 'chatter_post (any * or ?)', source: 'chatter_post', isGlob: false, label: 'any * or ?', action: 'require_approval' },
      { key: 'foo(bar)', source: 'foo(bar)', isGlob: false, label: undefined, action: 'deny' },
    ]);
    assert.ok(p.entries[0]!.pattern.test('write_field'));
    assert.ok(p.entries[1]!.pattern.test('read_record'));
    assert.ok(!p.entries[1]!.pattern.test('read_record (ok)'));
    assert.ok(p.entries[3]!.pattern.test('chatter_post'));
    assert.ok(!p.entries[3]!.pattern.test('chatter_posts'));
    assert.ok(p.entries[4]!.pattern.test('foo(bar)'));
  });

  it('a key with whitespace but no label is a bad-key error at the key, with line and column, saying what to write', () => {
    const text = 'version: 1\ntools:\n  search_records:\n    action: allow\n  execute method:\n    action: deny\n';
    const r = parsePolicy(text);
    assert.equal(r.policy, undefined);
    assert.deepEqual(r.diagnostics, [
      {
        severity: 'error',
        code: 'bad-key',
        message:
          'Invalid key "execute method": a key under tools is a tool name or glob, optionally followed by a label in parentheses, e.g. "execute_method (no unlink)"',
        range: { start: { line: 4, character: 2 }, end: { line: 4, character: 16 } },
      },
    ]);
  });

  it('bad keys of every kind: unclosed, empty or blank label, text after it, nested parentheses, quoted with a leading space', () => {
    const keys = ['"a (b"', 'a ()', 'a ( )', 'a (b) c', 'a ((b))', '" a (b)"', 'f(x) (y)'];
    const text = `version: 1\ntools:\n${keys.map((k) => `  ${k}: { action: deny }\n`).join('')}`;
    const r = parsePolicy(text);
    assert.equal(r.policy, undefined);
    assert.deepEqual(
      r.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character, d.range.end.character]),
      keys.map((k, i) => ['bad-key', 2 + i, 2, 2 + k.length]),
    );
  });

  it('two entries may share a pattern; the same whole key twice is still a duplicate key', () => {
    policyOf('version: 1\ntools:\n  a: { action: deny }\n  a (x): { action: deny }\n  a (y): { action: deny }\n');
    const dup = parsePolicy('version: 1\ntools:\n  a (x): { action: deny }\n  a (x): { action: allow }\n');
    assert.equal(dup.policy, undefined);
    assert.deepEqual(
      dup.diagnostics.map((d) => [d.code, d.range.start.line]),
      [['yaml-syntax', 3]],
    );
  });

  it('keys under resources have no labels: a resource key with spaces is one literal URI glob', () => {
    const p = policyOf('version: 1\nresources:\n  "odoo://record/* (x)": { action: deny }\n');
    assert.equal(p.resources![0]!.key, 'odoo://record/* (x)');
    assert.equal(p.resources![0]!.pattern.source, 'odoo://record/* (x)');
    assert.equal('label' in p.resources![0]!, false);
  });

  it('both ways of reading a file give the same entries and diagnostics, and labelled entries keep the fast path', () => {
    const texts = [
      README_EXAMPLE,
      'version: 1\ntools:\n  a (x):\n    action: deny\n  "b* (q r)":\n    action: allow\n  c  (d):  # comment\n    action: deny\n    reason: Plain\n',
      'version: 1\ntools:\n  a b:\n    action: deny\n  "a (b": { action: deny }\n  foo(bar):\n    action: alow\n',
      'version: 1\ntools: { "a (x)": { action: deny }, a: { action: allow }, "a b": {} }\n',
    ];
    for (const text of texts) {
      const fast = parsePolicyDetailed(text);
      const whole = parsePolicyDetailed(text, { strategy: 'whole' });
      assert.equal(fast.strategy, 'segments', text);
      assert.equal(whole.strategy, 'whole');
      assert.deepEqual(fast.diagnostics, whole.diagnostics, text);
      assert.deepEqual(fast.partial?.entries.map(plain), whole.partial?.entries.map(plain), text);
      assert.deepEqual(
        fast.entries.map((u) => [u.record.key, u.record.pattern, u.record.label, u.line]),
        whole.entries.map((u) => [u.record.key, u.record.pattern, u.record.label, u.line]),
        text,
      );
    }
    const r = parsePolicyDetailed(texts[1]!);
    assert.deepEqual(
      r.entries.map((u) => [u.record.key, u.record.pattern, u.record.label]),
      [
        ['a (x)', 'a', 'x'],
        ['b* (q r)', 'b*', 'q r'],
        ['c  (d)', 'c', 'd'],
      ],
    );
  });
});

describe('policy labelled keys: evaluation, explanation and rate limits', () => {
  const cls = classifyTool('execute_method');

  it('both entries for one tool apply when their conditions hold, and the strictest wins with its labelled rule', () => {
    const index = new PolicyIndex(policyOf(README_EXAMPLE));
    const unlink = evaluatePolicy(index, 'execute_method', { model: 'res.partner', method: 'unlink' }, cls);
    assert.equal(unlink.action, 'deny');
    assert.equal(unlink.rule, 'tools.execute_method (no unlink)');
    assert.equal(unlink.reason, 'Deleting records through execute_method is not allowed');
    assert.deepEqual(
      unlink.applicable.map((e) => e.key),
      ['execute_method', 'execute_method (no unlink)'],
    );
    const write = evaluatePolicy(index, 'execute_method', { model: 'res.partner', method: 'write' }, cls);
    assert.equal(write.action, 'require_approval');
    assert.equal(write.rule, 'tools.execute_method');
    assert.deepEqual(
      write.applicable.map((e) => e.key),
      ['execute_method'],
    );
    // A labelled entry never matches its label or whole key as a tool name.
    assert.deepEqual(index.entriesFor('execute_method (no unlink)'), []);
  });

  it('the labelled entry first in the file still loses to a stricter unlabelled one', () => {
    const index = new PolicyIndex(
      policyOf('version: 1\ntools:\n  execute_method (ask):\n    action: require_approval\n  execute_method:\n    action: deny\n'),
    );
    const v = evaluatePolicy(index, 'execute_method', {}, cls);
    assert.equal(v.action, 'deny');
    assert.equal(v.rule, 'tools.execute_method');
  });

  it('explain names labelled entries by their whole key: applied, not matched, and the one-line summary', () => {
    const index = new PolicyIndex(policyOf(README_EXAMPLE));
    const denied = explainCall(index, 'execute_method', { method: 'unlink' }, cls);
    assert.equal(denied.rule, 'tools.execute_method (no unlink)');
    assert.equal(
      shortExplanation(denied),
      'deny by tools.execute_method (no unlink) (entries: execute_method, execute_method (no unlink))',
    );
    const asked = explainCall(index, 'execute_method', { method: 'write' }, cls);
    assert.deepEqual(
      asked.notMatched.map((n) => [n.entry.key, n.failed.actual]),
      [['execute_method (no unlink)', 'write']],
    );
    assert.match(
      formatExplanation(asked),
      /\n {2}tools\.execute_method \(no unlink\): args\.method eq "unlink" does not hold \(got "write"\)/,
    );
  });

  it('every applicable rate limit counts, each labelled entry with its own budget named by its whole key', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    const state = {
      kind: 'valid' as const,
      index: new PolicyIndex(
        policyOf(
          'version: 1\ntools:\n  search_records:\n    rate_limit: { max: 3, window: 60 }\n  search_records (burst):\n    rate_limit: { max: 1, window: 10 }\n',
        ),
      ),
    };
    const call = { tool: 'search_records', args: {}, classification: classifyTool('search_records') };
    const first = decide(state, 'enforce', call, limiter);
    assert.equal(first.kind, 'allow');
    assert.deepEqual(first.kind === 'allow' ? first.limits.map((l) => l.key) : [], [
      'tools.search_records',
      'tools.search_records (burst)',
    ]);
    assert.ok(limiter.tryConsume(first.kind === 'allow' ? first.limits : []).ok);
    const second = decide(state, 'enforce', call, limiter);
    assert.equal(second.kind, 'rate_limited');
    assert.equal(second.rule, 'tools.search_records (burst)');
    now = 11_000;
    const third = decide(state, 'enforce', call, limiter);
    assert.equal(third.kind, 'allow');
  });
});
