/**
 * Where the cursor is in a policy file, from the text lines and their indentation alone (not the
 * YAML tree), so it works on partially typed and invalid files: the chain of keys above the
 * cursor, and whether it is typing a key, a value or a list item.
 */
import type { Position, Range } from '../policy/diagnostics';
import type { LineIndex } from '../policy/parse';

export interface CursorContext {
  /**
   * Keys from the top down to the mapping or list the cursor is in; `-` stands for a list item.
   * E.g. `['tools', 'execute_method', 'when', '-']` inside a condition.
   */
  readonly path: readonly string[];
  /** Typing a key of that mapping, a value of `key`, or an item of a list (`path` ends with `-`). */
  readonly kind: 'key' | 'value' | 'item';
  /** For `value`: the key whose value is being typed. */
  readonly key?: string;
  /** The token being typed (possibly empty) and its range; completions replace it. */
  readonly token: string;
  readonly range: Range;
  /** Column where a key typed here starts (its siblings' indentation), for multi-line insertions. */
  readonly column: number;
  /** A `:` already follows the token (editing an existing key): insert the bare name. */
  readonly colonFollows: boolean;
  /** Inside a flow collection (`{ … }` / `[ … ]`) on this line. */
  readonly flow: boolean;
  /** Line of the mapping's parent key (-1 at the top level), to find sibling keys. */
  readonly parentLine: number;
}

interface LineShape {
  readonly indent: number;
  readonly dash: boolean;
  /** Column of the content after `- ` (or the indentation). */
  readonly contentCol: number;
  /** The key on this line, when it reads `key:`. */
  readonly key?: string;
}

const KEY_AT = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{}[\],][^#]*?)[ \t]*:(?=[ \t]|$)/;

export function unquote(key: string): string {
  if (key.startsWith('"') && key.endsWith('"') && key.length >= 2) {
    try {
      return JSON.parse(key) as string;
    } catch {
      return key.slice(1, -1);
    }
  }
  if (key.startsWith("'") && key.endsWith("'") && key.length >= 2) return key.slice(1, -1).replace(/''/g, "'");
  return key;
}

function shapeOf(text: string): LineShape | undefined {
  let indent = 0;
  while (text.charCodeAt(indent) === 32) indent++;
  const rest = text.slice(indent);
  if (rest.trim() === '' || rest.startsWith('#')) return undefined;
  let contentCol = indent;
  let dash = false;
  const d = /^-(?:[ \t]+|$)/.exec(rest);
  if (d) {
    dash = true;
    contentCol = indent + d[0].length;
  }
  const m = KEY_AT.exec(text.slice(contentCol));
  return { indent, dash, contentCol, ...(m ? { key: unquote(m[1]!.trim()) } : {}) };
}

interface Ancestry {
  readonly path: string[];
  readonly parentLine: number;
}

/**
 * The keys above a node at `column` on `line`: `need` says whether that node is a mapping key
 * or a list item (whose owner may sit at the same column: `key:\n- item`).
 */
function ancestry(lines: LineIndex, line: number, column: number, need: 'key' | 'item'): Ancestry {
  const path: string[] = [];
  let parentLine = -1;
  let col = column;
  let mode = need;
  for (let l = line - 1; l >= 0 && col > 0; l--) {
    const s = shapeOf(lines.line(l));
    if (!s) continue;
    if (s.dash) {
      if (mode === 'key') {
        if (s.indent >= col) continue;
        if (s.contentCol === col) {
          // our mapping is this list item's mapping
          path.unshift('-');
          mode = 'item';
          col = s.indent;
          if (parentLine < 0) parentLine = l;
          continue;
        }
        if (s.contentCol < col && s.key !== undefined) {
          path.unshift(s.key, '-');
          if (parentLine < 0) parentLine = l;
          mode = 'item';
          col = s.indent;
        }
        continue;
      }
      // mode item
      if (s.indent >= col) continue;
      if (s.key !== undefined && s.contentCol <= col) {
        path.unshift(s.key, '-');
        if (parentLine < 0) parentLine = l;
        col = s.indent;
      }
      continue;
    }
    if (s.key === undefined) continue;
    if (s.indent < col || (mode === 'item' && s.indent === col)) {
      path.unshift(s.key);
      if (parentLine < 0) parentLine = l;
      col = s.indent;
      mode = 'key';
    }
  }
  return { path, parentLine };
}

function isTokenChar(ch: string | undefined): boolean {
  return ch !== undefined && !/[\s,{}[\]#:]/.test(ch);
}

interface FlowState {
  /** Containers open at the cursor, outermost first, each with the key whose value it is. */
  readonly stack: { readonly open: '{' | '['; readonly key?: string }[];
  /** Where the current flow segment (after the last `{`, `[` or `,`) starts. */
  readonly segStart: number;
}

/** Scans `text` from `from` for flow collections still open at its end; undefined inside a comment or a quoted string. */
function scanFlow(text: string, from: number): FlowState | undefined {
  const stack: { open: '{' | '['; key?: string }[] = [];
  let segStart = from;
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const prev = text.slice(segStart, i).trim();
      if (prev === '' || prev.endsWith(':') || prev === '-') quote = ch;
      continue;
    }
    if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) return undefined;
    if (ch === '{' || ch === '[') {
      const m = /^\s*(?:-\s+)?(\S.*?)\s*:\s*$/.exec(text.slice(segStart, i));
      stack.push({ open: ch, ...(m ? { key: unquote(m[1]!) } : {}) });
      segStart = i + 1;
    } else if (ch === '}' || ch === ']') {
      stack.pop();
      segStart = i + 1;
    } else if (ch === ',') segStart = i + 1;
  }
  return quote ? undefined : { stack, segStart };
}

