/**
 * A string as its reader would see it: JSON's escapes (`\uXXXX`, `\n`, `\"`, `\/`, …), JavaScript's
 * `\xNN` and HTML's `&#NN;` / `&#xNN;` decoded, with a map back to the original, so a secret found
 * in the view is replaced in the original and everything around it keeps its escaping (a JSON text
 * a tool returns as a string stays valid JSON).
 *
 * `\n` matters as much as `\u`: in a JSON text inside a string, `…\nghp_…` would otherwise glue the
 * `n` to the token and hide it from its rule. Escaped twice (`\\u0041`, `\u005Cu0041`) is decoded as
 * often as it takes, up to 4 times. Linear: plain text is copied in slices found with indexOf.
 */

/** One pass's map: the view in segments, each copied text or one decoded escape. */
interface PassMap {
  /** Where each segment starts in the view, ascending. */
  readonly viewStarts: number[];
  /** Where it starts in the pass's input. */
  readonly srcStarts: number[];
  /** Whether it was copied (offsets within it shift one to one) or is one escape. */
  readonly copied: boolean[];
  readonly srcLength: number;
  readonly viewLength: number;
}

export interface ScanView {
  readonly text: string;
  /** Where the view's position `i` (a character start, or its length) is in the original. */
  readonly toOriginal: (i: number) => number;
}

const SIMPLE: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' };
const identity = (i: number): number => i;

export function mayHideBehindEscapes(s: string): boolean {
  return s.indexOf('\\') !== -1 || s.indexOf('&#') !== -1;
}

/** The view of `s` (itself when it has nothing to decode). */
export function scanView(s: string): ScanView {
  if (!mayHideBehindEscapes(s)) return { text: s, toOriginal: identity };
  let text = s;
  const maps: PassMap[] = [];
  for (let pass = 0; pass < 4 && mayHideBehindEscapes(text); pass++) {
    const decoded = decodeOnce(text);
    if (decoded === undefined) break;
    maps.push(decoded.map);
    text = decoded.text;
  }
  if (maps.length === 0) return { text: s, toOriginal: identity };
  return {
    text,
    toOriginal: (i) => {
      let at = i;
      for (let k = maps.length - 1; k >= 0; k--) at = mapBack(maps[k]!, at);
      return at;
    },
  };
}

function mapBack(map: PassMap, i: number): number {
  if (i >= map.viewLength) return map.srcLength;
  // The last segment starting at or before i.
  let lo = 0;
  let hi = map.viewStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (map.viewStarts[mid]! <= i) lo = mid;
    else hi = mid - 1;
  }
  return map.copied[lo] ? map.srcStarts[lo]! + (i - map.viewStarts[lo]!) : map.srcStarts[lo]!;
}

function isHex(s: string, from: number, count: number): boolean {
  if (from + count > s.length) return false;
  for (let k = from; k < from + count; k++) {
    const c = s.charCodeAt(k) | 0x20;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** One pass of decoding, or undefined when there was nothing to decode. */
function decodeOnce(s: string): { text: string; map: PassMap } | undefined {
  const out = new PassBuilder(s.length);
  let copiedFrom = 0;
  // The next backslash and the next `&#`, each searched again only once passed (linear overall).
  let backslash = s.indexOf('\\');
  let entity = s.indexOf('&#');
  let i = backslash === -1 ? entity : entity === -1 ? backslash : Math.min(backslash, entity);
  while (i !== -1) {
    const escape = readEscape(s, i);
    const from = escape === undefined ? i + 1 : escape.end;
    if (escape !== undefined) {
      out.push(s.slice(copiedFrom, i), copiedFrom, true);
      out.push(escape.chars, i, false);
      copiedFrom = escape.end;
    }
    if (backslash !== -1 && backslash < from) backslash = s.indexOf('\\', from);
    if (entity !== -1 && entity < from) entity = s.indexOf('&#', from);
    i = backslash === -1 ? entity : entity === -1 ? backslash : Math.min(backslash, entity);
  }
  if (copiedFrom === 0) return undefined;
  out.push(s.slice(copiedFrom), copiedFrom, true);
  return out.done();
}

class PassBuilder {
  private readonly parts: string[] = [];
  private readonly viewStarts: number[] = [];
  private readonly srcStarts: number[] = [];
  private readonly copied: boolean[] = [];
  private viewLength = 0;

  constructor(private readonly srcLength: number) {}

  push(chars: string, src: number, copied: boolean): void {
    if (chars.length === 0) return;
    this.viewStarts.push(this.viewLength);
    this.srcStarts.push(src);
    this.copied.push(copied);
    this.parts.push(chars);
    this.viewLength += chars.length;
  }

  done(): { text: string; map: PassMap } {
    const { viewStarts, srcStarts, copied, srcLength, viewLength } = this;
    return { text: this.parts.join(''), map: { viewStarts, srcStarts, copied, srcLength, viewLength } };
  }
}

function readEscape(s: string, i: number): { chars: string; end: number } | undefined {
  if (s[i] === '&') return readEntity(s, i);
  const next = s[i + 1];
  if (next === 'u' && isHex(s, i + 2, 4)) return { chars: String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16)), end: i + 6 };
  if (next === 'x' && isHex(s, i + 2, 2)) return { chars: String.fromCharCode(parseInt(s.slice(i + 2, i + 4), 16)), end: i + 4 };
  if (next !== undefined && SIMPLE[next] !== undefined) return { chars: SIMPLE[next], end: i + 2 };
  return undefined;
}

/** `&#65;`, `&#x41;`, the `;` optional as browsers read it. */
function readEntity(s: string, at: number): { chars: string; end: number } | undefined {
  const hex = s[at + 2] === 'x' || s[at + 2] === 'X';
  const start = at + (hex ? 3 : 2);
  let j = start;
  const max = start + (hex ? 6 : 7);
  while (j < s.length && j < max && (hex ? isHex(s, j, 1) : s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39)) j++;
  if (j === start) return undefined;
  const code = parseInt(s.slice(start, j), hex ? 16 : 10);
  if (code > 0x10ffff) return undefined;
  return { chars: String.fromCodePoint(code), end: s[j] === ';' ? j + 1 : j };
}
