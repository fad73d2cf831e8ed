/**
 * Quick fixes as pure text edits: apply a "did you mean" (also the real capitals of a tool name); turn a risky `allow` into
 * `require_approval` (and `default: allow` / `risk: …: allow` into the safe action); add an entry
 * for a tool the server reported that the catalog does not know and no entry names; remove a dead
 * entry (its lines) or a dead action.
 */
import { isMap, type Node } from 'yaml';
import type { PolicyDiagnostic, Position, Range } from '../policy/diagnostics';
import type { EntryUnit } from '../policy/parse';
import { recommendedAction } from '../policy/starter';
import { asDocument, entryAtLine, entryKeyRange, entryOutline, entryPatternRange, topOutline, type PolicyDocument } from './analyze';
import { toolPattern, yamlName, yamlToolKey } from './completion';
import { policyDiagnostics } from './diagnostics';
import { toolIndexOf, type KnownTool, type ToolSource } from './tool-index';

export interface TextEdit {
  readonly range: Range;
  readonly newText: string;
}

export interface PolicyCodeAction {
  readonly title: string;
  readonly kind: 'quickfix';
  /** The diagnostic this action fixes. */
  readonly diagnostic: PolicyDiagnostic;
  /** Edits to apply together (non-overlapping). */
  readonly edits: readonly TextEdit[];
  readonly isPreferred?: boolean;
}

function before(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

function intersects(a: Range, b: Range): boolean {
  return !before(a.end, b.start) && !before(b.end, a.start);
}

function sameRange(a: Range, b: Range): boolean {
  return (
    a.start.line === b.start.line &&
    a.start.character === b.start.character &&
    a.end.line === b.end.line &&
    a.end.character === b.end.character
  );
}

/** Applies non-overlapping edits to a text (for tests and for editors without their own). */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const offset = (p: Position) => {
    if (p.line >= starts.length) return text.length;
    const lineEnd = p.line + 1 < starts.length ? starts[p.line + 1]! - 1 : text.length;
    return Math.min(starts[p.line]! + p.character, lineEnd);
  };
  const sorted = edits
    .map((e) => ({ from: offset(e.range.start), to: offset(e.range.end), text: e.newText }))
    .sort((a, b) => b.from - a.from || b.to - a.to);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return out;
}

/** Removes whole lines `first`..`last` (inclusive). */
function deleteLines(doc: PolicyDocument, first: number, last: number): TextEdit {
  const lines = doc.lines;
  if (last + 1 < lines.lineCount)
    return { range: { start: { line: first, character: 0 }, end: { line: last + 1, character: 0 } }, newText: '' };
  // The last line of a file without a final newline: take the newline before it instead.
  const lastLen = lines.line(last).length;
  if (first === 0) return { range: { start: { line: 0, character: 0 }, end: { line: last, character: lastLen } }, newText: '' };
  return {
    range: { start: { line: first - 1, character: lines.line(first - 1).length }, end: { line: last, character: lastLen } },
    newText: '',
  };
}

/** The entry's lines, when it owns them alone (block style: its key starts its line and no other entry shares them). */
function ownLines(doc: PolicyDocument, unit: EntryUnit): { first: number; last: number } | undefined {
  const outline = entryOutline(unit);
  const keyLine = doc.lines.line(outline.firstLine);
  if (keyLine.slice(0, outline.keyRange.start.character).trim() !== '') return undefined;
  const i = doc.entries.indexOf(unit);
  const next = doc.entries[i + 1];
  if (next && next.line <= outline.lastLine) return undefined;
  return { first: outline.firstLine, last: outline.lastLine };
}

/**
 * The edit that changes the tool name or glob of a labelled key and keeps its label: only the name is
 * replaced, written as the key's quoting needs; a plain key whose new name would need quotes is
 * rewritten whole, quoted. Undefined when the new key would repeat another entry's key.
 */
