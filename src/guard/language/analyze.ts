/**
 * A policy file parsed once into a reusable `PolicyDocument`: the text, its line index, the
 * parse result (diagnostics, the policy, the YAML nodes of every top-level key and entry), and
 * outlines of the keys and values with their ranges, built on demand.
 *
 * Incremental: `analyzePolicy(text, previous)` reuses every tools entry whose text did not
 * change (its YAML nodes, checks, outline and per-entry diagnostics), so a keystroke in a
 * 1,000-entry file re-reads one entry. The result is always the same as without `previous`.
 */
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import type { Position, Range } from '../policy/diagnostics';
import type { Policy } from '../policy/model';
import {
  locatorRange,
  parsePolicyDetailed,
  type DetailedParseResult,
  type EntryRecord,
  type EntryUnit,
  type LineIndex,
  type Locator,
  type TopUnit,
} from '../policy/parse';
import { keyName, nodeRange, pairNamed } from '../policy/parse/yaml-nodes';

export interface PolicyDocument {
  readonly text: string;
  readonly lines: LineIndex;
  readonly parse: DetailedParseResult;
  /** The policy the guard would load from this text; absent while the file has errors. */
  readonly policy?: Policy;
  /** Every part that validated, even with errors elsewhere (hovers use it while the file is being edited). */
  readonly partial?: Policy;
  readonly top: readonly TopUnit[];
  /** The entries under tools, in file order. */
  readonly entries: readonly EntryUnit[];
}

/** Parses a policy text into a document; `previous` (the same file before an edit) only makes it faster. */
export function analyzePolicy(text: string, previous?: PolicyDocument): PolicyDocument {
  const parse = parsePolicyDetailed(text, {}, previous?.parse);
  return {
    text,
    lines: parse.lines,
    parse,
    ...(parse.policy ? { policy: parse.policy } : {}),
    ...(parse.partial ? { partial: parse.partial } : {}),
    top: parse.top,
    entries: parse.entries,
  };
}

let lastText: string | undefined;
let lastDoc: PolicyDocument | undefined;

/** A document for a text or a document; the last text analysed is remembered, so repeated calls with the same text parse once. */
export function asDocument(documentOrText: PolicyDocument | string): PolicyDocument {
  if (typeof documentOrText !== 'string') return documentOrText;
  if (lastDoc && lastText === documentOrText) return lastDoc;
  const doc = analyzePolicy(documentOrText, lastDoc);
  lastText = documentOrText;
  lastDoc = doc;
  return doc;
}

// ───────────────────────────── outlines ─────────────────────────────

/** Where a key sits: at the top, in an entry, in a rate_limit, in a condition, or under risk (a risk class). */
export type KeyScope = 'top' | 'entry' | 'rate_limit' | 'condition' | 'risk' | 'resource_entry';

export interface OutlineKey {
  readonly kind: 'key';
  readonly scope: KeyScope;
  readonly name: string;
  readonly range: Range;
}

export interface OutlineValue {
  readonly kind: 'value';
  /** The scope of the key this value belongs to. */
  readonly scope: KeyScope;
  readonly key: string;
  /** The scalar's value (`undefined` for a collection). */
  readonly value: unknown;
  readonly range: Range;
}

/**
 * A tool name or glob: an entry's key (for a key written `PATTERN (LABEL)`, only its PATTERN, with
 * the range of that part), or an item of hide.
 */
export interface OutlineTool {
  readonly kind: 'tool';
  readonly name: string;
  readonly range: Range;
  readonly where: 'entry' | 'hide';
  /** For an entry key with a label: the whole key and the label. */
  readonly key?: string;
  readonly label?: string;
}

/** The ` (LABEL)` part of an entry key written `PATTERN (LABEL)`: its range covers the parentheses. */
export interface OutlineLabel {
  readonly kind: 'label';
  /** The label, without the parentheses. */
  readonly name: string;
  /** The whole key. */
  readonly key: string;
  /** The tool name or glob before the label. */
  readonly pattern: string;
  readonly range: Range;
}

