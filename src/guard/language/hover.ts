/**
 * Hovers: Markdown for what is under the cursor. A tool name (an entry's key or an item of hide):
 * its description, category, risk and why, parameters, and the decision this policy gives it; a
 * glob: the tools it matches; a key or an enum value: what it means; a condition path: the
 * parameter's schema.
 */
import type { Position, Range } from '../policy/diagnostics';
import { PolicyIndex, evaluatePolicy, evaluateResource } from '../policy/evaluate';
import { isGlob } from '../policy/glob';
import type { Condition, Policy } from '../policy/model';
import { asDocument, refAt, type KeyScope, type OutlineLabel, type OutlineValue, type PolicyDocument } from './analyze';
import { policyTestAt, policyTestMarkdown } from './policy-tests';
import {
  ACTION_DOCS,
  CONDITION_KEY_DOCS,
  ENTRY_KEY_DOCS,
  OP_DOCS,
  RATE_LIMIT_KEY_DOCS,
  SCOPE_DOCS,
  RESOURCE_ENTRY_KEY_DOCS,
  RISK_CLASS_DOCS,
  TOP_LEVEL_DOCS,
  type KeyDoc,
} from './docs';
import type { Classification } from '../catalog/classify';
import { toolIndexOf, type KnownTool, type ToolIndex, type ToolParameter, type ToolSource } from './tool-index';
import { baseDecisionText } from './base-layer';
import type { BaseLayer } from '../policy/base';

export interface PolicyHover {
  /** Markdown. */
  readonly contents: string;
  /** What the hover is about (to highlight). */
  readonly range: Range;
}

