/**
 * What every key and enum value of the policy format means, in the README's words: one place for
 * hovers and completion documentation.
 */
import type { RiskClass } from '../catalog/types';
import type { Action, ConditionOp, RateLimitScope } from '../policy/model';

export interface KeyDoc {
  /** A short summary, for completion details. */
  readonly detail: string;
  /** Markdown. */
  readonly doc: string;
}

/** The label syntax of keys under tools, in one sentence (hovers on `tools:` and on a label). */
export const LABEL_SYNTAX =
  'To give one tool several entries, follow its name or glob with a label in parentheses: ' +
  '`execute_method (no unlink)` is an entry for `execute_method`, named `tools.execute_method (no unlink)` in rules and the audit log.';

export const TOP_LEVEL_DOCS: Readonly<Record<string, KeyDoc>> = {
  version: { detail: 'policy format version: 1', doc: 'The policy format version. Required; this guard reads `version: 1`.' },
  default: {
    detail: 'allow | deny | require_approval',
    doc:
      'What happens to a tool that no entry and no risk class decides ' +
      '(medium and low risk tools with no entry and no `risk:` line). `allow` unless the file says otherwise.',
  },
  risk: {
    detail: 'action per risk class',
    doc:
      'A map from risk class (`low`, `medium`, `high`, `critical`) to an action, for tools that no entry with an action matches. ' +
      'Built in: `critical: deny`, `high: require_approval`.',
  },
  hide: {
    detail: 'tool names or globs',
    doc:
      'A list of tool names or globs (`*`, `?`). ' +
      "Those tools are removed from the agent's `tools/list`, and a call to one is blocked anyway (rule `hide`).",
  },
  tools: {
    detail: 'entries by tool name or glob',
    doc:
      'A map from a tool name or glob (`*` any run of characters, `?` one character) to an entry: `action`, `reason`, `rate_limit`, ' +
      '`approval_timeout`, `when`. When several entries apply, the strictest action wins: `deny` > `require_approval` > `allow`. ' +
      LABEL_SYNTAX,
  },
  resources: {
    detail: 'entries by resource URI or URI glob',
    doc:
      'A map from a resource URI or URI glob (`*` any run of characters, `/` included; `?` one character), e.g. `"odoo://record/*"`, ' +
      'to an entry: `action`, `reason`, `rate_limit`, `approval_timeout` (no `when`). It decides ' +
      '`resources/read` and `resources/subscribe`, so reading records through a resource cannot bypass a tool rule. ' +
      'The strictest matching action wins; with none, `default` decides (resources have no risk class). `hide` also matches resource URIs.',
  },
  approval_timeout: {
    detail: 'seconds (> 0), default 120',
    doc: 'Seconds to wait for a person to answer an approval before the call is denied; the default for every `require_approval`.',
  },
  tests: {
    detail: 'calls with the decision they must get',
    doc:
      'A list of tests, each `{ call: TOOL, args: {…}, expect: allow | deny | require_approval }` ' +
      '(optional `mode: enforce | lockdown`, `name`). `mcp-guard test FILE` runs them, and the editor shows a failing test ' +
      'as an error on its `expect`. The guard itself ignores them; rate limits are not counted.',
  },
};

export const ENTRY_KEY_DOCS: Readonly<Record<string, KeyDoc>> = {
  action: {
    detail: 'allow | deny | require_approval',
    doc:
      'What this entry does with a call it applies to. ' +
      'When several entries apply, the strictest wins: `deny` > `require_approval` > `allow`.',
  },
  reason: {
    detail: 'text',
    doc: 'Why: shown to the agent when a call is blocked, to the person asked to approve, and written to the audit log.',
  },
  rate_limit: {
    detail: '{ max: N, window: SECONDS }',
    doc:
      'At most `max` calls in any `window` seconds (a sliding window), per guard session, shared by every tool this key matches. ' +
      'Blocked, declined and rate-limited calls use no quota.',
  },
  approval_timeout: {
    detail: 'seconds (> 0)',
    doc: "Seconds to wait for an approval of a call this entry decides `require_approval`; overrides the file's `approval_timeout`.",
  },
  when: {
    detail: 'list of { path, op, value }',
    doc: "Conditions on the call's arguments; the entry applies only when all of them hold. Each is `{ path: args.…, op: …, value: … }`.",
  },
};

export const RESOURCE_ENTRY_KEY_DOCS: Readonly<Record<string, KeyDoc>> = {
  action: {
    detail: 'allow | deny | require_approval',
    doc:
      'What this entry does with a read of a resource its URI glob matches. ' +
      'When several entries match, the strictest wins: `deny` > `require_approval` > `allow`; with none, `default` decides.',
  },
  reason: {
    detail: 'text',
    doc: 'Why: shown to the agent when a read is blocked, to the person asked to approve, and written to the audit log.',
  },
  rate_limit: {
    detail: '{ max: N, window: SECONDS }',
    doc:
      'At most `max` reads in any `window` seconds (a sliding window), per guard session, ' +
      'shared by every resource this key matches (rule `resources.KEY`). Blocked, declined and rate-limited reads use no quota.',
  },
  approval_timeout: {
    detail: 'seconds (> 0)',
    doc: "Seconds to wait for an approval of a read this entry decides `require_approval`; overrides the file's `approval_timeout`.",
  },
};