/** A resource URI or URI glob: a key under resources. */
export interface OutlineResource {
  readonly kind: 'resource';
  readonly name: string;
  readonly range: Range;
}

export type OutlineRef = OutlineKey | OutlineValue | OutlineTool | OutlineLabel | OutlineResource;

export interface ScalarAt {
  readonly value: unknown;
  readonly range: Range;
}

export interface ConditionOutline {
  readonly range: Range;
  readonly path?: ScalarAt;
  readonly op?: ScalarAt;
  readonly value?: ScalarAt;
}

export interface EntryOutline {
  /** The whole key, label included. */
  readonly key?: string;
  /** The tool name or glob of the key (the key without its label); absent when the key is not a valid tool key. */
  readonly pattern?: string;
  readonly label?: string;
  readonly keyRange: Range;
  /** The entry's value is a block mapping (each key on its own line). */
  readonly block: boolean;
  readonly action?: ScalarAt & { readonly keyRange: Range };
  readonly rateLimit?: { readonly keyRange: Range; readonly range: Range };
  readonly conditions: readonly ConditionOutline[];
  /** Every key, value and the tool name, in file order. */
  readonly refs: readonly OutlineRef[];
  /** The key's line and the last line holding the entry's value (trailing comments and blank lines excluded). */
  readonly firstLine: number;
  readonly lastLine: number;
}

function scalarAt(at: Locator, node: unknown): ScalarAt | undefined {
  if (!isScalar(node)) return undefined;
  const range = nodeRange(at, node);
  return range ? { value: node.value, range } : undefined;
}

/** Keys and values of a mapping, with `onPair` for nested structure. */
function mapRefs(at: Locator, node: unknown, scope: KeyScope, refs: OutlineRef[], onPair?: (key: string, value: unknown) => void): void {
  if (!isMap(node)) return;
  for (const pair of node.items) {
    const name = keyName(pair);
    const keyRange = nodeRange(at, pair.key as Node);
    if (name !== undefined && keyRange) refs.push({ kind: 'key', scope, name, range: keyRange });
    if (name === undefined) continue;
    const v = pair.value;
    const valueRange = nodeRange(at, v as Node);
    if (valueRange && (isScalar(v) || !onPair))
      refs.push({ kind: 'value', scope, key: name, value: isScalar(v) ? v.value : undefined, range: valueRange });
    onPair?.(name, v);
  }
}

/**
 * Offsets (in `record.at`'s text) of the key's tool name or glob, and of its ` (LABEL)` part from the
 * opening parenthesis: the whole key, or for a labelled key the part before the label (a quoted key's
 * text starts one character later). Falls back to the whole key when the text is not the value as is
 * (escapes in a quoted key).
 */