const MAX_DESCRIPTION_LINES = 4;
const MAX_GLOB_TOOLS = 30;

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function firstLines(text: string, n = MAX_DESCRIPTION_LINES): string {
  const lines = text.trim().split(/\r?\n/);
  return lines.length <= n ? lines.join('\n') : `${lines.slice(0, n).join('\n')}\n…`;
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

export function describeCondition(c: Condition): string {
  if (c.op === 'exists') return `${c.path} ${c.value === false ? 'does not exist' : 'exists'}`;
  return `${c.path} ${c.op} ${json(c.value)}`;
}

function parameterTable(params: readonly ToolParameter[]): string {
  if (params.length === 0) return '*No parameters.*';
  const rows = params.map((p) => `| ${code(p.name)} | ${cell(p.type)} | ${p.required ? 'yes' : 'no'} |`);
  return ['| parameter | type | required |', '|---|---|---|', ...rows].join('\n');
}

function toolHeader(t: KnownTool): string {
  const c = t.classification;
  return `**${code(t.name)}** · ${c.category} · ${c.risk} risk`;
}

function classificationSource(t: KnownTool): string {
  switch (t.classification.source) {
    case 'catalog':
      return 'catalog';
    case 'annotations':
      return "the server's annotations";
    case 'catalog-argument':
      return 'catalog, by argument';
    case 'name-match':
      return "catalog by the name's match, raising the server's annotations";
    default:
      return "catalog, raised by the server's annotations";
  }
}

function decisionText(policy: Policy, clean: boolean, name: string, index: ToolIndex): string {
  const out: string[] = [];
  const note = clean ? '' : ' *(from the parts of the file that validate; while it has errors, the guard blocks every call)*';
  const hider = policy.hide.find((h) => h.test(name));
  if (hider) {
    out.push(
      `**This policy:** hidden by ${code(`hide: ${hider.source}`)}: ` +
        `removed from the agent's tools/list, and a call is blocked (rule ${code('hide')}).${note}`,
    );
    return out.join('\n\n');
  }
  const pindex = new PolicyIndex(policy);
  const verdict = evaluatePolicy(pindex, name, {}, index.classify(name));
  const conditional = pindex.entriesFor(name).filter((e) => e.when.length > 0);
  const rules = [
    `**This policy:** ${code(verdict.action)} by ${code(verdict.rule)}${conditional.length > 0 ? ' (with no arguments)' : ''}${note}`,
  ];
  if (verdict.source.kind === 'entry' && verdict.source.entry.reason !== undefined) rules.push(`Reason: ${verdict.reason}`);
  out.push(rules.join('  \n'));
  if (verdict.action === 'require_approval') out.push(`Approval timeout: ${verdict.approvalTimeoutSeconds} s.`);
  for (const e of verdict.rateLimited)
    out.push(`Rate limit: at most ${e.rateLimit!.max} calls in any ${e.rateLimit!.windowSeconds} s (${code(`tools.${e.key}`)}).`);
  if (conditional.length > 0) {
    const lines = conditional.map((e) => {
      const what = [
        e.action !== undefined ? e.action : undefined,
        e.rateLimit ? `rate limit ${e.rateLimit.max} / ${e.rateLimit.windowSeconds} s` : undefined,
      ]
        .filter(Boolean)
        .join(', ');
      return `- ${code(`tools.${e.key}`)}${what ? ` (${what})` : ''} when ${e.when.map((c) => code(describeCondition(c))).join(' and ')}`;
    });
    out.push(`**Depends on conditions:** these entries apply only when their conditions hold for a call's arguments:\n${lines.join('\n')}`);
  }
  return out.join('\n\n');
}

/** `method=search_read` → `search_read`; the catch-all cases in words. */
function caseValue(argument: string): string {
  const value = argument.slice(argument.indexOf('=') + 1);
  if (value === '(other)') return 'any other value';
  if (value === '(absent)') return 'absent or null';
  return code(value);
}

/** Arguments that reach a case, to evaluate the policy with (only the deciding argument set). */
function caseArgs(argument: string): Record<string, unknown> {
  const eq = argument.indexOf('=');
  const name = argument.slice(0, eq);
  const value = argument.slice(eq + 1);
  if (value === '(absent)' || value === '(other)') return {};
  return { [name]: value.endsWith('*') ? value.slice(0, -1) : value };
}

/**
 * For a tool the catalog classes by an argument: its classes by that argument's value, grouped by
 * class, each with what this policy does with such a call (only that argument set).
 */
function argumentClassesText(doc: PolicyDocument, t: KnownTool, index: ToolIndex): string | undefined {
  const cases = index.argumentClasses(t.name);
  if (cases.length === 0) return undefined;
  const argument = cases[0]!.argument!.split('=')[0]!;
  const policy = doc.policy ?? doc.partial;
  const pindex = policy && !policy.hide.some((h) => h.test(t.name)) ? new PolicyIndex(policy) : undefined;
  // Grouped by class and by what this policy does with it: conditions can tell values of one class apart.
  const groups = new Map<string, Classification[]>();
  for (const c of cases) {
    let key = `${c.category} · ${c.risk} risk`;
    if (pindex) {
      try {
        const v = evaluatePolicy(pindex, t.name, caseArgs(c.argument!), c);
        key += ` → ${code(v.action)} by ${code(v.rule)}`;
      } catch {
        // A condition that cannot be checked on these arguments alone: the guard would deny such a call.
        key += ' → depends on other arguments';
      }
    }
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const lines = [...groups].map(([key, group]) => {
    const arrow = key.indexOf(' → ');
    const cls = arrow === -1 ? key : key.slice(0, arrow);
    const decision = arrow === -1 ? '' : `: ${key.slice(arrow + 3)}`;
    return `- ${cls} (${group.map((c) => caseValue(c.argument!)).join(', ')})${decision}`;
  });
  return (
    `**Classed by ${code(argument)}** (exact values; any other keeps the class above)` +
    `${pindex ? `, and this policy's decision with only ${code(argument)} set` : ''}:\n${lines.join('\n')}`
  );
}

function toolMarkdown(doc: PolicyDocument, t: KnownTool, index: ToolIndex, base?: BaseLayer): string {
  const parts = [toolHeader(t)];
  if (t.description) parts.push(firstLines(t.description));
  parts.push(`**Why ${t.classification.risk}** (${classificationSource(t)}): ${t.classification.reason}`);
  const byArgument = argumentClassesText(doc, t, index);
  if (byArgument) parts.push(byArgument);
  if (t.inputSchema) parts.push(parameterTable(t.parameters));
  const policy = doc.policy ?? doc.partial;
  if (policy) parts.push(decisionText(policy, doc.policy !== undefined, t.name, index));
  if (policy && base) parts.push(baseDecisionText(new PolicyIndex(policy), base, t.name, index));
  return parts.join('\n\n');
}

function unknownToolMarkdown(doc: PolicyDocument, name: string, index: ToolIndex): string {
  const guess = index.suggest(name);
  const parts = [
    `**${code(name)}** · unknown tool`,
    'Not ' +
      (index.hasReported
        ? 'in the catalog nor in the tool list the server reported'
        : `in the catalog (${index.catalogLabel}); the server has not reported its tools`) +
      `.${guess ? ` Did you mean ${code(guess)}?` : ''}`,
  ];
  const policy = doc.policy ?? doc.partial;
  if (policy) {
    const cls = index.classify(name);
    parts.push(`If a server offers it without annotations, it is classified ${cls.category} / ${cls.risk} risk.`);
    parts.push(decisionText(policy, doc.policy !== undefined, name, index));
  }
  return parts.join('\n\n');
}

function globMarkdown(name: string, index: ToolIndex, where: 'entry' | 'hide'): string {
  const tools = index.matching(name);
  const head = `**Glob ${code(name)}** (${'`*`'} any run of characters, ${'`?`'} one character)${where === 'hide' ? ' in hide' : ''}`;
  if (tools.length === 0) return `${head}\n\nMatches no known tool.`;
  const shown = tools
    .slice(0, MAX_GLOB_TOOLS)
    .map((t) => `- ${code(t.name)} · ${t.classification.category} · ${t.classification.risk} risk`);
  if (tools.length > MAX_GLOB_TOOLS) shown.push(`- … and ${tools.length - MAX_GLOB_TOOLS} more`);
  return `${head}\n\nMatches ${tools.length === 1 ? '1 known tool' : `${tools.length} known tools`}:\n${shown.join('\n')}`;
}

/** A resource URI or glob under resources (or a URI in hide): what it matches and this policy's decision for it. */
function resourceMarkdown(doc: PolicyDocument, name: string, where: 'resources' | 'hide'): string {
  const kind = isGlob(name) ? 'URI glob' : 'URI';
  const parts = [
    `**Resource ${kind} ${code(name)}**${where === 'hide' ? ' in hide' : ''}`,
    `${isGlob(name) ? `${'`*`'} matches any run of characters, ${'`/`'} included; ${'`?`'} one character. ` : ''}` +
      `Decides ${code('resources/read')} and ${code('resources/subscribe')} of the URIs it matches ` +
      `(resources are dynamic, so a glob matching no listed resource is fine).`,
  ];
  const policy = doc.policy ?? doc.partial;
  if (policy) {
    const note =
      doc.policy !== undefined ? '' : ' *(from the parts of the file that validate; while it has errors, the guard blocks every read)*';
    const hider = policy.hide.find((h) => h.test(name));
    if (hider)
      parts.push(
        `**This policy:** hidden by ${code(`hide: ${hider.source}`)}: ` +
          `removed from resources/list and a read is blocked (rule ${code('hide')}).${note}`,
      );
    else {
      const v = evaluateResource(new PolicyIndex(policy), name);
      const lines = [
        `**This policy:** ${code(v.action)} by ${code(v.rule)}` +
          `${isGlob(name) ? ' (for the URIs this glob matches, unless another entry matches some of them)' : ''}${note}`,
      ];
      if (v.rule !== 'default' && v.reason) lines.push(`Reason: ${v.reason}`);
      if (v.rule === 'default')
        lines.push('No resource entry with an action matches, so `default` decides (resources have no risk class).');
      parts.push(lines.join('  \n'));
      if (v.action === 'require_approval') parts.push(`Approval timeout: ${v.approvalTimeoutSeconds} s.`);
      for (const e of v.rateLimited)
        parts.push(`Rate limit: at most ${e.rateLimit!.max} reads in any ${e.rateLimit!.windowSeconds} s (${code(`resources.${e.key}`)}).`);
    }
  }
  return parts.join('\n\n');
}

/** Tool names never contain `:`; a hide item that does is a resource URI or URI glob. */
function looksLikeUri(name: string): boolean {
  return name.includes(':');
}

/** The line added to a labelled key's tool hover, and the hover on its label. */
function labelLine(key: string, label: string): string {
  return (
    `**Label** ${code(label)}: this entry is ${code(`tools.${key}`)} in rules and the audit log. ` +
    `It is judged on its own, like any other entry for the tool.`
  );
}

function labelMarkdown(ref: OutlineLabel): string {
  return (
    `${labelLine(ref.key, ref.name)}\n\n` +
    `A key under ${code('tools')} is a tool name or glob, optionally followed by one or more spaces and a label in parentheses ` +
    `(${code('PATTERN (LABEL)')}): the label only names the entry, so that one tool can have several entries; ` +
    `${code(ref.pattern)} is what this entry matches.`
  );
}

function keyDocMarkdown(name: string, d: KeyDoc | undefined, where: string): string | undefined {
  return d ? `**${code(name)}** ${where}: ${d.detail}\n\n${d.doc}` : undefined;
}

function paramMarkdown(p: ToolParameter, rest: readonly string[]): string {
  const parts = [`${code(p.name)}: ${code(p.type)}${p.required ? ', required' : ', optional'}`];
  if (p.description) parts.push(p.description);
  if (p.enum) parts.push(`One of: ${p.enum.map((v) => code(json(v))).join(', ')}`);
  if (p.default !== undefined) parts.push(`Default: ${code(json(p.default))}`);
  if (rest.length > 0) parts.push(`The path goes on inside it: ${code(rest.join('.'))}.`);
  return parts.join('  \n');
}

function pathMarkdown(path: string, key: string | undefined, index: ToolIndex): string {
  const head = `**${code(path)}** — ${CONDITION_KEY_DOCS['path']!.doc}`;
  if (!/^args(\.[^.\s]+)+$/.test(path) || key === undefined) return head;
  const [, param, ...rest] = path.split('.');
  const tools = index.matching(key).filter((t) => t.inputSchema !== undefined);
  if (tools.length === 0) return head;
  const found: string[] = [];
  const missing: string[] = [];
  for (const t of tools) {
    const p = t.parameters.find((x) => x.name === param);
    if (p) found.push(`**${code(t.name)}** — ${paramMarkdown(p, rest)}`);
    else missing.push(t.name);
  }
  const parts = [head, ...found.slice(0, 10)];
  if (found.length > 10) parts.push(`… and ${found.length - 10} more tools with ${code(param!)}`);
  if (missing.length > 0) parts.push(`Not a parameter of ${missing.map(code).join(', ')}.`);
  return parts.join('\n\n');
}

function valueMarkdown(ref: OutlineValue, entryKey: string | undefined, index: ToolIndex): string | undefined {
  const v = ref.value;
  const action =
    typeof v === 'string' && Object.prototype.hasOwnProperty.call(ACTION_DOCS, v) ? ACTION_DOCS[v as keyof typeof ACTION_DOCS] : undefined;
  if (
    (ref.scope === 'top' && ref.key === 'default') ||
    ref.scope === 'risk' ||
    ((ref.scope === 'entry' || ref.scope === 'resource_entry') && ref.key === 'action')
  ) {
    if (action) return `**${code(String(v))}** — ${action.detail}\n\n${action.doc}`;
  }
  if (ref.scope === 'condition' && ref.key === 'op' && typeof v === 'string' && Object.prototype.hasOwnProperty.call(OP_DOCS, v)) {
    const d = OP_DOCS[v as keyof typeof OP_DOCS];
    return `**${code(v)}** — ${d.detail}\n\n${d.doc}`;
  }
  if (ref.scope === 'rate_limit' && ref.key === 'scope' && (v === 'session' || v === 'shared')) {
    const d = SCOPE_DOCS[v];
    return `**${code(v)}** — ${d.detail}\n\n${d.doc}`;
  }
  if (ref.scope === 'condition' && ref.key === 'path' && typeof v === 'string') return pathMarkdown(v, entryKey, index);
  return keyMarkdown(ref.scope, ref.key);
}

function keyMarkdown(scope: KeyScope, name: string): string | undefined {
  switch (scope) {
    case 'top':
      return keyDocMarkdown(name, TOP_LEVEL_DOCS[name], 'at the top level');
    case 'entry':
      return keyDocMarkdown(name, ENTRY_KEY_DOCS[name], 'in an entry');
    case 'rate_limit':
      return keyDocMarkdown(name, RATE_LIMIT_KEY_DOCS[name], 'in rate_limit');
    case 'condition':
      return keyDocMarkdown(name, CONDITION_KEY_DOCS[name], 'in a condition');
    case 'risk':
      return keyDocMarkdown(name, (RISK_CLASS_DOCS as Record<string, KeyDoc>)[name], 'risk class');
    case 'resource_entry':
      return keyDocMarkdown(name, RESOURCE_ENTRY_KEY_DOCS[name], 'in a resource entry');
  }
}

/** The hover at a position, or undefined when there is nothing to say. */
export function policyHover(
  document: PolicyDocument | string,
  position: Position,
  tools?: ToolSource,
  base?: BaseLayer,
): PolicyHover | undefined {
  const doc = asDocument(document);
  const hit = refAt(doc, position);
  if (!(hit?.ref.kind === 'key' && hit.ref.scope === 'top')) {
    const test = policyTestAt(doc, position, tools, base);
    if (test) return { contents: policyTestMarkdown(test), range: test.range };
  }
  if (!hit) return undefined;
  const index = toolIndexOf(tools);
  const ref = hit.ref;
  let contents: string | undefined;
  if (ref.kind === 'resource') contents = resourceMarkdown(doc, ref.name, 'resources');
  else if (ref.kind === 'tool' && ref.where === 'hide' && looksLikeUri(ref.name)) contents = resourceMarkdown(doc, ref.name, 'hide');
  else if (ref.kind === 'tool') {
    if (isGlob(ref.name)) contents = globMarkdown(ref.name, index, ref.where);
    else {
      const t = index.get(ref.name);
      contents = t ? toolMarkdown(doc, t, index, base) : unknownToolMarkdown(doc, ref.name, index);
    }
    if (ref.key !== undefined && ref.label !== undefined) contents += `\n\n${labelLine(ref.key, ref.label)}`;
  } else if (ref.kind === 'label') contents = labelMarkdown(ref);
  else if (ref.kind === 'key') {
    contents = keyMarkdown(ref.scope, ref.name);
    if (ref.scope === 'risk' && contents) {
      const inClass = index.tools.filter((t) => t.classification.risk === ref.name);
      if (inClass.length > 0)
        contents += `\n\nKnown tools of this class: ${inClass
          .slice(0, 20)
          .map((t) => code(t.name))
          .join(', ')}${inClass.length > 20 ? `, … (${inClass.length})` : ''}`;
    }
  } else contents = valueMarkdown(ref, hit.entry?.record.pattern, index);
  return contents ? { contents, range: ref.range } : undefined;
}
