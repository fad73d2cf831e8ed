/**
 * The keys a policy may use at each level.
 *
 * Why: the validator accepts exactly these, and editor completion, the grammar and the JSON schema tests read them from
 * here, so the lists cannot drift apart.
 */

export const TOP_LEVEL_KEYS = ['version', 'default', 'risk', 'hide', 'tools', 'resources', 'approval_timeout', 'tests'] as const;
/** Keys of an item of `tests:`. */
export const TEST_KEYS = ['call', 'args', 'expect', 'mode', 'name'] as const;
export const ENTRY_KEYS = ['action', 'reason', 'rate_limit', 'approval_timeout', 'when'] as const;
/** Keys of an entry under `resources:`: those of a tools entry but `when` (a resource read has no arguments). */
export const RESOURCE_ENTRY_KEYS = ['action', 'reason', 'rate_limit', 'approval_timeout'] as const;
export const RATE_LIMIT_KEYS = ['max', 'window', 'scope'] as const;
/** The keys a rate_limit must have (`scope` defaults to `session`). */
export const RATE_LIMIT_REQUIRED_KEYS = ['max', 'window'] as const;
export const CONDITION_KEYS = ['path', 'op', 'value'] as const;