function renamePatternEdit(doc: PolicyDocument, unit: EntryUnit, tool: string): TextEdit | undefined {
  const name = toolPattern(tool);
  const key = unit.record.key!;
  const pattern = unit.record.pattern!;
  const newKey = name + key.slice(pattern.length);
  if (doc.entries.some((u) => u !== unit && u.record.key === newKey)) return undefined;
  const range = entryPatternRange(unit);
  const keyRange = entryKeyRange(unit);
  // The name's own range is the whole key when the key's text is not its value as is (escapes): rewrite it all.
  if (sameRange(range, keyRange)) return { range: keyRange, newText: JSON.stringify(newKey) };
  const quote = doc.lines.line(keyRange.start.line)[keyRange.start.character];
  if (quote === '"') return { range, newText: JSON.stringify(name).slice(1, -1) };
  if (quote === "'") return { range, newText: name.replace(/'/g, "''") };
  if (yamlName(name) === name) return { range, newText: name };
  return { range: keyRange, newText: JSON.stringify(newKey) };
}

function replaceWith(d: PolicyDiagnostic, title: string, newText: string, preferred = true): PolicyCodeAction {
  return { title, kind: 'quickfix', diagnostic: d, edits: [{ range: d.range, newText }], ...(preferred ? { isPreferred: true } : {}) };
}

function indentation(text: string): number {
  let n = 0;
  while (text.charCodeAt(n) === 32) n++;
  return n;
}

/** The edit that adds entries (block style) for `tools` at the end of the tools mapping. */
function addEntriesEdit(doc: PolicyDocument, tools: readonly KnownTool[]): TextEdit | undefined {
  const lines = doc.lines;
  const top = topOutline(doc);
  const entryIndent = doc.parse.entryIndent ?? 2;
  let bodyIndent = entryIndent * 2;
  for (const u of doc.entries) {
    const v = u.record.pair.value as Node | null;
    if (isMap(v) && !v.flow && v.items.length > 0) {
      const o = entryOutline(u);
      const firstBody = o.refs.find((r) => r.kind === 'key' && r.range.start.line > o.firstLine);
      if (firstBody) bodyIndent = firstBody.range.start.character;
      break;
    }
  }
  const block = (indent: number, body: number) =>
    tools
      .map(
        (t) =>
          `${' '.repeat(indent)}${yamlToolKey(t.name)}:  # ${t.classification.category} · ${t.classification.risk} risk\n` +
          `${' '.repeat(body)}action: ${recommendedAction(t.classification.risk)}\n`,
      )
      .join('');
  const toolsKey = top.keys.get('tools');
  const endOfText = (): Position => {
    const last = lines.lineCount - 1;
    return { line: last, character: lines.line(last).length };
  };
  const insertAfterLine = (line: number, text: string): TextEdit => {
    if (line + 1 < lines.lineCount)
      return { range: { start: { line: line + 1, character: 0 }, end: { line: line + 1, character: 0 } }, newText: text };
    const end = endOfText();
    return { range: { start: end, end }, newText: `\n${text.replace(/\n$/, '')}` };
  };
  if (!toolsKey) {
    const end = endOfText();
    const needsNewline = lines.line(end.line) !== '';
    return { range: { start: end, end }, newText: `${needsNewline ? '\n' : ''}tools:\n${block(2, 4)}` };
  }
  const value = toolsKey.unit.pair.value as Node | null;
  if (doc.entries.length > 0 && doc.parse.entryIndent !== undefined) {
    const last = doc.entries[doc.entries.length - 1]!;
    return insertAfterLine(entryOutline(last).lastLine, block(entryIndent, bodyIndent));
  }
  if (isMap(value) && value.flow) {
    const r = value.range;
    if (!r) return undefined;
    const span = { start: toolsKey.unit.at.lines.position(r[0]), end: toolsKey.unit.at.lines.position(r[1]) };
    const shiftLine = toolsKey.unit.at.lineShift;
    const range: Range = {
      start: { line: span.start.line + shiftLine, character: span.start.character },
      end: { line: span.end.line + shiftLine, character: span.end.character },
    };
    if (value.items.length === 0) {
      // `tools: {}` becomes `tools:` and a block (no space left after the colon).
      const keyEnd = toolsKey.keyRange.end;
      const colon = keyEnd.line === range.start.line ? lines.line(keyEnd.line).indexOf(':', keyEnd.character) : -1;
      const start = colon >= 0 ? { line: keyEnd.line, character: colon + 1 } : range.start;
      return { range: { start, end: range.end }, newText: `\n${block(2, 4).replace(/\n$/, '')}` };
    }
    // `{ a: …, b: … }`: add before the closing brace.
    const closing = { line: range.end.line, character: range.end.character - 1 };
    const flowText = tools.map((t) => `, ${yamlToolKey(t.name)}: { action: ${recommendedAction(t.classification.risk)} }`).join('');
    const beforeBrace = lines.line(closing.line).slice(0, closing.character);
    const trimmed = beforeBrace.replace(/\s+$/, '');
    const at = { line: closing.line, character: trimmed.length };
    return { range: { start: at, end: at }, newText: flowText };
  }
  if (value === null || (value as { value?: unknown }).value === null) {
    const keyLine = toolsKey.keyRange.start.line;
    return insertAfterLine(keyLine, block(indentation(lines.line(keyLine)) + 2, indentation(lines.line(keyLine)) + 4));
  }
  return undefined;
}

/**
 * Quick fixes for the diagnostics touching `range`. `diagnostics` defaults to `policyDiagnostics`
 * of the document (editors pass the ones they show).
 */
export function policyCodeActions(
  document: PolicyDocument | string,
  range: Range,
  tools?: ToolSource,
  diagnostics?: readonly PolicyDiagnostic[],
): PolicyCodeAction[] {
  const doc = asDocument(document);
  const index = toolIndexOf(tools);
  const all = diagnostics ?? policyDiagnostics(doc, tools);
  const out: PolicyCodeAction[] = [];
  for (const d of all) {
    if (!intersects(d.range, range)) continue;
    switch (d.code) {
      case 'unknown-key':
      case 'bad-action':
      case 'bad-op':
      case 'bad-scope':
      case 'unknown-parameter':
        if (d.suggestion !== undefined) out.push(replaceWith(d, `Change to "${d.suggestion}"`, d.suggestion));
        break;
      case 'unknown-tool':
      case 'tool-name-case': {
        // The same edit for a misspelt tool and for one with other capitals (`Cancel_Async_Task`): the
        // name is replaced, a labelled key keeps its label, a hide item or a test's call is replaced as is.
        const suggestion = d.suggestion;
        if (suggestion === undefined) break;
        const inHide = topOutline(doc).hide.some((h) => sameRange(h.range, d.range));
        const near = inHide ? undefined : entryAtLine(doc, d.range.start.line);
        const unit = near && sameRange(entryPatternRange(near), d.range) ? near : undefined;
        if (unit?.record.label === undefined) {
          // An entry key names the tool as a key can (`toolPattern`); a test's call or a hide item as it is.
          const name = unit ? toolPattern(suggestion) : suggestion;
          // Not when the suggested name already has an entry: the fix would repeat a key.
          if (!inHide && doc.entries.some((u) => u.record.key === name)) break;
          out.push(replaceWith(d, `Change to "${suggestion}"`, yamlName(name)));
          break;
        }
        const edit = renamePatternEdit(doc, unit, suggestion);
        if (edit) out.push({ title: `Change to "${suggestion}"`, kind: 'quickfix', diagnostic: d, edits: [edit], isPreferred: true });
        break;
      }
      case 'allow-critical':
        out.push(replaceWith(d, 'Change allow to require_approval', 'require_approval'));
        break;
      case 'risky-default':
        out.push(replaceWith(d, 'Change to default: require_approval', 'require_approval'));
        break;
      case 'risky-risk':
        if (d.suggestion !== undefined) out.push(replaceWith(d, `Change to the built-in ${d.suggestion}`, d.suggestion));
        break;
      case 'dead-entry': {
        const unit = entryAtLine(doc, d.range.start.line);
        if (!unit || !sameRange(entryKeyRange(unit), d.range)) break;
        const span = ownLines(doc, unit);
        if (!span) break;
        out.push({
          title: `Remove the entry for ${unit.record.key}`,
          kind: 'quickfix',
          diagnostic: d,
          edits: [deleteLines(doc, span.first, span.last)],
          isPreferred: true,
        });
        break;
      }
      case 'dead-action': {
        const unit = entryAtLine(doc, d.range.start.line);
        const action = unit ? entryOutline(unit).action : undefined;
        if (!unit || !action || !sameRange(action.range, d.range)) break;
        const line = doc.lines.line(action.keyRange.start.line);
        const own =
          line.slice(0, action.keyRange.start.character).trim() === '' &&
          line.slice(action.range.end.character).replace(/#.*$/, '').trim() === '';
        if (!own || action.keyRange.start.line !== action.range.end.line || action.keyRange.start.line === unit.line) break;
        out.push({
          title: `Remove the action of ${unit.record.key}`,
          kind: 'quickfix',
          diagnostic: d,
          edits: [deleteLines(doc, action.keyRange.start.line, action.keyRange.start.line)],
        });
        break;
      }
      case 'unlisted-tools': {
        const named = new Set<string>();
        for (const u of doc.entries)
          if (u.record.pattern !== undefined) for (const t of index.matching(u.record.pattern)) named.add(t.name);
        const policy = doc.policy ?? doc.partial;
        const hidden = (n: string) => policy?.hide.some((h) => h.test(n)) ?? false;
        const unlisted = index.tools.filter((t) => t.reported && !t.inCatalog && !named.has(t.name) && !hidden(t.name));
        for (const t of unlisted) {
          const edit = addEntriesEdit(doc, [t]);
          if (edit)
            out.push({
              title:
                `Add an entry for ${t.name} ` +
                `(${t.classification.category}, ${t.classification.risk} risk: ${recommendedAction(t.classification.risk)})`,
              kind: 'quickfix',
              diagnostic: d,
              edits: [edit],
            });
        }
        if (unlisted.length > 1) {
          const edit = addEntriesEdit(doc, unlisted);
          if (edit) out.push({ title: `Add entries for all ${unlisted.length} tools`, kind: 'quickfix', diagnostic: d, edits: [edit] });
        }
        break;
      }
    }
  }
  return out;
}
