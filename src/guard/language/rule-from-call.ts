/**
 * From a call the guard decided to a rule in the policy file: "Always deny calls like this" and
 * "Allow calls like this", with conditions drawn from the call's arguments, plus a test that pins
 * the new expectation. Pure: text in, one text edit out, and the edit is only offered after the
 * edited policy has been parsed, explained and tested, so it never says more than it does. One
 * job (planning that edit), over 500 lines because each YAML layout (block, flow, labels, CRLF) needs
 * its own small edit.
 *
 * Strictest wins, so the two intents differ:
 * - deny always works by adding an entry (a labelled key when the tool already has one, since YAML
 *   keys are unique), or by changing the action of the tool's one unconditional entry;
 * - allow cannot outvote a stricter entry: an entry of the tool's own that denies or asks is changed
 *   instead (its action becomes allow when no argument was picked; with one argument picked it gets a
 *   `neq` condition, so calls like this one escape it), and an allow entry is added when a risk class
 *   or `default` would still block. Stricter glob entries are left to the user.
 */
import { isPlainObject } from '../util/json';
import { isMap, isSeq, stringify, type Node, type Pair, type YAMLMap } from 'yaml';
import { REDACTED } from '../approval/describe';
import type { Range } from '../policy/diagnostics';
import { PolicyIndex } from '../policy/evaluate';
import { explainCall, type Explanation } from '../policy/explain';
import type { Action, PolicyEntry } from '../policy/model';
import { locatorRange, type EntryUnit, type TopUnit } from '../policy/parse';
import { isNullNode, pairNamed } from '../policy/parse/yaml-nodes';
import { runPolicyTests, summarizeTestResults, type PolicyTestResult } from '../policy/tests';
import { analyzePolicy, entryKeyRange, topOutline, type PolicyDocument } from './analyze';
import type { TextEdit } from './code-actions';
import { toolIndexOf, type ToolSource } from './tool-index';

export type RuleIntent = 'allow' | 'deny';

/** One argument of a call, offered as a condition `{ path, op: eq, value }`. */
export interface ArgumentChoice {
  /** `args.model`, `args.values.state`. */
  readonly path: string;
  readonly value: unknown;
  /** `args.model = "res.partner"`. */
  readonly label: string;
}

export interface RuleRequest {
  readonly tool: string;
  readonly intent: RuleIntent;
  /** The call's arguments when they are known (the audit log may only hold their hash). */
  readonly args?: Readonly<Record<string, unknown>>;
  /** The conditions the user picked, from `argumentChoices(args)`: all must hold for the rule to apply. */
  readonly conditions: readonly Pick<ArgumentChoice, 'path' | 'value'>[];
  /** The entry's `reason` (the agent reads it in a denial). */
  readonly reason?: string;
}

export type RuleEditResult =
  | {
      readonly ok: true;
      /** Edits of the old text that make `text` (apply them together). */
      readonly edits: readonly TextEdit[];
      readonly text: string;
      /** What changed, one line each: `added entry "x"`, `gave entry "y" the condition args.a neq 1`. */
      readonly changes: readonly string[];
      /** The entry that now decides calls like this one. */
      readonly entryKey: string;
      /** The policy's tests after the edit, the new one last. */
      readonly results: readonly PolicyTestResult[];
      /** "5 tests pass". */
      readonly summary: string;
      /** Where to look first: the new or changed entry. */
      readonly focus: Range;
    }
  | { readonly ok: false; readonly message: string; readonly focus?: Range };

const MAX_VALUE_CHARS = 200;
const MAX_LIST_ITEMS = 20;
const MAX_DEPTH = 3;

function isScalarValue(v: unknown): boolean {
  return (
    v === null ||
    typeof v === 'boolean' ||
    (typeof v === 'number' && Number.isFinite(v)) ||
    (typeof v === 'string' && v.length <= MAX_VALUE_CHARS)
  );
}

/** A plain path segment: conditions split paths at dots, so a key with a dot cannot be named. */
const SEGMENT = /^[^.\s]+$/;

/**
 * The arguments a user can pick as conditions: scalars and short lists of scalars, at the top level
 * and inside objects (up to three levels), in argument order.
 */
