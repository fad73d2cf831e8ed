import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { argumentsDigest, canonicalJson, sha256Hex } from '../../src/guard/canonical-json';
import { formatArgumentsForDisplay, isSecretName, REDACTED, redactSecrets } from '../../src/guard/approval/describe';
import { formatDiagnostic, hasErrors, type PolicyDiagnostic } from '../../src/guard/policy/diagnostics';
import { didYouMean, editDistance } from '../../src/guard/policy/suggest';

describe('canonicalJson', () => {
  it('sorts keys, so key order does not matter', () => {
    const a = canonicalJson({ b: 1, a: 2, c: 3 });
    const b = canonicalJson({ c: 3, a: 2, b: 1 });
    assert.equal(a, '{"a":2,"b":1,"c":3}');
    assert.equal(a, b);
  });

  it('sorts keys at every level, inside arrays too, and keeps array order', () => {
    const value = { z: { y: 1, x: [3, { q: true, p: null }] }, a: 'text' };
    assert.equal(canonicalJson(value), '{"a":"text","z":{"x":[3,{"p":null,"q":true}],"y":1}}');
    assert.equal(canonicalJson({ a: 'text', z: { x: [3, { p: null, q: true }], y: 1 } }), canonicalJson(value));
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
  });

  it('is valid JSON equal to the input', () => {
    const value = { s: 'quote " and \\ and \u2028', n: -1.5e-7, list: [null, false, {}, []], nested: { 'key with space': 1 } };
    assert.deepEqual(JSON.parse(canonicalJson(value)), value);
  });

  it('drops undefined members like JSON.stringify does', () => {
    assert.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}');
    assert.equal(canonicalJson(undefined), 'null');
    assert.equal(canonicalJson([undefined]), '[null]');
  });

  it('scalars', () => {
    assert.equal(canonicalJson('x'), '"x"');
    assert.equal(canonicalJson(5), '5');
    assert.equal(canonicalJson(null), 'null');
    assert.equal(canonicalJson(true), 'true');
  });

  it('argumentsDigest is the SHA-256 of the canonical form, equal for reordered arguments', () => {
    const d1 = argumentsDigest({ model: 'res.partner', ids: [1, 2], ctx: { lang: 'en', tz: 'UTC' } });
    const d2 = argumentsDigest({ ctx: { tz: 'UTC', lang: 'en' }, ids: [1, 2], model: 'res.partner' });
    assert.equal(d1, d2);
    assert.match(d1, /^[0-9a-f]{64}$/);
    assert.equal(sha256Hex('abc'), createHash('sha256').update('abc').digest('hex'));
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.notEqual(argumentsDigest({ ids: [1, 2] }), argumentsDigest({ ids: [2, 1] }));
    // No arguments: the digest worked out once is the one of `{}`, and nothing else gets it.
    assert.equal(argumentsDigest({}), createHash('sha256').update('{}').digest('hex'));
    assert.equal(argumentsDigest({}), '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    assert.notEqual(argumentsDigest({ a: undefined, b: null }), argumentsDigest({}));
  });
});

