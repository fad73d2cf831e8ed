/** Pure parts of "turn a call into a rule": the call reference code lenses carry, options, messages. */
import { isPlainObject } from '../guard/util/json';
import type { PolicyTestResult } from '../guard/policy/tests';
import type { AuditRow } from './audit-table';

/** A call of the audit log, as the audit view's code lenses pass it to the command. */
export interface CallRef {
  readonly server: string;
  readonly tool: string;
  readonly decision: string;
  readonly rule: string;
  readonly time: string;
  readonly argsSha256: string;
  readonly arguments?: Readonly<Record<string, unknown>>;
}

/** Options a script may pass to skip the questions: the argument paths to match, and the reason. */
export interface RuleOptions {
  readonly conditions?: readonly string[];
  readonly reason?: string;
}

export function callRefOf(row: AuditRow): CallRef {
  return {
    server: row.server,
    tool: row.tool,
    decision: row.decision,
    rule: row.rule,
    time: row.time,
    argsSha256: row.argsSha256,
    ...(row.arguments ? { arguments: row.arguments } : {}),
  };
}

/** A command argument as a CallRef, or undefined when it is not one. */
export function parseCallRef(v: unknown): CallRef | undefined {
  if (!isPlainObject(v)) return undefined;
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const tool = str('tool');
  if (!tool) return undefined;
  return {
    server: str('server') ?? '',
    tool,
    decision: str('decision') ?? '',
    rule: str('rule') ?? '',
    time: str('time') ?? '',
    argsSha256: str('argsSha256') ?? '',
    ...(isPlainObject(v['arguments']) ? { arguments: v['arguments'] } : {}),
  };
}

export function parseRuleOptions(v: unknown): RuleOptions {
  if (!isPlainObject(v)) return {};
  const conditions = Array.isArray(v['conditions']) ? v['conditions'].filter((c): c is string => typeof c === 'string') : undefined;
  return {
    ...(conditions ? { conditions } : {}),
    ...(typeof v['reason'] === 'string' ? { reason: v['reason'] } : {}),
  };
}

function testName(r: PolicyTestResult): string {
  return r.name ?? `call ${r.call} (test ${r.index + 1})`;
}

/** What to tell the user after the edit: what changed, that it awaits review, and the tests' outcome. */
export function ruleOutcomeMessage(o: {
  readonly tool: string;
  readonly changes: readonly string[];
  readonly results: readonly PolicyTestResult[];
  readonly argumentsKnown: boolean;
  /** Whether auto save is on for the policy (then the edit is saved at once, and guards apply it). */
  readonly autoSave: boolean;
}): { readonly severity: 'info' | 'warning'; readonly text: string } {
  const failing = o.results.filter((r) => !r.passed);
  const ruleChanges = o.changes.filter((c) => !c.startsWith('added test'));
  const what =
    ruleChanges.length === 0
      ? 'The policy already decides calls like this one that way; added a test that pins it.'
      : `${capitalize(ruleChanges.join('; '))}, and added a test.`;
  const parts = [
    `MCP Guard: ${what} ` +
      (o.autoSave
        ? 'Auto save writes it, and running guards apply it to the next call; Undo reverts it.'
        : 'Review it, then save the policy to apply it (Undo drops it).'),
  ];
  if (!o.argumentsKnown) {
    parts.push(
      `The call's arguments are not known (the audit log keeps only their hash), so the rule covers every call to ${o.tool}; ` +
        `set mcpGuard.audit.includeArguments to pick arguments next time.`,
    );
  }
  if (failing.length === 0) parts.push(`Policy tests: ${o.results.length === 1 ? '1 test passes' : `all ${o.results.length} pass`}.`);
  else
    parts.push(
      `Policy tests: ${failing.length} of ${o.results.length} now fail (${failing.map(testName).join('; ')}): ` +
        `the new rule contradicts ${failing.length === 1 ? 'it' : 'them'}, ` +
        `so fix the rule or the ${failing.length === 1 ? 'test' : 'tests'}.`,
    );
  return { severity: failing.length === 0 ? 'info' : 'warning', text: parts.join(' ') };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