export function argumentChoices(args: Readonly<Record<string, unknown>> | undefined): ArgumentChoice[] {
  const out: ArgumentChoice[] = [];
  const walk = (value: Readonly<Record<string, unknown>>, prefix: string, depth: number) => {
    for (const [key, v] of Object.entries(value)) {
      if (!SEGMENT.test(key)) continue;
      const path = `${prefix}.${key}`;
      if (isScalarValue(v) || (Array.isArray(v) && v.length <= MAX_LIST_ITEMS && v.every(isScalarValue))) {
        if (v === REDACTED) continue;
        out.push({ path, value: v, label: `${path} = ${JSON.stringify(v)}` });
      } else if (isPlainObject(v) && depth < MAX_DEPTH) {
        walk(v, path, depth + 1);
      }
    }
  };
  if (args) walk(args, 'args', 1);
  return out;
}

/** The arguments a test needs so that exactly the picked conditions hold. */
function argsOf(conditions: RuleRequest['conditions']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of conditions) {
    const segments = c.path.split('.').slice(1);
    let at = out;
    segments.forEach((s, i) => {
      if (i === segments.length - 1) at[s] = c.value;
      else at = (isPlainObject(at[s]) ? at[s] : (at[s] = {})) as Record<string, unknown>;
    });
  }
  return out;
}

// ───────────────────────────── YAML text ─────────────────────────────

function flow(value: unknown): string {
  return stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trimEnd();
}

/** A scalar in block context (a key or a value on its own line). */
function scalar(value: string): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** `eq`/`neq` need a non-null value (an empty one is an error), so a null argument is matched with `in`/`not_in: [null]`. */
function conditionText(c: Pick<ArgumentChoice, 'path' | 'value'>, op: 'eq' | 'neq'): string {
  if (c.value === null) return flow({ path: c.path, op: op === 'eq' ? 'in' : 'not_in', value: [null] });
  return flow({ path: c.path, op, value: c.value });
}

function shortValue(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 24 ? `${s.slice(0, 23)}…` : s;
}

/** A label for a new entry of a tool that already has one: what it does, unique in the file. */
function labelFor(doc: PolicyDocument, tool: string, intent: RuleIntent, conditions: RuleRequest['conditions']): string {
  const what =
    conditions.length === 0
      ? intent === 'deny'
        ? 'always deny'
        : 'allow'
      : `${intent} ${conditions.map((c) => `${c.path.slice(5)}=${shortValue(c.value)}`).join(' ')}`;
  const base = what.replace(/\(/g, '[').replace(/\)/g, ']').replace(/\s+/g, ' ').trim();
  const taken = new Set(doc.entries.flatMap((u) => (u.record.key !== undefined ? [u.record.key] : [])));
  for (let n = 1; ; n++) {
    const key = `${tool} (${n === 1 ? base : `${base} ${n}`})`;
    if (!taken.has(key)) return key;
  }
}

// ───────────────────────────── positions ─────────────────────────────

function lineStart(doc: PolicyDocument, line: number): number {
  return line < doc.lines.starts.length ? doc.lines.starts[line]! : doc.text.length;
}

/** The offsets of a node of an entry, in the document. */
function entryNodeSpan(unit: EntryUnit, node: Node, doc: PolicyDocument): [number, number] | undefined {
  const r = node.range;
  if (!r) return undefined;
  const range = locatorRange(unit.record.at, r[0], r[1]);
  const shifted = {
    start: { line: range.start.line + unit.line, character: range.start.character },
    end: { line: range.end.line + unit.line, character: range.end.character },
  };
  return [doc.lines.offsetAt(shifted.start), doc.lines.offsetAt(shifted.end)];
}

function leadingSpaces(doc: PolicyDocument, offset: number): number {
  const line = doc.lines.lineOf(offset);
  const start = lineStart(doc, line);
  return /^ */.exec(doc.text.slice(start, offset))![0].length;
}

/** The start of the line after the one holding `offset` (the text's end on the last line). */
function nextLineStart(doc: PolicyDocument, offset: number): number {
  const i = doc.text.indexOf('\n', offset);
  return i === -1 ? doc.text.length : i + 1;
}

interface Insert {
  readonly at: number;
  readonly to?: number;
  readonly text: string;
}

function apply(text: string, e: Insert): string {
  return text.slice(0, e.at) + e.text + text.slice(e.to ?? e.at);
}

/** A block of lines inserted at a line start (the text ends with a newline: `ruleFromCall` sees to it). */
function linesAt(at: number, lines: readonly string[], eol: string): Insert {
  return { at, text: lines.map((l) => l + eol).join('') };
}

/**
 * Applies edits planned against one text. Edits at the same place keep their planned order; none
 * overlap, since each touches a different part of the file.
 */
