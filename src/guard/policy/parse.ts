import { LineCounter, isMap, isScalar, isSeq, parseDocument, visit, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { RISK_CLASSES, type RiskClass } from '../catalog/types';
import { compileCondition } from './conditions';
import type { PolicyDiagnostic, Range, Severity } from './diagnostics';
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
} from './model';
import { didYouMean } from './suggest';

export interface ParseResult {
  /** Present only when the file has no error; warnings do not withhold it. */
  readonly policy?: Policy;
  readonly diagnostics: readonly PolicyDiagnostic[];
}

export const TOP_LEVEL_KEYS = ['version', 'default', 'risk', 'hide', 'tools', 'approval_timeout'] as const;
export const ENTRY_KEYS = ['action', 'reason', 'rate_limit', 'approval_timeout', 'when'] as const;
export const RATE_LIMIT_KEYS = ['max', 'window'] as const;
export const CONDITION_KEYS = ['path', 'op', 'value'] as const;

type Offsets = readonly [number, number];

/** Collects diagnostics with ranges while walking the YAML tree. */
class Checker {
  readonly diagnostics: PolicyDiagnostic[] = [];
  constructor(
    private readonly lines: LineCounter,
    readonly doc: Document,
  ) {}

  range(offsets: Offsets): Range {
    const a = this.lines.linePos(offsets[0]);
    const b = this.lines.linePos(Math.max(offsets[0], offsets[1]));
    return { start: { line: a.line - 1, character: a.col - 1 }, end: { line: b.line - 1, character: b.col - 1 } };
  }

  report(at: Offsets, severity: Severity, code: string, message: string, suggestion?: string): void {
    this.diagnostics.push({ severity, code, message, range: this.range(at), ...(suggestion ? { suggestion } : {}) });
  }

  error(at: Offsets, code: string, message: string, suggestion?: string): void {
    this.report(at, 'error', code, message, suggestion);
  }

