import { Document, Pair, Scalar, YAMLMap, isMap, isScalar, isSeq, parseDocument, visit, type Node } from 'yaml';
import { ODOO_MCP_CATALOG } from '../catalog/odoo-mcp';
import { RISK_CLASSES, type RiskClass } from '../catalog/types';
import { compileCondition } from './conditions';
import type { PolicyDiagnostic, Position, Range, Severity } from './diagnostics';
import { compileNamePattern } from './glob';
import {
  ACTIONS,
  CONDITION_OPS,
  DEFAULT_APPROVAL_TIMEOUT_SECONDS,
  type Action,
  type Condition,
  type ConditionOp,
  type NamePattern,
  type Policy,
  type PolicyEntry,
  type RateLimit,
  type ResourceEntry,
  splitToolKey,
  TEST_MODES,
  type ToolKey,
  type PolicyTest,
  type TestMode,
} from './model';
import { regexProblem } from './regex';
import { didYouMean } from './suggest';

export interface ParseResult {
  /** Present only when the file has no error; warnings do not withhold it. */
  readonly policy?: Policy;
  readonly diagnostics: readonly PolicyDiagnostic[];
}

export const TOP_LEVEL_KEYS = ['version', 'default', 'risk', 'hide', 'tools', 'resources', 'approval_timeout', 'tests'] as const;
/** Keys of an item of `tests:`. */
export const TEST_KEYS = ['call', 'args', 'expect', 'mode', 'name'] as const;
export const ENTRY_KEYS = ['action', 'reason', 'rate_limit', 'approval_timeout', 'when'] as const;
/** Keys of an entry under `resources:`: those of a tools entry but `when` (a resource read has no arguments). */
export const RESOURCE_ENTRY_KEYS = ['action', 'reason', 'rate_limit', 'approval_timeout'] as const;
export const RATE_LIMIT_KEYS = ['max', 'window'] as const;
export const CONDITION_KEYS = ['path', 'op', 'value'] as const;

type Offsets = readonly [number, number];

const YAML_OPTIONS = { prettyErrors: false, uniqueKeys: true, merge: false } as const;

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

/** Collects diagnostics with ranges while walking the YAML tree. */
class Checker {
  constructor(
    readonly at: Locator,
    readonly doc: Document,
    readonly diagnostics: PolicyDiagnostic[],
  ) {}

  range(offsets: Offsets): Range {
    return locatorRange(this.at, offsets[0], offsets[1]);
  }

  report(at: Offsets, severity: Severity, code: string, message: string, suggestion?: string): void {
    this.diagnostics.push({ severity, code, message, range: this.range(at), ...(suggestion ? { suggestion } : {}) });
  }

  error(at: Offsets, code: string, message: string, suggestion?: string): void {
    this.report(at, 'error', code, message, suggestion);
  }

  /** The node's plain value: scalars and lists of scalars directly, anything else through the document. */
  toJS(node: Node): unknown {
    if (isScalar(node)) return node.value;
    if (isSeq(node) && node.items.every((i) => isScalar(i))) return node.items.map((i) => (i as { value: unknown }).value);
    return node.toJS(this.doc);
  }
}
function offsetsOf(node: Node | null | undefined, fallback: Offsets): Offsets {
  const r = node?.range;
  return r ? [r[0], r[1]] : fallback;
}

