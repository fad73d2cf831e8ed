import { strict as assert } from 'node:assert';
import { compileCondition, jsonEqual, resolvePath } from '../../src/guard/policy/conditions';
import type { ConditionOp } from '../../src/guard/policy/model';
import { parsePolicy } from '../../src/guard/policy/parse';

type Args = Record<string, unknown>;

/** A condition on `args.<path>`. */
function cond(path: string, op: ConditionOp, value?: unknown): (args: Args) => boolean {
  return compileCondition(path.split('.'), op, value);
}

/** The same condition, compiled from YAML the way a policy file would give it. */
function condFromYaml(inline: string): (args: Args) => boolean {
  const r = parsePolicy(`version: 1\ntools:\n  t:\n    action: deny\n    when:\n      - ${inline}\n`);
  assert.ok(r.policy, JSON.stringify(r.diagnostics));
  return r.policy.entries[0]!.when[0]!.test;
}

describe('conditions: eq / neq', () => {
  it('eq matches equal values and not others', () => {
    const c = cond('model', 'eq', 'res.partner');
    assert.equal(c({ model: 'res.partner' }), true);
    assert.equal(c({ model: 'res.users' }), false);
    assert.equal(c({ model: 'RES.PARTNER' }), false);
  });

  it('eq is false for a missing path', () => {
    assert.equal(cond('model', 'eq', 'res.partner')({}), false);
    assert.equal(cond('model', 'eq', null)({}), false);
  });

  it('eq does not coerce types: 5 is not "5", true is not "true", null is not 0', () => {
    assert.equal(cond('n', 'eq', 5)({ n: '5' }), false);
    assert.equal(cond('n', 'eq', '5')({ n: 5 }), false);
    assert.equal(cond('n', 'eq', 5)({ n: 5 }), true);
    assert.equal(cond('b', 'eq', true)({ b: 'true' }), false);
    assert.equal(cond('b', 'eq', true)({ b: 1 }), false);
    assert.equal(cond('z', 'eq', 0)({ z: null }), false);
    assert.equal(cond('z', 'eq', null)({ z: null }), true);
  });

  it('eq compares lists and mappings structurally, key order aside', () => {
    assert.equal(cond('ids', 'eq', [1, 2])({ ids: [1, 2] }), true);
    assert.equal(cond('ids', 'eq', [1, 2])({ ids: [2, 1] }), false);
    assert.equal(cond('ids', 'eq', [1, 2])({ ids: [1, 2, 3] }), false);
    assert.equal(cond('v', 'eq', { a: 1, b: [2] })({ v: { b: [2], a: 1 } }), true);
    assert.equal(cond('v', 'eq', { a: 1 })({ v: { a: 1, b: 2 } }), false);
    assert.equal(cond('v', 'eq', { a: 1 })({ v: [1] }), false);
    assert.equal(cond('v', 'eq', [])({ v: {} }), false);
  });

  it('neq is the negation of eq, and true for a missing path', () => {
    const c = cond('model', 'neq', 'res.partner');
    assert.equal(c({ model: 'res.partner' }), false);
    assert.equal(c({ model: 'res.users' }), true);
    assert.equal(c({}), true);
    assert.equal(cond('n', 'neq', 5)({ n: '5' }), true);
    assert.equal(cond('n', 'neq', 5)({ n: 5 }), false);
  });
});

describe('conditions: in / not_in', () => {
  it('in matches a listed value only', () => {
    const c = cond('model', 'in', ['res.partner', 'sale.order']);
    assert.equal(c({ model: 'sale.order' }), true);
    assert.equal(c({ model: 'res.partner' }), true);
    assert.equal(c({ model: 'account.move' }), false);
  });

  it('in is false for a missing path and for an empty list', () => {
    assert.equal(cond('model', 'in', ['res.partner'])({}), false);
    assert.equal(cond('model', 'in', [])({ model: 'x' }), false);
  });

  it('in does not coerce', () => {
    assert.equal(cond('n', 'in', [1, 2])({ n: '1' }), false);
    assert.equal(cond('n', 'in', ['1'])({ n: 1 }), false);
    assert.equal(cond('n', 'in', [1, 2])({ n: 2 }), true);
  });

  it('in compares list members structurally', () => {
    assert.equal(cond('v', 'in', [[1, 2], { a: 1 }])({ v: { a: 1 } }), true);
    assert.equal(cond('v', 'in', [[1, 2]])({ v: [1, 2] }), true);
  });

  it('not_in is the negation of in, and true for a missing path', () => {
    const c = cond('model', 'not_in', ['res.partner', 'sale.order']);
    assert.equal(c({ model: 'sale.order' }), false);
    assert.equal(c({ model: 'account.move' }), true);
    assert.equal(c({}), true);
    assert.equal(cond('n', 'not_in', [1])({ n: '1' }), true);
  });
});

