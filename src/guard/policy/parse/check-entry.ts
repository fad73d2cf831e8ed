/**
 * Schema checks of one tools or resources entry (action, reason, rate_limit, approval_timeout, when) and of `resources:`.
 *
 * Why: an entry is the unit the incremental reader checks and caches on its own, into the model's `PolicyEntry`; resource
 * entries share the same keys but `when`.
 */
import { isScalar, isSeq, type Node } from 'yaml';
import { compileNamePattern } from '../glob';
import {
  ACTIONS,
  RATE_LIMIT_SCOPES,
  type Action,
  type RateLimitScope,
  type Condition,
  type PolicyEntry,
  type RateLimit,
  type ResourceEntry,
  type ToolKey,
} from '../model';
import { type Checker, checkKnownPair, eachKnownKey, expectEnum, expectMap, expectPositiveNumber, expectString } from './checker';
import { checkCondition } from './check-condition';
import { ENTRY_KEYS, RATE_LIMIT_KEYS, RESOURCE_ENTRY_KEYS } from './keys';
import { isNullNode, keyName, offsetsOf, type Offsets } from './yaml-nodes';

function checkRateLimit(c: Checker, node: Node | null, at: Offsets): RateLimit | undefined {
  const map = expectMap(c, node, at, 'rate_limit');
  if (!map) return undefined;
  let max: number | undefined;
  let windowSeconds: number | undefined;
  let scope: RateLimitScope | undefined;
  let ok = true;
  eachKnownKey(c, map, RATE_LIMIT_KEYS, 'in rate_limit', (key, value, keyAt) => {
    if (key === 'max') {
      max = expectPositiveNumber(c, value, keyAt, 'rate_limit.max (calls)', true);
      ok &&= max !== undefined;
    } else if (key === 'scope') {
      scope = expectEnum(c, value, keyAt, RATE_LIMIT_SCOPES, 'rate_limit.scope', 'bad-scope');
      ok &&= scope !== undefined;
    } else {
      windowSeconds = expectPositiveNumber(c, value, keyAt, 'rate_limit.window (seconds)', false);
      ok &&= windowSeconds !== undefined;
    }
  });
  const where = offsetsOf(map, at);
  if (ok && max === undefined) c.error(where, 'missing-key', 'rate_limit needs max: the number of calls allowed per window');
  if (ok && windowSeconds === undefined) c.error(where, 'missing-key', 'rate_limit needs window: the length of the window in seconds');
  if (!ok || max === undefined || windowSeconds === undefined) return undefined;
  return scope === 'shared' ? { max, windowSeconds, scope } : { max, windowSeconds };
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

export function checkEntry(
  c: Checker,
  key: string,
  parts: ToolKey,
  index: number,
  node: Node | null,
  keyAt: Offsets,
): PolicyEntry | undefined {
  // Built as one literal with the label last, so every unlabelled entry has the same shape (the
  // evaluator reads entries on every call; spreads here made it ~30 % slower).
  const labelled = parts.label !== undefined ? { label: parts.label } : undefined;
  if (node === null || (isScalar(node) && node.value === null)) {
    c.report(
      keyAt,
      'warning',
      'no-effect',
      `The entry for ${key} is empty, so it changes nothing: give it an action, a rate_limit or both`,
    );
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
      c.error(
        offsetsOf(value, at),
        'wrong-type',
        'when must be a list of conditions, e.g. - { path: args.model, op: eq, value: res.partner }',
      );
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
    c.report(
      keyAt,
      'warning',
      'no-effect',
      `The resource entry for ${key} is empty, so it changes nothing: give it an action, a rate_limit or both`,
    );
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
  if (
    map.items.some((p) => {
      const k = keyName(p);
      return k === undefined || (k !== 'when' && !(RESOURCE_ENTRY_KEYS as readonly string[]).includes(k));
    })
  )
    ok = false;
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
export function checkResources(c: Checker, node: Node | null, at: Offsets): ResourceEntry[] {
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