function keyName(pair: Pair): string | undefined {
  return isScalar(pair.key) && pair.key.value !== null && typeof pair.key.value !== 'object'
    ? String(pair.key.value)
    : undefined;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return `the number ${value}`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value === 'string' ? 'the text' : `the ${typeof value}`} ${JSON.stringify(value)}`;
}

function quoteList(words: readonly string[]): string {
  const q = words.map((w) => `"${w}"`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/** Checks one pair of a mapping: reports a key that is not allowed (with "did you mean"), else hands its value to `visit`. */
function checkKnownPair(
  c: Checker,
  pair: Pair,
  fallback: Offsets,
  allowed: readonly string[],
  where: string,
  visit: (key: string, value: Node | null, keyAt: Offsets) => void,
): void {
  const keyAt = offsetsOf(pair.key as Node, fallback);
  const key = keyName(pair);
  if (key === undefined) {
    c.error(keyAt, 'bad-key', `Keys ${where} must be plain words`);
    return;
  }
  if (!allowed.includes(key)) {
    const guess = didYouMean(key, allowed);
    c.error(
      keyAt,
      'unknown-key',
      `Unknown key "${key}" ${where}${guess ? `; did you mean "${guess}"?` : `; expected ${quoteList(allowed)}`}`,
      guess,
    );
    return;
  }
  visit(key, (pair.value as Node | null) ?? null, keyAt);
}

/**
 * Walks a mapping's pairs, reporting keys that are not allowed (with "did you mean")
 * and handing each known key's value node to `visit`.
 */
function eachKnownKey(
  c: Checker,
  map: YAMLMap,
  allowed: readonly string[],
  where: string,
  visit: (key: string, value: Node | null, keyAt: Offsets) => void,
): void {
  const fallback = offsetsOf(map, [0, 0]);
  for (const pair of map.items) checkKnownPair(c, pair, fallback, allowed, where, visit);
}

function expectMap(c: Checker, node: Node | null, at: Offsets, what: string): YAMLMap | undefined {
  if (isMap(node)) return node;
  c.error(offsetsOf(node, at), 'wrong-type', `${what} must be a mapping of keys to values, not ${describe(node ? c.toJS(node) : null)}`);
  return undefined;
}

function expectEnum<T extends string>(
  c: Checker,
  node: Node | null,
  at: Offsets,
  allowed: readonly T[],
  what: string,
  code: string,
): T | undefined {
  const value = isScalar(node) ? node.value : node ? c.toJS(node) : null;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  const guess = typeof value === 'string' ? didYouMean(value, allowed) : undefined;
  c.error(
    offsetsOf(node, at),
    code,
    `${what} must be ${quoteList(allowed)}, not ${describe(value)}${guess ? `; did you mean "${guess}"?` : ''}`,
    guess,
  );
  return undefined;
}

function expectPositiveNumber(c: Checker, node: Node | null, at: Offsets, what: string, integer: boolean): number | undefined {
  const value = isScalar(node) ? node.value : node ? c.toJS(node) : null;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    c.error(offsetsOf(node, at), 'wrong-type', `${what} must be a number, not ${describe(value)}`);
    return undefined;
  }
  if (integer && !Number.isInteger(value)) {
    c.error(offsetsOf(node, at), 'wrong-type', `${what} must be a whole number, not ${value}`);
    return undefined;
  }
  if (integer ? value < 1 : value <= 0) {
    c.error(offsetsOf(node, at), 'out-of-range', `${what} must be ${integer ? 'at least 1' : 'greater than 0'}, not ${value}`);
    return undefined;
  }
  return value;
}

function expectString(c: Checker, node: Node | null, at: Offsets, what: string): string | undefined {
  const value = isScalar(node) ? node.value : node ? c.toJS(node) : null;
  if (typeof value === 'string' && value.trim() !== '') return value;
  c.error(offsetsOf(node, at), 'wrong-type', `${what} must be a non-empty text, not ${describe(value)}`);
  return undefined;
}

function checkNamePatterns(c: Checker, node: Node | null, at: Offsets): NamePattern[] {
  if (!isSeq(node)) {
    c.error(offsetsOf(node, at), 'wrong-type', `hide must be a list of tool names or globs, e.g. [read_field_to_file]`);
    return [];
  }
  const out: NamePattern[] = [];
  for (const item of node.items) {
    const name = expectString(c, item as Node, offsetsOf(node, at), 'Each entry of hide');
    if (name === undefined) continue;
    // A resource URI (tool names have no `:`) is not checked against tool names.
    const real = name.includes(':') ? undefined : caseOnlyToolMatch(name);
    if (real !== undefined) {
      c.error(
        offsetsOf(item as Node, offsetsOf(node, at)),
        'tool-name-case',
        `Unknown tool "${name}" in hide: tool names are case-sensitive, and the tool is "${real}"; as written, hide does not remove it`,
        real,
      );
    }
    out.push(compileNamePattern(name));
  }
  return out;
}

let catalogByLowerCase: Map<string, string> | undefined;

/**
 * The catalog tool that `name` spells with other capitals (`Cancel_Async_Task` for `cancel_async_task`),
 * when `name` is not itself a catalog tool; globs are not looked at. Tool names are case-sensitive, so
 * such a key or hide item matches nothing: a `deny` written so would never apply. That is an error
 * (the guard then fails closed) rather than the "unknown tool" warning an unrelated name gets. The
 * catalog is what the guard knows of tools before the server has said anything (the editor also
 * checks the tools the running guard reported, see `language/diagnostics.ts`).
 */
export function caseOnlyToolMatch(name: string): string | undefined {
  if (name.includes('*') || name.includes('?') || Object.prototype.hasOwnProperty.call(ODOO_MCP_CATALOG, name)) return undefined;
  if (!catalogByLowerCase) {
    catalogByLowerCase = new Map();
    for (const tool of Object.keys(ODOO_MCP_CATALOG)) catalogByLowerCase.set(tool.toLowerCase(), tool);
  }
  return catalogByLowerCase.get(name.toLowerCase());
}

function checkRisk(c: Checker, node: Node | null, at: Offsets): Partial<Record<RiskClass, Action>> {
  const map = expectMap(c, node, at, 'risk');
  const risk: Partial<Record<RiskClass, Action>> = {};
  if (!map) return risk;
  eachKnownKey(c, map, RISK_CLASSES, 'under risk (risk classes)', (cls, value, keyAt) => {
    const action = expectEnum(c, value, keyAt, ACTIONS, `The action for risk class ${cls}`, 'bad-action');
    if (action) risk[cls as RiskClass] = action;
  });
  return risk;
}

function checkRateLimit(c: Checker, node: Node | null, at: Offsets): RateLimit | undefined {
  const map = expectMap(c, node, at, 'rate_limit');
  if (!map) return undefined;
  let max: number | undefined;
  let windowSeconds: number | undefined;
  let ok = true;
  eachKnownKey(c, map, RATE_LIMIT_KEYS, 'in rate_limit', (key, value, keyAt) => {
    if (key === 'max') {
      max = expectPositiveNumber(c, value, keyAt, 'rate_limit.max (calls)', true);
      ok &&= max !== undefined;
    } else {
      windowSeconds = expectPositiveNumber(c, value, keyAt, 'rate_limit.window (seconds)', false);
      ok &&= windowSeconds !== undefined;
    }
  });
  const where = offsetsOf(map, at);
  if (ok && max === undefined) c.error(where, 'missing-key', 'rate_limit needs max: the number of calls allowed per window');
  if (ok && windowSeconds === undefined) c.error(where, 'missing-key', 'rate_limit needs window: the length of the window in seconds');
  return max !== undefined && windowSeconds !== undefined ? { max, windowSeconds } : undefined;
}

const PATH_PATTERN = /^args(\.[^.\s]+)+$/;

/** What to write instead of comparing with nothing, for the `empty-value` error of `op`. */
function insteadOfNull(op: ConditionOp): string {
  return op === 'neq' || op === 'not_in'
    ? 'to test that the argument is present use `op: exists`'
    : 'to test that the argument is absent use `op: exists, value: false`';
}

/**
 * Checks `value` for `op`. Every op but `exists` needs one, and YAML reads an empty `value:` (or
 * `~`, `null`) as null: `eq` would then compare with null and, for an argument that is absent or
 * set, quietly never hold. So null is refused for all of them (an argument that is JSON null can
 * still be matched with `op: in, value: [null]`).
 */
function checkConditionValue(c: Checker, op: ConditionOp, node: Node | null, at: Offsets, present: boolean): { ok: boolean; value: unknown } {
  if (!present) {
    if (op === 'exists') return { ok: true, value: undefined };
    c.error(at, 'missing-key', `\`value\` is missing: ${op} needs a value to compare with; ${insteadOfNull(op)}`);
    return { ok: false, value: undefined };
  }
  const value = node === null ? null : c.toJS(node);
  const where = node === null || node.range?.[0] === node.range?.[1] ? at : offsetsOf(node, at);
  if (value === null && op !== 'exists') {
    const empty = node === null || (isScalar(node) && (node.source ?? '') === '');
    c.error(
      where,
      'empty-value',
      empty
        ? `\`value\` is empty: ${op} needs a value to compare with; ${insteadOfNull(op)}`
        : `\`value\` is null: ${op} would compare with null, which is almost never meant; ${insteadOfNull(op)}, and to match an argument that is JSON null use \`op: in, value: [null]\``,
    );
    return { ok: false, value };
  }
  switch (op) {
    case 'in':
    case 'not_in':
      if (Array.isArray(value)) return { ok: true, value };
      c.error(where, 'wrong-type', `The value of op ${op} must be a list, not ${describe(value)}`);
      return { ok: false, value };
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'string') return { ok: true, value };
      c.error(where, 'wrong-type', `The value of op ${op} must be a number or a text, not ${describe(value)}`);
      return { ok: false, value };
    case 'regex': {
      if (typeof value !== 'string') {
        c.error(where, 'wrong-type', `The value of op regex must be a regular expression as text, not ${describe(value)}`);
        return { ok: false, value };
      }
      // Compiles it too (compiled patterns are memoised, so compileCondition reuses this one).
      const problem = regexProblem(value);
      if (!problem) return { ok: true, value };
      c.error(where, problem.kind === 'syntax' ? 'bad-regex' : 'unsupported-regex', problem.message);
      return { ok: false, value };
    }
    case 'exists':
      if (typeof value === 'boolean') return { ok: true, value };
      c.error(where, 'wrong-type', `The value of op exists must be true or false, not ${describe(value)}`);
      return { ok: false, value };
    case 'contains':
      if (value !== null && typeof value === 'object') {
        c.error(where, 'wrong-type', `The value of op contains must be a single value (text, number or boolean), not ${describe(value)}`);
        return { ok: false, value };
      }
      return { ok: true, value };
    case 'eq':
    case 'neq':
      return { ok: true, value };
  }
}