export const RATE_LIMIT_KEY_DOCS: Readonly<Record<string, KeyDoc>> = {
  max: { detail: 'calls (a whole number ≥ 1)', doc: 'How many calls may go ahead within any `window` seconds.' },
  window: { detail: 'seconds (> 0)', doc: 'The length of the sliding window, in seconds.' },
  scope: {
    detail: 'session | shared',
    doc:
      'Whose budget this is. `session` (the default): one budget per guard session (one agent session). ' +
      '`shared`: one budget for every guard that uses the same state store (`--state redis://…`, setting `mcpGuard.state`) ' +
      'and the same server name (`--name`); with the default `memory` state, shared by the sessions of one guard process ' +
      '(`mcp-guard serve`). While the store cannot be reached, calls under a shared limit are denied (`--state-fail-open` lets them through).',
  },
};

/** The values of `rate_limit.scope`. */
export const SCOPE_DOCS: Readonly<Record<RateLimitScope, KeyDoc>> = {
  session: {
    detail: 'one budget per guard session',
    doc: '`session` (the default): each guard session (one agent session; one MCP session of `mcp-guard serve`) has its own budget, which starts afresh with the session.',
  },
  shared: {
    detail: 'one budget for every guard on the same store and server',
    doc:
      '`shared`: one budget for every guard that uses the same state store (`--state redis://HOST:PORT`, setting `mcpGuard.state`) ' +
      'and the same server name (`--name`), so it holds across agents, windows, restarts and machines. With the default `memory` ' +
      'state it is shared by the sessions of one guard process only. While the store cannot be reached, calls under it are denied ' +
      '(`--state-fail-open` lets them through).',
  },
};

export const CONDITION_KEY_DOCS: Readonly<Record<string, KeyDoc>> = {
  path: {
    detail: 'args.<parameter>[.<key>…]',
    doc: "`args.` followed by a dot path into the call's arguments, e.g. `args.model`, `args.values.state`, `args.record_ids.0`.",
  },
  op: {
    detail: 'eq | neq | in | not_in | lt | lte | gt | gte | regex | contains | exists',
    doc: 'How the value at `path` is compared with `value`.',
  },
  value: {
    detail: 'what to compare with',
    doc: 'The value `op` compares with: a list for `in` / `not_in`, a regular expression for `regex`, `true` / `false` for `exists`.',
  },
};

export const ACTION_DOCS: Readonly<Record<Action, KeyDoc>> = {
  allow: {
    detail: 'let the call through',
    doc: '`allow`: the call goes to the server (rate limits still count it). The least strict action.',
  },
  require_approval: {
    detail: 'ask a person first',
    doc:
      '`require_approval`: the call is held while a person is asked (the editor, or MCP elicitation); only an approval lets it through. ' +
      'A decline, a cancel or no answer within the approval timeout blocks it.',
  },
  deny: {
    detail: 'block the call',
    doc: '`deny`: the call is blocked and never reaches the server; the agent is told why. The strictest action.',
  },
};

export const RISK_CLASS_DOCS: Readonly<Record<RiskClass, KeyDoc>> = {
  low: {
    detail: 'bounded reads, offline computations',
    doc: '`low` risk: bounded reads and offline computations; local caches that rebuild. No built-in action: `default` decides.',
  },
  medium: {
    detail: 'shared state, capacity, host files, bulk data',
    doc:
      '`medium` risk: no lasting damage to business data, but the call changes shared server state, consumes scarce ' +
      'capacity, touches the host filesystem, or can pull out bulk or binary data. No built-in action: `default` decides.',
  },
  high: {
    detail: 'irreversible, bounded target — built in: require_approval',
    doc:
      '`high` risk: one call has an effect that cannot be taken back, ' +
      'but its target is bounded (one field, one message, one new host file). Built in: `require_approval`.',
  },
  critical: {
    detail: 'irreversible, unbounded — built in: deny',
    doc:
      '`critical` risk: one call can permanently destroy or discard data or work, ' +
      'or trigger arbitrary business effects, with no undo and an unbounded target. Built in: `deny`.',
  },
};

export const OP_DOCS: Readonly<Record<ConditionOp, KeyDoc>> = {
  eq: { detail: 'equals value', doc: '`eq`: the value at `path` equals `value` (JSON equality, no type coercion: `5` is not `"5"`).' },
  neq: { detail: 'does not equal value', doc: '`neq`: the value at `path` does not equal `value`; also holds when `path` is missing.' },
  in: { detail: 'is one of the list', doc: '`in`: the value at `path` is one of the list `value`.' },
  not_in: {
    detail: 'is none of the list',
    doc: '`not_in`: the value at `path` is none of the list `value`; also holds when `path` is missing.',
  },
  lt: { detail: '< value', doc: '`lt`: less than `value`; both numbers or both texts, otherwise the condition does not hold.' },
  lte: {
    detail: '≤ value',
    doc: '`lte`: less than or equal to `value`; both numbers or both texts, otherwise the condition does not hold.',
  },
  gt: { detail: '> value', doc: '`gt`: greater than `value`; both numbers or both texts, otherwise the condition does not hold.' },
  gte: {
    detail: '≥ value',
    doc: '`gte`: greater than or equal to `value`; both numbers or both texts, otherwise the condition does not hold.',
  },
  regex: {
    detail: 'text matching a regular expression',
    doc:
      '`regex`: the value at `path` is a text matching the regular expression ' +
      '`value` (JavaScript syntax, Unicode mode, not anchored unless you write `^…$`).',
  },
  contains: {
    detail: 'text contains / list has',
    doc: '`contains`: a text containing the text `value`, or a list with an element equal to `value`.',
  },
  exists: {
    detail: 'is present (value: true) or absent (false)',
    doc: '`exists`: the path exists in the arguments (`value: true`, the default) or does not (`value: false`).',
  },
};
