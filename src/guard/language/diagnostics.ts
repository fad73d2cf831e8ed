/**
 * The one validator of policy files, shared by the editor and `mcp-guard validate`: the parser's
 * diagnostics (YAML syntax, schema: unknown keys, wrong types, bad enums, limits, regexes, ops,
 * paths) plus what needs the tools:
 *
 * - `unknown-tool` (warning): an exact key under tools or an item of hide that is neither in the
 *   catalog nor among the tools the server reported, with "did you mean";
 * - `tool-name-case` (error): such a key or item that is a known tool with other capitals
 *   (`Cancel_Async_Task`): names are case-sensitive, so a deny written so never applies. The parser
 *   reports it for catalog tools (so the guard refuses the file); this adds the reported tools;
 * - `unmatched-glob` (warning): a glob under tools or in hide that matches no known tool;
 * - `unknown-parameter` (warning): a condition `path` whose first step is not a parameter of the
 *   tool's input schema (exact known keys; for a glob, when no matching tool has it);
 * - `allow-critical` (warning): `allow` on a critical-risk tool, by its exact key or a glob;
 * - `risky-default` (warning, at `default`): `default: allow` while a known destructive tool
 *   (category Destructive, or risk critical / high) has no entry deciding it and its risk class
 *   action (the file's `risk:` or built-in, else the default) is allow;
 * - `risky-risk` (warning): `risk: { critical: allow }` or `high: allow`;
 * - `dead-entry` / `dead-action` (information): an entry (or just its action, when it also has a
 *   rate limit) that can never change a decision, because a stricter entry without conditions
 *   matches every tool it matches, or because hide removes all of them;
 * - `unlisted-tools` (information): tools the server reported that the catalog does not know and
 *   no entry names;
 * - `base-stricter` (warning, at an entry's action; only with an organisation's base policy passed in):
 *   an `allow` or `require_approval` that the base makes stricter for every call, so it has no effect
 *   (see `./base-layer.ts`);
 * - `test-failed` (error, at the test's `expect`): an item of `tests:` whose call the policy decides
 *   otherwise; `unknown-tool` (warning) also for a test's `call` (see `./policy-tests.ts`).
 *
 * The format has no `mode` key (modes are set on the command line and in the editor), so there
 * is no warning about a policy left in monitor mode.
 */
import type { PolicyDiagnostic, Range, Severity } from '../policy/diagnostics';
import { PolicyIndex } from '../policy/evaluate';
import { ACTION_STRICTNESS, BUILT_IN_RISK_ACTIONS, type Action, type Condition, type Policy, type PolicyEntry } from '../policy/model';
import { caseOnlyToolMatch, shiftDiagnostic, type EntryRecord, type EntryUnit } from '../policy/parse';
import { didYouMean } from '../policy/suggest';
import {
  analyzePolicy,
  asDocument,
  entryKeyRange,
  entryOutline,
  entryPatternRange,
  relativeEntryOutline,
  topOutline,
  type PolicyDocument,
} from './analyze';
import { globCovers } from './glob-cover';
import { baseStricterDiagnostics } from './base-layer';
import type { BaseLayer } from '../policy/base';
import { policyTestDiagnostics } from './policy-tests';
import { toolIndexOf, type KnownTool, type ToolIndex, type ToolSource } from './tool-index';

export type { PolicyDiagnostic };

const PATH_PATTERN = /^args(\.[^.\s]+)+$/;

/** At most this many names in one message; the rest are counted. */
const LIST_LIMIT = 8;

export function listNames(names: readonly string[], limit = LIST_LIMIT): string {
  if (names.length <= limit) return names.join(', ');
  return `${names.slice(0, limit).join(', ')} and ${names.length - limit} more`;
}

function diag(severity: Severity, code: string, message: string, range: Range, suggestion?: string): PolicyDiagnostic {
  return { severity, code, message, range, ...(suggestion !== undefined ? { suggestion } : {}) };
}

/** Where names were looked for, for messages: "in the catalog nor in the tool list the server reported". */
export function knownWhere(index: ToolIndex): string {
  return index.hasReported
    ? 'in the catalog nor in the tool list the server reported'
    : `in the catalog (${index.catalogLabel}), and the server has not reported its tools`;
}

function isGlobKey(key: string): boolean {
  return key.includes('*') || key.includes('?');
}

/** Whether an input schema says which parameters exist (so a path outside them is a mistake). */
function closedSchema(tool: KnownTool): boolean {
  const s = tool.inputSchema;
  return s !== undefined && typeof s.properties === 'object' && s.properties !== null && s.additionalProperties !== true;
}