function checkCondition(c: Checker, node: Node, at: Offsets): Condition | undefined {
  const map = expectMap(c, node, at, 'A condition');
  if (!map) return undefined;
  let path: string | undefined;
  let op: ConditionOp | undefined;
  let valueNode: Node | null = null;
  /** From the `value` key to the end of its value: where an empty value is reported. */
  let valueAt: Offsets | undefined;
  let ok = true;
  let opAt = offsetsOf(map, at);
  eachKnownKey(c, map, CONDITION_KEYS, 'in a condition', (key, value, keyAt) => {
    if (key === 'path') {
      const p = expectString(c, value, keyAt, 'path');
      if (p !== undefined && !PATH_PATTERN.test(p)) {
        c.error(offsetsOf(value, keyAt), 'bad-path', `path must be args. followed by a dot path into the arguments, e.g. args.model; got ${JSON.stringify(p)}`);
        ok = false;
      } else if (p === undefined) ok = false;
      else path = p;
    } else if (key === 'op') {
      opAt = offsetsOf(value, keyAt);
      op = expectEnum(c, value, keyAt, CONDITION_OPS, 'op', 'bad-op');
      if (!op) ok = false;
    } else {
      valueNode = value ?? null;
      valueAt = [keyAt[0], Math.max(keyAt[1], valueNode?.range?.[1] ?? keyAt[1])];
    }
  });
  const where = offsetsOf(map, at);
  if (path === undefined && ok) {
    c.error(where, 'missing-key', 'A condition needs a path, e.g. path: args.model');
    ok = false;
  }
  if (op === undefined && ok) {
    c.error(where, 'missing-key', `A condition needs an op: ${CONDITION_OPS.join(', ')}`);
    ok = false;
  }
  if (!ok || path === undefined || op === undefined) return undefined;
  const hasValue = map.items.some((p) => keyName(p) === 'value');
  const checked = hasValue ? checkConditionValue(c, op, valueNode, valueAt ?? where, true) : checkConditionValue(c, op, null, opAt, false);
  if (!checked.ok) return undefined;
  const segments = path.split('.').slice(1);
  return { path, segments, op, value: checked.value, test: compileCondition(segments, op, checked.value) };
}

/** The keys tool and resource entries share: what to do, why, how often, how long to wait. */
interface DecisionFields {
  action?: Action;
  reason?: string;
  rateLimit?: RateLimit;
  approvalTimeoutSeconds?: number;
}

/** Checks one shared entry key into `into`; false when its value is invalid (already reported). */
function checkDecisionKey(c: Checker, key: string, value: Node | null, at: Offsets, into: DecisionFields): boolean {
  switch (key) {
    case 'action':
      into.action = expectEnum(c, value, at, ACTIONS, 'action', 'bad-action');
      return into.action !== undefined;
    case 'reason':
      into.reason = expectString(c, value, at, 'reason');
      return into.reason !== undefined;
    case 'rate_limit':
      into.rateLimit = checkRateLimit(c, value, at);
      return into.rateLimit !== undefined;
    case 'approval_timeout':
      into.approvalTimeoutSeconds = expectPositiveNumber(c, value, at, 'approval_timeout (seconds)', false);
      return into.approvalTimeoutSeconds !== undefined;
    default:
      return true;
  }
}

/** Only the fields that were given, so absent ones stay absent (not `undefined`) in the model. */
function definedFields(d: DecisionFields): DecisionFields {
  return {
    ...(d.action !== undefined ? { action: d.action } : {}),
    ...(d.reason !== undefined ? { reason: d.reason } : {}),
    ...(d.rateLimit !== undefined ? { rateLimit: d.rateLimit } : {}),
    ...(d.approvalTimeoutSeconds !== undefined ? { approvalTimeoutSeconds: d.approvalTimeoutSeconds } : {}),
  };
}

function checkEntry(c: Checker, key: string, parts: ToolKey, index: number, node: Node | null, keyAt: Offsets): PolicyEntry | undefined {
  // Built as one literal with the label last, so every unlabelled entry has the same shape (the
  // evaluator reads entries on every call; spreads here made it ~30 % slower).
  const labelled = parts.label !== undefined ? { label: parts.label } : undefined;
  if (node === null || (isScalar(node) && node.value === null)) {
    c.report(keyAt, 'warning', 'no-effect', `The entry for ${key} is empty, so it changes nothing: give it an action, a rate_limit or both`);
    return { key, index, pattern: compileNamePattern(parts.pattern), when: [], ...labelled };
  }
  const map = expectMap(c, node, keyAt, `The entry for ${key}`);
  if (!map) return undefined;
  let ok = true;
  const d: DecisionFields = {};
  const when: Condition[] = [];
  eachKnownKey(c, map, ENTRY_KEYS, `in the entry for ${key}`, (k, value, at) => {
    if (k !== 'when') {
      ok = checkDecisionKey(c, k, value, at, d) && ok;
      return;
    }
    if (!isSeq(value)) {
      c.error(offsetsOf(value, at), 'wrong-type', 'when must be a list of conditions, e.g. - { path: args.model, op: eq, value: res.partner }');
      ok = false;
      return;
    }
    for (const item of value.items) {
      const cond = checkCondition(c, item as Node, offsetsOf(value, at));
      if (cond) when.push(cond);
      else ok = false;
    }
  });
  if (!ok) return undefined;
  if (d.action === undefined && d.rateLimit === undefined) {
    c.report(keyAt, 'warning', 'no-effect', `The entry for ${key} has neither an action nor a rate_limit, so it changes nothing`);
  }
  return {
    key,
    index,
    pattern: compileNamePattern(parts.pattern),
    when,
    ...definedFields(d),
    ...labelled,
  };
}

