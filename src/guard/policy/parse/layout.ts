/**
 * Where a policy text can be cut into pieces that YAML reads alone exactly as within the file (characters only, no YAML).
 *
 * Why: the incremental reader needs the lines of the top-level keys and, when `tools` is a block mapping, of each entry.
 * A policy is a mapping whose keys start in column 0, and `tools` a mapping whose keys share one indentation; block
 * structure depends only on columns, so each such key starts a piece YAML reads the same way on its own. Document markers,
 * directives, indented content before the first key, tabs in the indentation of tools, and indicators, anchors, tags,
 * flow collections or block scalars where a key should start all give undefined: the whole reading then takes over.
 */
import type { LineIndex } from './lines';

export interface Segments {
  /** Top-level pieces: lines [start, end), the key on `keyLine`. */
  readonly tops: readonly { readonly start: number; readonly keyLine: number; readonly end: number }[];
  /** The `tools:` piece split into entries, when it is written as a block with one key per entry. */
  readonly tools?: { readonly top: number; readonly indent: number; readonly starts: readonly number[] };
}

const enum Ch {
  Tab = 9,
  Lf = 10,
  Cr = 13,
  Space = 32,
  Hash = 35,
  Minus = 45,
}

/** Characters that may not start a plain key line in the fast path (indicators, anchors, tags, flow, block scalars). */
const NOT_A_KEY_START = new Set('-?:{}[],&!*|>%@`#'.split('').map((ch) => ch.charCodeAt(0)));

function isLineEnd(c: number): boolean {
  return Number.isNaN(c) || c === Ch.Lf || c === Ch.Cr;
}

function isBlankFrom(text: string, i: number): boolean {
  for (;;) {
    const c = text.charCodeAt(i);
    if (isLineEnd(c)) return true;
    if (c !== Ch.Space && c !== Ch.Tab) return false;
    i++;
  }
}

export function segmentPolicy(lines: LineIndex): Segments | undefined {
  const text = lines.text;
  const starts = lines.starts;
  const n = starts.length;
  if (text.charCodeAt(0) === 0xfeff) return undefined;
  const keyLines: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = starts[i]!;
    const c = text.charCodeAt(s);
    if (isLineEnd(c) || c === Ch.Hash) continue;
    if (c === Ch.Space || c === Ch.Tab) {
      if (keyLines.length === 0 && !isBlankFrom(text, s)) {
        // Indented content before the first key: unless it is a comment, leave it to the whole reading.
        let j = s;
        while (text.charCodeAt(j) === Ch.Space || text.charCodeAt(j) === Ch.Tab) j++;
        if (text.charCodeAt(j) !== Ch.Hash) return undefined;
      }
      continue;
    }
    if (c === Ch.Minus) {
      const d = text.charCodeAt(s + 1);
      if (isLineEnd(d) || d === Ch.Space || d === Ch.Tab) {
        if (keyLines.length === 0) return undefined;
        continue; // a sequence item of the previous key, e.g. hide:\n- a
      }
      if (text.startsWith('---', s)) return undefined;
    }
    if (text.startsWith('...', s)) return undefined;
    if (NOT_A_KEY_START.has(c)) return undefined;
    keyLines.push(i);
  }
  if (keyLines.length === 0) return undefined;
  const tops = keyLines.map((k, j) => ({ start: j === 0 ? 0 : k, keyLine: k, end: keyLines[j + 1] ?? n }));
  let tools: Segments['tools'];
  for (let j = 0; j < tops.length; j++) {
    const t = tops[j]!;
    if (!/^tools:[ \t]*(#.*)?$/.test(lines.line(t.keyLine))) continue;
    tools = splitTools(text, starts, t.keyLine + 1, t.end, j);
    break;
  }
  return tools ? { tops, tools } : { tops };
}

/** The lines starting each entry of a block `tools` mapping, or undefined to read it as one piece. */
function splitTools(text: string, starts: readonly number[], from: number, to: number, top: number): Segments['tools'] {
  let indent = -1;
  const entryStarts: number[] = [];
  for (let i = from; i < to; i++) {
    const s = starts[i]!;
    let sp = 0;
    while (text.charCodeAt(s + sp) === Ch.Space) sp++;
    const c = text.charCodeAt(s + sp);
    if (isLineEnd(c) || c === Ch.Hash) continue;
    if (c === Ch.Tab) {
      if (isBlankFrom(text, s + sp)) continue;
      return undefined;
    }
    if (sp === 0) return undefined;
    if (indent < 0) {
      if (NOT_A_KEY_START.has(c)) return undefined;
      indent = sp;
      entryStarts.push(i);
      continue;
    }
    if (sp > indent) continue;
    if (sp < indent) return undefined;
    if (c === Ch.Minus) {
      const d = text.charCodeAt(s + sp + 1);
      if (isLineEnd(d) || d === Ch.Space || d === Ch.Tab) continue; // a sequence as the previous entry's value
    }
    if (NOT_A_KEY_START.has(c)) return undefined;
    entryStarts.push(i);
  }
  return entryStarts.length > 0 ? { top, indent, starts: entryStarts } : undefined;
}
