/**
 * YAML node helpers shared by the parser and `language/`: a pair's key as text, a pair by its key, empty values, where a node is.
 *
 * Why: the validator and the editor features (outlines, the rule-from-call edits) must read keys and empty values the
 * same way, so they ask these questions here instead of each keeping a copy.
 */
import { isScalar, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Range } from '../diagnostics';
import { locatorRange, type Locator } from './lines';

/** Start and end offsets of a node in the text it was read from. */
export type Offsets = readonly [number, number];

/** The node's start and end offsets, or `fallback` when it has none (a missing value). */
export function offsetsOf(node: Node | null | undefined, fallback: Offsets): Offsets {
  const r = node?.range;
  return r ? [r[0], r[1]] : fallback;
}

/** The node's range in the document, or undefined when it has no offsets. */
export function nodeRange(at: Locator, node: Node | null | undefined): Range | undefined {
  const r = node?.range;
  return r ? locatorRange(at, r[0], r[1]) : undefined;
}

/** A pair's key as text when it is a scalar that is not null (`1` and `true` read as "1" and "true"); else undefined. */
export function keyName(pair: Pair): string | undefined {
  const key = pair.key;
  if (!isScalar(key)) return undefined;
  const value = key.value;
  // Not null and not an object: a string, number, boolean or bigint (or undefined), which `String` spells out.
  return value !== null && typeof value !== 'object' ? String(value as string | number | boolean | bigint | undefined) : undefined;
}

/** The first pair of a mapping whose key is `key` (compared as `keyName` reads it). */
export function pairNamed(map: YAMLMap, key: string): Pair | undefined {
  for (const pair of map.items) if (keyName(pair) === key) return pair;
  return undefined;
}

/** No value at all, or one YAML reads as null (`key:` with nothing after it, `~`, `null`). */
export function isNullNode(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}
