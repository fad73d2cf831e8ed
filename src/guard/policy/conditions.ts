/** `when` conditions compiled to predicates over a call's arguments (own properties only; regexes in linear time). */
import type { ConditionOp } from './model';
import { compileLinearRegex } from './regex';

/** The longest text a `regex` condition is matched against: linear time still grows with the text. */
export const MAX_REGEX_INPUT = 64 * 1024;

/**
 * A condition that cannot be decided on this argument (a text too long to match). Conditions
 * answer true or false, and either answer could let the call through, so the decision is a
 * denial instead (see `decide`).
 */
export class UncheckableArgument extends Error {
  constructor(
    readonly path: string,
    readonly length: number,
  ) {
    super(
      `${path} is ${length} characters long; ` +
        `MCP Guard matches regex conditions against at most ${MAX_REGEX_INPUT} characters, so it cannot check this call`,
    );
  }
}

type Args = Readonly<Record<string, unknown>>;

/** Follows a dot path through own properties only, so `__proto__` and friends never resolve. */
export function resolvePath(args: Args, segments: readonly string[]): { found: boolean; value: unknown } {
  let current: unknown = args;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return { found: false, value: undefined };
    if (!Object.prototype.hasOwnProperty.call(current, segment)) return { found: false, value: undefined };
    current = (current as Record<string, unknown>)[segment];
  }
  return { found: true, value: current };
}

/** Structural equality of JSON values; no type coercion (`5` is not `"5"`). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

function ordered(v: unknown, value: unknown): v is number | string {
  return (typeof v === 'number' && typeof value === 'number') || (typeof v === 'string' && typeof value === 'string');
}

/**
 * Builds the predicate for one condition. A missing path makes every op false except
 * `neq` and `not_in` (a missing value differs from anything) and `exists: false`.
 */
export function compileCondition(segments: readonly string[], op: ConditionOp, value: unknown): (args: Args) => boolean {
  switch (op) {
    case 'eq':
      return (args) => {
        const r = resolvePath(args, segments);
        return r.found && jsonEqual(r.value, value);
      };
    case 'neq':
      return (args) => {
        const r = resolvePath(args, segments);
        return !(r.found && jsonEqual(r.value, value));
      };
    case 'in': {
      const list = value as readonly unknown[];
      return (args) => {
        const r = resolvePath(args, segments);
        return r.found && list.some((x) => jsonEqual(r.value, x));
      };
    }
    case 'not_in': {
      const list = value as readonly unknown[];
      return (args) => {
        const r = resolvePath(args, segments);
        return !(r.found && list.some((x) => jsonEqual(r.value, x)));
      };
    }
    case 'lt':
      return (args) => {
        const { found, value: v } = resolvePath(args, segments);
        return found && ordered(v, value) && v < (value as typeof v);
      };
    case 'lte':
      return (args) => {
        const { found, value: v } = resolvePath(args, segments);
        return found && ordered(v, value) && v <= (value as typeof v);
      };
    case 'gt':
      return (args) => {
        const { found, value: v } = resolvePath(args, segments);
        return found && ordered(v, value) && v > (value as typeof v);
      };
    case 'gte':
      return (args) => {
        const { found, value: v } = resolvePath(args, segments);
        return found && ordered(v, value) && v >= (value as typeof v);
      };
    case 'regex': {
      // Linear-time matching (RE2 semantics, JavaScript syntax): the argument comes from the agent, and a
      // backtracking engine lets one pattern and one crafted argument stall the guard (see ./regex.ts).
      // Throws on a pattern the validator refuses; a stateless test, safe to share across calls.
      const re = compileLinearRegex(value as string);
      return (args) => {
        const { found, value: v } = resolvePath(args, segments);
        if (!found || typeof v !== 'string') return false;
        if (v.length > MAX_REGEX_INPUT) throw new UncheckableArgument(`args.${segments.join('.')}`, v.length);
        return re.test(v);
      };
    }
    case 'contains':
      return (args) => {
        const { found, value: v } = resolvePath(args, segments);
        if (!found) return false;
        if (typeof v === 'string') return typeof value === 'string' && v.includes(value);
        if (Array.isArray(v)) return v.some((x) => jsonEqual(x, value));
        return false;
      };
    case 'exists': {
      const want = value === undefined ? true : value === true;
      return (args) => resolvePath(args, segments).found === want;
    }
  }
}
