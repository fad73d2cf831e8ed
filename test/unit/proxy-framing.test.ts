import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { REDACTED, TOO_DEEP, formatArgumentsForDisplay, redactSecrets } from '../../src/guard/approval/describe';
import { canonicalJson } from '../../src/guard/canonical-json';
import { jsonEqual } from '../../src/guard/policy/conditions';
import { TopLevelIdScanner, mayNestDeeperThan, nestsDeeperThan } from '../../src/guard/proxy/jsonrpc';
import { LineSplitter } from '../../src/guard/util/line-splitter';

/** Each piece goes to push, or, as `{ line }`, to pushLine (a whole message its transport delivered). */
function split(chunks: (string | { line: string })[], max?: number): { lines: string[]; oversize: { text: string; bytes: number }[] } {
  const lines: string[] = [];
  const oversize: { text: string; bytes: number }[] = [];
  const s = new LineSplitter((l) => lines.push(l), {
    ...(max !== undefined ? { maxLineBytes: max } : {}),
    onOversize: () => {
      let text = '';
      return {
        feed: (t) => (text += t),
        end: (bytes) => oversize.push({ text, bytes }),
      };
    },
  });
  for (const c of chunks) {
    if (typeof c === 'string') s.push(c);
    else s.pushLine(c.line);
  }
  s.end();
  return { lines, oversize };
}

describe('proxy framing: LineSplitter with a size limit', () => {
  it('without a limit splits lines across chunks as before (CRLF, blanks, last line without newline)', () => {
    assert.deepEqual(split(['a\r\nb', 'c\n\n  \nd']).lines, ['a', 'bc', 'd']);
  });

  it('a line over the limit goes to the sink, whole, with its byte count, and later lines still come', () => {
    const r = split(['short\n', 'x'.repeat(20), 'y'.repeat(20), 'z\nafter\n'], 32);
    assert.deepEqual(r.lines, ['short', 'after']);
    assert.equal(r.oversize.length, 1);
    assert.equal(r.oversize[0]!.text, `${'x'.repeat(20)}${'y'.repeat(20)}z`);
    assert.equal(r.oversize[0]!.bytes, 41);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const euro = '€'.repeat(11); // 33 bytes, 11 characters
    assert.deepEqual(split([`${euro}\n`], 33).lines, [euro]);
    const r = split([`${euro}€\n`], 33);
    assert.deepEqual(r.lines, []);
    assert.equal(r.oversize[0]!.bytes, 36);
    // Split across chunks too.
    const r2 = split(['€'.repeat(6), `${'€'.repeat(6)}\nok\n`], 33);
    assert.deepEqual(r2.lines, ['ok']);
    assert.equal(r2.oversize[0]!.bytes, 36);
  });

  it('an oversized line cut off by the end of the stream is still reported', () => {
    const r = split(['x'.repeat(50)], 10);
    assert.deepEqual(r.lines, []);
    assert.equal(r.oversize[0]!.bytes, 50);
  });

  it('pushLine takes a whole line exactly as push(line + newline) would: limit, CR, blanks, a partial line before it', () => {
    const cases: [(string | { line: string })[], number | undefined][] = [
      [[{ line: 'a' }, { line: 'b\r' }, { line: '  ' }, { line: 'c' }], undefined],
      [[{ line: 'x'.repeat(40) }, { line: 'after' }], 32],
      [[{ line: '€'.repeat(11) }, { line: '€'.repeat(12) }], 33],
      // A partial line still buffered (or being discarded) is joined as push would join it.
      [['par', { line: 'tial' }, { line: 'next' }], undefined],
      [['x'.repeat(40), { line: 'tail' }, { line: 'next' }], 32],
    ];
    for (const [pieces, max] of cases) {
      const asText = pieces.map((p) => (typeof p === 'string' ? p : `${p.line}\n`));
      assert.deepEqual(split(pieces, max), split(asText, max), JSON.stringify(pieces));
    }
    assert.deepEqual(split([{ line: 'x'.repeat(40) }, { line: 'after' }], 32).oversize, [{ text: 'x'.repeat(40), bytes: 40 }]);
  });

  it('memory stays bounded: what is fed past the limit is not kept', () => {
    let fed = 0;
    const s = new LineSplitter(() => {}, { maxLineBytes: 1024, onOversize: () => ({ feed: (t) => (fed += t.length), end: () => {} }) });
    const piece = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 256; i++) s.push(piece); // 16 MiB
    assert.equal(fed, 256 * piece.length);
    assert.ok((s as unknown as { buffer: string }).buffer.length === 0);
  });
});

