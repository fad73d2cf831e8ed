/** The policy as the guard holds it after parsing: entries, conditions, actions, risk defaults. */
import type { RiskClass } from '../catalog/types';
import type { Range } from './diagnostics';

/** What a policy can tell the guard to do with a call, from most to least permissive. */
export type Action = 'allow' | 'require_approval' | 'deny';
export const ACTIONS: readonly Action[] = ['allow', 'deny', 'require_approval'];

/** How strict an action is: the strictest applicable action wins. */
export const ACTION_STRICTNESS: Readonly<Record<Action, number>> = { allow: 0, require_approval: 1, deny: 2 };

export type Mode = 'enforce' | 'monitor' | 'lockdown';
export const MODES: readonly Mode[] = ['enforce', 'monitor', 'lockdown'];

export type ConditionOp = 'eq' | 'neq' | 'in' | 'not_in' | 'lt' | 'lte' | 'gt' | 'gte' | 'regex' | 'contains' | 'exists';
export const CONDITION_OPS: readonly ConditionOp[] = ['eq', 'neq', 'in', 'not_in', 'lt', 'lte', 'gt', 'gte', 'regex', 'contains', 'exists'];

/** A tool-name pattern as written in the file: an exact name, or a glob with `*` and `?`. */
export interface NamePattern {
  readonly source: string;
  readonly test: (name: string) => boolean;
  readonly isGlob: boolean;
}

export interface Condition {
  /** As written, e.g. `args.model`. */
  readonly path: string;
  /** The dot path below `args`, e.g. `['model']`. */
  readonly segments: readonly string[];
  readonly op: ConditionOp;
  readonly value: unknown;
  /** Compiled once at load time, so evaluation never builds a RegExp. */
  readonly test: (args: Readonly<Record<string, unknown>>) => boolean;
}

/**
 * Whose budget a rate limit is: `session` (the default) one per guard session (one agent session);
 * `shared` one for every guard using the same state store (`--state`) and server name (`--name`).
 */
export type RateLimitScope = 'session' | 'shared';
export const RATE_LIMIT_SCOPES: readonly RateLimitScope[] = ['session', 'shared'];

export interface RateLimit {
  readonly max: number;
  readonly windowSeconds: number;
  /** Present only as `shared`: absent is `session`, so existing policies and their models are unchanged. */
  readonly scope?: 'shared';
}

export interface PolicyEntry {
  /**
   * The key under `tools:` as written (label included, e.g. `execute_method (no unlink)`), also the
   * entry's name in rules and audit events (`tools.KEY`).
   */
  readonly key: string;
  /** Position in the file, for stable ordering. */
  readonly index: number;
  /** The tool name or glob the key starts with (`pattern.source`, without the label). */
  readonly pattern: NamePattern;
  /** The label of a key written `PATTERN (LABEL)`: several entries for one tool get distinct keys this way. */
  readonly label?: string;
  readonly action?: Action;
  readonly reason?: string;
  readonly rateLimit?: RateLimit;
  readonly approvalTimeoutSeconds?: number;
  readonly when: readonly Condition[];
}

/**
 * A key under `tools:` is `PATTERN` or `PATTERN (LABEL)`: a tool name or glob without whitespace or
 * parentheses, one or more spaces, and a non-empty label in parentheses at the end. A key without
 * whitespace is the pattern itself (`foo(bar)` included).
 */
export const LABELLED_TOOL_KEY = /^([^\s()]+)\s+\(([^()]*[^\s()][^()]*)\)$/;

/**
 * The tool name or glob a key under tools uses for a tool: a key with whitespace must be
 * `PATTERN (LABEL)`, so a name with whitespace becomes a glob with `?` for each whitespace character.
 */
export function toolPattern(name: string): string {
  return /\s/.test(name) ? name.replace(/\s/g, '?') : name;
}

/** A key under `tools:` split into its tool name or glob and its optional label. */
export interface ToolKey {
  readonly pattern: string;
  readonly label?: string;
}

/**
 * Splits a key under `tools:` (see `LABELLED_TOOL_KEY`); undefined when it is no valid key: blank,
 * or with whitespace but not of the form `PATTERN (LABEL)`.
 */
export function splitToolKey(key: string): ToolKey | undefined {
  if (!/\s/.test(key)) return key === '' ? undefined : { pattern: key };
  const m = LABELLED_TOOL_KEY.exec(key);
  return m ? { pattern: m[1]!, label: m[2]! } : undefined;
}

/**
 * An entry under `resources:`, keyed by a URI or URI glob (`*` any run of characters, `/`
 * included; `?` one character). Same fields as a tools entry but `when`.
 */
export interface ResourceEntry {
  /** The key under `resources:`; its rule is `resources.KEY`. */
  readonly key: string;
  /** Position under resources, for stable ordering. */
  readonly index: number;
  readonly pattern: NamePattern;
  readonly action?: Action;
  readonly reason?: string;
  readonly rateLimit?: RateLimit;
  readonly approvalTimeoutSeconds?: number;
}

/** The modes a policy test may run in (`monitor` would allow everything, so it is no test). */
export type TestMode = 'enforce' | 'lockdown';
export const TEST_MODES: readonly TestMode[] = ['enforce', 'lockdown'];

/**
 * One item of the top-level `tests:` list: a call and the decision the policy must give it. The guard
 * never reads tests at run time; `mcp-guard test` and the editor run them (see `./tests.ts`).
 */
export interface PolicyTest {
  /** Position in the list. */
  readonly index: number;
  readonly name?: string;
  readonly call: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly expect: Action;
  readonly mode: TestMode;
  /** The whole item in the file. */
  readonly range: Range;
  /** The `call` value. */
  readonly callRange: Range;
  /** The `expect` value. */
  readonly expectRange: Range;
}

export interface Policy {
  readonly version: 1;
  readonly defaultAction: Action;
  /** Only the classes the file sets; built-in defaults fill the rest at evaluation. */
  readonly risk: Readonly<Partial<Record<RiskClass, Action>>>;
  readonly hide: readonly NamePattern[];
  readonly entries: readonly PolicyEntry[];
  /** Entries under `resources:` (absent or empty when the file has none). */
  readonly resources?: readonly ResourceEntry[];
  readonly approvalTimeoutSeconds: number;
  /** The file's `tests:` items (absent when the file has no `tests:` key); the guard ignores them. */
  readonly tests?: readonly PolicyTest[];
}

/** Risk classes that have an action of their own even when the file says nothing. */
export const BUILT_IN_RISK_ACTIONS: Readonly<Partial<Record<RiskClass, Action>>> = {
  critical: 'deny',
  high: 'require_approval',
};

export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 120;

/** The policy in force when none is configured: built-in risk defaults, everything else allowed. */
export const BUILT_IN_POLICY: Policy = {
  version: 1,
  defaultAction: 'allow',
  risk: {},
  hide: [],
  entries: [],
  approvalTimeoutSeconds: DEFAULT_APPROVAL_TIMEOUT_SECONDS,
};
