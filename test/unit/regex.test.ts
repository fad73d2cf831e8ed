import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { compileLinearRegex, regexProblem, RegexError, translateRegex } from '../../src/guard/policy/regex';

/** What the guard did before: V8's backtracking engine, Unicode mode, unanchored. */
function v8(pattern: string, input: string): boolean {
  return new RegExp(pattern, 'u').test(input);
}

function linear(pattern: string, input: string): boolean {
  return compileLinearRegex(pattern).test(input);
}

const INPUTS = [
  '',
  'res.partner',
  'sale.order',
  'res.partner.name',
  'Res.Partner',
  'res_partner',
  'unlink',
  'do unlink now',
  'unlinked',
  'a',
  'ab',
  'aab',
  'abc',
  '0123',
  'x1y2',
  ' \t\n',
  'a\nb',
  'a\rb',
  'a\u2028b',
  'a\u00a0b',
  'a\u000bb',
  'a\ufeffb',
  'é',
  'ÉCOLE',
  'αβγ',
  'Ωmega',
  '😀',
  'a😀b',
  '\ud83d',
  '\ude00',
  'x\ud83dy',
  '-',
  '[x]',
  '^$',
  'a.b',
  'a/b',
  '\u0000',
  '\u0008',
];

const PATTERNS = [
  '^[a-z_]+\\.[a-z_]+$',
  '^(res|sale)\\.[a-z_]+$',
  '^([a-z_]+\\.?)+$',
  'unlink',
  '\\bunlink\\b',
  '\\Bnlin\\B',
  '^unlink$',
  '^$',
  '',
  '.',
  '^.$',
  '^..$',
  '^.*$',
  'a.b',
  '\\s',
  '^\\s+$',
  '\\S',
  '^\\S*$',
  '\\d',
  '\\D',
  '\\w+',
  '^\\W+$',
  '[\\s\\d]',
  '[^\\S]',
  '[^\\s\\d]',
  '[^]',
  '[]',
  'a[]?b',
  '^[^]$',
  '[\\w-]',
  '[a-]',
  '[-a]',
  '[\\-a]',
  '[\\b]',
  '\\p{L}',
  '^\\p{L}+$',
  '\\p{Lu}',
  '^\\P{L}+$',
  '\\p{Letter}',
  '\\p{gc=Ll}',
  '\\p{General_Category=Uppercase_Letter}',
  '\\p{Script=Greek}',
  '\\p{sc=Latin}',
  '\\p{ASCII}',
  '^\\p{Any}$',
  '\\p{Emoji_Presentation}',
  '[\\p{Lu}\\d]',
  '[^\\p{L}]',
  '\\u{1F600}',
  '\\uD83D\\uDE00',
  '^\\uD83D$',
  '\\uDE00',
  '[\\uD83D\\uDE00-\\uD83D\\uDE4F]',
  '[😀-🙏]',
  '😀',
  '^.😀?$',
  'a{2}',
  'a{1,2}b',
  'a{2,}',
  '(?:ab)+',
  '(?<word>ab)c',
  'a*?b',
  'a+?',
  '(a|ab)(c|bcd)',
  'x|',
  '\\x41|\\u0062',
  '\\cJ',
  '\\0',
  '\\t|\\v|\\f',
  '\\/',
  '\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\',
  '[.*+?()|{}^$]',
  '^-$',
  '[\\^x]',
  '[\\]]',
  '$a',
  'a^',
];

