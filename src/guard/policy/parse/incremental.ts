/**
 * The incremental reader: one top-level key and one tools entry at a time, reusing unchanged entries from the previous parse.
 *
 * Why: a keystroke in a 1,000-entry policy must re-read one entry, not the file. The text is cut where `layout.ts` says;
 * each piece is read on its own (simple entries by `fast-nodes.ts`, the rest by the library), and every piece must be
 * exactly one key with its value, with no YAML error, no alias and no repeated key. Anything else (a syntax error, flow
 * style across lines, ...) returns undefined and the whole file is read, so messages and ranges are always those of the
 * whole-file reading.
 *
 * Holds no state between calls: what an edit reuses comes in as `previous` (the last result's `cache`), and the empty
 * document the fast path's nodes belong to is made by each call.
 */
import { Document, type Node } from 'yaml';
import type { PolicyDiagnostic } from '../diagnostics';
import { Checker, expectMap } from './checker';
import { checkTopPair, newTopState } from './check-top';
import { fastEntryPiece } from './fast-nodes';
import { segmentPolicy, type Segments } from './layout';
import { shiftDiagnostic, type LineIndex, type Locator } from './lines';
import { readPiece, type Piece } from './read-yaml';
import type { DetailedParseResult, EntryRecord, EntryUnit, ParseOptions, TopUnit } from './types';
import { entryRecord, finish, toolsFromMap, unitOf } from './units';
import { isNullNode, offsetsOf } from './yaml-nodes';

/** The text of lines [from, to). */
function sliceLines(lines: LineIndex, from: number, to: number): string {
  const s = lines.starts;
  return lines.text.slice(s[from] ?? lines.text.length, s[to] ?? lines.text.length);
}

/**
 * Reads `lines` piece by piece, reusing the records in `previous` (entry text → record); undefined
 * when the layout or a piece asks for the whole-file reading.
 */
export function parseIncremental(
  lines: LineIndex,
  options: ParseOptions,
  previous: ReadonlyMap<string, EntryRecord> | undefined,
): DetailedParseResult | undefined {
  const seg = segmentPolicy(lines);
  return seg ? parseSegments(lines, seg, options, previous) : undefined;
}

function parseSegments(
  lines: LineIndex,
  seg: Segments,
  options: ParseOptions,
  previous: ReadonlyMap<string, EntryRecord> | undefined,
): DetailedParseResult | undefined {
  const sub = seg.tools;
  const pieces: { piece: Piece; start: number; line: number; end: number }[] = [];
  const topKeys = new Set<string>();
  for (let j = 0; j < seg.tops.length; j++) {
    const t = seg.tops[j]!;
    const pieceEnd = sub && sub.top === j ? sub.starts[0]! : t.end;
    const piece = readPiece(sliceLines(lines, t.start, pieceEnd), t.keyLine - t.start, 0);
    if (!piece || topKeys.has(piece.key)) return undefined;
    topKeys.add(piece.key);
    if (sub && sub.top === j && !isNullNode((piece.pair.value as Node | null) ?? null)) return undefined;
    pieces.push({ piece, start: t.start, line: t.keyLine, end: t.end });
  }

  const cache = new Map<string, EntryRecord>();
  const units: EntryUnit[] = [];
  if (sub) {
    // The empty document every entry read by the fast path belongs to in this parse.
    const fastDoc = new Document();
    const entryKeys = new Set<string>();
    const toolsEnd = seg.tops[sub.top]!.end;
    for (let j = 0; j < sub.starts.length; j++) {
      const start = sub.starts[j]!;
      const end = sub.starts[j + 1] ?? toolsEnd;
      // The next entry's indentation is part of this piece: YAML ends some nodes (an empty sequence
      // item, say) at the next token, and so must the piece to give the same ranges.
      const text = sliceLines(lines, start, end) + (j + 1 < sub.starts.length ? ' '.repeat(sub.indent) : '');
      let record = previous?.get(text);
      if (!record) {
        const piece = fastEntryPiece(text, sub.indent, fastDoc) ?? readPiece(text, 0, sub.indent);
        if (!piece) return undefined;
        record = entryRecord(piece.doc, piece.pair, { lines: piece.lines, lineShift: 0 }, [0, 0], j, text, true);
      }
      if (entryKeys.has(record.key!)) return undefined;
      entryKeys.add(record.key!);
      cache.set(text, record);
      units.push(unitOf(record, j, start, end));
    }
  }

  const diagnostics: PolicyDiagnostic[] = [];
  const s = newTopState(options);
  const top: TopUnit[] = [];
  let first: Checker | undefined;
  let entryIndent = sub?.indent;
  for (let j = 0; j < pieces.length; j++) {
    const { piece, start, line, end } = pieces[j]!;
    const at: Locator = { lines: piece.lines, lineShift: start };
    const c = new Checker(at, piece.doc, diagnostics);
    first ??= c;
    top.push({ key: piece.key, doc: piece.doc, pair: piece.pair, at, line, endLine: end });
    checkTopPair(c, piece.pair, offsetsOf(piece.doc.contents as Node, [0, 0]), s, (tc, value, keyAt) => {
      if (sub && sub.top === j) {
        for (const u of units) for (const d of u.record.diagnostics) diagnostics.push(shiftDiagnostic(d, u.line));
        s.units = units;
      } else {
        if (isNullNode(value)) return;
        const tools = expectMap(tc, value, keyAt, 'tools');
        if (!tools) return;
        if (!tools.flow && tools.items.length > 0) {
          const k = offsetsOf(tools.items[0]!.key as Node, [0, 0])[0];
          entryIndent = k - piece.lines.starts[piece.lines.lineOf(k)]!;
        }
        s.units = toolsFromMap(tc, piece.doc, tools, piece.lines, start, end, true);
      }
      s.entries = s.units.flatMap((u) => (u.entry ? [u.entry] : []));
    });
  }
  if (!s.sawVersion && first)
    first.error(
      offsetsOf(pieces[0]!.piece.pair.key as Node, [0, 0]),
      'missing-version',
      'Missing version: add version: 1 as the first line',
    );
  return finish(lines, 'segments', diagnostics, s, top, entryIndent, cache);
}