function checkResourceEntry(c: Checker, key: string, index: number, node: Node | null, keyAt: Offsets): ResourceEntry | undefined {
  if (isNullNode(node)) {
    c.report(keyAt, 'warning', 'no-effect', `The resource entry for ${key} is empty, so it changes nothing: give it an action, a rate_limit or both`);
    return { key, index, pattern: compileNamePattern(key) };
  }
  const map = expectMap(c, node, keyAt, `The resource entry for ${key}`);
  if (!map) return undefined;
  let ok = true;
  const d: DecisionFields = {};
  const fallback = offsetsOf(map, keyAt);
  for (const pair of map.items) {
    if (keyName(pair) === 'when') {
      c.error(
        offsetsOf(pair.key as Node, fallback),
        'resource-when',
        `when is not supported under resources: a resource read has no arguments to test. Use a narrower URI glob for ${key} instead`,
      );
      ok = false;
      continue;
    }
    checkKnownPair(c, pair, fallback, RESOURCE_ENTRY_KEYS, `in the resource entry for ${key}`, (k, value, at) => {
      ok = checkDecisionKey(c, k, value, at, d) && ok;
    });
  }
  if (map.items.some((p) => { const k = keyName(p); return k === undefined || (k !== 'when' && !(RESOURCE_ENTRY_KEYS as readonly string[]).includes(k)); })) ok = false;
  if (!ok) return undefined;
  if (d.action === undefined && d.rateLimit === undefined) {
    c.report(keyAt, 'warning', 'no-effect', `The resource entry for ${key} has neither an action nor a rate_limit, so it changes nothing`);
  }
  return {
    key,
    index,
    pattern: compileNamePattern(key),
    ...definedFields(d),
  };
}

/** The `resources:` map: URI or URI glob → entry (no `when`). */
function checkResources(c: Checker, node: Node | null, at: Offsets): ResourceEntry[] {
  if (isNullNode(node)) return [];
  const map = expectMap(c, node, at, 'resources');
  if (!map) return [];
  const fallback = offsetsOf(map, at);
  const out: ResourceEntry[] = [];
  map.items.forEach((pair, index) => {
    const keyAt = offsetsOf(pair.key as Node, fallback);
    const key = keyName(pair);
    if (key === undefined || key.trim() === '') {
      c.error(keyAt, 'bad-key', 'Each key under resources must be a resource URI or a URI glob, e.g. "odoo://record/*"');
      return;
    }
    const entry = checkResourceEntry(c, key, index, (pair.value as Node | null) ?? null, keyAt);
    if (entry) out.push(entry);
  });
  return out;
}

/** The `tests:` list: calls with the decision the policy must give them (run by `mcp-guard test` and the editor, never by the guard). */
function checkTests(c: Checker, node: Node | null, at: Offsets): PolicyTest[] {
  if (isNullNode(node)) return [];
  if (!isSeq(node)) {
    c.error(offsetsOf(node, at), 'wrong-type', `tests must be a list of tests, e.g. - { call: search_records, args: { model: res.partner }, expect: allow }, not ${describe(node ? c.toJS(node) : null)}`);
    return [];
  }
  const out: PolicyTest[] = [];
  const listAt = offsetsOf(node, at);
  node.items.forEach((item, index) => {
    const itemNode = item as Node;
    const map = expectMap(c, itemNode, listAt, 'Each test');
    if (!map) return;
    const raw = offsetsOf(map, listAt);
    const text = c.at.lines.text;
    let end = raw[1];
    while (end > raw[0] && /\s/.test(text[end - 1]!)) end--;
    const itemAt: Offsets = [raw[0], end];
    let ok = true;
    let call: string | undefined;
    let callAt: Offsets | undefined;
    let args: Record<string, unknown> = {};
    let expect: Action | undefined;
    let expectAt: Offsets | undefined;
    let mode: TestMode = 'enforce';
    let name: string | undefined;
    for (const pair of map.items) {
      if (keyName(pair) === undefined || !(TEST_KEYS as readonly string[]).includes(keyName(pair)!)) ok = false;
    }
    eachKnownKey(c, map, TEST_KEYS, 'in a test', (key, value, keyAt) => {
      switch (key) {
        case 'call':
          call = expectString(c, value, keyAt, 'call (the tool name)');
          callAt = offsetsOf(value, keyAt);
          ok &&= call !== undefined;
          break;
        case 'args':
          if (isNullNode(value)) args = {};
          else if (isMap(value)) args = c.toJS(value) as Record<string, unknown>;
          else {
            c.error(offsetsOf(value, keyAt), 'wrong-type', `args must be a mapping of argument names to values, e.g. { model: res.partner }, not ${describe(value ? c.toJS(value) : null)}`);
            ok = false;
          }
          break;
        case 'expect':
          expect = expectEnum(c, value, keyAt, ACTIONS, 'expect', 'bad-action');
          expectAt = offsetsOf(value, keyAt);
          ok &&= expect !== undefined;
          break;
        case 'mode': {
          const m = expectEnum(c, value, keyAt, TEST_MODES, 'mode', 'bad-mode');
          if (m) mode = m;
          else ok = false;
          break;
        }
        case 'name':
          name = expectString(c, value, keyAt, 'name');
          ok &&= name !== undefined;
          break;
      }
    });
    const has = (k: string) => map.items.some((p) => keyName(p) === k);
    if (!has('call')) {
      c.error(itemAt, 'missing-key', 'A test needs call: the name of the tool it calls');
      ok = false;
    }
    if (!has('expect')) {
      c.error(itemAt, 'missing-key', 'A test needs expect: allow, deny or require_approval');
      ok = false;
    }
    if (!ok || call === undefined || expect === undefined || callAt === undefined || expectAt === undefined) return;
    out.push({
      index,
      ...(name !== undefined ? { name } : {}),
      call,
      args,
      expect,
      mode,
      range: c.range(itemAt),
      callRange: c.range(callAt),
      expectRange: c.range(expectAt),
    });
  });
  return out;
}

// ───────────────────────────── Entries, units and the two ways of reading a file ─────────────────────────────