const byLowerCase = new WeakMap<ToolIndex, ReadonlyMap<string, readonly string[]>>();

/**
 * The known tools `name` spells with other capitals, when it is not itself known; empty when the
 * parser already reported it (a catalog tool), so the file gets one error, not two.
 */
function caseVariants(index: ToolIndex, name: string): readonly string[] {
  if (index.has(name) || caseOnlyToolMatch(name) !== undefined) return [];
  let map = byLowerCase.get(index);
  if (!map) {
    const m = new Map<string, string[]>();
    for (const n of index.names) {
      const k = n.toLowerCase();
      const same = m.get(k);
      if (same) same.push(n);
      else m.set(k, [n]);
    }
    byLowerCase.set(index, m);
    map = m;
  }
  return map.get(name.toLowerCase()) ?? [];
}

/** The end of a `tool-name-case` message: which tools `name` is, with other capitals. */
function caseMessage(variants: readonly string[]): string {
  return variants.length === 1 ? `the tool is "${variants[0]}"` : `the tools are ${variants.map((v) => `"${v}"`).join(' and ')}`;
}

// ── per entry (cached by entry text and tool index) ──

const entryMemo = new WeakMap<EntryRecord, { readonly index: ToolIndex; readonly diagnostics: readonly PolicyDiagnostic[] }>();

/**
 * Unknown tool, unmatched glob and unknown parameters of one entry, lines relative to its key. They are
 * about the key's tool name or glob (`execute_method` of `execute_method (no unlink)`), and on its range.
 */
function entryToolDiagnostics(record: EntryRecord, index: ToolIndex): readonly PolicyDiagnostic[] {
  const memo = entryMemo.get(record);
  if (memo && memo.index === index) return memo.diagnostics;
  const out: PolicyDiagnostic[] = [];
  const key = record.pattern;
  if (key !== undefined && key.trim() !== '') {
    const glob = isGlobKey(key);
    const matching = index.matching(key);
    if (matching.length === 0) {
      const keyRange = entryPatternRange({ record, line: 0 });
      if (glob) {
        out.push(diag('warning', 'unmatched-glob', `The glob "${key}" matches no tool ${knownWhere(index)}`, keyRange));
      } else if (caseOnlyToolMatch(key) === undefined) {
        // (A catalog tool with other capitals is the parser's tool-name-case error already.)
        const variants = caseVariants(index, key);
        if (variants.length > 0) {
          const message =
            `Unknown tool "${key}": tool names are case-sensitive, and ${caseMessage(variants)}; ` +
            `as written, the entry for ${record.key ?? key} never applies`;
          out.push(diag('error', 'tool-name-case', message, keyRange, variants.length === 1 ? variants[0] : undefined));
        } else {
          const guess = index.suggest(key);
          out.push(
            diag(
              'warning',
              'unknown-tool',
              `Unknown tool "${key}": not ${knownWhere(index)}${guess ? `; did you mean "${guess}"?` : ''}`,
              keyRange,
              guess,
            ),
          );
        }
      }
    }
    const withSchema = matching.filter(closedSchema);
    // Conditions only when the entry has some (or did not validate, and may have some).
    if (withSchema.length > 0 && (record.entry === undefined || record.entry.when.length > 0)) {
      for (const c of relativeEntryOutline(record).conditions) {
        const path = c.path;
        if (!path || typeof path.value !== 'string' || !PATH_PATTERN.test(path.value)) continue;
        const param = path.value.split('.')[1]!;
        if (withSchema.some((t) => t.parameters.some((p) => p.name === param))) continue;
        const names = [...new Set(withSchema.flatMap((t) => t.parameters.map((p) => p.name)))];
        const guess = didYouMean(param, names);
        const suggestion = guess !== undefined ? `args.${guess}` : undefined;
        const what = glob
          ? `none of the ${withSchema.length === 1 ? 'tool' : `${withSchema.length} tools`} matching "${key}" (${listNames(
              withSchema.map((t) => t.name),
              4,
            )}) has a parameter "${param}"`
          : names.length === 0
            ? `${key} takes no parameters`
            : `${key} has no parameter "${param}"`;
        const tail = suggestion ? `; did you mean "${suggestion}"?` : names.length > 0 ? `; its parameters: ${listNames(names, 12)}` : '';
        out.push(diag('warning', 'unknown-parameter', `${path.value}: ${what}${tail}`, path.range, suggestion));
      }
    }
  }
  entryMemo.set(record, { index, diagnostics: out });
  return out;
}