  toJS(node: Node): unknown {
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
  for (const pair of map.items) {
    const keyAt = offsetsOf(pair.key as Node, offsetsOf(map, [0, 0]));
    const key = keyName(pair);
    if (key === undefined) {
      c.error(keyAt, 'bad-key', `Keys ${where} must be plain words`);
      continue;
    }
    if (!allowed.includes(key)) {
      const guess = didYouMean(key, allowed);
      c.error(
        keyAt,
        'unknown-key',
        `Unknown key "${key}" ${where}${guess ? `; did you mean "${guess}"?` : `; expected ${quoteList(allowed)}`}`,
        guess,
      );
      continue;
    }
    visit(key, (pair.value as Node | null) ?? null, keyAt);
  }
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
    if (name !== undefined) out.push(compileNamePattern(name));
  }
  return out;
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

function checkConditionValue(c: Checker, op: ConditionOp, node: Node | null, at: Offsets): { ok: boolean; value: unknown } {
  if (node === null) {
    if (op === 'exists') return { ok: true, value: undefined };
    c.error(at, 'missing-key', `Condition op ${op} needs a value`);
    return { ok: false, value: undefined };
  }
  const value = c.toJS(node);
  const where = offsetsOf(node, at);
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
    case 'regex':
      if (typeof value !== 'string') {
        c.error(where, 'wrong-type', `The value of op regex must be a regular expression as text, not ${describe(value)}`);
        return { ok: false, value };
      }
      try {
        new RegExp(value, 'u');
        return { ok: true, value };
      } catch (e) {
        c.error(where, 'bad-regex', `Invalid regular expression ${JSON.stringify(value)}: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
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
    } else valueNode = value ?? null;
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
  const checked = hasValue
    ? checkConditionValue(c, op, valueNode, offsetsOf(valueNode, where))
    : checkConditionValue(c, op, null, opAt);
  if (!checked.ok) return undefined;
  const segments = path.split('.').slice(1);
  return { path, segments, op, value: checked.value, test: compileCondition(segments, op, checked.value) };
}

function checkEntry(c: Checker, key: string, index: number, node: Node | null, keyAt: Offsets): PolicyEntry | undefined {
  if (node === null || (isScalar(node) && node.value === null)) {
    c.report(keyAt, 'warning', 'no-effect', `The entry for ${key} is empty, so it changes nothing: give it an action, a rate_limit or both`);
    return { key, index, pattern: compileNamePattern(key), when: [] };
  }
  const map = expectMap(c, node, keyAt, `The entry for ${key}`);
  if (!map) return undefined;
  let ok = true;
  let action: Action | undefined;
  let reason: string | undefined;
  let rateLimit: RateLimit | undefined;
  let approvalTimeoutSeconds: number | undefined;
  const when: Condition[] = [];
  eachKnownKey(c, map, ENTRY_KEYS, `in the entry for ${key}`, (k, value, at) => {
    switch (k) {
      case 'action':
        action = expectEnum(c, value, at, ACTIONS, 'action', 'bad-action');
        ok &&= action !== undefined;
        break;
      case 'reason':
        reason = expectString(c, value, at, 'reason');
        ok &&= reason !== undefined;
        break;
      case 'rate_limit':
        rateLimit = checkRateLimit(c, value, at);
        ok &&= rateLimit !== undefined;
        break;
      case 'approval_timeout':
        approvalTimeoutSeconds = expectPositiveNumber(c, value, at, 'approval_timeout (seconds)', false);
        ok &&= approvalTimeoutSeconds !== undefined;
        break;
      case 'when':
        if (!isSeq(value)) {
          c.error(offsetsOf(value, at), 'wrong-type', 'when must be a list of conditions, e.g. - { path: args.model, op: eq, value: res.partner }');
          ok = false;
          break;
        }
        for (const item of value.items) {
          const cond = checkCondition(c, item as Node, offsetsOf(value, at));
          if (cond) when.push(cond);
          else ok = false;
        }
        break;
    }
  });
  if (!ok) return undefined;
  if (action === undefined && rateLimit === undefined) {
    c.report(keyAt, 'warning', 'no-effect', `The entry for ${key} has neither an action nor a rate_limit, so it changes nothing`);
  }
  return {
    key,
    index,
    pattern: compileNamePattern(key),
    when,
    ...(action !== undefined ? { action } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(rateLimit !== undefined ? { rateLimit } : {}),
    ...(approvalTimeoutSeconds !== undefined ? { approvalTimeoutSeconds } : {}),
  };
}

function checkTools(c: Checker, node: Node | null, at: Offsets): PolicyEntry[] {
  if (node === null || (isScalar(node) && node.value === null)) return [];
  const map = expectMap(c, node, at, 'tools');
  if (!map) return [];
  const entries: PolicyEntry[] = [];
  map.items.forEach((pair, index) => {
    const keyAt = offsetsOf(pair.key as Node, offsetsOf(map, at));
    const key = keyName(pair);
    if (key === undefined || key.trim() === '') {
      c.error(keyAt, 'bad-key', 'Each key under tools must be a tool name or a glob');
      return;
    }
    const entry = checkEntry(c, key, index, (pair.value as Node | null) ?? null, keyAt);
    if (entry) entries.push(entry);
  });
  return entries;
}

/**
 * Parses and validates a policy file. Never throws: every problem, from YAML syntax to
 * a bad regex, comes back as a diagnostic with its range, and no policy is returned
 * while any error remains.
 */
export interface ParseOptions {
  /** The approval timeout when the file sets none at the top level (the guard's --approval-timeout). */
  readonly defaultApprovalTimeoutSeconds?: number;
}

export function parsePolicy(text: string, options: ParseOptions = {}): ParseResult {
  const lines = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: false });
  } catch (e) {
    return {
      diagnostics: [
        { severity: 'error', code: 'yaml-syntax', message: `Cannot read the file as YAML: ${(e as Error).message}`, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
      ],
    };
  }
  const c = new Checker(lines, doc);
  for (const e of doc.errors) c.error([e.pos[0], e.pos[1]], 'yaml-syntax', e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''));
  if (doc.errors.length > 0) return { diagnostics: c.diagnostics };

  // Aliases are refused outright: a policy is read by people, and an alias bomb should not
  // be able to stall the guard or the editor.
  visit(doc, {
    Alias(_key, node) {
      const r = node.range;
      c.error(r ? [r[0], r[1]] : [0, 0], 'alias', `YAML aliases (*${node.source}) are not supported in a policy file: write the value out`);
    },
  });
  if (c.diagnostics.length > 0) return { diagnostics: c.diagnostics };

  const root = doc.contents as Node | null;
  if (root === null || (isScalar(root) && root.value === null)) {
    c.error([0, 0], 'empty-policy', 'The policy file is empty: start it with version: 1');
    return { diagnostics: c.diagnostics };
  }
  const top = expectMap(c, root, [0, 0], 'A policy file');
  if (!top) return { diagnostics: c.diagnostics };

  let version: 1 | undefined;
  let defaultAction: Action = 'allow';
  let risk: Partial<Record<RiskClass, Action>> = {};
  let hide: NamePattern[] = [];
  let entries: PolicyEntry[] = [];
  let approvalTimeoutSeconds = options.defaultApprovalTimeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS;
  let sawVersion = false;

  eachKnownKey(c, top, TOP_LEVEL_KEYS, 'at the top level', (key, value, at) => {
    switch (key) {
      case 'version': {
        sawVersion = true;
        const v = isScalar(value) ? value.value : value ? c.toJS(value) : null;
        if (v === 1) version = 1;
        else c.error(offsetsOf(value, at), 'bad-version', `Unsupported version ${describe(v)}: this guard reads policy version 1`);
        break;
      }
      case 'default':
        defaultAction = expectEnum(c, value, at, ACTIONS, 'default', 'bad-action') ?? defaultAction;
        break;
      case 'risk':
        risk = checkRisk(c, value, at);
        break;
      case 'hide':
        hide = checkNamePatterns(c, value, at);
        break;
      case 'tools':
        entries = checkTools(c, value, at);
        break;
      case 'approval_timeout':
        approvalTimeoutSeconds = expectPositiveNumber(c, value, at, 'approval_timeout (seconds)', false) ?? approvalTimeoutSeconds;
        break;
    }
  });
  if (!sawVersion) c.error(offsetsOf(top.items[0]?.key as Node, [0, 0]), 'missing-version', 'Missing version: add version: 1 as the first line');

  if (c.diagnostics.some((d) => d.severity === 'error') || version === undefined) return { diagnostics: c.diagnostics };
  return {
    policy: { version, defaultAction, risk, hide, entries, approvalTimeoutSeconds },
    diagnostics: c.diagnostics,
  };
}