/** One entry under `tools` as parsed and checked. An incremental parse reuses it as is while its text is unchanged. */
export interface EntryRecord {
  /** The entry's own text, when it was parsed on its own (the incremental cache key). */
  readonly text?: string;
  readonly pair: Pair;
  /** Positions of `pair`'s nodes relative to the entry's first line (line 0 is the key's line). */
  readonly at: Locator;
  /** The key as text, label included; absent when it is not a plain word (then `diagnostics` says so). */
  readonly key?: string;
  /** The tool name or glob of `key` (all of it, or the part before ` (LABEL)`); absent when the key is not a valid tool key. */
  readonly pattern?: string;
  /** The label of a key written `PATTERN (LABEL)`. */
  readonly label?: string;
  /** The entry, when it validated (with the `index` it had when first parsed). */
  readonly entry?: PolicyEntry;
  /** This entry's diagnostics, lines relative to its first line. */
  readonly diagnostics: readonly PolicyDiagnostic[];
  /** The last line (relative, inclusive) holding the entry's key or value. */
  readonly lastLine: number;
}

/** An entry at its place in one version of the file. */
export interface EntryUnit {
  readonly record: EntryRecord;
  /** Position under tools, counting every key (as `PolicyEntry.index`). */
  readonly index: number;
  /** Document line of the key (the record's line 0). */
  readonly line: number;
  /** First document line after the entry's text (its trailing comments and blank lines belong to it). */
  readonly endLine: number;
  /** The validated entry, with this position's index. */
  readonly entry?: PolicyEntry;
}

/** One top-level key with its value. */
export interface TopUnit {
  readonly key?: string;
  readonly doc: Document;
  readonly pair: Pair;
  /** Positions of `pair`'s nodes in the document. */
  readonly at: Locator;
  /** Document line of the key. */
  readonly line: number;
  /** First document line after this key's text. */
  readonly endLine: number;
}

/** Everything a parse learned, for editors: `parsePolicy` plus the YAML nodes with their places. */
export interface DetailedParseResult extends ParseResult {
  readonly text: string;
  readonly lines: LineIndex;
  /** How the text was read: one top-level key and one entry at a time (the fast, incremental path), or whole. */
  readonly strategy: 'segments' | 'whole';
  /** False after YAML syntax errors or aliases; the units are then YAML's best effort and nothing is validated. */
  readonly yamlOk: boolean;
  readonly top: readonly TopUnit[];
  readonly entries: readonly EntryUnit[];
  /** Column of the keys under tools, when they are written in block style. */
  readonly entryIndent?: number;
  /**
   * The policy made of every part that validated, even when other parts have errors (for hovers and
   * warnings while the file is being edited). Absent after YAML syntax errors or when the root is no mapping.
   */
  readonly partial?: Policy;
  /** Entry records by their text, for the next incremental parse. */
  readonly cache: ReadonlyMap<string, EntryRecord>;
}

export interface ParseOptions {
  /** The approval timeout when the file sets none at the top level (the guard's --approval-timeout). */
  readonly defaultApprovalTimeoutSeconds?: number;
  /**
   * `auto` (default) reads the file one top-level key and one tools entry at a time when its layout
   * allows, which gives the very same result as reading it whole, faster, and lets an incremental parse
   * reuse unchanged entries; `whole` always reads it as one YAML document (for tests and comparisons).
   */
  readonly strategy?: 'auto' | 'whole';
  /**
   * `check` (default) validates the `tests:` section like the rest; `ignore` skips it, as the guard
   * does: it never runs tests, so a mistake in one must not stop it (the editor, `validate` and
   * `mcp-guard test` still report it). YAML syntax errors anywhere still make the file invalid.
   */
  readonly tests?: 'check' | 'ignore';
}

/**
 * Parses and validates a policy file. Never throws: every problem, from YAML syntax to
 * a bad regex, comes back as a diagnostic with its range, and no policy is returned
 * while any error remains.
 */
export function parsePolicy(text: string, options: ParseOptions = {}): ParseResult {
  const r = parsePolicyDetailed(text, options);
  return r.policy ? { policy: r.policy, diagnostics: r.diagnostics } : { diagnostics: r.diagnostics };
}

/**
 * `parsePolicy` with the YAML nodes and their places, for editors. Pass the previous result of the
 * same document as `previous` to reuse every entry whose text did not change: the result is the same
 * as without it, only faster.
 */
export function parsePolicyDetailed(text: string, options: ParseOptions = {}, previous?: DetailedParseResult): DetailedParseResult {
  const lines = new LineIndex(text);
  if (options.strategy !== 'whole') {
    const seg = segmentPolicy(lines);
    if (seg) {
      const r = parseSegments(lines, seg, options, previous?.cache);
      if (r) return r;
    }
  }
  return parseWhole(lines, options);
}

interface TopState {
  version: 1 | undefined;
  sawVersion: boolean;
  defaultAction: Action;
  risk: Partial<Record<RiskClass, Action>>;
  hide: NamePattern[];
  entries: PolicyEntry[];
  units: EntryUnit[];
  /** Set when the file has a `resources:` key. */
  resources?: ResourceEntry[];
  /** Set when the file has a `tests:` key: the tests that validated. */
  tests?: PolicyTest[];
  approvalTimeoutSeconds: number;
  readonly ignoreTests: boolean;
}

function newTopState(options: ParseOptions): TopState {
  return {
    ignoreTests: options.tests === 'ignore',
    version: undefined,
    sawVersion: false,
    defaultAction: 'allow',
    risk: {},
    hide: [],
    entries: [],
    units: [],
    approvalTimeoutSeconds: options.defaultApprovalTimeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS,
  };
}

type ToolsHandler = (c: Checker, value: Node | null, at: Offsets) => void;

function checkTopPair(c: Checker, pair: Pair, fallback: Offsets, s: TopState, tools: ToolsHandler): void {
  checkKnownPair(c, pair, fallback, TOP_LEVEL_KEYS, 'at the top level', (key, value, at) => {
    switch (key) {
      case 'version': {
        s.sawVersion = true;
        const v = isScalar(value) ? value.value : value ? c.toJS(value) : null;
        if (v === 1) s.version = 1;
        else c.error(offsetsOf(value, at), 'bad-version', `Unsupported version ${describe(v)}: this guard reads policy version 1`);
        break;
      }
      case 'default':
        s.defaultAction = expectEnum(c, value, at, ACTIONS, 'default', 'bad-action') ?? s.defaultAction;
        break;
      case 'risk':
        s.risk = checkRisk(c, value, at);
        break;
      case 'hide':
        s.hide = checkNamePatterns(c, value, at);
        break;
      case 'tools':
        tools(c, value, at);
        break;
      case 'resources':
        s.resources = checkResources(c, value, at);
        break;
      case 'approval_timeout':
        s.approvalTimeoutSeconds = expectPositiveNumber(c, value, at, 'approval_timeout (seconds)', false) ?? s.approvalTimeoutSeconds;
        break;
      case 'tests':
        if (!s.ignoreTests) s.tests = checkTests(c, value, at);
        break;
    }
  });
}