describe('proxy framing: TopLevelIdScanner', () => {
  function scan(text: string, pieces = 1): { id: unknown; hasMethod: boolean } {
    const s = new TopLevelIdScanner();
    const size = Math.ceil(text.length / pieces);
    for (let i = 0; i < text.length; i += size) s.feed(text.slice(i, i + size));
    return { id: s.id(), hasMethod: s.hasMethod };
  }

  it('finds the top-level id wherever it is, in any number of pieces', () => {
    for (const pieces of [1, 3, 17, 200]) {
      assert.deepEqual(scan('{"jsonrpc":"2.0","id":7,"method":"x","params":{"a":1}}', pieces), { id: 7, hasMethod: true });
      assert.deepEqual(scan('{"method":"x","params":{"id":1,"nested":[{"id":2}]},"jsonrpc":"2.0","id":"last"}', pieces), {
        id: 'last',
        hasMethod: true,
      });
      assert.deepEqual(scan('{"id" : -1.5e3 , "result":{}}', pieces), { id: -1500, hasMethod: false });
    }
  });

  it('ignores ids inside strings and nested values, and ids that are no ids', () => {
    assert.equal(scan('{"params":"\\"id\\":5","x":"id"}').id, null);
    assert.equal(scan('{"id":{"a":1}}').id, null);
    assert.equal(scan('{"id":[1]}').id, null);
    assert.equal(scan('{"id":null}').id, null);
    assert.equal(scan('{"id":true}').id, null);
    assert.equal(scan('[{"id":1}]').id, null, 'a batch has no single id');
    assert.equal(scan('{"id":"a\\"b"}').id, 'a"b');
    assert.equal(scan('{"identifier":3}').id, null);
    assert.equal(scan('garbage').id, null);
  });

  it('a truncated id value is still read when the text ends', () => {
    assert.equal(scan('{"method":"x","id":12').id, 12);
  });
});

describe('proxy framing: nothing recursive blows the stack on deep input', () => {
  const depth = 100_000;
  const deepArray = JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown;
  const deepObject = JSON.parse('{"a":'.repeat(depth) + '{"password":"deep-secret"}' + '}'.repeat(depth)) as unknown;

  it('nestsDeeperThan is iterative and exact', () => {
    assert.equal(nestsDeeperThan(deepArray, 256), true);
    assert.equal(nestsDeeperThan(deepObject, 99_999), true);
    assert.equal(nestsDeeperThan(deepObject, depth + 1), false);
    assert.equal(nestsDeeperThan({ a: [[1]] }, 3), false);
    assert.equal(nestsDeeperThan({ a: [[1]] }, 2), true);
    assert.equal(nestsDeeperThan('x', 0), false);
    assert.equal(mayNestDeeperThan(512, 256), false);
    assert.equal(mayNestDeeperThan(513, 256), true);
  });

  it('canonicalJson handles 100,000 levels and matches the recursive definition on ordinary values', () => {
    const text = canonicalJson(deepArray);
    assert.equal(text.length, 2 * depth);
    assert.equal(canonicalJson({ b: [1, { d: 2, c: [null, 'x'] }], a: undefined, e: {} }), '{"b":[1,{"c":[null,"x"],"d":2}],"e":{}}');
    assert.equal(canonicalJson([undefined, () => 1]), '[null,null]');
  });

  it('canonicalJson gives the same text on the deep (iterative) path as on the shallow one, and parses back to the value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 60, max: 80 }), (v, wrap) => {
        let deep: unknown = v;
        for (let i = 0; i < wrap; i++) deep = i % 2 ? { k: deep } : [deep];
        let expected = canonicalJson(v);
        for (let i = 0; i < wrap; i++) expected = i % 2 ? `{"k":${expected}}` : `[${expected}]`;
        assert.equal(canonicalJson(deep), expected);
        assert.deepEqual(JSON.parse(canonicalJson(v)), JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 200 },
    );
  });

  it('jsonEqual recurses only as deep as the shallower side (a policy value), so deep arguments cannot overflow it', () => {
    assert.equal(jsonEqual(deepArray, [[[1]]]), false);
    assert.equal(jsonEqual(deepObject, { a: { a: 1 } }), false);
    assert.equal(jsonEqual([[deepArray]], [[[]]]), false);
  });

  it('redactSecrets and formatArgumentsForDisplay cut deep values instead of recursing or leaking', () => {
    const redacted = JSON.stringify(redactSecrets(deepObject));
    assert.ok(!redacted.includes('deep-secret'));
    assert.ok(redacted.includes(TOO_DEEP));
    assert.ok(!formatArgumentsForDisplay(deepArray).includes('deep-secret'));
    assert.ok(!formatArgumentsForDisplay(deepObject).includes('deep-secret'));
    // A secret at depth 33 was passed through before: now its subtree is replaced.
    let v: unknown = { token: 'at-33' };
    for (let i = 0; i < 33; i++) v = { d: v };
    assert.ok(!JSON.stringify(redactSecrets(v)).includes('at-33'));
    assert.deepEqual(redactSecrets({ a: { password: 'x', keep: 1 } }), { a: { password: REDACTED, keep: 1 } });
  });
});