function applyAll(text: string, edits: readonly Insert[]): string {
  const order = edits.map((e, i) => ({ e, i })).sort((a, b) => b.e.at - a.e.at || b.i - a.i);
  let out = text;
  for (const { e } of order) out = apply(out, e);
  return out;
}

// ───────────────────────────── edits ─────────────────────────────

interface EntryFields {
  readonly action: Action;
  readonly reason?: string;
  readonly when: readonly string[];
}

function entryBlock(key: string, f: EntryFields, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const out = [`${pad}${scalar(key)}:`, `${pad}  action: ${f.action}`];
  if (f.reason) out.push(`${pad}  reason: ${scalar(f.reason)}`);
  if (f.when.length > 0) {
    out.push(`${pad}  when:`);
    for (const c of f.when) out.push(`${pad}    - ${c}`);
  }
  return out;
}

function entryFlow(f: EntryFields): string {
  const parts = [`action: ${f.action}`];
  if (f.reason) parts.push(`reason: ${flow(f.reason)}`);
  if (f.when.length > 0) parts.push(`when: [ ${f.when.join(', ')} ]`);
  return `{ ${parts.join(', ')} }`;
}

function topUnit(doc: PolicyDocument, key: string) {
  return topOutline(doc).keys.get(key)?.unit;
}

function topValueSpan(doc: PolicyDocument, key: string): { node: Node | null; span?: [number, number]; keyEnd: number } | undefined {
  const unit = topUnit(doc, key);
  if (!unit) return undefined;
  const node = (unit.pair.value as Node | null) ?? null;
  const kr = (unit.pair.key as Node).range!;
  const keyEnd = doc.lines.offsetAt(locatorRange(unit.at, kr[0], kr[1]).end);
  const r = node?.range;
  if (!r || isNullNode(node)) return { node: null, keyEnd };
  const range = locatorRange(unit.at, r[0], r[1]);
  return { node, span: [doc.lines.offsetAt(range.start), doc.lines.offsetAt(range.end)], keyEnd };
}

/** Where a new top-level key goes: before `tests:` (which reads best last), else at the end. */
function newTopKeyAt(doc: PolicyDocument, beforeTests: boolean): number {
  const tests = beforeTests ? topUnit(doc, 'tests') : undefined;
  return tests ? lineStart(doc, tests.line) : doc.text.length;
}

function insertEntry(doc: PolicyDocument, key: string, f: EntryFields, eol: string): Insert | string {
  // Block entries first: the fast parse reads them one by one, so the tools key's own node is empty.
  const last = doc.entries[doc.entries.length - 1];
  if (last && doc.parse.entryIndent !== undefined) {
    return linesAt(lineStart(doc, last.line + last.record.lastLine + 1), entryBlock(key, f, doc.parse.entryIndent), eol);
  }
  const tools = topValueSpan(doc, 'tools');
  if (!tools) {
    const at = newTopKeyAt(doc, true);
    const lines = ['tools:', ...entryBlock(key, f, 2)];
    return linesAt(at, at === doc.text.length && doc.text.length > 0 ? ['', ...lines] : [...lines, ''], eol);
  }
  if (!tools.span) return linesAt(nextLineStart(doc, tools.keyEnd), entryBlock(key, f, 2), eol);
  const map = tools.node as YAMLMap;
  if (!isMap(map)) return 'tools: is not a mapping';
  if (!map.flow) return 'cannot find where the entries under tools end';
  if (map.items.length === 0) return { at: tools.span[0], to: tools.span[1], text: `{ ${flow(key)}: ${entryFlow(f)} }` };
  const unit = topUnit(doc, 'tools')!;
  const end = lastItemEnd(map, (n) => topNodeEnd(doc, unit, n)) ?? tools.span[1] - 1;
  return { at: end, text: `, ${flow(key)}: ${entryFlow(f)}` };
}

function testFields(tool: string, name: string, args: Record<string, unknown>, expect: Action) {
  return { name, call: tool, args, expect };
}

