/**
 * The diagnostics collector (`Checker`) and the generic checks every part of the schema reports through.
 *
 * Why: all checks word their errors alike and give them document ranges: known keys with "did you mean", a mapping, one
 * of a few words, a positive number, a non-empty text.
 */
import { isMap, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { PolicyDiagnostic, Range, Severity } from '../diagnostics';
import { didYouMean } from '../suggest';
import { locatorRange, type Locator } from './lines';
import { keyName, offsetsOf, type Offsets } from './yaml-nodes';

/** Collects diagnostics with ranges while walking the YAML tree. */
export class Checker {
  constructor(
    readonly at: Locator,
    readonly doc: Document,
    readonly diagnostics: PolicyDiagnostic[],
  ) {}

  range(offsets: Offsets): Range {
    return locatorRange(this.at, offsets[0], offsets[1]);
  }

  report(at: Offsets, severity: Severity, code: string, message: string, suggestion?: string): void {
    this.diagnostics.push({ severity, code, message, range: this.range(at), ...(suggestion ? { suggestion } : {}) });
  }

  error(at: Offsets, code: string, message: string, suggestion?: string): void {
    this.report(at, 'error', code, message, suggestion);
  }

  /** The node's plain value: scalars and lists of scalars directly, anything else through the document. */
  toJS(node: Node): unknown {
    if (isScalar(node)) return node.value;
    if (isSeq(node) && node.items.every((i) => isScalar(i))) return node.items.map((i) => (i as { value: unknown }).value);
    return node.toJS(this.doc);
  }
}

/** A value as a message names it: `nothing`, `a list`, `the text "x"`, `the number 3`. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return `the number ${value}`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value === 'string' ? 'the text' : `the ${typeof value}`} ${JSON.stringify(value)}`;
}

function quoteList(words: readonly string[]): string {
  const q = words.map((w) => `"${w}"`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/** Checks one pair of a mapping: reports a key that is not allowed (with "did you mean"), else hands its value to `visit`. */
export function checkKnownPair(
  c: Checker,
  pair: Pair,
  fallback: Offsets,
  allowed: readonly string[],
  where: string,
  visit: (key: string, value: Node | null, keyAt: Offsets) => void,
): void {
  const keyAt = offsetsOf(pair.key as Node, fallback);
  const key = keyName(pair);
  if (key === undefined) {
    c.error(keyAt, 'bad-key', `Keys ${where} must be plain words`);
    return;
  }
  if (!allowed.includes(key)) {
    const guess = didYouMean(key, allowed);
    c.error(
      keyAt,
      'unknown-key',
      `Unknown key "${key}" ${where}${guess ? `; did you mean "${guess}"?` : `; expected ${quoteList(allowed)}`}`,
      guess,
    );
    return;
  }
  visit(key, (pair.value as Node | null) ?? null, keyAt);
}

/**
 * Walks a mapping's pairs, reporting keys that are not allowed (with "did you mean")
 * and handing each known key's value node to `visit`.
 */
export function eachKnownKey(
  c: Checker,
  map: YAMLMap,
  allowed: readonly string[],
  where: string,
  visit: (key: string, value: Node | null, keyAt: Offsets) => void,
): void {
  const fallback = offsetsOf(map, [0, 0]);
  for (const pair of map.items) checkKnownPair(c, pair, fallback, allowed, where, visit);
}

export function expectMap(c: Checker, node: Node | null, at: Offsets, what: string): YAMLMap | undefined {
  if (isMap(node)) return node;
  c.error(offsetsOf(node, at), 'wrong-type', `${what} must be a mapping of keys to values, not ${describe(node ? c.toJS(node) : null)}`);
  return undefined;
}

export function expectEnum<T extends string>(
  c: Checker,
  node: Node | null,
  at: Offsets,
  allowed: readonly T[],
  what: string,
  code: string,
): T | undefined {
  const value = isScalar(node) ? node.value : node ? c.toJS(node) : null;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  const guess = typeof value === 'string' ? didYouMean(value, allowed) : undefined;
  c.error(
    offsetsOf(node, at),
    code,
    `${what} must be ${quoteList(allowed)}, not ${describe(value)}${guess ? `; did you mean "${guess}"?` : ''}`,
    guess,
  );
  return undefined;
}

export function expectPositiveNumber(c: Checker, node: Node | null, at: Offsets, what: string, integer: boolean): number | undefined {
  const value = isScalar(node) ? node.value : node ? c.toJS(node) : null;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    c.error(offsetsOf(node, at), 'wrong-type', `${what} must be a number, not ${describe(value)}`);
    return undefined;
  }
  if (integer && !Number.isInteger(value)) {
    c.error(offsetsOf(node, at), 'wrong-type', `${what} must be a whole number, not ${value}`);
    return undefined;
  }
  if (integer ? value < 1 : value <= 0) {
    c.error(offsetsOf(node, at), 'out-of-range', `${what} must be ${integer ? 'at least 1' : 'greater than 0'}, not ${value}`);
    return undefined;
  }
  return value;
}

export function expectString(c: Checker, node: Node | null, at: Offsets, what: string): string | undefined {
  const value = isScalar(node) ? node.value : node ? c.toJS(node) : null;
  if (typeof value === 'string' && value.trim() !== '') return value;
  c.error(offsetsOf(node, at), 'wrong-type', `${what} must be a non-empty text, not ${describe(value)}`);
  return undefined;
}