// ── whole-file checks ──

interface Dominator {
  readonly entry: PolicyEntry;
  /** The glob's literal start: a pattern it covers starts with it. */
  readonly prefix: string;
}

/**
 * Unconditional entries with an action stricter than allow: globs (with their literal prefix), and
 * exact names by name (they cover only entries for the same name, which labels make possible).
 */
interface Dominators {
  readonly globs: readonly Dominator[];
  readonly exact: ReadonlyMap<string, readonly PolicyEntry[]>;
}

/**
 * An unconditional entry other than `entry`, with a stricter action than `entry`'s, whose tool name or
 * glob covers `entry`'s (labels play no part: two entries for one pattern are two entries).
 */
function strictCover(entry: PolicyEntry & { action: Action }, dominators: Dominators): PolicyEntry | undefined {
  const pattern = entry.pattern.source;
  if (!entry.pattern.isGlob) {
    for (const e of dominators.exact.get(pattern) ?? [])
      if (e !== entry && ACTION_STRICTNESS[e.action!] > ACTION_STRICTNESS[entry.action]) return e;
  }
  for (const d of dominators.globs) {
    const e = d.entry;
    if (!pattern.startsWith(d.prefix) || e === entry || ACTION_STRICTNESS[e.action!] <= ACTION_STRICTNESS[entry.action]) continue;
    if (entry.pattern.isGlob ? globCovers(e.pattern.source, pattern) : e.pattern.test(pattern)) return e;
  }
  return undefined;
}

/** The hide item that removes every tool a tool name or glob matches. */
function hiddenBy(policy: Policy, key: string): string | undefined {
  for (const h of policy.hide) if (isGlobKey(key) ? globCovers(h.source, key) : h.test(key)) return h.source;
  return undefined;
}

/** Whether an entry without conditions and with an action stricter than allow decides `tool` whatever its arguments. */
function stricterAlways(pindex: PolicyIndex, tool: string, than: Action): boolean {
  return pindex
    .entriesFor(tool)
    .some((e) => e.when.length === 0 && e.action !== undefined && ACTION_STRICTNESS[e.action] > ACTION_STRICTNESS[than]);
}

function isDestructive(t: KnownTool): boolean {
  const c = t.classification;
  return c.category === 'Destructive' || c.risk === 'critical' || c.risk === 'high';
}

function describeTool(t: KnownTool): string {
  return `${t.name} (${t.classification.category}, ${t.classification.risk} risk)`;
}

