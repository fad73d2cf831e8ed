/**
 * Small edits of JSONC files (mcp.json, settings.json) that leave the rest of the text as it was:
 * comments, blank lines, the author's indentation. jsonc-parser's own `modify` re-formats around
 * what it changes (with formatting options) or glues lines together (without), so the two edits
 * this extension makes are written here on top of its parse tree and scanner.
 */
import { createScanner, findNodeAtLocation, parseTree, type Node, type ParseError, type SyntaxKind } from 'jsonc-parser';

// jsonc-parser's SyntaxKind is a const enum, which isolated modules cannot read: its value for ",".
const COMMA = 5 as SyntaxKind;

export interface TextEdit {
  readonly offset: number;
  readonly length: number;
  readonly content: string;
}

/** Parses JSONC as VS Code reads its settings and mcp.json: comments and trailing commas allowed. */
export function parseJsonc(text: string): { root: Node | undefined; errors: ParseError[] } {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  return { root, errors };
}

export function applyEdit(text: string, edit: TextEdit): string {
  return text.slice(0, edit.offset) + edit.content + text.slice(edit.offset + edit.length);
}

/** The one replacement that turns `before` into `after`: everything between their common start and end. */
export function minimalEdit(before: string, after: string): TextEdit {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  return { offset: start, length: before.length - start - end, content: after.slice(start, after.length - end) };
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The first token after `offset` that is not whitespace or a comment. */
function nextToken(text: string, offset: number): { kind: SyntaxKind; offset: number } {
  const scanner = createScanner(text, true);
  scanner.setPosition(offset);
  const kind = scanner.scan();
  return { kind, offset: scanner.getTokenOffset() };
}

/** Where the line of `offset` ends, past its line break, when only spaces or a line comment follow; else `offset`. */
function endOfQuietLine(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  const rest = text.slice(offset, nl === -1 ? text.length : nl);
  if (/^\s*(\/\/[^\n]*)?$/.test(rest)) return nl === -1 ? text.length : nl + 1;
  return offset;
}

/** The line's leading whitespace, when nothing but whitespace precedes `offset` on its line. */
function indentBefore(text: string, offset: number): string | undefined {
  const before = text.slice(lineStart(text, offset), offset);
  return /^[ \t]*$/.test(before) ? before : undefined;
}

/**
 * Removes the property at `path` (e.g. ["servers", "Odoo"]) with its comma, its own lines and a
 * comment at the end of its line; everything else stays. `undefined` when there is no such property.
 */
export function removeProperty(text: string, path: readonly (string | number)[]): TextEdit | undefined {
  const { root } = parseJsonc(text);
  const value = root ? findNodeAtLocation(root, [...path]) : undefined;
  const prop = value?.parent;
  const object = prop?.parent;
  if (!prop || prop.type !== 'property' || !object) return undefined;
  const end = prop.offset + prop.length;
  const after = nextToken(text, end);
  const ownLine = indentBefore(text, prop.offset) !== undefined;
  if (after.kind === COMMA) {
    const past = after.offset + 1;
    if (ownLine) {
      // "⇥prop, // comment⏎" goes as whole lines.
      const stop = endOfQuietLine(text, past);
      const start = lineStart(text, prop.offset);
      if (stop !== past) return { offset: start, length: stop - start, content: '' };
    }
    // Something follows on its line: "prop, " goes, up to it.
    return { offset: prop.offset, length: nextToken(text, past).offset - prop.offset, content: '' };
  }
  // The last property, without a trailing comma: its lines go, and the comma before it.
  const start = ownLine ? lineStart(text, prop.offset) : prop.offset;
  const stop = ownLine ? endOfQuietLine(text, end) : end;
  const siblings = object.children ?? [];
  const previous = siblings[siblings.indexOf(prop) - 1];
  const comma = previous ? nextToken(text, previous.offset + previous.length) : undefined;
  if (!comma || comma.kind !== COMMA) return { offset: start, length: stop - start, content: '' };
  // What lies between that comma and this property (a comment, line breaks) stays.
  return { offset: comma.offset, length: stop - comma.offset, content: text.slice(comma.offset + 1, start) };
}

/** How the file indents: its first indented line's whitespace, else a tab (what VS Code writes in settings.json). */
export function indentUnit(text: string): string {
  const m = /\n([ \t]+)\S/.exec(text);
  return m?.[1] ?? '\t';
}

function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/**
 * Puts `body` (which starts with a line break) after the list item or property `last`: after the
 * comment that ends its line, with a comma after `last` and, when the file ends its lists with one, after `body` too.
 */
function insertAfter(text: string, last: Node, body: string): TextEdit {
  const end = last.offset + last.length;
  const token = nextToken(text, end);
  const trailingComma = token.kind === COMMA;
  const past = trailingComma ? token.offset + 1 : end;
  const quietEnd = endOfQuietLine(text, past);
  // Before the line break (and its \r), not after: the new lines come before what followed.
  const at = quietEnd === past || text[quietEnd - 1] !== '\n' ? quietEnd : quietEnd - (text[quietEnd - 2] === '\r' ? 2 : 1);
  const kept = text.slice(end, at);
  const comma = trailingComma ? '' : ',';
  return { offset: end, length: at - end, content: comma + kept + body + (trailingComma ? ',' : '') };
}

/** `value` as JSON over several lines, each line after the first starting with `indent`. */
function formatValue(value: unknown, indent: string, unit: string, eol: string): string {
  return JSON.stringify(value, null, unit)
    .split('\n')
    .join(eol + indent);
}

/**
 * Appends `values` to the array setting `key` at the top level of a settings file, or adds the
 * setting with `whole` when the file does not have it (`whole` is the full list to write then:
 * what VS Code read from elsewhere plus `values`, since a value here replaces it). `text` may be
 * empty (a file to create). An error when the file is not an object or the setting is not a list.
 */
export function appendToArraySetting(
  text: string,
  key: string,
  values: readonly unknown[],
  whole: readonly unknown[],
): { ok: true; edit: TextEdit } | { ok: false; message: string } {
  const unit = indentUnit(text);
  const eol = eolOf(text);
  if (text.trim() === '') {
    return { ok: true, edit: { offset: 0, length: text.length, content: formatValue({ [key]: whole }, '', unit, eol) + eol } };
  }
  const { root } = parseJsonc(text);
  if (!root || root.type !== 'object') return { ok: false, message: 'it is not a JSON object' };
  const existing = findNodeAtLocation(root, [key]);
  if (existing) {
    if (existing.type !== 'array') return { ok: false, message: `"${key}" in it is not a list` };
    const items = existing.children ?? [];
    const last = items.at(-1);
    if (!last) {
      const indent = indentBefore(text, existing.parent?.offset ?? existing.offset) ?? '';
      const body = values.map((v) => indent + unit + formatValue(v, indent + unit, unit, eol)).join(',' + eol);
      return { ok: true, edit: { offset: existing.offset, length: existing.length, content: `[${eol}${body}${eol}${indent}]` } };
    }
    const indent = indentBefore(text, last.offset) ?? (indentBefore(text, existing.parent?.offset ?? existing.offset) ?? '') + unit;
    return { ok: true, edit: insertAfter(text, last, values.map((v) => eol + indent + formatValue(v, indent, unit, eol)).join(',')) };
  }
  const props = root.children ?? [];
  const last = props.at(-1);
  if (!last) {
    const open = root.offset + 1;
    const content = `${eol}${unit}${JSON.stringify(key)}: ${formatValue(whole, unit, unit, eol)}${eol}`;
    return { ok: true, edit: { offset: open, length: root.offset + root.length - 1 - open, content } };
  }
  const indent = indentBefore(text, last.offset) ?? unit;
  return { ok: true, edit: insertAfter(text, last, `${eol}${indent}${JSON.stringify(key)}: ${formatValue(whole, indent, unit, eol)}`) };
}