function keyParts(
  record: EntryRecord,
): { readonly pattern: readonly [number, number]; readonly label?: readonly [number, number] } | undefined {
  const r = (record.pair.key as Node | null)?.range;
  if (!r) return undefined;
  const whole = { pattern: [r[0], r[1]] as const };
  const pattern = record.pattern;
  if (pattern === undefined || record.label === undefined || pattern === record.key) return whole;
  const text = record.at.lines.text;
  const quote = text[r[0]];
  const quoted = quote === '"' || quote === "'";
  const start = quoted ? r[0] + 1 : r[0];
  const end = quoted && text[r[1] - 1] === quote ? r[1] - 1 : r[1];
  if (!text.startsWith(pattern, start)) return whole;
  const patternEnd = start + pattern.length;
  const rest = /^\s+\(/.exec(text.slice(patternEnd, end));
  const label = rest && text[end - 1] === ')' ? ([patternEnd + rest[0].length - 1, end] as const) : undefined;
  return { pattern: [start, patternEnd], ...(label ? { label } : {}) };
}

/** Only the range of an entry key's tool name or glob (the whole key unless it has a label), in the unit's document lines. */
export function entryPatternRange(unit: Pick<EntryUnit, 'record' | 'line'>): Range {
  const parts = keyParts(unit.record);
  if (!parts) return entryKeyRange(unit);
  return shift(locatorRange(unit.record.at, parts.pattern[0], parts.pattern[1]), unit.line);
}

function buildEntryOutline(record: EntryRecord): EntryOutline {
  const at = record.at;
  const pair = record.pair;
  const refs: OutlineRef[] = [];
  const keyRange = nodeRange(at, pair.key as Node) ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  if (record.key !== undefined && record.pattern !== undefined) {
    const parts = keyParts(record);
    const patternRange = parts ? locatorRange(at, parts.pattern[0], parts.pattern[1]) : keyRange;
    const label = record.label;
    if (label === undefined) refs.push({ kind: 'tool', name: record.pattern, range: patternRange, where: 'entry' });
    else {
      refs.push({ kind: 'tool', name: record.pattern, range: patternRange, where: 'entry', key: record.key, label });
      if (parts?.label)
        refs.push({
          kind: 'label',
          name: label,
          key: record.key,
          pattern: record.pattern,
          range: locatorRange(at, parts.label[0], parts.label[1]),
        });
    }
  }
  const conditions: ConditionOutline[] = [];
  let action: EntryOutline['action'];
  let rateLimit: EntryOutline['rateLimit'];
  const value = pair.value;
  mapRefs(at, value, 'entry', refs, (key, v) => {
    const scalar = scalarAt(at, v);
    if (key === 'action' && scalar) {
      const actionPair = pairNamed(value as YAMLMap, 'action');
      action = { ...scalar, keyRange: nodeRange(at, actionPair?.key as Node) ?? scalar.range };
    } else if (key === 'rate_limit') {
      const rlPair = pairNamed(value as YAMLMap, 'rate_limit');
      const range = nodeRange(at, v as Node);
      const kr = nodeRange(at, rlPair?.key as Node);
      if (range && kr) rateLimit = { keyRange: kr, range };
      if (isMap(v)) mapRefs(at, v, 'rate_limit', refs);
      else if (range) refs.push({ kind: 'value', scope: 'entry', key, value: scalar?.value, range });
    } else if (key === 'when') {
      if (!isSeq(v)) return;
      for (const item of v.items) {
        const range = nodeRange(at, item as Node);
        if (!range) continue;
        const cond: { range: Range; path?: ScalarAt; op?: ScalarAt; value?: ScalarAt } = { range };
        if (isMap(item)) {
          for (const p of item.items) {
            const k = keyName(p);
            const s = scalarAt(at, p.value);
            if (k === 'path' && s) cond.path = s;
            else if (k === 'op' && s) cond.op = s;
            else if (k === 'value') {
              const r = nodeRange(at, p.value as Node);
              if (r) cond.value = { value: s?.value, range: r };
            }
          }
        }
        conditions.push(cond);
        mapRefs(at, item, 'condition', refs);
      }
    } else if (!isScalar(v)) {
      const range = nodeRange(at, v as Node);
      if (range) refs.push({ kind: 'value', scope: 'entry', key, value: undefined, range });
    }
  });
  return {
    ...(record.key !== undefined ? { key: record.key } : {}),
    ...(record.pattern !== undefined ? { pattern: record.pattern } : {}),
    ...(record.label !== undefined ? { label: record.label } : {}),
    keyRange,
    block: isMap(value) && !value.flow,
    ...(action ? { action } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    conditions,
    refs,
    firstLine: keyRange.start.line,
    lastLine: record.lastLine,
  };
}

const relativeOutlines = new WeakMap<EntryRecord, EntryOutline>();

function shift(r: Range, by: number): Range {
  return { start: { line: r.start.line + by, character: r.start.character }, end: { line: r.end.line + by, character: r.end.character } };
}

function shiftScalar<T extends ScalarAt>(s: T | undefined, by: number): T | undefined {
  return s ? { ...s, range: shift(s.range, by) } : undefined;
}

/** The entry's outline relative to its key's line (line 0), computed once per entry text. */
export function relativeEntryOutline(record: EntryRecord): EntryOutline {
  let rel = relativeOutlines.get(record);
  if (!rel) {
    rel = buildEntryOutline(record);
    relativeOutlines.set(record, rel);
  }
  return rel;
}

/** The entry's keys and values with their document ranges (computed once per entry text). */
export function entryOutline(unit: EntryUnit): EntryOutline {
  const rel = relativeEntryOutline(unit.record);
  const by = unit.line;
  if (by === 0) return rel;
  const action = rel.action ? { ...rel.action, range: shift(rel.action.range, by), keyRange: shift(rel.action.keyRange, by) } : undefined;
  return {
    ...(rel.key !== undefined ? { key: rel.key } : {}),
    ...(rel.pattern !== undefined ? { pattern: rel.pattern } : {}),
    ...(rel.label !== undefined ? { label: rel.label } : {}),
    keyRange: shift(rel.keyRange, by),
    block: rel.block,
    ...(action ? { action } : {}),
    ...(rel.rateLimit ? { rateLimit: { keyRange: shift(rel.rateLimit.keyRange, by), range: shift(rel.rateLimit.range, by) } } : {}),
    conditions: rel.conditions.map((c) => {
      const path = shiftScalar(c.path, by);
      const op = shiftScalar(c.op, by);
      const value = shiftScalar(c.value, by);
      return { range: shift(c.range, by), ...(path ? { path } : {}), ...(op ? { op } : {}), ...(value ? { value } : {}) };
    }),
    refs: rel.refs.map((r) => ({ ...r, range: shift(r.range, by) })),
    firstLine: rel.firstLine + by,
    lastLine: rel.lastLine + by,
  };
}

/** Only the key range of an entry, without building its outline. */
export function entryKeyRange(unit: Pick<EntryUnit, 'record' | 'line'>): Range {
  const r = (unit.record.pair.key as Node | null)?.range;
  if (!r) return { start: { line: unit.line, character: 0 }, end: { line: unit.line, character: 0 } };
  return shift(locatorRange(unit.record.at, r[0], r[1]), unit.line);
}

export interface TopOutline {
  readonly refs: readonly OutlineRef[];
  readonly keys: ReadonlyMap<string, { readonly keyRange: Range; readonly unit: TopUnit }>;
  readonly default?: ScalarAt;
  readonly risk: readonly (ScalarAt & { readonly riskClass: string; readonly keyRange: Range })[];
  readonly hide: readonly (ScalarAt & { readonly name: string })[];
}

const topOutlines = new WeakMap<PolicyDocument, TopOutline>();

/** The top-level keys and values (everything but the entries' insides), with document ranges. */
export function topOutline(doc: PolicyDocument): TopOutline {
  const memo = topOutlines.get(doc);
  if (memo) return memo;
  const refs: OutlineRef[] = [];
  const keys = new Map<string, { keyRange: Range; unit: TopUnit }>();
  let def: ScalarAt | undefined;
  const risk: (ScalarAt & { riskClass: string; keyRange: Range })[] = [];
  const hide: (ScalarAt & { name: string })[] = [];
  for (const unit of doc.top) {
    const at = unit.at;
    const name = keyName(unit.pair);
    const keyRange = nodeRange(at, unit.pair.key as Node);
    if (name === undefined || !keyRange) continue;
    if (!keys.has(name)) keys.set(name, { keyRange, unit });
    refs.push({ kind: 'key', scope: 'top', name, range: keyRange });
    const v = unit.pair.value;
    const s = scalarAt(at, v);
    if (name === 'risk') {
      if (isMap(v)) {
        for (const p of v.items) {
          const cls = keyName(p);
          const kr = nodeRange(at, p.key as Node);
          if (cls === undefined || !kr) continue;
          refs.push({ kind: 'key', scope: 'risk', name: cls, range: kr });
          const cv = scalarAt(at, p.value);
          if (cv) {
            refs.push({ kind: 'value', scope: 'risk', key: cls, value: cv.value, range: cv.range });
            risk.push({ ...cv, riskClass: cls, keyRange: kr });
          }
        }
      }
    } else if (name === 'hide') {
      if (isSeq(v)) {
        for (const item of v.items) {
          const iv = scalarAt(at, item);
          if (iv && typeof iv.value === 'string') {
            refs.push({ kind: 'tool', name: iv.value, range: iv.range, where: 'hide' });
            hide.push({ ...iv, name: iv.value });
          }
        }
      }
    } else if (name === 'resources') {
      if (isMap(v)) {
        for (const p of v.items) {
          const uri = keyName(p);
          const kr = nodeRange(at, p.key as Node);
          if (uri === undefined || !kr) continue;
          refs.push({ kind: 'resource', name: uri, range: kr });
          mapRefs(at, p.value, 'resource_entry', refs, (key, ev) => {
            if (key === 'rate_limit' && isMap(ev)) mapRefs(at, ev, 'rate_limit', refs);
            else if (!isScalar(ev)) {
              const range = nodeRange(at, ev as Node);
              if (range) refs.push({ kind: 'value', scope: 'resource_entry', key, value: undefined, range });
            }
          });
        }
      }
    } else if (name !== 'tools' && s) {
      refs.push({ kind: 'value', scope: 'top', key: name, value: s.value, range: s.range });
      if (name === 'default') def = s;
    }
  }
  const outline: TopOutline = { refs, keys, ...(def ? { default: def } : {}), risk, hide };
  topOutlines.set(doc, outline);
  return outline;
}

/** The entry whose lines hold `line` (its trailing comments included), by binary search. */
export function entryAtLine(doc: PolicyDocument, line: number): EntryUnit | undefined {
  const entries = doc.entries;
  let lo = 0;
  let hi = entries.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid]!.line <= line) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return undefined;
  // Flow-style entries can share a line: take the last one starting on it or before, then check.
  const unit = entries[found]!;
  return line < unit.endLine ? unit : undefined;
}