describe('conditions: lt / lte / gt / gte', () => {
  it('numbers: below, at and above the bound', () => {
    const args = (limit: unknown) => ({ limit });
    assert.deepEqual(
      [99, 100, 101].map((n) => cond('limit', 'lt', 100)(args(n))),
      [true, false, false],
    );
    assert.deepEqual(
      [99, 100, 101].map((n) => cond('limit', 'lte', 100)(args(n))),
      [true, true, false],
    );
    assert.deepEqual(
      [99, 100, 101].map((n) => cond('limit', 'gt', 100)(args(n))),
      [false, false, true],
    );
    assert.deepEqual(
      [99, 100, 101].map((n) => cond('limit', 'gte', 100)(args(n))),
      [false, true, true],
    );
    assert.equal(cond('x', 'lt', 0)({ x: -0.5 }), true);
    assert.equal(cond('x', 'gt', 1.5)({ x: 1.25 }), false);
  });

  it('strings compare as strings', () => {
    assert.equal(cond('d', 'lt', '2024-06-01')({ d: '2024-05-31' }), true);
    assert.equal(cond('d', 'lt', '2024-06-01')({ d: '2024-06-01' }), false);
    assert.equal(cond('d', 'lte', '2024-06-01')({ d: '2024-06-01' }), true);
    assert.equal(cond('d', 'gt', 'b')({ d: 'c' }), true);
    assert.equal(cond('d', 'gte', 'b')({ d: 'a' }), false);
    // Lexicographic, not numeric.
    assert.equal(cond('d', 'lt', '9')({ d: '10' }), true);
  });

  it('mixed types are never ordered: 5 vs "6" and "5" vs 6 are false for every op', () => {
    for (const op of ['lt', 'lte', 'gt', 'gte'] as const) {
      assert.equal(cond('x', op, 6)({ x: '5' }), false, `${op} "5" vs 6`);
      assert.equal(cond('x', op, '6')({ x: 5 }), false, `${op} 5 vs "6"`);
      assert.equal(cond('x', op, 5)({ x: null }), false, `${op} null`);
      assert.equal(cond('x', op, 5)({ x: true }), false, `${op} true`);
      assert.equal(cond('x', op, 5)({ x: [4] }), false, `${op} [4]`);
      assert.equal(cond('x', op, 5)({ x: { v: 4 } }), false, `${op} object`);
    }
  });

  it('missing path is false for every op', () => {
    for (const op of ['lt', 'lte', 'gt', 'gte'] as const) {
      assert.equal(cond('x', op, 5)({}), false, op);
      assert.equal(cond('x', op, 'a')({}), false, op);
    }
  });
});