/** The completion context at a position, or undefined (in a comment, in a quoted text, after a block scalar…). */
export function cursorContext(lines: LineIndex, position: Position): CursorContext | undefined {
  const text = lines.line(position.line);
  const ch = Math.min(position.character, text.length);
  const before = text.slice(0, ch);

  // The token under the cursor: back to a delimiter (a quote opening it is part of it), forward to the next one.
  let start = ch;
  while (start > 0 && isTokenChar(text[start - 1])) start--;
  let end = ch;
  while (end < text.length && isTokenChar(text[end])) end++;
  const token = text.slice(start, end);
  const range: Range = { start: { line: position.line, character: start }, end: { line: position.line, character: end } };
  const colonFollows = /^[ \t]*:/.test(text.slice(end));

  let indent = 0;
  while (before.charCodeAt(indent) === 32) indent++;
  const restBefore = before.slice(indent);
  if (restBefore.startsWith('#')) return undefined;
  const dashMatch = /^-(?:[ \t]+|$)/.exec(restBefore);
  const dash = dashMatch !== null;
  // `-` just typed, no space yet: not an item until the space comes.
  if (dash && ch === indent + 1) return undefined;
  const contentCol = dash ? indent + dashMatch![0].length : indent;

  // Block part of this line: `key:` before any flow opener.
  const keyHere = KEY_AT.exec(text.slice(contentCol));
  const blockKey = keyHere && contentCol + keyHere[0].length <= ch ? unquote(keyHere[1]!.trim()) : undefined;
  const afterKey = blockKey !== undefined ? contentCol + keyHere![0].length : contentCol;

  const flow = scanFlow(before, afterKey);
  if (!flow) return undefined;

  const base = ancestry(lines, position.line, dash ? indent : contentCol, dash ? 'item' : 'key');
  const path = [...base.path];
  if (dash) path.push('-');

  if (flow.stack.length > 0) {
    if (blockKey !== undefined) path.push(blockKey);
    flow.stack.forEach((el, i) => {
      if (i > 0 && el.key !== undefined) path.push(el.key);
      if (el.open === '[') path.push('-');
    });
    const seg = before.slice(flow.segStart);
    const last = flow.stack[flow.stack.length - 1]!;
    const common = { token, range, column: contentCol, colonFollows, flow: true, parentLine: position.line };
    if (last.open === '[') return { ...common, path, kind: 'item' };
    const kv = /^\s*(\S.*?)\s*:\s+(.*)$/.exec(seg);
    if (kv) return { ...common, path, kind: 'value', key: unquote(kv[1]!) };
    return { ...common, path, kind: 'key' };
  }

  const common = { token, range, column: contentCol, colonFollows, flow: false, parentLine: base.parentLine };
  if (blockKey !== undefined) {
    // `key: |` — typing the value (a block scalar or anything after it is left alone)
    if (/^[|>]/.test(text.slice(afterKey).trim())) return undefined;
    return { ...common, path, kind: 'value', key: blockKey };
  }
  if (dash) return { ...common, path, kind: 'item' };
  return { ...common, path, kind: 'key' };
}
