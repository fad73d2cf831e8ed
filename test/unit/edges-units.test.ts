import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { BoundedCache } from '../../src/guard/util/bounded-cache';
import { classifyTool } from '../../src/guard/catalog/classify';
import { decide } from '../../src/guard/decider';
import { MAX_REGEX_INPUT } from '../../src/guard/policy/conditions';
import { explainCall } from '../../src/guard/policy/explain';
import { RateLimiter } from '../../src/guard/rate-limiter';
import { PolicyIndex, evaluateResource } from '../../src/guard/policy/evaluate';
import { MAX_URI_LENGTH, normaliseResourceUri } from '../../src/guard/policy/resource-uri';
import { parsePolicy } from '../../src/guard/policy/parse';
import { findPrototypeKey, mayHavePrototypeKey } from '../../src/guard/proxy/prototype-keys';
import { ANY_LINE_TERMINATOR, wireLine } from '../../src/guard/proxy/wire';

describe('wire: the framing every upstream reader agrees on', () => {
  it('escapes NEL, LS and PS inside strings, and has no raw line terminator of any reader', () => {
    const line = wireLine({ a: 'x\u2028y\u2029z\u0085\r\n\v\f\x1c\x1e', b: ['\u2028'] });
    assert.ok(!ANY_LINE_TERMINATOR.test(line), line);
    assert.deepEqual(JSON.parse(line), { a: 'x\u2028y\u2029z\u0085\r\n\v\f\x1c\x1e', b: ['\u2028'] });
  });

  it('round-trips any JSON value to the same value on one line', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const line = wireLine(v);
        assert.ok(!ANY_LINE_TERMINATOR.test(line));
        assert.deepEqual(JSON.parse(line), JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('resource URIs: one spelling, as a WHATWG URL parser reads it', () => {
  const ok = (raw: string) => {
    const r = normaliseResourceUri(raw);
    assert.ok(r.ok, `${JSON.stringify(raw)}: ${r.ok ? '' : r.reason}`);
    return r.uri;
  };
  const refused = (raw: string) => {
    const r = normaliseResourceUri(raw);
    assert.ok(!r.ok, `${JSON.stringify(raw)} was accepted as ${r.ok ? r.uri : ''}`);
    return r.reason;
  };

  it('lower-cases the scheme, strips edge spaces and controls, resolves dot segments, folds escapes', () => {
    assert.equal(ok('ODOO://record/res.partner/1'), 'odoo://record/res.partner/1');
    assert.equal(ok('  odoo://models '), 'odoo://models');
    assert.equal(ok('\u0000odoo://models\u001f'), 'odoo://models');
    assert.equal(ok('odoo://record/a/%2e%2E/res.partner/1'), 'odoo://record/res.partner/1');
    assert.equal(ok('odoo://model/res%2Epartner'), 'odoo://model/res.partner');
    assert.equal(ok('odoo://model/%72es.partner'), 'odoo://model/res.partner');
    assert.equal(ok('odoo://search/res.partner/%5b%5d'), 'odoo://search/res.partner/%5B%5D');
    assert.equal(ok('odoo://x/a%2F..'), 'odoo://x/a%2F..');
    assert.equal(ok('HTTPS://Example.COM'), 'https://example.com/');
    assert.equal(ok('odoo://models'), 'odoo://models');
  });

  it('refuses tabs and newlines anywhere, inner controls, text that is no URI, and over-long URIs', () => {
    assert.match(refused('odoo://mo\tdels'), /tab or a line break/);
    assert.match(refused('odoo://models\n'), /tab or a line break/);
    assert.match(refused('odoo://rec\rord/x'), /tab or a line break/);
    assert.match(refused('odoo://rec\u0001ord/x'), /control character/);
    assert.match(refused('not a uri'), /not a URI/);
    assert.match(refused(''), /not a URI/);
    assert.match(refused(`odoo://x/${'a'.repeat(MAX_URI_LENGTH)}`), /limit/);
  });

  it('is idempotent: a normalised URI normalises to itself', () => {
    const part = fc.constantFrom('a', 'B', '.', '..', '%2e', '%2E', '%41', '%7e', '%2F', '%25', '/', '~', ' ', 'é', '?', '#', ':', '@');
    fc.assert(
      fc.property(fc.constantFrom('odoo://', 'ODOO://', 'file:///', 'x:'), fc.array(part, { maxLength: 12 }), (scheme, parts) => {
        const r = normaliseResourceUri(scheme + parts.join(''));
        if (!r.ok) return;
        const again = normaliseResourceUri(r.uri);
        assert.ok(again.ok);
        assert.equal(again.uri, r.uri);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('prototype keys', () => {
  it('finds __proto__, constructor and prototype at any depth, also when spelled with escapes', () => {
    const text = '{"a":[{"b":{"\\u005f_proto__":{"model":"res.partner"}}}]}';
    assert.ok(mayHavePrototypeKey(text));
    assert.deepEqual(findPrototypeKey(JSON.parse(text)), { key: '__proto__', path: 'args.a.0.b.__proto__' });
    assert.deepEqual(findPrototypeKey(JSON.parse('{"x":{"constructor":1}}')), { key: 'constructor', path: 'args.x.constructor' });
    assert.deepEqual(findPrototypeKey(JSON.parse('{"prototype":1}')), { key: 'prototype', path: 'args.prototype' });
    assert.equal(findPrototypeKey({ model: 'res.partner', values: { name: 'constructor' } }), undefined, 'only keys count, not values');
  });

  it('text without such a key and without escapes skips the walk', () => {
    assert.equal(mayHavePrototypeKey('{"model":"res.partner","domain":[["name","ilike","x"]]}'), false);
  });
});

describe('caches bounded in bytes', () => {
  it('BoundedCache keeps no long key and never holds more than its character budget', () => {
    const c = new BoundedCache<number>(4096, 1024, 64 * 1024);
    for (let i = 0; i < 10_000; i++) c.set(`${i}`.padEnd(1000, 'x'), i);
    assert.ok(c.keyChars <= 64 * 1024, `${c.keyChars}`);
    c.set('y'.repeat(2000), 1);
    assert.equal(c.get('y'.repeat(2000)), undefined);
    c.set('k', 1);
    c.set('k', 2);
    assert.equal(c.get('k'), 2);
  });

  it("a policy's memos stay within a megabyte of keys, whatever URIs and names are looked up", () => {
    const { policy } = parsePolicy(
      'version: 1\nresources:\n  "odoo://record/*": { action: deny }\ntools:\n  "read_*": { action: allow }\n',
    );
    const index = new PolicyIndex(policy!);
    for (let i = 0; i < 3000; i++) {
      evaluateResource(index, `odoo://record/${i}/${'z'.repeat(900)}`);
      index.entriesFor(`read_${i}_${'q'.repeat(900)}`);
      index.isHidden(`h${i}${'w'.repeat(900)}`);
    }
    for (let i = 0; i < 50; i++) evaluateResource(index, `odoo://record/${'big'.repeat(100_000)}${i}`);
    assert.ok(index.cachedKeyChars <= 3 * (1 << 20), `${index.cachedKeyChars} characters cached`);
    assert.equal(evaluateResource(index, 'odoo://record/1').action, 'deny');
  });
});

describe('regex conditions on long texts', () => {
  it('a text over the regex input cap is not matched but denies the call, in the guard and in explain', () => {
    // An allow entry whose regex would decide: neither "holds" nor "does not hold" may be guessed.
    const { policy } = parsePolicy(
      'version: 1\ntools:\n  search_records:\n    action: deny\n    when:\n      - { path: args.model, op: regex, value: "^res\\\\." }\n',
    );
    const index = new PolicyIndex(policy!);
    const cls = classifyTool('search_records');
    const long = `res.${'x'.repeat(MAX_REGEX_INPUT)}`;
    const v = decide(
      { kind: 'valid', index },
      'enforce',
      { tool: 'search_records', args: { model: long }, classification: cls },
      new RateLimiter(),
    );
    assert.equal(v.kind, 'deny');
    assert.equal(v.rule, 'arguments');
    assert.match(v.reason, /args\.model is 65540 characters long/);
    assert.equal(explainCall(index, 'search_records', { model: long }, cls).rule, 'arguments');
    const short = decide(
      { kind: 'valid', index },
      'enforce',
      { tool: 'search_records', args: { model: 'sale.order' }, classification: cls },
      new RateLimiter(),
    );
    assert.equal(short.kind, 'allow');
  });
});
