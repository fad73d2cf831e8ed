/** Name and URI globs (`*`, `?`), matched in linear time. */
import type { NamePattern } from './model';

export function isGlob(source: string): boolean {
  return source.includes('*') || source.includes('?');
}

/**
 * `*` matches any run of characters (also none), `?` exactly one; everything else is literal. A
 * "character" is a Unicode code point (flag `u`) and `*` spans line breaks too (flag `s`).
 */
// Kept for callers that match a glob against a few short, known names (the editor's tool index).
// Anything that sees names or URIs from a client uses `compileNamePattern`, whose matcher is linear in
// the input and gives the same answers: V8's backtracking makes this RegExp quadratic or worse on long
// inputs (a 1 MB URI against the glob "odoo://*" + "/attachment/*.pdf" took tens of seconds).
export function globToRegExp(glob: string): RegExp {
  let body = '';
  for (const ch of glob) {
    if (ch === '*') body += '.*';
    else if (ch === '?') body += '.';
    else body += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${body}$`, 'su');
}

// ── A linear-time glob matcher ──
//
// The pattern is split at `*` into segments of literal text and `?`s. The first segment must match at
// the start, the last one at the end; each one in between is taken at its leftmost match after the
// previous one. Leftmost is always right: every segment has a fixed length in code points, and what
// follows a segment only needs the input after it, so an earlier end never loses a match. Each search
// looks at each input position at most once per character of the segment, so for a given pattern the
// time is linear in the input's length, with no backtracking across segments.
//
// Positions are UTF-16 indexes, but matching is by code point, as the `u` regex did: `?` takes a whole
// surrogate pair, and nothing matches starting or ending between the two halves of a pair (a lone
// surrogate in the pattern only matches a lone surrogate in the input).

/** One run of literal text, or a number of `?`s in a row (each one code point). */
type Token = string | number;

interface Segment {
  readonly tokens: readonly Token[];
  /** No `?`: the segment is the literal text `tokens[0]` (or empty). */
  readonly literal: string | undefined;
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Whether UTF-16 index `i` of `s` is between two code points (not inside a surrogate pair). */
function atBoundary(s: string, i: number): boolean {
  return i <= 0 || i >= s.length || !(isLow(s.charCodeAt(i)) && isHigh(s.charCodeAt(i - 1)));
}

function segmentOf(text: string): Segment {
  const tokens: Token[] = [];
  let literal = '';
  let wildcards = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '?') {
      if (literal !== '') tokens.push(literal);
      literal = '';
      wildcards++;
    } else {
      if (wildcards > 0) tokens.push(wildcards);
      wildcards = 0;
      literal += text[i];
    }
  }
  if (literal !== '') tokens.push(literal);
  if (wildcards > 0) tokens.push(wildcards);
  const plain = tokens.length === 0 ? '' : tokens.length === 1 && typeof tokens[0] === 'string' ? tokens[0] : undefined;
  return { tokens, literal: plain };
}

/** Where the segment ends when it matches at `from` (a code point boundary) and ends by `limit`, else -1. */
function matchForward(s: string, from: number, limit: number, seg: Segment): number {
  let i = from;
  const tokens = seg.tokens;
  for (let n = 0; n < tokens.length; n++) {
    const t = tokens[n]!;
    if (typeof t === 'string') {
      if (i + t.length > limit || !s.startsWith(t, i)) return -1;
      i += t.length;
      if (!atBoundary(s, i)) return -1;
    } else {
      for (let k = 0; k < t; k++) {
        if (i >= limit) return -1;
        i += isHigh(s.charCodeAt(i)) && i + 1 < s.length && isLow(s.charCodeAt(i + 1)) ? 2 : 1;
      }
      if (i > limit) return -1;
    }
  }
  return i;
}

/** Where the segment starts when it matches ending at `to` (a code point boundary) and starts at or after `floor`, else -1. */
function matchBackward(s: string, to: number, floor: number, seg: Segment): number {
  let i = to;
  for (let n = seg.tokens.length - 1; n >= 0; n--) {
    const t = seg.tokens[n]!;
    if (typeof t === 'string') {
      if (i - t.length < floor || !s.startsWith(t, i - t.length)) return -1;
      i -= t.length;
      if (!atBoundary(s, i)) return -1;
    } else {
      for (let k = 0; k < t; k++) {
        if (i <= floor) return -1;
        i -= isLow(s.charCodeAt(i - 1)) && i - 2 >= 0 && isHigh(s.charCodeAt(i - 2)) ? 2 : 1;
      }
      if (i < floor) return -1;
    }
  }
  return i;
}

/** The end of the leftmost match of a middle segment starting at or after `from` and ending by `limit`, else -1. */
function findLeftmost(s: string, from: number, limit: number, seg: Segment): number {
  const first = seg.tokens[0];
  if (typeof first === 'string') {
    // Jump between occurrences of the leading literal text (indexOf is linear) instead of trying every position.
    for (let at = s.indexOf(first, from); at !== -1 && at + first.length <= limit; at = s.indexOf(first, at + 1)) {
      if (!atBoundary(s, at)) continue;
      const end = matchForward(s, at, limit, seg);
      if (end !== -1) return end;
    }
    return -1;
  }
  for (let at = from; at < limit; at++) {
    if (!atBoundary(s, at)) continue;
    const end = matchForward(s, at, limit, seg);
    if (end !== -1) return end;
  }
  return -1;
}

/** The end of the leftmost occurrence of `text` in `s` within [from, limit] on code point boundaries, else -1. */
function findText(s: string, text: string, from: number, limit: number): number {
  for (let at = s.indexOf(text, from); at !== -1 && at + text.length <= limit; at = s.indexOf(text, at + 1)) {
    if (atBoundary(s, at) && atBoundary(s, at + text.length)) return at + text.length;
  }
  return -1;
}

/** A matcher for one glob, linear in the length of the input it is given. */
export function compileGlob(glob: string): (input: string) => boolean {
  const parts = glob.split('*');
  if (parts.length === 1) {
    const whole = segmentOf(glob);
    if (whole.literal !== undefined) return (input) => input === glob;
    return (input) => matchForward(input, 0, input.length, whole) === input.length;
  }
  if (!glob.includes('?')) {
    // The common shapes (`write_field_*`, `*_task`, `odoo://*/attachment/*.pdf`): literal text between
    // stars, found with startsWith, endsWith and indexOf.
    const head = parts[0]!;
    const tail = parts[parts.length - 1]!;
    const texts = parts.slice(1, -1).filter((p) => p !== '');
    const least = head.length + tail.length;
    return (input) => {
      if (input.length < least || !input.startsWith(head) || !input.endsWith(tail)) return false;
      const end = input.length - tail.length;
      if (!atBoundary(input, head.length) || !atBoundary(input, end)) return false;
      let at = head.length;
      for (let k = 0; k < texts.length; k++) {
        at = findText(input, texts[k]!, at, end);
        if (at === -1) return false;
      }
      return true;
    };
  }
  const head = segmentOf(parts[0]!);
  const tail = segmentOf(parts[parts.length - 1]!);
  // Empty middle segments (from `**`) change nothing.
  const middle = parts
    .slice(1, -1)
    .filter((p) => p !== '')
    .map(segmentOf);
  return (input) => {
    const start = head.tokens.length === 0 ? 0 : matchForward(input, 0, input.length, head);
    if (start === -1) return false;
    const end = tail.tokens.length === 0 ? input.length : matchBackward(input, input.length, start, tail);
    if (end === -1) return false;
    let at = start;
    for (let k = 0; k < middle.length; k++) {
      at = findLeftmost(input, at, end, middle[k]!);
      if (at === -1) return false;
    }
    return true;
  };
}

export function compileNamePattern(source: string): NamePattern {
  if (!isGlob(source)) return { source, isGlob: false, test: (name) => name === source };
  return { source, isGlob: true, test: compileGlob(source) };
}