describe('conditions: regex', () => {
  it('matches and does not match', () => {
    const c = cond('method', 'regex', '^action_');
    assert.equal(c({ method: 'action_confirm' }), true);
    assert.equal(c({ method: 'button_confirm' }), false);
    // Unanchored unless the pattern says so.
    assert.equal(cond('method', 'regex', 'unlink')({ method: 'x_unlink_all' }), true);
  });

  it('is false for a missing path and for a value that is not text', () => {
    const c = cond('v', 'regex', '5');
    assert.equal(c({}), false);
    assert.equal(c({ v: 5 }), false);
    assert.equal(c({ v: ['5'] }), false);
    assert.equal(c({ v: null }), false);
    assert.equal(c({ v: '5' }), true);
  });

  it('is stateless across calls: the same input gives the same answer every time', () => {
    const c = cond('v', 'regex', 'a');
    const answers = Array.from({ length: 6 }, () => c({ v: 'banana' }));
    assert.deepEqual(answers, [true, true, true, true, true, true]);
    const d = cond('v', 'regex', '^x');
    assert.deepEqual(
      ['xa', 'xb', 'ya', 'xc'].map((v) => d({ v })),
      [true, true, false, true],
    );
  });

  it('from YAML: stateless across calls and Unicode-aware', () => {
    const c = condFromYaml('{ path: args.v, op: regex, value: "o" }');
    assert.deepEqual([c({ v: 'foo' }), c({ v: 'foo' }), c({ v: 'foo' })], [true, true, true]);
    const u = condFromYaml('{ path: args.v, op: regex, value: "^\\\\p{Lu}" }');
    assert.equal(u({ v: 'Émile' }), true);
    assert.equal(u({ v: 'émile' }), false);
  });

  // The argument comes from the agent: with V8's backtracking this pattern took hours on 40 characters.
  it('runs in linear time: ^([a-z_]+\\.?)+$ on a 40-character and a 64 KB near miss (the longest it matches)', () => {
    const c = cond('model', 'regex', '^([a-z_]+\\.?)+$');
    const t0 = Date.now();
    assert.equal(c({ model: `${'a'.repeat(40)}!` }), false);
    assert.equal(c({ model: `${'res_partner.'.repeat(5_400)}!` }), false);
    assert.throws(() => c({ model: `${'res_partner.'.repeat(8_500)}!` }), /at most 65536 characters/);
    assert.equal(c({ model: 'res.partner' }), true);
    assert.ok(Date.now() - t0 < 100, `${Date.now() - t0} ms`);
  });

  it('keeps the JavaScript meaning where RE2 differs: . and \\s', () => {
    // RE2's . matches \r and U+2028, its \s has no \v nor U+00A0; the guard keeps JavaScript's.
    assert.equal(cond('v', 'regex', '^a.b$')({ v: 'a\rb' }), false);
    assert.equal(cond('v', 'regex', '^a.b$')({ v: 'a\u2028b' }), false);
    assert.equal(cond('v', 'regex', '^a.b$')({ v: 'a😀b' }), true);
    assert.equal(cond('v', 'regex', '^a\\sb$')({ v: 'a\u000bb' }), true);
    assert.equal(cond('v', 'regex', '^a\\sb$')({ v: 'a\u00a0b' }), true);
  });

  it('throws on a pattern the validator refuses (the parser never passes one)', () => {
    assert.throws(() => cond('v', 'regex', '(?=a)'), /lookahead/);
    assert.throws(() => cond('v', 'regex', '('), /Invalid regular expression/);
  });
});

describe('conditions: contains', () => {
  it('on strings: substring', () => {
    const c = cond('domain', 'contains', 'password');
    assert.equal(c({ domain: "[('password', '!=', False)]" }), true);
    assert.equal(c({ domain: "[('name', '=', 'x')]" }), false);
    assert.equal(cond('s', 'contains', '')({ s: 'x' }), true);
  });

  it('on arrays: element equality without coercion', () => {
    const c = cond('ids', 'contains', 7);
    assert.equal(c({ ids: [1, 7, 9] }), true);
    assert.equal(c({ ids: [1, 9] }), false);
    assert.equal(c({ ids: ['7'] }), false);
    assert.equal(c({ ids: [] }), false);
    assert.equal(cond('fields', 'contains', 'password')({ fields: ['login', 'password'] }), true);
    assert.equal(cond('fields', 'contains', 'pass')({ fields: ['password'] }), false);
  });

  it('a number inside a string is not a substring match (no coercion)', () => {
    assert.equal(cond('s', 'contains', 5)({ s: 'a5' }), false);
  });

  it('is false for a missing path and for values that are neither text nor list', () => {
    const c = cond('v', 'contains', 'a');
    assert.equal(c({}), false);
    assert.equal(c({ v: { a: 1 } }), false);
    assert.equal(c({ v: 5 }), false);
    assert.equal(c({ v: null }), false);
    assert.equal(c({ v: true }), false);
  });
});

describe('conditions: exists', () => {
  it('exists: true', () => {
    const c = cond('ctx', 'exists', true);
    assert.equal(c({ ctx: {} }), true);
    assert.equal(c({ ctx: null }), true);
    assert.equal(c({ ctx: false }), true);
    assert.equal(c({}), false);
  });

  it('exists: false is true only for a missing path', () => {
    const c = cond('ctx', 'exists', false);
    assert.equal(c({}), true);
    assert.equal(c({ ctx: null }), false);
    assert.equal(c({ ctx: 0 }), false);
  });

  it('exists with no value means exists: true', () => {
    const c = cond('ctx', 'exists', undefined);
    assert.equal(c({ ctx: 1 }), true);
    assert.equal(c({}), false);
  });
});

