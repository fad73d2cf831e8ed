/**
 * Schema checks of the top-level keys, into the policy being assembled (`TopState`).
 *
 * Why: both readers check version, default, risk, hide, approval_timeout, resources and tests the same way; each hands
 * the value of `tools` to its own code, since that is where they read differently.
 */
import { isScalar, isSeq, type Node, type Pair } from 'yaml';
import { RISK_CLASSES, type RiskClass } from '../../catalog/types';
import { compileNamePattern } from '../glob';
import {
  ACTIONS,
  DEFAULT_APPROVAL_TIMEOUT_SECONDS,
  type Action,
  type NamePattern,
  type PolicyEntry,
  type PolicyTest,
  type ResourceEntry,
} from '../model';
import { type Checker, checkKnownPair, describe, eachKnownKey, expectEnum, expectMap, expectPositiveNumber, expectString } from './checker';
import { checkResources } from './check-entry';
import { checkTests } from './check-tests';
import { TOP_LEVEL_KEYS } from './keys';
import { caseOnlyToolMatch } from './tool-names';
import type { ParseOptions, EntryUnit } from './types';
import { offsetsOf, type Offsets } from './yaml-nodes';

/** The policy being assembled from the top-level keys, in file order. */
export interface TopState {
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

export function newTopState(options: ParseOptions): TopState {
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

/** What a reader does with the value of `tools` (each reads its entries its own way). */
export type ToolsHandler = (c: Checker, value: Node | null, at: Offsets) => void;

/** Checks one top-level pair into `s`; the value of `tools` goes to `tools`. */
export function checkTopPair(c: Checker, pair: Pair, fallback: Offsets, s: TopState, tools: ToolsHandler): void {
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
