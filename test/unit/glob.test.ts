import { strict as assert } from 'node:assert';
import { compileNamePattern, globToRegExp, isGlob } from '../../src/guard/policy/glob';

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
});
