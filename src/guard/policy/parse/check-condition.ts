/**
 * Schema checks of one condition of `when` (path, op, value), compiled when it is valid.
 *
 * Why: the path must point into the arguments and the value must suit the op (a list for `in`, a regex RE2 can run, no
 * null that would quietly never match): the rules with the most ways to go wrong, kept apart.
 */
import { isScalar, type Node } from 'yaml';
import { compileCondition } from '../conditions';
import { CONDITION_OPS, type Condition, type ConditionOp } from '../model';
import { regexProblem } from '../regex';
import { type Checker, describe, eachKnownKey, expectEnum, expectMap, expectString } from './checker';
import { CONDITION_KEYS } from './keys';
import { offsetsOf, pairNamed, type Offsets } from './yaml-nodes';

const PATH_PATTERN = /^args(\.[^.\s]+)+$/;

/** What to write instead of comparing with nothing, for the `empty-value` error of `op`. */
function insteadOfNull(op: ConditionOp): string {
  return op === 'neq' || op === 'not_in'
    ? 'to test that the argument is present use `op: exists`'
    : 'to test that the argument is absent use `op: exists, value: false`';
}

/**
 * Checks `value` for `op`. Every op but `exists` needs one, and YAML reads an empty `value:` (or
 * `~`, `null`) as null: `eq` would then compare with null and, for an argument that is absent or
 * set, quietly never hold. So null is refused for all of them (an argument that is JSON null can
 * still be matched with `op: in, value: [null]`).
 */
function checkConditionValue(
  c: Checker,
  op: ConditionOp,
  node: Node | null,
  at: Offsets,
  present: boolean,
): { ok: boolean; value: unknown } {
  if (!present) {
    if (op === 'exists') return { ok: true, value: undefined };
    c.error(at, 'missing-key', `\`value\` is missing: ${op} needs a value to compare with; ${insteadOfNull(op)}`);
    return { ok: false, value: undefined };
  }
  const value = node === null ? null : c.toJS(node);
  const where = node === null || node.range?.[0] === node.range?.[1] ? at : offsetsOf(node, at);
  if (value === null && op !== 'exists') {
    const empty = node === null || (isScalar(node) && (node.source ?? '') === '');
    c.error(
      where,
      'empty-value',
      empty
        ? `\`value\` is empty: ${op} needs a value to compare with; ${insteadOfNull(op)}`
        : `\`value\` is null: ${op} would compare with null, which is almost never meant; ` +
            `${insteadOfNull(op)}, and to match an argument that is JSON null use \`op: in, value: [null]\``,
    );
    return { ok: false, value };
  }
  switch (op) {
    case 'in':
    case 'not_in':
      if (Array.isArray(value)) return { ok: true, value };
      c.error(where, 'wrong-type', `The value of op ${op} must be a list, not ${describe(value)}`);
      return { ok: false, value };
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'string') return { ok: true, value };
      c.error(where, 'wrong-type', `The value of op ${op} must be a number or a text, not ${describe(value)}`);
      return { ok: false, value };
    case 'regex': {
      if (typeof value !== 'string') {
        c.error(where, 'wrong-type', `The value of op regex must be a regular expression as text, not ${describe(value)}`);
        return { ok: false, value };
      }
      // Compiles it too (compiled patterns are memoised, so compileCondition reuses this one).
      const problem = regexProblem(value);
      if (!problem) return { ok: true, value };
      c.error(where, problem.kind === 'syntax' ? 'bad-regex' : 'unsupported-regex', problem.message);
      return { ok: false, value };
    }
    case 'exists':
      if (typeof value === 'boolean') return { ok: true, value };
      c.error(where, 'wrong-type', `The value of op exists must be true or false, not ${describe(value)}`);
      return { ok: false, value };
    case 'contains':
      if (value !== null && typeof value === 'object') {
        c.error(where, 'wrong-type', `The value of op contains must be a single value (text, number or boolean), not ${describe(value)}`);
        return { ok: false, value };
      }
      return { ok: true, value };
    case 'eq':
    case 'neq':
      return { ok: true, value };
  }
}

export function checkCondition(c: Checker, node: Node, at: Offsets): Condition | undefined {
  const map = expectMap(c, node, at, 'A condition');
  if (!map) return undefined;
  let path: string | undefined;
  let op: ConditionOp | undefined;
  let valueNode: Node | null = null;
  /** From the `value` key to the end of its value: where an empty value is reported. */
  let valueAt: Offsets | undefined;
  let ok = true;
  let opAt = offsetsOf(map, at);
  eachKnownKey(c, map, CONDITION_KEYS, 'in a condition', (key, value, keyAt) => {
    if (key === 'path') {
      const p = expectString(c, value, keyAt, 'path');
      if (p !== undefined && !PATH_PATTERN.test(p)) {
        c.error(
          offsetsOf(value, keyAt),
          'bad-path',
          `path must be args. followed by a dot path into the arguments, e.g. args.model; got ${JSON.stringify(p)}`,
        );
        ok = false;
      } else if (p === undefined) ok = false;
      else path = p;
    } else if (key === 'op') {
      opAt = offsetsOf(value, keyAt);
      op = expectEnum(c, value, keyAt, CONDITION_OPS, 'op', 'bad-op');
      if (!op) ok = false;
    } else {
      valueNode = value ?? null;
      valueAt = [keyAt[0], Math.max(keyAt[1], valueNode?.range?.[1] ?? keyAt[1])];
    }
  });
  const where = offsetsOf(map, at);
  if (path === undefined && ok) {
    c.error(where, 'missing-key', 'A condition needs a path, e.g. path: args.model');
    ok = false;
  }
  if (op === undefined && ok) {
    c.error(where, 'missing-key', `A condition needs an op: ${CONDITION_OPS.join(', ')}`);
    ok = false;
  }
  if (!ok || path === undefined || op === undefined) return undefined;
  const hasValue = pairNamed(map, 'value') !== undefined;
  const checked = hasValue ? checkConditionValue(c, op, valueNode, valueAt ?? where, true) : checkConditionValue(c, op, null, opAt, false);
  if (!checked.ok) return undefined;
  const segments = path.split('.').slice(1);
  return { path, segments, op, value: checked.value, test: compileCondition(segments, op, checked.value) };
}