describe('conditions: missing-path semantics, all ops at once', () => {
  const expected: Record<ConditionOp, boolean> = {
    eq: false,
    neq: true,
    in: false,
    not_in: true,
    lt: false,
    lte: false,
    gt: false,
    gte: false,
    regex: false,
    contains: false,
    exists: false,
  };
  const values: Record<ConditionOp, unknown> = {
    eq: 'x',
    neq: 'x',
    in: ['x'],
    not_in: ['x'],
    lt: 1,
    lte: 1,
    gt: 1,
    gte: 1,
    regex: '.*',
    contains: 'x',
    exists: true,
  };
  for (const op of Object.keys(expected) as ConditionOp[]) {
    it(`${op} on a missing path is ${expected[op]}`, () => {
      assert.equal(cond('nope', op, values[op])({ other: 1 }), expected[op]);
      assert.equal(cond('a.b.nope', op, values[op])({ a: { b: {} } }), expected[op]);
      assert.equal(cond('a.b.c', op, values[op])({ a: 'text' }), expected[op]);
    });
  }
  it('exists: false on a missing path is true', () => {
    assert.equal(cond('nope', 'exists', false)({}), true);
  });
});

describe('conditions: paths', () => {
  it('nested paths (args.a.b.c)', () => {
    const c = cond('a.b.c', 'eq', 1);
    assert.equal(c({ a: { b: { c: 1 } } }), true);
    assert.equal(c({ a: { b: { c: 2 } } }), false);
    assert.equal(c({ a: { b: null } }), false);
    assert.equal(c({ a: null }), false);
    assert.equal(c({ a: { b: 5 } }), false);
  });

  it('array index paths (args.ids.0)', () => {
    const c = cond('ids.0', 'eq', 42);
    assert.equal(c({ ids: [42, 1] }), true);
    assert.equal(c({ ids: [1, 42] }), false);
    assert.equal(c({ ids: [] }), false);
    assert.equal(cond('ids.1', 'exists', true)({ ids: [1] }), false);
    assert.equal(cond('rows.1.name', 'eq', 'b')({ rows: [{ name: 'a' }, { name: 'b' }] }), true);
  });

  it('parse splits args.a.b.c and args.ids.0 into segments below args', () => {
    const r = parsePolicy(
      'version: 1\ntools:\n  t:\n    action: deny\n    when:\n      - { path: args.a.b.c, op: exists }\n      - { path: args.ids.0, op: eq, value: 42 }\n',
    );
    assert.ok(r.policy);
    const [abc, ids0] = r.policy.entries[0]!.when;
    assert.deepEqual(abc!.segments, ['a', 'b', 'c']);
    assert.equal(abc!.path, 'args.a.b.c');
    assert.deepEqual(ids0!.segments, ['ids', '0']);
    assert.equal(ids0!.test({ ids: [42] }), true);
    assert.equal(ids0!.test({ ids: { 0: 42 } }), true);
  });

  it('__proto__ and constructor never resolve through the prototype', () => {
    const args = { model: 'x', nested: { a: 1 }, list: [1] };
    for (const path of [
      '__proto__',
      'constructor',
      'constructor.name',
      'toString',
      'hasOwnProperty',
      '__proto__.polluted',
      'nested.__proto__',
      'nested.constructor',
      'nested.constructor.prototype',
      'list.constructor',
      'list.__proto__',
      'model.length',
    ]) {
      assert.equal(cond(path, 'exists', true)(args), false, `${path} resolved`);
      assert.equal(cond(path, 'exists', false)(args), true, `${path} resolved`);
      assert.equal(cond(path, 'neq', 'anything')(args), true, path);
      assert.deepEqual(resolvePath(args, path.split('.')), { found: false, value: undefined }, path);
    }
    assert.equal(cond('constructor.name', 'eq', 'Object')(args), false);
    assert.equal(cond('__proto__', 'eq', {})(args), false);
  });

  it('resolvePath returns the value when found', () => {
    assert.deepEqual(resolvePath({ a: { b: [0, { c: null }] } }, ['a', 'b', '1', 'c']), { found: true, value: null });
    assert.deepEqual(resolvePath({ a: 1 }, []), { found: true, value: { a: 1 } });
  });

  it('objects without a prototype still resolve their own keys', () => {
    const args = Object.create(null) as Args;
    args.model = 'res.partner';
    assert.equal(cond('model', 'eq', 'res.partner')(args), true);
    assert.equal(cond('toString', 'exists', true)(args), false);
  });
});

describe('conditions: jsonEqual', () => {
  it('is structural and strict', () => {
    assert.equal(jsonEqual({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] }), true);
    assert.equal(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 }), true);
    assert.equal(jsonEqual({ a: 1 }, { a: 1, b: undefined }), false);
    assert.equal(jsonEqual([1], { 0: 1 }), false);
    assert.equal(jsonEqual(1, '1'), false);
    assert.equal(jsonEqual(null, {}), false);
    assert.equal(jsonEqual(NaN, NaN), false);
  });
});