function insertTest(doc: PolicyDocument, test: ReturnType<typeof testFields>, eol: string): Insert | string {
  const block = (indent: number) => {
    const pad = ' '.repeat(indent);
    return [
      `${pad}- name: ${scalar(test.name)}`,
      `${pad}  call: ${scalar(test.call)}`,
      `${pad}  args: ${flow(test.args)}`,
      `${pad}  expect: ${test.expect}`,
    ];
  };
  const tests = topValueSpan(doc, 'tests');
  if (!tests) {
    const at = doc.text.length;
    return linesAt(at, [...(doc.text.length > 0 ? [''] : []), 'tests:', ...block(2)], eol);
  }
  if (!tests.span) return linesAt(nextLineStart(doc, tests.keyEnd), block(2), eol);
  const seq = tests.node;
  if (!isSeq(seq)) return 'tests: is not a list';
  if (seq.flow) {
    if (seq.items.length === 0) return { at: tests.span[0], to: tests.span[1], text: `[ ${flow(test)} ]` };
    const unit = topUnit(doc, 'tests')!;
    const end = lastItemEnd(seq, (n) => topNodeEnd(doc, unit, n)) ?? tests.span[1] - 1;
    return { at: end, text: `, ${flow(test)}` };
  }
  const first = (seq.items[0] as Node).range!;
  const unit = topUnit(doc, 'tests')!;
  const firstAt = doc.lines.offsetAt(locatorRange(unit.at, first[0], first[1]).start);
  // The column of the first item's dash.
  const lineText = doc.text.slice(lineStart(doc, doc.lines.lineOf(firstAt)), firstAt);
  const dash = lineText.lastIndexOf('-');
  const indent = dash === -1 ? 2 : dash;
  return linesAt(nextLineStart(doc, tests.span[1] - 1), block(indent), eol);
}

/** Where the last item of a flow collection ends (a mapping's: its value's, or its key's when it has none). */
function lastItemEnd(node: Node, endOf: (n: Node) => number | undefined): number | undefined {
  const items = (node as { items?: unknown[] }).items ?? [];
  const last = items[items.length - 1];
  if (last === undefined) return undefined;
  const target = (isMap(node) ? ((last as Pair).value ?? (last as Pair).key) : last) as Node | null;
  return target ? endOf(target) : undefined;
}

function topNodeEnd(doc: PolicyDocument, unit: TopUnit, node: Node): number | undefined {
  const r = node.range;
  return r ? doc.lines.offsetAt(locatorRange(unit.at, r[0], r[1]).end) : undefined;
}

/** Sets an entry's key to a scalar value: replaces the value, or adds the key. */
function setEntryField(doc: PolicyDocument, unit: EntryUnit, key: 'action' | 'reason', valueText: string, eol: string): Insert | string {
  const map = unit.record.pair.value as Node | null;
  if (!isMap(map)) return `the entry ${unit.record.key} is not a mapping`;
  const pair = pairNamed(map, key);
  if (pair && pair.value) {
    const span = entryNodeSpan(unit, pair.value as Node, doc);
    if (span) return { at: span[0], to: span[1], text: valueText };
  }
  return addEntryField(doc, unit, map, `${key}: ${valueText}`, [`${key}: ${valueText}`], eol);
}

/** Adds a key to an entry mapping, written `flowText` in a flow mapping and as `blockLines` in a block one. */
function addEntryField(
  doc: PolicyDocument,
  unit: EntryUnit,
  map: YAMLMap,
  flowText: string,
  blockLines: readonly string[],
  eol: string,
): Insert | string {
  const span = entryNodeSpan(unit, map, doc);
  if (!span) return `cannot find the entry ${unit.record.key} in the file`;
  if (map.flow) {
    const end = lastItemEnd(map, (n) => entryNodeSpan(unit, n, doc)?.[1]);
    return end === undefined ? { at: span[1] - 1, text: ` ${flowText} ` } : { at: end, text: `, ${flowText}` };
  }
  const firstKey = map.items[0]?.key as Node | undefined;
  const keySpan = firstKey ? entryNodeSpan(unit, firstKey, doc) : undefined;
  const indent = keySpan ? leadingSpaces(doc, keySpan[0]) : leadingSpaces(doc, span[0]);
  return linesAt(
    lineStart(doc, unit.line + unit.record.lastLine + 1),
    blockLines.map((l) => ' '.repeat(indent) + l),
    eol,
  );
}