function fileChecks(doc: PolicyDocument, index: ToolIndex, out: PolicyDiagnostic[]): void {
  const policy = doc.policy ?? doc.partial;
  if (!policy) return;
  const clean = doc.policy !== undefined;
  const pindex = new PolicyIndex(policy);
  const top = topOutline(doc);
  const hidden = (name: string) => policy.hide.some((h) => h.test(name));

  // hide items
  for (const item of top.hide) {
    // A resource URI or URI glob (tool names have no `:`): resources are dynamic, so nothing to check it against.
    if (item.name.includes(':')) continue;
    if (index.matching(item.name).length > 0) continue;
    if (isGlobKey(item.name))
      out.push(diag('warning', 'unmatched-glob', `The glob "${item.name}" in hide matches no tool ${knownWhere(index)}`, item.range));
    else if (caseOnlyToolMatch(item.name) !== undefined)
      continue; // the parser's tool-name-case error
    else {
      const variants = caseVariants(index, item.name);
      if (variants.length > 0) {
        const message =
          `Unknown tool "${item.name}" in hide: tool names are case-sensitive, ` +
          `and ${caseMessage(variants)}; as written, hide does not remove it`;
        out.push(diag('error', 'tool-name-case', message, item.range, variants.length === 1 ? variants[0] : undefined));
        continue;
      }
      const guess = index.suggest(item.name);
      out.push(
        diag(
          'warning',
          'unknown-tool',
          `Unknown tool "${item.name}" in hide: not ${knownWhere(index)}${guess ? `; did you mean "${guess}"?` : ''}`,
          item.range,
          guess,
        ),
      );
    }
  }

  // risk: { critical: allow } / { high: allow }
  for (const line of top.risk) {
    if (line.value !== 'allow' || (line.riskClass !== 'critical' && line.riskClass !== 'high')) continue;
    const cls = line.riskClass;
    const through = index.tools.filter(
      (t) =>
        t.classification.risk === cls &&
        !hidden(t.name) &&
        !pindex.entriesFor(t.name).some((e) => e.action !== undefined && e.when.length === 0),
    );
    const builtIn = BUILT_IN_RISK_ACTIONS[cls]!;
    out.push(
      diag(
        'warning',
        'risky-risk',
        `risk: ${cls}: allow lets every ${cls}-risk tool that no entry decides through without asking` +
          `${through.length > 0 ? ` (${listNames(through.map((t) => t.name))})` : ''}; the built-in action is ${builtIn}`,
        line.range,
        builtIn,
      ),
    );
  }

  const units = doc.entries.filter((u): u is EntryUnit & { entry: PolicyEntry } => u.entry !== undefined);
  const globs: Dominator[] = [];
  const exact = new Map<string, PolicyEntry[]>();
  for (const u of units) {
    const e = u.entry;
    if (e.when.length > 0 || (e.action !== 'deny' && e.action !== 'require_approval')) continue;
    const p = e.pattern.source;
    if (e.pattern.isGlob) globs.push({ entry: e, prefix: p.slice(0, p.search(/[*?]/)) });
    else {
      const same = exact.get(p);
      if (same) same.push(e);
      else exact.set(p, [e]);
    }
  }
  const dominators: Dominators = { globs, exact };

  // dead entries (also while other parts have errors: an entry with an error is missing from the
  // policy, which can hide a dead entry but never make one up)
  const dead = new Set<PolicyEntry>();
  {
    for (const u of units) {
      const e = u.entry;
      const hider = hiddenBy(policy, e.pattern.source);
      if (hider !== undefined) {
        dead.add(e);
        out.push(
          diag(
            'information',
            'dead-entry',
            `The entry for ${e.key} never applies: hide removes ${e.pattern.isGlob ? 'every tool it matches' : 'this tool'} ` +
              `(hide item "${hider}"), so its calls are blocked first`,
            entryKeyRange(u),
          ),
        );
        continue;
      }
      if (e.action === undefined || e.action === 'deny') continue;
      const by = strictCover(e as PolicyEntry & { action: Action }, dominators);
      if (!by) continue;
      dead.add(e);
      const why =
        `"${by.key}" (${by.action}, no conditions) also matches ` +
        `${e.pattern.isGlob ? 'every tool this entry matches' : e.pattern.source}, and ${by.action} is stricter than ${e.action}`;
      if (e.rateLimit === undefined) {
        out.push(diag('information', 'dead-entry', `The entry for ${e.key} never changes a decision: ${why}`, entryKeyRange(u)));
      } else {
        const action = entryOutline(u).action;
        out.push(
          diag(
            'information',
            'dead-action',
            `action ${e.action} of ${e.key} never changes a decision: ${why}; only its rate_limit has an effect`,
            action?.range ?? entryKeyRange(u),
          ),
        );
      }
    }
  }

  // allow on critical tools (for a tool classed by an argument: unless the conditions keep that argument to values that are not critical)
  for (const u of units) {
    const e = u.entry;
    if (e.action !== 'allow' || dead.has(e)) continue;
    const critical = index
      .matching(e.pattern.source)
      .filter((t) => admitsCritical(index, t, e.when) && !hidden(t.name) && !stricterAlways(pindex, t.name, 'allow'));
    if (critical.length === 0) continue;
    const range = entryOutline(u).action?.range ?? entryKeyRange(u);
    const cond = e.when.length > 0 ? ' when its conditions hold' : '';
    const message = e.pattern.isGlob
      ? `allow on "${e.key}" lets critical-risk tools through${cond}: ` +
        `${listNames(critical.map((t) => `${t.name} (${t.classification.category})`))}; require_approval would ask first`
      : `allow lets ${e.pattern.source} through${cond}, a critical-risk tool ` +
        `(${critical[0]!.classification.category}): ${critical[0]!.classification.reason} require_approval would ask first` +
        safeValuesHint(index, critical[0]!.name);
    out.push(diag('warning', 'allow-critical', message, range, 'require_approval'));
  }

  // default: allow letting destructive tools through
  if (clean && top.default?.value === 'allow') {
    const through: string[] = [];
    for (const t of index.tools) {
      if (!isDestructive(t) || hidden(t.name)) continue;
      if (pindex.entriesFor(t.name).some((e) => e.action !== undefined && e.when.length === 0)) continue;
      const fileRisk = policy.risk[t.classification.risk];
      const riskAction = fileRisk ?? BUILT_IN_RISK_ACTIONS[t.classification.risk];
      if ((riskAction ?? policy.defaultAction) !== 'allow') continue;
      const rule =
        fileRisk !== undefined
          ? `risk.${t.classification.risk}`
          : riskAction !== undefined
            ? `risk.${t.classification.risk} (built-in)`
            : 'default';
      through.push(`${describeTool(t)} by ${rule}`);
    }
    if (through.length > 0) {
      out.push(
        diag(
          'warning',
          'risky-default',
          `default: allow lets destructive tools that no entry decides through: ${listNames(through)}; ` +
            `give them entries, or use default: require_approval`,
          top.default.range,
          'require_approval',
        ),
      );
    }
  }

  // reported tools the catalog does not know and no entry names
  if (index.hasReported) {
    const named = new Set<string>();
    for (const u of doc.entries) {
      const pattern = u.record.pattern;
      if (pattern === undefined) continue;
      for (const t of index.matching(pattern)) named.add(t.name);
    }
    const unlisted = index.tools.filter((t) => t.reported && !t.inCatalog && !named.has(t.name) && !hidden(t.name));
    if (unlisted.length > 0) {
      const at = top.keys.get('tools')?.keyRange ??
        top.keys.get('version')?.keyRange ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
      out.push(
        diag(
          'information',
          'unlisted-tools',
          `The server reports ${unlisted.length === 1 ? 'a tool' : `${unlisted.length} tools`} ` +
            `that the catalog does not know and no entry names: ${listNames(unlisted.map(describeTool))}; ` +
            `the risk defaults and default decide ${unlisted.length === 1 ? 'it' : 'them'}`,
          at,
        ),
      );
    }
  }
}

