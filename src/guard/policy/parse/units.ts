/**
 * What both readers build from checked nodes: entry records, entry units and the final detailed result.
 *
 * Why: an entry's record (checked on its own, lines relative to its key) is what the incremental reader caches and the
 * whole-file reader builds too, so the two readers give the very same result.
 */
import type { Document, Node, Pair, YAMLMap } from 'yaml';
import type { PolicyDiagnostic } from '../diagnostics';
import { splitToolKey, type Policy, type PolicyEntry, type ToolKey } from '../model';
import { Checker } from './checker';
import { checkEntry } from './check-entry';
import type { TopState } from './check-top';
import { shiftDiagnostic, type LineIndex, type Locator } from './lines';
import { caseOnlyToolMatch } from './tool-names';
import type { DetailedParseResult, EntryRecord, EntryUnit, TopUnit } from './types';
import { keyName, offsetsOf, type Offsets } from './yaml-nodes';

/** What a key under tools may be, for the `bad-key` error of a key with whitespace that has no label. */
const BAD_TOOL_KEY =
  'a key under tools is a tool name or glob, optionally followed by a label in parentheses, e.g. "execute_method (no unlink)"';

/** Checks one entry on its own: its diagnostics relative to `at` (line 0 = the key's line). */
export function entryRecord(
  doc: Document,
  pair: Pair,
  at: Locator,
  fallback: Offsets,
  index: number,
  text: string | undefined,
  validate: boolean,
): EntryRecord {
  const diagnostics: PolicyDiagnostic[] = [];
  const c = new Checker(at, doc, diagnostics);
  const keyAt = offsetsOf(pair.key as Node, fallback);
  const key = keyName(pair);
  const parts = key === undefined ? undefined : splitToolKey(key);
  let entry: PolicyEntry | undefined;
  if (validate) {
    if (key === undefined || key.trim() === '') c.error(keyAt, 'bad-key', 'Each key under tools must be a tool name or a glob');
    else if (parts === undefined) c.error(keyAt, 'bad-key', `Invalid key ${JSON.stringify(key)}: ${BAD_TOOL_KEY}`);
    else {
      entry = checkEntry(c, key, parts, index, (pair.value as Node | null) ?? null, keyAt);
      const real = caseOnlyToolMatch(parts.pattern);
      if (real !== undefined) {
        c.error(
          patternOffsets(at.lines.text, keyAt, key, parts),
          'tool-name-case',
          `Unknown tool "${parts.pattern}": tool names are case-sensitive, and the tool is "${real}"; ` +
            `as written, the entry for ${key} never applies`,
          real,
        );
      }
    }
  }
  const value = pair.value as Node | null;
  const end = value?.range && value.range[1] > value.range[0] ? value.range[1] - 1 : keyAt[0];
  return {
    ...(text !== undefined ? { text } : {}),
    pair,
    at,
    ...(key !== undefined ? { key } : {}),
    ...(parts !== undefined ? { pattern: parts.pattern } : {}),
    ...(parts?.label !== undefined ? { label: parts.label } : {}),
    ...(entry ? { entry } : {}),
    diagnostics,
    lastLine: at.lines.lineOf(Math.max(keyAt[0], end)) + at.lineShift,
  };
}

/**
 * Offsets of a tool key's name or glob: the whole key node, or for a labelled key the part before the
 * label (as the editor's `entryPatternRange`, so a quick fix can replace just the name).
 */
function patternOffsets(text: string, keyAt: Offsets, key: string, parts: ToolKey): Offsets {
  if (parts.label === undefined || parts.pattern === key) return keyAt;
  const quote = text[keyAt[0]];
  const start = quote === '"' || quote === "'" ? keyAt[0] + 1 : keyAt[0];
  return text.startsWith(parts.pattern, start) ? [start, start + parts.pattern.length] : keyAt;
}

/** A record at its place: the unit, with the entry re-indexed when its position under tools changed. */
export function unitOf(record: EntryRecord, index: number, line: number, endLine: number): EntryUnit {
  const e = record.entry;
  const entry = e === undefined ? undefined : e.index === index ? e : { ...e, index };
  return { record, index, line, endLine, ...(entry ? { entry } : {}) };
}

/** Entries of a tools mapping read within a larger text (`lines` is that text's, `shift` its first document line). */
export function toolsFromMap(
  c: Checker | undefined,
  doc: Document,
  map: YAMLMap,
  lines: LineIndex,
  shift: number,
  endLine: number,
  validate: boolean,
): EntryUnit[] {
  const fallback = offsetsOf(map, [0, 0]);
  const units: EntryUnit[] = [];
  const keyLines = map.items.map((pair) => lines.lineOf(offsetsOf(pair.key as Node, fallback)[0]));
  map.items.forEach((pair, index) => {
    const keyLine = keyLines[index]!;
    const record = entryRecord(doc, pair, { lines, lineShift: -keyLine }, fallback, index, undefined, validate);
    let next = endLine;
    for (let j = index + 1; j < keyLines.length; j++) {
      if (keyLines[j]! > keyLine) {
        next = keyLines[j]! + shift;
        break;
      }
    }
    units.push(unitOf(record, index, keyLine + shift, Math.max(next, keyLine + shift + 1)));
  });
  if (c) for (const u of units) for (const d of u.record.diagnostics) c.diagnostics.push(shiftDiagnostic(d, u.line));
  return units;
}

/** No entry records: what a whole-file reading passes on (it has nothing to reuse). */
export const EMPTY_CACHE: ReadonlyMap<string, EntryRecord> = new Map();

/** The detailed result of a reading whose YAML was fine: the policy when nothing is an error, the partial policy always. */
export function finish(
  lines: LineIndex,
  strategy: 'segments' | 'whole',
  diagnostics: PolicyDiagnostic[],
  s: TopState,
  top: TopUnit[],
  entryIndent: number | undefined,
  cache: ReadonlyMap<string, EntryRecord>,
): DetailedParseResult {
  const partial: Policy = {
    version: 1,
    defaultAction: s.defaultAction,
    risk: s.risk,
    hide: s.hide,
    entries: s.entries,
    ...(s.resources !== undefined ? { resources: s.resources } : {}),
    approvalTimeoutSeconds: s.approvalTimeoutSeconds,
    ...(s.tests !== undefined ? { tests: s.tests } : {}),
  };
  const ok = s.version !== undefined && !diagnostics.some((d) => d.severity === 'error');
  return {
    ...(ok ? { policy: partial } : {}),
    diagnostics,
    text: lines.text,
    lines,
    strategy,
    yamlOk: true,
    top,
    entries: s.units,
    ...(entryIndent !== undefined ? { entryIndent } : {}),
    partial,
    cache,
  };
}