describe('formatArgumentsForDisplay', () => {
  it('redacts secret-named keys at any depth', () => {
    const args = {
      model: 'res.users',
      password: 'hunter2',
      values: { login: 'bob', api_key: 'k-123', nested: [{ access_token: 't-1', name: 'ok' }, { client_secret: { a: 1 } }] },
      headers: { Authorization: 'Bearer x', Cookie: 'sid=1' },
    };
    const text = formatArgumentsForDisplay(args);
    const shown = JSON.parse(text) as typeof args;
    assert.equal(shown.model, 'res.users');
    assert.equal(shown.password, REDACTED);
    assert.equal(shown.values.login, 'bob');
    assert.equal(shown.values.api_key, REDACTED);
    assert.deepEqual(shown.values.nested, [{ access_token: REDACTED, name: 'ok' }, { client_secret: REDACTED }]);
    assert.deepEqual(shown.headers, { Authorization: REDACTED, Cookie: REDACTED });
    for (const secret of ['hunter2', 'k-123', 't-1', 'Bearer x', 'sid=1']) assert.ok(!text.includes(secret), secret);
    // The arguments themselves are left alone.
    assert.equal(args.password, 'hunter2');
    assert.equal(args.values.nested[0]!.access_token, 't-1');
  });

  it('is indented JSON', () => {
    assert.equal(formatArgumentsForDisplay({ a: 1 }), '{\n  "a": 1\n}');
    assert.equal(formatArgumentsForDisplay(undefined), 'null');
  });

  it('cuts long strings with a visible marker', () => {
    const long = 'x'.repeat(350);
    const shown = JSON.parse(formatArgumentsForDisplay({ note: long, short: 'y'.repeat(300) })) as { note: string; short: string };
    assert.equal(shown.note, `${'x'.repeat(300)}… [50 more characters cut]`);
    assert.equal(shown.short, 'y'.repeat(300));
  });

  it('cuts long strings deep inside and honours a custom limit', () => {
    const shown = JSON.parse(formatArgumentsForDisplay({ a: { b: ['abcdefghij'] } }, 4)) as { a: { b: string[] } };
    assert.deepEqual(shown.a.b, ['abcd… [6 more characters cut]']);
  });

  it('cuts long lists and the whole text with visible markers', () => {
    const shown = JSON.parse(formatArgumentsForDisplay({ ids: Array.from({ length: 60 }, (_, i) => i) })) as { ids: unknown[] };
    assert.equal(shown.ids.length, 51);
    assert.equal(shown.ids[49], 49);
    assert.equal(shown.ids[50], '… [10 more items cut]');
    const text = formatArgumentsForDisplay({ a: 'z'.repeat(200), b: 'z'.repeat(200) }, 300, 100);
    assert.ok(text.startsWith('{\n  "a": "zzz'));
    assert.ok(/\n… \[\d+ more characters cut\]$/.test(text), text);
    const full = JSON.stringify({ a: 'z'.repeat(200), b: 'z'.repeat(200) }, null, 2);
    assert.ok(text.endsWith(`… [${full.length - 100} more characters cut]`), text);
  });

  it('cuts very deep nesting with a visible marker', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 20; i++) deep = { d: deep };
    const text = formatArgumentsForDisplay(deep);
    assert.ok(text.includes('… [nested too deep, cut]'));
    assert.ok(!text.includes('bottom'));
  });

  it('redacts secrets in very deep nesting before cutting', () => {
    let deep: unknown = { password: 'deep-secret' };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    assert.ok(!formatArgumentsForDisplay(deep).includes('deep-secret'));
    let shallow: unknown = { password: 'secret-7' };
    for (let i = 0; i < 7; i++) shallow = { d: shallow };
    const text = formatArgumentsForDisplay(shallow);
    assert.ok(!text.includes('secret-7'));
    assert.ok(text.includes(REDACTED));
  });

  it('isSecretName and redactSecrets', () => {
    for (const name of [
      'password',
      'PASSWORD',
      'passwd',
      'odoo_password',
      'pass',
      'secret',
      'client_secret',
      'token',
      'apiKey',
      'api-key',
      'private_key',
      'session_id',
      'credentials',
    ]) {
      assert.equal(isSecretName(name), true, name);
    }
    for (const name of ['model', 'login', 'ids', 'domain', 'fields', 'name']) {
      assert.equal(isSecretName(name), false, name);
    }
    assert.deepEqual(redactSecrets([{ token: 1 }, 'token']), [{ token: REDACTED }, 'token']);
    assert.equal(redactSecrets('password'), 'password');
  });
});

describe('diagnostics and suggestions', () => {
  const d: PolicyDiagnostic = {
    severity: 'error',
    code: 'unknown-key',
    message: 'Unknown key "tool"',
    range: { start: { line: 1, character: 0 }, end: { line: 1, character: 4 } },
  };

  it('formatDiagnostic prints one-based FILE:LINE:COL', () => {
    assert.equal(formatDiagnostic('policy.yaml', d), 'policy.yaml:2:1: error: Unknown key "tool"');
  });

  it('hasErrors ignores warnings', () => {
    assert.equal(hasErrors([d]), true);
    assert.equal(hasErrors([{ ...d, severity: 'warning' }]), false);
    assert.equal(hasErrors([]), false);
  });

  it('editDistance and didYouMean', () => {
    assert.equal(editDistance('acton', 'action'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('abc', 'abcdefgh', 2), 3);
    assert.equal(didYouMean('tool', ['version', 'default', 'risk', 'hide', 'tools', 'approval_timeout']), 'tools');
    assert.equal(didYouMean('ACTON', ['action', 'reason']), 'action');
    assert.equal(didYouMean('equals', ['eq', 'neq', 'in']), undefined);
  });
});