function byPosition(a: PolicyDiagnostic, b: PolicyDiagnostic): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}

/**
 * Every diagnostic of a policy file, sorted by position: the parser's and the ones above.
 * `tools` is the tool index, or the list the running guard last reported, or nothing (the catalog alone).
 */
export function policyDiagnostics(document: PolicyDocument | string, tools?: ToolSource, base?: BaseLayer): PolicyDiagnostic[] {
  const doc = asDocument(document);
  const index = toolIndexOf(tools);
  const out = [...doc.parse.diagnostics];
  if (!doc.parse.yamlOk) return out;
  for (const u of doc.entries) {
    for (const d of entryToolDiagnostics(u.record, index)) out.push(shiftDiagnostic(d, u.line));
  }
  fileChecks(doc, index, out);
  if (base !== undefined) out.push(...baseStricterDiagnostics(doc, index, base));
  out.push(...policyTestDiagnostics(doc, index, knownWhere, base));
  return out.sort(byPosition);
}

/** Validates a policy text from scratch (what `mcp-guard validate` runs); `base`: the organisation's base policy under it. */
export function validatePolicyText(text: string, tools?: ToolSource, base?: BaseLayer): PolicyDiagnostic[] {
  return policyDiagnostics(analyzePolicy(text), tools, base);
}

/**
 * Whether a call to `t` that meets `when` can be critical. For a tool the catalog classes by an
 * argument, an `eq` or `in` condition on that argument (compared exactly, as the classes are)
 * keeps calls to the listed values, so only their classes count; any other condition leaves
 * every class possible.
 */
function admitsCritical(index: ToolIndex, t: KnownTool, when: readonly Condition[]): boolean {
  if (t.classification.risk !== 'critical') return false;
  const cases = index.argumentClasses(t.name);
  if (cases.length === 0) return true;
  const argument = cases[0]!.argument!.split('=')[0]!;
  for (const c of when) {
    if (c.segments.length !== 1 || c.segments[0] !== argument) continue;
    const values = c.op === 'eq' ? [c.value] : c.op === 'in' && Array.isArray(c.value) ? (c.value as unknown[]) : undefined;
    if (values === undefined) continue;
    return values.some((v) => index.classifyCall(t.name, { [argument]: v }).risk === 'critical');
  }
  return true;
}

/** For a tool classed by an argument: its low-risk values, to keep an allow to them. */
function safeValuesHint(index: ToolIndex, name: string): string {
  const cases = index.argumentClasses(name).filter((c) => c.risk === 'low' && !c.argument!.endsWith('=(absent)'));
  if (cases.length === 0) return '';
  const argument = cases[0]!.argument!.split('=')[0]!;
  const values = cases.map((c) => c.argument!.slice(argument.length + 1));
  return `, or a condition can keep it to low-risk values: { path: args.${argument}, op: in, value: [${values.join(', ')}] }`;
}
