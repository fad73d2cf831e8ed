/** Canonical JSON (sorted keys) and the SHA-256 of arguments the audit log keeps instead of the arguments themselves. */
import { hash } from 'node:crypto';

/** A piece of output text on the work stack, as opposed to a value still to be written. */
class Text {
  constructor(readonly text: string) {}
}

const OPEN_ARRAY = new Text('[');
const CLOSE_ARRAY = new Text(']');
const OPEN_OBJECT = new Text('{');
const CLOSE_OBJECT = new Text('}');
const COMMA = new Text(',');

/** Beyond this depth the recursive form hands over to the iterative one. */
const RECURSION_LIMIT = 64;

class TooDeepForRecursion extends Error {}
const TOO_DEEP_FOR_RECURSION = new TooDeepForRecursion('nested too deep for the recursive form');

/**
 * JSON with object keys sorted at every level, so equal arguments always hash alike.
 * Arguments of any depth are safe: the usual shallow ones take a quick recursive path, and
 * anything nested deeper than 64 levels is done again with an explicit work stack.
 */
export function canonicalJson(value: unknown): string {
  try {
    return recursive(value, 0);
  } catch (e) {
    if (e === TOO_DEEP_FOR_RECURSION) return iterative(value);
    throw e;
  }
}

function recursive(value: unknown, depth: number): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (depth >= RECURSION_LIMIT) throw TOO_DEEP_FOR_RECURSION;
  if (Array.isArray(value)) return `[${value.map((v) => recursive(v, depth + 1)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${recursive(obj[k], depth + 1)}`).join(',')}}`;
}

function iterative(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const out: string[] = [];
  const work: unknown[] = [value];
  while (work.length > 0) {
    const item = work.pop();
    if (item instanceof Text) {
      out.push(item.text);
    } else if (item === null || typeof item !== 'object') {
      out.push(JSON.stringify(item) ?? 'null');
    } else if (Array.isArray(item)) {
      work.push(CLOSE_ARRAY);
      for (let i = item.length - 1; i >= 0; i--) {
        work.push(item[i]);
        if (i > 0) work.push(COMMA);
      }
      work.push(OPEN_ARRAY);
    } else {
      const obj = item as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      work.push(CLOSE_OBJECT);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        work.push(obj[k]);
        work.push(new Text(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`));
      }
      work.push(OPEN_OBJECT);
    }
  }
  return out.join('');
}

class NotPlain extends Error {}
const NOT_PLAIN = new NotPlain('a value canonicalJsonOfParsed leaves to canonicalJson');

/** Beyond this depth `canonicalJsonOfParsed` leaves the value to `canonicalJson`, which handles any depth. */
const SORTED_VIEW_DEPTH = 200;

/**
 * `value` with every object's keys in sorted order, sharing what is already sorted (most of a tool
 * list): only objects whose keys are out of order, or that hold such an object, are copied. Throws
 * NOT_PLAIN for a key a copy could not keep in order (integer-like ones, which JavaScript enumerates
 * first; `__proto__`, which would set the copy's prototype) and for very deep nesting.
 */
function sortedView(value: object, depth: number): unknown {
  if (depth > SORTED_VIEW_DEPTH) throw NOT_PLAIN;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const viewed = item !== null && typeof item === 'object' ? sortedView(item, depth + 1) : item;
      if (out !== undefined) out.push(viewed);
      else if (viewed !== item) {
        out = value.slice(0, i);
        out.push(viewed);
      }
    }
    return out ?? value;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let sorted = true;
  let changed: Map<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const first = k.charCodeAt(0);
    if ((first >= 48 && first <= 57) || k === '__proto__') throw NOT_PLAIN;
    if (i > 0 && keys[i - 1]! > k) sorted = false;
    const item = obj[k];
    if (item !== null && typeof item === 'object') {
      const viewed = sortedView(item, depth + 1);
      if (viewed !== item) (changed ??= new Map()).set(k, viewed);
    }
  }
  if (sorted && changed === undefined) return value;
  if (!sorted) keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = changed?.has(k) ? changed.get(k) : obj[k];
  return out;
}

/**
 * The same text as `canonicalJson` for a parsed JSON value, at about half its cost on large values
 * such as a tool list: native JSON.stringify of a view of the value whose objects have their keys in
 * sorted order. A key a view could not keep in order, or nesting too deep, leaves the value to
 * `canonicalJson` (a property test checks the two agree).
 */
export function canonicalJsonOfParsed(value: unknown): string {
  if (value === null || typeof value !== 'object') return canonicalJson(value);
  try {
    return JSON.stringify(sortedView(value, 0)) ?? 'null';
  } catch (e) {
    if (e === NOT_PLAIN) return canonicalJson(value);
    throw e;
  }
}

export function sha256Hex(text: string): string {
  // One-shot (Node >= 20.12): no Hash object per call, a few times faster on every decision's digest.
  return hash('sha256', text, 'hex');
}

/** The digest of no arguments (`{}`), the most common call: worked out once, not on every such call. */
const EMPTY_ARGUMENTS_DIGEST = sha256Hex('{}');

export function argumentsDigest(args: unknown): string {
  const text = canonicalJson(args);
  return text === '{}' ? EMPTY_ARGUMENTS_DIGEST : sha256Hex(text);
}