describe('regex conditions: linear-time matching (RE2JS)', () => {
  it('gives the answers V8 gave, for a table of patterns and inputs', () => {
    for (const p of PATTERNS) {
      assert.equal(regexProblem(p), undefined, `${JSON.stringify(p)} is accepted`);
      for (const s of INPUTS) assert.equal(linear(p, s), v8(p, s), `${JSON.stringify(p)} on ${JSON.stringify(s)}`);
    }
  });

  it('gives the answers V8 gives on random patterns and inputs (property)', () => {
    const atom: fc.Arbitrary<string> = fc.constantFrom(
      'a',
      'b',
      '\\.',
      '.',
      '\\s',
      '\\S',
      '\\d',
      '\\w',
      '\\W',
      '[ab]',
      '[^a]',
      '[a-c]',
      '[\\s.]',
      '[^\\S]',
      '😀',
      '\\u{1F600}',
      '\\n',
      '\\p{L}',
      '\\P{Ll}',
      '[\\p{Lu}0-9]',
      '\\uD83D',
      '[]',
      '[^]',
      'é',
      '\\b',
      '\\B',
      '^',
      '$',
    );
    const assertion = (a: string) => a === '^' || a === '$' || a === '\\b' || a === '\\B';
    const quantified = fc
      .tuple(atom, fc.constantFrom('', '', '*', '+', '?', '{2}', '{0,2}', '*?', '+?'))
      .map(([a, q]) => (assertion(a) ? a : a + q));
    const pattern = fc
      .letrec<{ expr: string; seq: string; group: string }>((tie) => ({
        expr: fc.oneof(
          { depthSize: 'small' },
          tie('seq'),
          fc.tuple(tie('seq'), tie('seq')).map(([x, y]) => `${x}|${y}`),
        ),
        seq: fc.array(fc.oneof({ depthSize: 'small' }, quantified, tie('group')), { maxLength: 4 }).map((a) => a.join('')),
        // No * or + on groups: nested unbounded repeats can make V8 itself (the reference) take exponential time.
        group: fc.tuple(tie('expr'), fc.constantFrom('', '?', '{1,2}', '{0,3}')).map(([e, q]) => `(?:${e})${q}`),
      }))
      .expr.filter((p) => {
        try {
          new RegExp(p, 'u');
          return true;
        } catch {
          return false;
        }
      });
    const input = fc
      .array(
        fc.constantFrom(
          'a',
          'b',
          'c',
          '.',
          ' ',
          '\n',
          '\r',
          '\u2028',
          '\u00a0',
          '\u000b',
          '0',
          '7',
          'é',
          'É',
          'α',
          'A',
          '😀',
          '\ud83d',
          '\ude00',
          '_',
          '-',
        ),
        { maxLength: 10 },
      )
      .map((a) => a.join(''));
    fc.assert(
      fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 6 }), (p, inputs) => {
        for (const s of inputs) {
          // One known difference, where RE2 follows the spec and V8 does not: V8 also tries an empty match
          // between the two halves of a surrogate pair, so `/\B/u.test('a😀a')` is true there (Unicode mode
          // advances by code points, which makes it false); see the test below.
          if (p.includes('\\B') && /[\ud800-\udbff][\udc00-\udfff]/.test(s)) continue;
          assert.equal(linear(p, s), v8(p, s), `${JSON.stringify(p)} on ${JSON.stringify(s)} (RE2: ${translateRegex(p)})`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('differs from V8 only where V8 looks inside a surrogate pair (\\B)', () => {
    // V8 tries the empty match between the halves of 😀; the ECMAScript spec (Unicode mode) and RE2 do not.
    assert.equal(v8('\\B', 'a😀a'), true);
    assert.equal(linear('\\B', 'a😀a'), false);
    assert.equal(linear('\\B', '😀'), true); // at the start: no word character on either side
  });

  it('refuses what has no linear-time equivalent, saying what and why', () => {
    const cases: [string, RegExp][] = [
      ['^(?=.*admin).*$', /lookahead `\(\?=`.*linear time \(RE2 syntax\); rewrite without it/],
      ['^(?!admin)', /negative lookahead `\(\?!`/],
      ['(?<=res\\.)partner', /lookbehind `\(\?<=`/],
      ['(?<!res\\.)partner', /negative lookbehind `\(\?<!`/],
      ['(a)\\1', /backreference `\\1`/],
      ['(?<m>a)\\k<m>', /backreference `\\k<m>`/],
      ['a{1001}', /repeat count `\{1001\}`.*at most 1000/],
      ['a{2,5000}', /repeat count `\{2,5000\}`/],
      ['(?:a{100}){100}', /too large for linear-time matching/],
      ['\\p{Script_Extensions=Greek}', /Unicode property `\\p\{Script_Extensions=Greek\}`/],
      ['\\p{sc=Grek}', /Unicode script `\\p\{sc=Grek\}`.*long name/],
    ];
    for (const [p, message] of cases) {
      assert.doesNotThrow(() => new RegExp(p, 'u'), `${p} is a JavaScript regex`);
      const e = regexProblem(p);
      assert.ok(e instanceof RegexError, p);
      assert.equal(e.kind, 'unsupported', p);
      assert.match(e.message, message);
      assert.match(e.message, /MCP Guard does not support|linear-time/);
      assert.throws(() => compileLinearRegex(p), RegexError);
    }
  });

  it('reports JavaScript syntax errors as before', () => {
    const e = regexProblem('res.(partner');
    assert.equal(e?.kind, 'syntax');
    assert.equal(e?.message, 'Invalid regular expression "res.(partner": /res.(partner/u: Unterminated group');
    assert.equal(regexProblem('\\p{NotAProperty}')?.kind, 'syntax');
    // Unicode mode refuses what sloppy mode reads as a literal.
    assert.equal(regexProblem('a{')?.kind, 'syntax');
    assert.equal(regexProblem('\\-')?.kind, 'syntax');
  });

  describe('linear time: a pattern cannot freeze the guard', () => {
    const within = (ms: number, pattern: string, input: string, expected: boolean) => {
      const re = compileLinearRegex(pattern);
      const t0 = process.hrtime.bigint();
      const got = re.test(input);
      const took = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.equal(got, expected);
      assert.ok(took < ms, `${pattern} on ${input.length} characters: ${took.toFixed(1)} ms`);
    };

    it('^([a-z_]+\\.?)+$ on a 40-character and a 100 KB near miss', () => {
      within(100, '^([a-z_]+\\.?)+$', `${'a'.repeat(40)}!`, false);
      within(100, '^([a-z_]+\\.?)+$', `${'ab.'.repeat(34_000)}!`, false);
      within(100, '^([a-z_]+\\.?)+$', 'ab.'.repeat(34_000), true);
    });

    it('other classic catastrophic patterns', () => {
      within(100, '^(a+)+$', `${'a'.repeat(100_000)}b`, false);
      within(100, '^(a|a)*$', `${'a'.repeat(100_000)}b`, false);
      within(100, '^(\\w+\\s?)*$', `${'word '.repeat(20_000)}!`, false);
      within(100, '(.*a){12}', 'a'.repeat(100_000), true);
      within(100, '(.*a){12}x', 'a'.repeat(10_000), false);
    });
  });
});