/** Adds a condition to an entry's `when` (creating it). */
function addCondition(doc: PolicyDocument, unit: EntryUnit, condition: string, eol: string): Insert | string {
  const map = unit.record.pair.value as Node | null;
  if (!isMap(map)) return `the entry ${unit.record.key} is not a mapping`;
  const when = pairNamed(map, 'when');
  const seq = when?.value as Node | null | undefined;
  if (!when || isNullNode(seq ?? null)) {
    if (when) return `the entry ${unit.record.key} has an empty when: write its conditions first`;
    return addEntryField(doc, unit, map, `when: [ ${condition} ]`, ['when:', `  - ${condition}`], eol);
  }
  if (!isSeq(seq)) return `when of ${unit.record.key} is not a list`;
  const span = entryNodeSpan(unit, seq, doc)!;
  if (seq.flow) {
    const end = lastItemEnd(seq, (n) => entryNodeSpan(unit, n, doc)?.[1]);
    return end === undefined ? { at: span[1] - 1, text: ` ${condition} ` } : { at: end, text: `, ${condition}` };
  }
  const firstAt = entryNodeSpan(unit, seq.items[0] as Node, doc)![0];
  const before = doc.text.slice(lineStart(doc, doc.lines.lineOf(firstAt)), firstAt);
  const dash = before.lastIndexOf('-');
  return linesAt(nextLineStart(doc, span[1] - 1), [`${' '.repeat(Math.max(0, dash))}- ${condition}`], eol);
}

// ───────────────────────────── planning ─────────────────────────────

function unitOf(doc: PolicyDocument, entry: PolicyEntry): EntryUnit | undefined {
  return doc.entries.find((u) => u.entry?.index === entry.index && u.record.key === entry.key);
}

function keyRangeOf(doc: PolicyDocument, key: string): Range | undefined {
  const u = doc.entries.find((x) => x.record.key === key);
  return u ? entryKeyRange(u) : undefined;
}

function describeConds(conditions: RuleRequest['conditions']): string {
  return conditions.length === 0 ? '' : ` when ${conditions.map((c) => `${c.path} = ${JSON.stringify(c.value)}`).join(' and ')}`;
}

/** The planned edits as text edits of the original document, those at one place merged. */
function textEdits(doc: PolicyDocument, edits: readonly Insert[]): TextEdit[] {
  const merged: Insert[] = [];
  for (const e of edits) {
    const same = merged.findIndex((m) => m.at === e.at && m.to === undefined && e.to === undefined);
    if (same === -1) merged.push(e);
    else merged[same] = { at: e.at, text: merged[same]!.text + e.text };
  }
  return merged
    .sort((x, y) => x.at - y.at)
    .map((e) => ({ range: { start: doc.lines.position(e.at), end: doc.lines.position(e.to ?? e.at) }, newText: e.text }));
}

/**
 * Plans the edit that makes the policy decide calls like this one as asked, and a test that says so.
 * Refuses (with what to do instead) when the file has errors or when only a hand edit can do it.
 */
