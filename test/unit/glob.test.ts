import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { compileGlob, compileNamePattern, globToRegExp, isGlob } from '../../src/guard/policy/glob';

function matches(glob: string, name: string): boolean {
  return compileNamePattern(glob).test(name);
}

describe('glob', () => {
  it('isGlob is true only with * or ?', () => {
    assert.equal(isGlob('write_field_*'), true);
    assert.equal(isGlob('read_recor?'), true);
    assert.equal(isGlob('search_records'), false);
    assert.equal(isGlob('a.b+c(d)[e]{f}^$|\\'), false);
  });

  it('an exact name matches only itself', () => {
    const p = compileNamePattern('search_records');
    assert.equal(p.isGlob, false);
    assert.equal(p.source, 'search_records');
    assert.equal(p.test('search_records'), true);
    assert.equal(p.test('search_records2'), false);
    assert.equal(p.test('xsearch_records'), false);
    assert.equal(p.test('Search_records'), false);
    assert.equal(p.test(''), false);
  });

  it('* matches any run of characters, also none', () => {
    const p = compileNamePattern('write_field_*');
    assert.equal(p.isGlob, true);
    assert.equal(p.test('write_field_from_file'), true);
    assert.equal(p.test('write_field_'), true);
    assert.equal(p.test('write_field'), false);
    assert.equal(p.test('read_field_to_file'), false);
    assert.equal(matches('*', ''), true);
    assert.equal(matches('*', 'anything at all'), true);
    assert.equal(matches('*_file', 'write_field_from_file'), true);
    assert.equal(matches('*_file', 'write_field_from_files'), false);
    assert.equal(matches('a*b*c', 'abc'), true);
    assert.equal(matches('a*b*c', 'a-x-b-y-c'), true);
    assert.equal(matches('a*b*c', 'a-x-c-y-b'), false);
    assert.equal(matches('a*', 'a\nb'), true);
  });

  it('? matches exactly one character', () => {
    assert.equal(matches('read_recor?', 'read_record'), true);
    assert.equal(matches('read_recor?', 'read_recor'), false);
    assert.equal(matches('read_recor?', 'read_records'), false);
    assert.equal(matches('??', 'ab'), true);
    assert.equal(matches('??', 'a'), false);
    assert.equal(matches('??', 'abc'), false);
    assert.equal(matches('a?c*', 'abcdef'), true);
    assert.equal(matches('a?c*', 'acdef'), false);
  });

  it('dots are literal', () => {
    assert.equal(matches('odoo.search_*', 'odoo.search_records'), true);
    assert.equal(matches('odoo.search_*', 'odooXsearch_records'), false);
    assert.equal(matches('a.b?', 'a.bc'), true);
    assert.equal(matches('a.b?', 'axbc'), false);
    assert.equal(matches('a.b', 'axb'), false);
  });

  it('regex metacharacters in names are literal', () => {
    const literal = ['a+b', 'a(b)', 'a[b]', 'a{2}', 'a^b', 'a$b', 'a|b', 'a\\b', 'a/b', 'a-b'];
    for (const name of literal) {
      // As a glob with a trailing *, the metacharacters still match only themselves.
      assert.equal(matches(`${name}*`, `${name}_x`), true, `${name}* vs ${name}_x`);
      assert.equal(matches(name, name), true, name);
    }
    assert.equal(matches('a+b*', 'aab'), false);
    assert.equal(matches('a+b*', 'ab'), false);
    assert.equal(matches('a(b)*', 'ab'), false);
    assert.equal(matches('a[bc]*', 'ab'), false);
    assert.equal(matches('a[bc]*', 'a[bc]'), true);
    assert.equal(matches('a{2}*', 'aa'), false);
    assert.equal(matches('a|b*', 'b'), false);
    assert.equal(matches('a|b*', 'a'), false);
    assert.equal(matches('a|b*', 'a|b'), true);
    assert.equal(matches('x^*', 'x^y'), true);
    assert.equal(matches('$*', '$'), true);
    assert.equal(matches('a\\d*', 'a1'), false);
    assert.equal(matches('a\\d*', 'a\\d'), true);
    assert.equal(matches('.*', 'anything'), false);
    assert.equal(matches('.*', '.anything'), true);
  });

  it('is anchored at both ends', () => {
    assert.equal(matches('search_*', 'xsearch_records'), false);
    assert.equal(matches('*_records', 'search_records_x'), false);
    assert.equal(matches('sea?ch', 'research'), false);
    assert.equal(matches('sea?ch', 'searches'), false);
    assert.equal(matches('sea?ch', 'search'), true);
  });

  it('globToRegExp gives an anchored regular expression', () => {
    const re = globToRegExp('write_*.?');
    assert.equal(re.source, '^write_.*\\..$');
    assert.equal(re.test('write_x.y'), true);
    assert.equal(re.test('write_x.yz'), false);
    assert.equal(re.global, false);
    assert.equal(re.sticky, false);
  });

  it('a compiled glob gives the same answer on repeated calls', () => {
    const p = compileNamePattern('search_*');
    assert.deepEqual(
      ['search_a', 'search_a', 'x', 'search_b'].map((n) => p.test(n)),
      [true, true, false, true],
    );
  });

  it('? is one code point and * spans line breaks, as the old `su` regex had it', () => {
    assert.equal(matches('a?b', 'a😀b'), true); // a surrogate pair is one character
    assert.equal(matches('a??b', 'a😀b'), false);
    assert.equal(matches('?', '\n'), true);
    assert.equal(matches('a*b', 'a\r\n\u2028b'), true);
    // Nothing matches half of a surrogate pair: a lone surrogate in the glob matches only a lone one.
    assert.equal(matches('*\udc00', '\ud83d\udc00'), false);
    assert.equal(matches('*\udc00', 'x\udc00'), true);
    assert.equal(matches('\ud83d*', '\ud83d\udc00'), false);
    assert.equal(matches('\ud83d*', '\ud83dx'), true);
    assert.equal(matches('*\ud83d*', 'a\ud83d\udc00b'), false);
    assert.equal(matches('*\udc00?', 'a\ud83d\udc00b'), false);
    assert.equal(matches('*?\udc00*', 'a\ud83d\udc00b'), false);
  });

  // The matcher replaced `globToRegExp(glob).test(input)`: it must give the same answer on every input.
  it('gives the same answers as the regular expression it replaced (property)', () => {
    const chars = ['a', 'b', '/', '.', '*', '?', '😀', '\ud83d', '\ude00', '\n'];
    const text = (max: number) => fc.array(fc.constantFrom(...chars), { maxLength: max }).map((a) => a.join(''));
    const inputChars = chars.filter((c) => c !== '*' && c !== '?').concat(['*', '?']);
    const input = fc.array(fc.constantFrom(...inputChars), { maxLength: 14 }).map((a) => a.join(''));
    fc.assert(
      fc.property(text(8), input, (glob, name) => {
        assert.equal(compileGlob(glob)(name), globToRegExp(glob).test(name), `${JSON.stringify(glob)} vs ${JSON.stringify(name)}`);
        assert.equal(compileNamePattern(glob).test(name), globToRegExp(glob).test(name));
      }),
      { numRuns: 5000 },
    );
  });

  it('gives the same answers on inputs built from the glob itself (property)', () => {
    // Random inputs rarely match long globs; these are the glob with each * and ? filled in, then perturbed.
    const chars = ['a', 'b', '/', '.', '*', '?', '😀', '\ud83d'];
    const glob = fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: 10 }).map((a) => a.join(''));
    const fill = fc.array(fc.constantFrom('', 'a', 'b/', '😀', '.a', '\ude00', 'ab.b'), { minLength: 12, maxLength: 12 });
    fc.assert(
      fc.property(glob, fill, fc.nat(20), (g, f, cut) => {
        let k = 0;
        let name = '';
        for (const ch of g) name += ch === '*' ? f[k++ % f.length] : ch === '?' ? (f[k++ % f.length] || 'x').slice(0, 1) : ch;
        for (const n of [name, name.slice(0, cut), name.slice(cut), `${name}a`, `a${name}`]) {
          assert.equal(compileGlob(g)(n), globToRegExp(g).test(n), `${JSON.stringify(g)} vs ${JSON.stringify(n)}`);
        }
      }),
      { numRuns: 5000 },
    );
  });

  describe('linear time: a long input cannot stall the guard', () => {
    const MB = 1 << 20;
    const within = (ms: number, what: string, run: () => boolean, expected: boolean) => {
      const t0 = process.hrtime.bigint();
      const got = run();
      const took = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.equal(got, expected, what);
      assert.ok(took < ms, `${what}: ${took.toFixed(1)} ms`);
    };

    it('1 MB URI against odoo://*/attachment/*.pdf, matching and not', () => {
      const p = compileNamePattern('odoo://*/attachment/*.pdf');
      const near = `odoo://${'/attachment/'.repeat(MB / 12)}x.pd`;
      within(100, 'near miss', () => p.test(near), false);
      within(100, 'match', () => p.test(`${near}f`), true);
      within(100, 'many slashes', () => p.test(`odoo://${'/'.repeat(MB)}`), false);
    });

    it('1 MB input against *a*a*a*a*b and other many-star globs', () => {
      within(100, '*a*a*a*a*b on a…a', () => compileNamePattern('*a*a*a*a*b').test('a'.repeat(MB)), false);
      within(100, '*a*a*a*a*b on a…ab', () => compileNamePattern('*a*a*a*a*b').test(`${'a'.repeat(MB)}b`), true);
      within(100, '*?a?*?a?*b on a…a', () => compileNamePattern('*?a?*?a?*b').test('a'.repeat(MB)), false);
      within(100, '*aaaaaaaab* on a…a', () => compileNamePattern('*aaaaaaaab*').test('a'.repeat(MB)), false);
      within(100, '?*😀*? on pairs', () => compileNamePattern('?*😀*?').test('\ud83d'.repeat(MB)), false);
    });
  });
});
