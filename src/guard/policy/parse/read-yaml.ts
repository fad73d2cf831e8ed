/**
 * Reading YAML with the library as the parser does: the shared options, and one piece (a key with its value) read on its own.
 *
 * Why: both readers must read with the same options; a piece is accepted only when it is exactly one plain key at its
 * place with its value, with no error and no alias, so that reading it alone gives what the whole file would.
 */
import { isMap, isScalar, parseDocument, visit, type Document, type Pair } from 'yaml';
import { LineIndex } from './lines';

export const YAML_OPTIONS = { prettyErrors: false, uniqueKeys: true, merge: false } as const;

/** One key with its value, read on its own (by the library or by the fast path). */
export interface Piece {
  readonly doc: Document;
  readonly pair: Pair;
  readonly key: string;
  readonly lines: LineIndex;
}

function hasAlias(doc: Document): boolean {
  let found = false;
  visit(doc, {
    Alias() {
      found = true;
      return visit.BREAK;
    },
  });
  return found;
}

/** Cheap test before walking a tree for aliases: a `*` that starts a token. */
const MAYBE_ALIAS = /(?:^|[\s[\]{},:])\*[^\s,[\]{}]/;

/** Reads one piece; undefined unless it is exactly one plain-text key at (keyLine, keyColumn) with its value, without errors or aliases. */
export function readPiece(text: string, keyLine: number, keyColumn: number): Piece | undefined {
  const doc = parseDocument(text, YAML_OPTIONS);
  if (doc.errors.length > 0) return undefined;
  const root = doc.contents;
  if (!isMap(root) || root.items.length !== 1) return undefined;
  const pair = root.items[0]!;
  const key = pair.key;
  if (!isScalar(key) || typeof key.value !== 'string' || !key.range) return undefined;
  const lines = new LineIndex(text);
  if (key.range[0] !== (lines.starts[keyLine] ?? -1) + keyColumn) return undefined;
  if (MAYBE_ALIAS.test(text) && hasAlias(doc)) return undefined;
  return { doc, pair, key: key.value, lines };
}