export function ruleFromCall(text: string, req: RuleRequest, tools?: ToolSource): RuleEditResult {
  const index = toolIndexOf(tools);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const original = analyzePolicy(text);
  if (!original.policy)
    return { ok: false, message: 'The policy file has errors (see the Problems view): fix them first, then try again.' };
  const testArgs = argsOf(req.conditions);
  const expect: Action = req.intent;
  const explain = (d: PolicyDocument, args: Readonly<Record<string, unknown>>): Explanation =>
    explainCall(new PolicyIndex(d.policy!), req.tool, args, index.classifyCall(req.tool, args));
  const changes: string[] = [];
  let entryKey: string | undefined;
  // Every edit is planned against the original text (so they stay small and separate); `current`
  // is the text with the edits so far, to explain and validate.
  const edits: Insert[] = [];
  let current = original;
  const step = (edit: Insert | string): string | undefined => {
    if (typeof edit === 'string') return edit;
    edits.push(edit);
    current = analyzePolicy(applyAll(text, edits));
    return current.policy ? undefined : 'the edited policy did not validate';
  };
  const fail = (message: string, focus?: Range): RuleEditResult => ({ ok: false, message, ...(focus ? { focus } : {}) });
  if (text.length > 0 && !text.endsWith('\n')) step({ at: text.length, text: eol });

  const first = explain(original, testArgs);
  if (first.rule === 'hide')
    return fail(`${req.tool} is hidden by the policy's hide list, which blocks every call to it: remove it from hide first.`);
  const reason = req.reason?.trim() || undefined;
  const fields = (action: Action): EntryFields => ({
    action,
    ...(reason ? { reason } : {}),
    when: req.conditions.map((c) => conditionText(c, 'eq')),
  });

  /** An entry keyed exactly by the tool, with no conditions. */
  const plainEntry = original.entries.find((u) => u.record.key === req.tool && u.entry && u.entry.when.length === 0);
  const addEntry = (action: Action): string | undefined => {
    const exists = original.entries.some((u) => u.record.key === req.tool);
    const key = exists ? labelFor(original, req.tool, req.intent, req.conditions) : req.tool;
    const problem = step(insertEntry(original, key, fields(action), eol));
    if (problem) return problem;
    changes.push(`added entry "${key}": ${action}${describeConds(req.conditions)}`);
    entryKey = key;
    return undefined;
  };
  const setAction = (unit: EntryUnit, action: Action): string | undefined => {
    const key = unit.record.key!;
    const problem =
      step(setEntryField(original, unit, 'action', action, eol)) ??
      (reason ? step(setEntryField(original, unit, 'reason', scalar(reason), eol)) : undefined);
    if (problem) return problem;
    changes.push(`set the action of entry "${key}" to ${action}`);
    entryKey = key;
    return undefined;
  };

  let problem: string | undefined;
  if (req.intent === 'deny') {
    problem = plainEntry && req.conditions.length === 0 ? setAction(plainEntry, 'deny') : addEntry('deny');
  } else {
    // Every stricter entry that applies must let calls like this one go.
    const applied = req.args
      ? [...first.applied, ...explain(original, req.args).applied.filter((e) => !first.applied.includes(e))]
      : first.applied;
    const blockers = applied.filter((e) => e.action === 'deny' || e.action === 'require_approval');
    for (const b of blockers) {
      const focus = keyRangeOf(original, b.key);
      if (b.pattern.isGlob || b.pattern.source !== req.tool) {
        return fail(
          `Entry "${b.key}" (${b.action}) also applies to this call, and allow cannot outvote a stricter entry. ` +
            `It covers other tools too, so MCP Guard leaves it to you: give it a condition that excludes calls like this one.`,
          focus,
        );
      }
      if (req.conditions.length > 1) {
        return fail(
          `Entry "${b.key}" (${b.action}) applies to this call, and allow cannot outvote a stricter entry. ` +
            `Pick no argument (to allow every call it covers) or exactly one (to exempt calls with that value from it), ` +
            `or edit its conditions yourself.`,
          focus,
        );
      }
      const unit = unitOf(original, b);
      if (!unit) return fail(`Cannot find entry "${b.key}" in the file.`, focus);
      if (req.conditions.length === 0) {
        problem = setAction(unit, 'allow');
      } else {
        const c = req.conditions[0]!;
        problem = step(addCondition(original, unit, conditionText(c, 'neq'), eol));
        const cond = c.value === null ? `${c.path} not_in [null]` : `${c.path} neq ${JSON.stringify(c.value)}`;
        if (!problem) changes.push(`gave entry "${b.key}" the condition ${cond}, so it no longer applies to calls like this one`);
      }
      if (problem) break;
    }
    if (!problem && (explain(current, testArgs).decision !== 'allow' || (req.args && explain(current, req.args).decision !== 'allow'))) {
      const reuse = plainEntry && req.conditions.length === 0 && plainEntry.entry?.action === undefined;
      problem = reuse ? setAction(plainEntry, 'allow') : addEntry('allow');
    }
  }
  if (problem) return fail(`MCP Guard could not write this rule (${problem}); edit the policy by hand.`);

  // Pin it: a test for calls like this one.
  const verb = req.intent === 'deny' ? 'Deny' : 'Allow';
  const name = `${verb} ${req.tool}${describeConds(req.conditions)} (from the audit log)`;
  problem = step(insertTest(original, testFields(req.tool, name, testArgs, expect), eol));
  if (problem) return fail(`MCP Guard could not add the test (${problem}); edit the policy by hand.`);
  changes.push(`added test "${name}"`);

  // Check what the edit claims, on the call itself too when its arguments are known.
  const after = explain(current, testArgs);
  const real = req.args ? explain(current, req.args) : after;
  if (after.decision !== expect || real.decision !== expect) {
    const got = after.decision !== expect ? after : real;
    return fail(
      `After the edit the policy would still say ${got.decision} (by ${got.rule}), so MCP Guard did not make it; edit the policy by hand.`,
    );
  }
  const results = runPolicyTests(current.policy!, { classify: (n, args) => index.classifyCall(n, args) });
  const focus = (entryKey !== undefined ? keyRangeOf(current, entryKey) : undefined) ?? {
    start: { line: 0, character: 0 },
    end: { line: 0, character: 0 },
  };
  return {
    ok: true,
    edits: textEdits(original, edits),
    text: current.text,
    changes,
    entryKey: entryKey ?? req.tool,
    results,
    summary: summarizeTestResults(results),
    focus,
  };
}
