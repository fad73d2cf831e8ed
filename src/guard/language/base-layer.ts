/**
 * What the editor says about a policy file when an organisation's base policy is in force under it
 * (`mcpGuard.basePolicyFile`, the guards' `--base-policy`; see policy/base.ts). The base comes in
 * parsed, as an input: nothing here reads files.
 *
 * - `base-stricter` (warning, at an entry's action): an `allow` or `require_approval` entry that the
 *   base makes stricter whatever the call's arguments, so it has no effect: "this allow has no effect:
 *   the base policy denies execute_method at org.yaml:12";
 * - in hovers, the effective decision of a tool with the base (`baseDecisionText`).
 */
import { baseRule, baseWhere, combineToolVerdicts, type BaseLayer } from '../policy/base';
import type { PolicyDiagnostic } from '../policy/diagnostics';
import { evaluatePolicy, type PolicyIndex } from '../policy/evaluate';
import { ACTION_STRICTNESS, BUILT_IN_RISK_ACTIONS, type Action, type PolicyEntry } from '../policy/model';
import { entryKeyRange, entryOutline, type PolicyDocument } from './analyze';
import type { ToolIndex } from './tool-index';

/** What the base does with every call to a tool, when that does not depend on the arguments. */
interface BaseAlways {
  readonly action: Action;
  /** `hide`, `tools.KEY`, `risk.CLASS`, `risk.CLASS (built-in)` or `default`. */
  readonly rule: string;
}

/**
 * The least the base does with any call to `tool`: it hides it; or an entry without conditions sets an
 * action (the strictest such entry: conditional ones can only make it stricter); or no entry of the base
 * sets an action for it and the tool's class does not depend on an argument, so its risk class or
 * default decides. Undefined when it depends on the arguments.
 */
export function baseAlways(base: BaseLayer, tool: string, index: ToolIndex): BaseAlways | undefined {
  const b = base.index;
  if (b.isHidden(tool)) return { action: 'deny', rule: 'hide' };
  const withAction = b.entriesFor(tool).filter((e) => e.action !== undefined);
  let winner: PolicyEntry | undefined;
  for (const e of withAction)
    if (e.when.length === 0 && (winner === undefined || ACTION_STRICTNESS[e.action!] > ACTION_STRICTNESS[winner.action!])) winner = e;
  if (winner !== undefined) return { action: winner.action!, rule: `tools.${winner.key}` };
  if (withAction.length > 0 || index.argumentClasses(tool).length > 0) return undefined;
  const cls = index.classify(tool);
  const fileRisk = b.policy.risk[cls.risk];
  const builtIn = BUILT_IN_RISK_ACTIONS[cls.risk];
  if (fileRisk !== undefined) return { action: fileRisk, rule: `risk.${cls.risk}` };
  if (builtIn !== undefined) return { action: builtIn, rule: `risk.${cls.risk} (built-in)` };
  return { action: b.policy.defaultAction, rule: 'default' };
}

function verb(a: BaseAlways, tool: string): string {
  if (a.rule === 'hide') return `hides ${tool}`;
  return a.action === 'deny' ? `denies ${tool}` : `requires approval for ${tool}`;
}

function located(base: BaseLayer, rule: string): string {
  const where = baseWhere(base, rule);
  return where === base.file ? `(${rule}, ${base.file})` : `at ${where}`;
}

/** `base-stricter` warnings: entries whose action the base overrides for every tool they match. */
export function baseStricterDiagnostics(doc: PolicyDocument, index: ToolIndex, base: BaseLayer): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  for (const u of doc.entries) {
    const e = u.entry;
    if (e === undefined || (e.action !== 'allow' && e.action !== 'require_approval')) continue;
    const tools = e.pattern.isGlob ? index.matching(e.pattern.source).map((t) => t.name) : [e.pattern.source];
    if (tools.length === 0) continue;
    const over: { tool: string; a: BaseAlways }[] = [];
    for (const tool of tools) {
      const a = baseAlways(base, tool, index);
      if (a !== undefined && ACTION_STRICTNESS[a.action] > ACTION_STRICTNESS[e.action]) over.push({ tool, a });
    }
    if (over.length === 0) continue;
    const range = entryOutline(u).action?.range ?? entryKeyRange(u);
    const first = over[0]!;
    const message =
      !e.pattern.isGlob || over.length === tools.length
        ? over.length === 1
          ? `this ${e.action} has no effect: the base policy ${verb(first.a, first.tool)} ${located(base, first.a.rule)}`
          : `this ${e.action} has no effect: the base policy is stricter for every tool it matches: ` +
            over
              .slice(0, 5)
              .map((o) => `${verb(o.a, o.tool)} ${located(base, o.a.rule)}`)
              .join('; ') +
            (over.length > 5 ? `; and ${over.length - 5} more` : '')
        : `this ${e.action} has no effect on ${over.length} of the ${tools.length} tools it matches: the base policy ` +
          over
            .slice(0, 5)
            .map((o) => `${verb(o.a, o.tool)} ${located(base, o.a.rule)}`)
            .join('; ') +
          (over.length > 5 ? `; and ${over.length - 5} more` : '');
    out.push({ severity: 'warning', code: 'base-stricter', message, range });
  }
  return out;
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

/**
 * The hover's line on the effective decision of a tool (called with no arguments) with the base:
 * what the base says, and what applies once both layers are combined, as the guard combines them.
 */
export function baseDecisionText(policyIndex: PolicyIndex, base: BaseLayer, name: string, index: ToolIndex): string {
  const cls = index.classify(name);
  if (base.index.isHidden(name))
    return `**With the base policy** (${base.file}): hidden by the base policy ${located(base, 'hide')}: a call is blocked (rule ${code('base:hide')}), whatever this file says.`;
  if (policyIndex.isHidden(name)) return `**With the base policy** (${base.file}): hidden by this policy.`;
  const p = evaluatePolicy(policyIndex, name, {}, cls);
  const b = evaluatePolicy(base.index, name, {}, cls);
  const { verdict, limits } = combineToolVerdicts(p, b, base);
  const lines = [
    `**With the base policy** (${base.file}): ${code(verdict.action)} by ${code(verdict.rule)}` +
      (verdict.rule.startsWith('base:') ? ` ${located(base, b.rule)}` : ''),
    `The base policy alone: ${code(b.action)} by ${code(baseRule(b.rule))}.`,
  ];
  const baseLimits = limits.filter((l) => l.key.startsWith('base:'));
  for (const l of baseLimits)
    lines.push(`Base rate limit: at most ${l.limit.max} calls in any ${l.limit.windowSeconds} s (${code(l.key)}).`);
  return lines.join('  \n');
}