export function contains(range: Range, p: Position): boolean {
  const afterStart = p.line > range.start.line || (p.line === range.start.line && p.character >= range.start.character);
  const beforeEnd = p.line < range.end.line || (p.line === range.end.line && p.character <= range.end.character);
  return afterStart && beforeEnd;
}

function smallest(refs: readonly OutlineRef[], p: Position): OutlineRef | undefined {
  let best: OutlineRef | undefined;
  for (const r of refs) {
    if (!contains(r.range, p)) continue;
    if (!best || sizeOf(r.range) < sizeOf(best.range)) best = r;
  }
  return best;
}

function sizeOf(r: Range): number {
  return (r.end.line - r.start.line) * 1e6 + (r.end.character - r.start.character);
}

export interface RefAt {
  readonly ref: OutlineRef;
  /** The entry holding it, when inside tools. */
  readonly entry?: EntryUnit;
}

/** The key, value or tool name at a position (the innermost one). */
export function refAt(doc: PolicyDocument, p: Position): RefAt | undefined {
  const candidates: { ref: OutlineRef; entry?: EntryUnit }[] = [];
  for (const unit of doc.entries.length > 0 ? entriesNear(doc, p.line) : []) {
    const ref = smallest(entryOutline(unit).refs, p);
    if (ref) candidates.push({ ref, entry: unit });
  }
  const top = smallest(topOutline(doc).refs, p);
  if (top) candidates.push({ ref: top });
  let best: RefAt | undefined;
  for (const c of candidates) if (!best || sizeOf(c.ref.range) < sizeOf(best.ref.range)) best = c;
  return best;
}

/** Entries that may hold a position on `line`: the one starting at or before it, and others starting on the same line (flow style). */
function entriesNear(doc: PolicyDocument, line: number): EntryUnit[] {
  const entries = doc.entries;
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid]!.line <= line) lo = mid + 1;
    else hi = mid;
  }
  // entries[0, lo) start at or before `line`; only the last few can reach it (flow-style entries share lines).
  const out: EntryUnit[] = [];
  for (let i = lo - 1; i >= 0; i--) {
    const u = entries[i]!;
    if (line < u.endLine || u.line === line) out.push(u);
    if (u.line < line && out.length > 0) break;
    if (u.line < line && line >= u.endLine) break;
  }
  return out.reverse();
}
