/**
 * Text positions: the line index, locators, and ranges and diagnostics moved by whole lines.
 *
 * Why: every diagnostic and outline carries zero-based line / character ranges, and a piece read on its own (an entry)
 * keeps its positions relative to its first line (`Locator`), so its results can be reused when only its line changes.
 */
import type { PolicyDiagnostic, Position, Range } from '../diagnostics';

/** Line starts of a text, for turning offsets into zero-based line / character positions. */
export class LineIndex {
  readonly starts: readonly number[];

  constructor(readonly text: string) {
    const starts = [0];
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    this.starts = starts;
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** The zero-based line holding `offset` (offsets past the end count as the last line). */
  lineOf(offset: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  position(offset: number): Position {
    const line = this.lineOf(offset);
    return { line, character: offset - this.starts[line]! };
  }

  offsetAt(position: Position): number {
    if (position.line < 0) return 0;
    if (position.line >= this.starts.length) return this.text.length;
    const start = this.starts[position.line]!;
    const end = position.line + 1 < this.starts.length ? this.starts[position.line + 1]! - 1 : this.text.length;
    return Math.min(start + Math.max(0, position.character), end);
  }

  /** The text of one line, without its line break. */
  line(line: number): string {
    const start = this.starts[line];
    if (start === undefined) return '';
    const next = this.starts[line + 1];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end > start && this.text.charCodeAt(end - 1) === 13 ? end - 1 : end);
  }
}

/**
 * Where the nodes of one parsed YAML text sit in the document: positions are the text's own
 * (via `lines`) with `lineShift` added to the line. Entries are parsed relative to their first
 * line (shift 0 for an entry parsed on its own), so their results can be reused when only
 * their line changes.
 */
export interface Locator {
  readonly lines: LineIndex;
  readonly lineShift: number;
}

export function locatorRange(at: Locator, from: number, to: number): Range {
  const a = at.lines.position(from);
  const b = at.lines.position(Math.max(from, to));
  return { start: { line: a.line + at.lineShift, character: a.character }, end: { line: b.line + at.lineShift, character: b.character } };
}

export function shiftRange(r: Range, by: number): Range {
  return by === 0
    ? r
    : { start: { line: r.start.line + by, character: r.start.character }, end: { line: r.end.line + by, character: r.end.character } };
}

export function shiftDiagnostic(d: PolicyDiagnostic, by: number): PolicyDiagnostic {
  return by === 0 ? d : { ...d, range: shiftRange(d.range, by) };
}