function shiftRange(r: Range, by: number): Range {
  return by === 0
    ? r
    : { start: { line: r.start.line + by, character: r.start.character }, end: { line: r.end.line + by, character: r.end.character } };
}

export function shiftDiagnostic(d: PolicyDiagnostic, by: number): PolicyDiagnostic {
  return by === 0 ? d : { ...d, range: shiftRange(d.range, by) };
}

function isNullNode(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

/** What a key under tools may be, for the `bad-key` error of a key with whitespace that has no label. */
const BAD_TOOL_KEY = 'a key under tools is a tool name or glob, optionally followed by a label in parentheses, e.g. "execute_method (no unlink)"';

/** Checks one entry on its own: its diagnostics relative to `at` (line 0 = the key's line). */
function entryRecord(doc: Document, pair: Pair, at: Locator, fallback: Offsets, index: number, text: string | undefined, validate: boolean): EntryRecord {
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
          `Unknown tool "${parts.pattern}": tool names are case-sensitive, and the tool is "${real}"; as written, the entry for ${key} never applies`,
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

function unitOf(record: EntryRecord, index: number, line: number, endLine: number): EntryUnit {
  const e = record.entry;
  const entry = e === undefined ? undefined : e.index === index ? e : { ...e, index };
  return { record, index, line, endLine, ...(entry ? { entry } : {}) };
}

/** Entries of a tools mapping read within a larger text (`lines` is that text's, `shift` its first document line). */
function toolsFromMap(c: Checker | undefined, doc: Document, map: YAMLMap, lines: LineIndex, shift: number, endLine: number, validate: boolean): EntryUnit[] {
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

function finish(
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

const EMPTY_CACHE: ReadonlyMap<string, EntryRecord> = new Map();

function hasAlias(doc: Document): boolean {
  let found = false;
  visit(doc, {
    Alias() {
      found = true;
      return visit.BREAK;
    },
  });
  return found;
}

/** Cheap test before walking a tree for aliases: a `*` that starts a token. */
const MAYBE_ALIAS = /(?:^|[\s[\]{},:])\*[^\s,[\]{}]/;

/** The file read as one YAML document: the reference behaviour, used whenever the layout is unusual. */
function parseWhole(lines: LineIndex, options: ParseOptions): DetailedParseResult {
  const text = lines.text;
  const atDoc: Locator = { lines, lineShift: 0 };
  let doc: Document;
  try {
    doc = parseDocument(text, YAML_OPTIONS);
  } catch (e) {
    return {
      diagnostics: [
        { severity: 'error', code: 'yaml-syntax', message: `Cannot read the file as YAML: ${(e as Error).message}`, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
      ],
      text,
      lines,
      strategy: 'whole',
      yamlOk: false,
      top: [],
      entries: [],
      cache: EMPTY_CACHE,
    };
  }
  const diagnostics: PolicyDiagnostic[] = [];
  const c = new Checker(atDoc, doc, diagnostics);
  const root = doc.contents as Node | null;
  const topUnits = (): TopUnit[] => {
    if (!isMap(root)) return [];
    const fallback = offsetsOf(root, [0, 0]);
    const keyLines = root.items.map((p) => lines.lineOf(offsetsOf(p.key as Node, fallback)[0]));
    return root.items.map((pair, i) => {
      const key = keyName(pair);
      return {
        ...(key !== undefined ? { key } : {}),
        doc,
        pair,
        at: atDoc,
        line: keyLines[i]!,
        endLine: Math.max(keyLines[i]! + 1, keyLines[i + 1] ?? lines.lineCount),
      };
    });
  };
  const broken = (): DetailedParseResult => {
    const top = topUnits();
    const tools = top.find((u) => u.key === 'tools');
    const value = tools?.pair.value as Node | null | undefined;
    const entries = tools && isMap(value) ? toolsFromMap(undefined, doc, value, lines, 0, tools.endLine, false) : [];
    return { diagnostics, text, lines, strategy: 'whole', yamlOk: false, top, entries, cache: EMPTY_CACHE };
  };

  for (const e of doc.errors) c.error([e.pos[0], e.pos[1]], 'yaml-syntax', e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''));
  if (doc.errors.length > 0) return broken();

  // Aliases are refused outright: a policy is read by people, and an alias bomb should not
  // be able to stall the guard or the editor.
  visit(doc, {
    Alias(_key, node) {
      const r = node.range;
      c.error(r ? [r[0], r[1]] : [0, 0], 'alias', `YAML aliases (*${node.source}) are not supported in a policy file: write the value out`);
    },
  });
  if (diagnostics.length > 0) return broken();

  const s = newTopState(options);
  const none = (): DetailedParseResult => ({ diagnostics, text, lines, strategy: 'whole', yamlOk: true, top: [], entries: [], cache: EMPTY_CACHE });
  if (root === null || (isScalar(root) && root.value === null)) {
    c.error([0, 0], 'empty-policy', 'The policy file is empty: start it with version: 1');
    return none();
  }
  const map = expectMap(c, root, [0, 0], 'A policy file');
  if (!map) return none();

  const top = topUnits();
  const fallback = offsetsOf(map, [0, 0]);
  let entryIndent: number | undefined;
  map.items.forEach((pair, i) => {
    checkTopPair(c, pair, fallback, s, (tc, value, at) => {
      if (isNullNode(value)) return;
      const tools = expectMap(tc, value, at, 'tools');
      if (!tools) return;
      if (!tools.flow && tools.items.length > 0) {
        const k = offsetsOf(tools.items[0]!.key as Node, fallback)[0];
        entryIndent = k - lines.starts[lines.lineOf(k)]!;
      }
      s.units = toolsFromMap(tc, doc, tools, lines, 0, top[i]!.endLine, true);
      s.entries = s.units.flatMap((u) => (u.entry ? [u.entry] : []));
    });
  });
  if (!s.sawVersion) c.error(offsetsOf(map.items[0]?.key as Node, [0, 0]), 'missing-version', 'Missing version: add version: 1 as the first line');
  return finish(lines, 'whole', diagnostics, s, top, entryIndent, EMPTY_CACHE);
}

// ── Reading one top-level key and one entry at a time ──
//
// A policy is a mapping whose keys start in column 0, and `tools` a mapping whose keys share one
// indentation. Each such key starts a piece that YAML reads the same way on its own as within the
// file, because block structure depends only on columns. The fast path splits the text at those
// lines, reads each piece on its own (reusing unchanged entries from the previous parse), and checks
// that every piece is exactly one key with its value, with no YAML error, no alias and no repeated
// key. Anything else (a syntax error, flow style across lines, document markers, directives, tabs,
// complex keys...) falls back to reading the whole file, so messages and ranges are always the ones
// of the whole-file reading.

interface Segments {
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

function segmentPolicy(lines: LineIndex): Segments | undefined {
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

interface Piece {
  readonly doc: Document;
  readonly pair: Pair;
  readonly key: string;
  readonly lines: LineIndex;
}

/** Reads one piece; undefined unless it is exactly one plain-text key at (keyLine, keyColumn) with its value, without errors or aliases. */
function readPiece(text: string, keyLine: number, keyColumn: number): Piece | undefined {
  const doc = parseDocument(text, YAML_OPTIONS);
  if (doc.errors.length > 0) return undefined;
  const root = doc.contents;
  if (!isMap(root) || root.items.length !== 1) return undefined;
  const pair = root.items[0]!;
  const key = pair.key;
  if (!isScalar(key) || typeof key.value !== 'string' || !key.range) return undefined;
  const lines = new LineIndex(text);
  if (key.range[0] !== (lines.starts[keyLine] ?? -1) + keyColumn) return undefined;
  if (MAYBE_ALIAS.test(text) && hasAlias(doc)) return undefined;
  return { doc, pair, key: key.value, lines };
}

// ── The commonest entries without the YAML library ──
//
// Most entries are a key and a few `key: scalar` lines (action, reason, approval_timeout). Those are
// read here directly into the same YAML nodes (values, types and ranges) the library would build;
// anything else — flow collections, nesting, block scalars, escapes, comments inside quotes, tabs,
// CR, numbers other than plain digits, words YAML reads as null or booleans — goes to the library.

/** A tool name or glob, optionally with a label of plain words in parentheses (`execute_method (no unlink)`), plain or double-quoted. */
const FAST_ENTRY_KEY = /^([A-Za-z_][A-Za-z0-9_.*?-]*(?: +\([A-Za-z0-9_.,/+=-]+(?: [A-Za-z0-9_.,/+=-]+)*\))?|"[A-Za-z0-9_.*?-]+(?: +\([A-Za-z0-9_.,/+=-]+(?: [A-Za-z0-9_.,/+=-]+)*\))?")(:)( +#.*)? *$/;
const FAST_BODY_LINE = /^( +)([A-Za-z_][A-Za-z0-9_-]*):( +)(.*?)( +#.*)? *$/;
const YAML_WORDS = /^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
/** Printable text without YAML indicators that matter in a value, quotes, escapes or odd line breaks. */
const FAST_PLAIN = /^[A-Za-z_][^\u0000-\u001f\u007f-\u00a0\u2028\u2029\ufeff#:{}[\],"'`\\]*$/;
const FAST_DOUBLE_QUOTED = /^"[^\u0000-\u001f\u007f-\u00a0\u2028\u2029\ufeff"\\]*"$/;
const FAST_SINGLE_QUOTED = /^'[^\u0000-\u001f\u007f-\u00a0\u2028\u2029\ufeff']*'$/;
const FAST_FLOW_ITEM = /^( *)([A-Za-z_][A-Za-z0-9_-]*): +([^ '"](?:.*[^ ])?)( *)$/;

let fastDoc: Document | undefined;

function fastScalar(raw: string, start: number, nodeEnd: number): Scalar | undefined {
  let value: unknown;
  let type: Scalar.Type;
  const c = raw.charCodeAt(0);
  if (c === 34 /* " */ || c === 39 /* ' */) {
    if (!(c === 34 ? FAST_DOUBLE_QUOTED : FAST_SINGLE_QUOTED).test(raw)) return undefined;
    value = raw.slice(1, -1);
    type = c === 34 ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE';
  } else if (/^[0-9]{1,15}$/.test(raw)) {
    value = Number(raw);
    type = 'PLAIN';
  } else if (FAST_PLAIN.test(raw) && !YAML_WORDS.test(raw) && !/\s$/.test(raw)) {
    value = raw;
    type = 'PLAIN';
  } else return undefined;
  const node = new Scalar(value);
  node.type = type;
  node.range = [start, start + raw.length, nodeEnd];
  return node;
}

/** A one-line flow mapping of `key: plain` pairs, e.g. `{ max: 10, window: 60 }`. */
function fastFlowMap(raw: string, start: number, nodeEnd: number): YAMLMap | undefined {
  const fm = /^\{( *)(.*?)( *)\}$/.exec(raw);
  if (!fm || fm[2] === '') return undefined;
  const map = new YAMLMap();
  map.flow = true;
  map.range = [start, start + raw.length, nodeEnd];
  const seen = new Set<string>();
  let pos = start + 1 + fm[1]!.length;
  for (const part of fm[2]!.split(',')) {
    const m = FAST_FLOW_ITEM.exec(part);
    if (!m) return undefined;
    const name = m[2]!;
    if (seen.has(name) || YAML_WORDS.test(name)) return undefined;
    seen.add(name);
    const keyAt = pos + m[1]!.length;
    const k = new Scalar(name);
    k.type = 'PLAIN';
    k.range = [keyAt, keyAt + name.length, keyAt + name.length];
    const valueAt = keyAt + name.length + 1 + (part.length - m[1]!.length - name.length - 1 - m[3]!.length - m[4]!.length);
    const v = fastScalar(m[3]!, valueAt, valueAt + m[3]!.length);
    if (!v) return undefined;
    map.items.push(new Pair(k, v));
    pos += part.length + 1;
  }
  return map;
}

/** An entry of the simple kind read without the YAML library, or undefined to let the library read it. */
function fastEntryPiece(text: string, indent: number): Piece | undefined {
  if (text.includes('\r') || text.includes('\t')) return undefined;
  const lines = new LineIndex(text);
  const starts = lines.starts;
  const first = lines.line(0);
  if (first.length <= indent || first.charCodeAt(indent) === 32) return undefined;
  const km = FAST_ENTRY_KEY.exec(first.slice(indent));
  if (!km) return undefined;
  const rawKey = km[1]!;
  const quoted = rawKey.charCodeAt(0) === 34;
  const keyValue = quoted ? rawKey.slice(1, -1) : rawKey;
  if (!quoted && YAML_WORDS.test(keyValue)) return undefined;
  const keyNode = new Scalar(keyValue);
  keyNode.type = quoted ? 'QUOTE_DOUBLE' : 'PLAIN';
  keyNode.range = [indent, indent + rawKey.length, indent + rawKey.length];

  const inner = new YAMLMap();
  const seen = new Set<string>();
  let bodyIndent = -1;
  let firstKeyAt = -1;
  let contentEnd = -1;
  for (let l = 1; l < starts.length; l++) {
    const line = lines.line(l);
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) {
      // YAML counts a comment indented deeper than the keys as part of the value before it (its node
      // then ends after the comment): leave such an entry to the library.
      if (trimmed !== '' && bodyIndent >= 0 && line.length - trimmed.length > bodyIndent) return undefined;
      continue;
    }
    const m = FAST_BODY_LINE.exec(line);
    if (!m) return undefined;
    const ind = m[1]!.length;
    if (bodyIndent < 0) {
      if (ind <= indent) return undefined;
      bodyIndent = ind;
    } else if (ind !== bodyIndent) return undefined;
    const name = m[2]!;
    if (seen.has(name) || YAML_WORDS.test(name)) return undefined;
    seen.add(name);
    const lineStart = starts[l]!;
    const keyAt = lineStart + ind;
    const nextLine = starts[l + 1] ?? text.length;
    const k = new Scalar(name);
    k.type = 'PLAIN';
    k.range = [keyAt, keyAt + name.length, keyAt + name.length];
    const valueAt = keyAt + name.length + 1 + m[3]!.length;
    const v = m[4]!.charCodeAt(0) === 123 /* { */ ? fastFlowMap(m[4]!, valueAt, nextLine) : fastScalar(m[4]!, valueAt, nextLine);
    if (!v) return undefined;
    inner.items.push(new Pair(k, v));
    if (firstKeyAt < 0) firstKeyAt = keyAt;
    contentEnd = nextLine;
  }
  if (firstKeyAt < 0) return undefined;
  inner.range = [firstKeyAt, contentEnd, contentEnd];
  const pair = new Pair(keyNode, inner);
  const root = new YAMLMap();
  root.items.push(pair);
  root.range = [indent, contentEnd, contentEnd];
  const doc = (fastDoc ??= new Document());
  return { doc, pair, key: keyValue, lines };
}

function sliceLines(lines: LineIndex, from: number, to: number): string {
  const s = lines.starts;
  return lines.text.slice(s[from] ?? lines.text.length, s[to] ?? lines.text.length);
}

function parseSegments(lines: LineIndex, seg: Segments, options: ParseOptions, previous: ReadonlyMap<string, EntryRecord> | undefined): DetailedParseResult | undefined {
  const sub = seg.tools;
  const pieces: { piece: Piece; start: number; line: number; end: number }[] = [];
  const topKeys = new Set<string>();
  for (let j = 0; j < seg.tops.length; j++) {
    const t = seg.tops[j]!;
    const pieceEnd = sub && sub.top === j ? sub.starts[0]! : t.end;
    const piece = readPiece(sliceLines(lines, t.start, pieceEnd), t.keyLine - t.start, 0);
    if (!piece || topKeys.has(piece.key)) return undefined;
    topKeys.add(piece.key);
    if (sub && sub.top === j && !isNullNode((piece.pair.value as Node | null) ?? null)) return undefined;
    pieces.push({ piece, start: t.start, line: t.keyLine, end: t.end });
  }

  const cache = new Map<string, EntryRecord>();
  const units: EntryUnit[] = [];
  if (sub) {
    const entryKeys = new Set<string>();
    const toolsEnd = seg.tops[sub.top]!.end;
    for (let j = 0; j < sub.starts.length; j++) {
      const start = sub.starts[j]!;
      const end = sub.starts[j + 1] ?? toolsEnd;
      // The next entry's indentation is part of this piece: YAML ends some nodes (an empty sequence
      // item, say) at the next token, and so must the piece to give the same ranges.
      const text = sliceLines(lines, start, end) + (j + 1 < sub.starts.length ? ' '.repeat(sub.indent) : '');
      let record = previous?.get(text);
      if (!record) {
        const piece = fastEntryPiece(text, sub.indent) ?? readPiece(text, 0, sub.indent);
        if (!piece) return undefined;
        record = entryRecord(piece.doc, piece.pair, { lines: piece.lines, lineShift: 0 }, [0, 0], j, text, true);
      }
      if (entryKeys.has(record.key!)) return undefined;
      entryKeys.add(record.key!);
      cache.set(text, record);
      units.push(unitOf(record, j, start, end));
    }
  }

  const diagnostics: PolicyDiagnostic[] = [];
  const s = newTopState(options);
  const top: TopUnit[] = [];
  let first: Checker | undefined;
  let entryIndent = sub?.indent;
  for (let j = 0; j < pieces.length; j++) {
    const { piece, start, line, end } = pieces[j]!;
    const at: Locator = { lines: piece.lines, lineShift: start };
    const c = new Checker(at, piece.doc, diagnostics);
    first ??= c;
    top.push({ key: piece.key, doc: piece.doc, pair: piece.pair, at, line, endLine: end });
    checkTopPair(c, piece.pair, offsetsOf(piece.doc.contents as Node, [0, 0]), s, (tc, value, keyAt) => {
      if (sub && sub.top === j) {
        for (const u of units) for (const d of u.record.diagnostics) diagnostics.push(shiftDiagnostic(d, u.line));
        s.units = units;
      } else {
        if (isNullNode(value)) return;
        const tools = expectMap(tc, value, keyAt, 'tools');
        if (!tools) return;
        if (!tools.flow && tools.items.length > 0) {
          const k = offsetsOf(tools.items[0]!.key as Node, [0, 0])[0];
          entryIndent = k - piece.lines.starts[piece.lines.lineOf(k)]!;
        }
        s.units = toolsFromMap(tc, piece.doc, tools, piece.lines, start, end, true);
      }
      s.entries = s.units.flatMap((u) => (u.entry ? [u.entry] : []));
    });
  }
  if (!s.sawVersion && first) first.error(offsetsOf(pieces[0]!.piece.pair.key as Node, [0, 0]), 'missing-version', 'Missing version: add version: 1 as the first line');
  return finish(lines, 'segments', diagnostics, s, top, entryIndent, cache);
}
