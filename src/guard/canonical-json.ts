/** Canonical JSON (sorted keys) and the SHA-256 of arguments the audit log keeps instead of the arguments themselves. */
import { createHash } from 'node:crypto';

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
const NOT_PLAIN = new NotPlain('a key canonicalJsonOfParsed leaves to canonicalJson');

/** Keys a copied object could not hold in sorted order: integer-like ones (enumerated first) and `__proto__`. */
function isAwkwardKey(k: string): boolean {
  const c = k.charCodeAt(0);
  return (c >= 48 && c <= 57) || k === '__proto__';
}

/** JSON.stringify replacer: each object as a copy with its keys sorted (as is, when they already are). */
function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    if (isAwkwardKey(keys[i]!)) throw NOT_PLAIN;
    if (i > 0 && keys[i - 1]! > keys[i]!) sorted = false;
  }
  if (sorted) return value;
  keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = obj[k];
  return out;
}

/**
 * The same text as `canonicalJson` for a parsed JSON value, about three times faster on large values
 * such as a tool list (native JSON.stringify with a replacer that sorts keys). An object key that
 * a copy could not keep in sorted order (integer-like: JavaScript enumerates those first; or
 * `__proto__`), or nesting too deep for the native stack, leaves the value to `canonicalJson`.
 */
export function canonicalJsonOfParsed(value: unknown): string {
  try {
    return JSON.stringify(value, sortedKeys) ?? 'null';
  } catch {
    return canonicalJson(value);
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function argumentsDigest(args: unknown): string {
  return sha256Hex(canonicalJson(args));
}
