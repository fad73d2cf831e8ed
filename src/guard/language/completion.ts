/**
 * Completion: top-level keys; tool names under `tools:` and in `hide` (with category, risk and
 * description); actions after `action:`, `default:` and risk classes; risk classes under `risk:`;
 * ops after `op:`; `args.<param>` after `path:` from the entry's tool input schema; entry,
 * rate_limit and condition keys; snippets for a rule with a rate limit and a conditional rule.
 * The context comes from the text lines and their indentation (`context.ts`), so it works while
 * the file is half typed.
 */
import { RISK_CLASSES } from '../catalog/types';
import type { Position, Range } from '../policy/diagnostics';
import { isGlob } from '../policy/glob';
import { ACTIONS, CONDITION_OPS, RATE_LIMIT_SCOPES, splitToolKey, toolPattern } from '../policy/model';
export { toolPattern } from '../policy/model';
import { CONDITION_KEYS, ENTRY_KEYS, RATE_LIMIT_KEYS, RESOURCE_ENTRY_KEYS, TOP_LEVEL_KEYS, type LineIndex } from '../policy/parse';
import { recommendedAction } from '../policy/starter';
import { asDocument, type PolicyDocument } from './analyze';
import { cursorContext, unquote, type CursorContext } from './context';
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
import { toolIndexOf, type KnownTool, type ToolSource } from './tool-index';

/** Kinds named as VS Code's `CompletionItemKind` members, for a one-to-one mapping. */
export type CompletionKind = 'Property' | 'EnumMember' | 'Function' | 'Field' | 'Snippet' | 'Value';

export interface PolicyCompletionItem {
  readonly label: string;
  readonly kind: CompletionKind;
  readonly detail?: string;
  /** Markdown. */
  readonly documentation?: string;
  /** Plain text, or a snippet (`$1`, `${1|a,b|}`) when `isSnippet`. */
  readonly insertText: string;
  readonly isSnippet?: boolean;
  /** The text to replace (the token being typed). */
  readonly range: Range;
  readonly sortText?: string;
  readonly filterText?: string;
  /**
   * `asIs`: `insertText` spans lines and already carries the document's indentation (the editor must
   * not re-indent it: VS Code's `InsertTextMode.asIs`).
   */
  readonly insertTextMode?: 'asIs';
}

/** A tool name as a YAML key or list item: plain when YAML reads it back as this text. */
export function yamlName(name: string): string {
  const plain = /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name) && !/^(null|true|false|yes|no|on|off|y|n|~)$/i.test(name);
  return plain ? name : JSON.stringify(name);
}

/** A key under tools for a tool, as YAML text (`toolPattern`, quoted when needed). */
export function yamlToolKey(name: string): string {
  return yamlName(toolPattern(name));
}

const choice = (values: readonly string[]) => values.map((v) => v.replace(/[,|\\$}]/g, '\\$&')).join(',');

/** Indentation step of the file: the column of the first indented key, else 2. */
function indentUnit(doc: PolicyDocument): number {
  const lines = doc.lines;
  for (let l = 0; l < lines.lineCount; l++) {
    const m = /^( +)\S/.exec(lines.line(l));
    if (m && !lines.line(l).trimStart().startsWith('#')) return m[1]!.length;
  }
  return 2;
}

/** Keys already present at `column` under the parent on `parentLine` (-1: the top level), but not on `skipLine`. */
function siblingKeys(lines: LineIndex, parentLine: number, column: number, skipLine: number): Set<string> {
  const keys = new Set<string>();
  // A list item's first key sits on the parent's own line: `- path: …`.
  if (parentLine >= 0 && parentLine !== skipLine) {
    const m = /^( *)- +("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{}[\],-][^#]*?)[ \t]*:(?=[ \t]|$)/.exec(lines.line(parentLine));
    if (m && m[0].indexOf(m[2]!) === column) keys.add(unquote(m[2]!.trim()));
  }
  for (let l = parentLine + 1; l < lines.lineCount; l++) {
    const text = lines.line(l);
    let indent = 0;
    while (text.charCodeAt(indent) === 32) indent++;
    const rest = text.slice(indent);
    if (rest === '' || rest.startsWith('#')) continue;
    if (indent < column) break;
    if (indent !== column || l === skipLine) continue;
    const m = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{}[\],-][^#]*?)[ \t]*:(?=[ \t]|$)/.exec(rest);
    if (m) keys.add(unquote(m[1]!.trim()));
  }
  return keys;
}

function keyItems(
  ctx: CursorContext,
  docs: Readonly<Record<string, KeyDoc>>,
  keys: readonly string[],
  exclude: Set<string>,
  snippets: Readonly<Record<string, string>>,
): PolicyCompletionItem[] {
  return keys
    .map((k, i) => [k, i] as const)
    .filter(([k]) => !exclude.has(k))
    .map(([k, i]) => {
      const d = docs[k];
      const snippet = snippets[k];
      const useSnippet = snippet !== undefined && !ctx.colonFollows && !ctx.flow;
      return {
        label: k,
        kind: 'Property' as const,
        ...(d ? { detail: d.detail, documentation: d.doc } : {}),
        insertText: ctx.colonFollows ? k : useSnippet ? snippet : `${k}: `,
        ...(useSnippet ? { isSnippet: true } : {}),
        ...(useSnippet && snippet.includes('\n') ? { insertTextMode: 'asIs' as const } : {}),
        range: ctx.range,
        sortText: String(i).padStart(3, '0'),
      };
    });
}

function enumItems(
  ctx: CursorContext,
  values: readonly string[],
  docs: Readonly<Record<string, KeyDoc>>,
  kind: CompletionKind,
  prefix: string,
): PolicyCompletionItem[] {
  return values.map((v, i) => {
    const d = docs[v];
    return {
      label: v,
      kind,
      ...(d ? { detail: d.detail, documentation: d.doc } : {}),
      insertText: prefix + v,
      range: ctx.range,
      sortText: String(i).padStart(3, '0'),
    };
  });
}

function toolDoc(t: KnownTool): string {
  const parts: string[] = [];
  if (t.description) parts.push(t.description.trim());
  parts.push(`**${t.classification.category} · ${t.classification.risk} risk** — ${t.classification.reason}`);
  if (t.parameters.length > 0) parts.push(`Parameters: ${t.parameters.map((p) => `\`${p.name}\`${p.required ? '' : '?'}`).join(', ')}`);
  return parts.join('\n\n');
}

function toolItems(
  ctx: CursorContext,
  tools: readonly KnownTool[],
  exclude: Set<string>,
  asKey: boolean,
  prefix: string,
): PolicyCompletionItem[] {
  const out: PolicyCompletionItem[] = [];
  tools.forEach((t, i) => {
    if (exclude.has(t.name)) return;
    const name = asKey ? yamlToolKey(t.name) : yamlName(t.name);
    out.push({
      label: t.name,
      kind: 'Function',
      detail: `${t.classification.category} · ${t.classification.risk} risk · recommended: ${recommendedAction(t.classification.risk)}`,
      documentation: toolDoc(t),
      insertText: prefix + (asKey && !ctx.colonFollows ? `${name}:` : name),
      range: ctx.range,
      sortText: String(i).padStart(5, '0'),
      ...(name !== t.name ? { filterText: name } : {}),
    });
  });
  return out;
}

/** Multi-line snippets carry absolute indentation: `column` for the key, one `unit` deeper for its body. */
function entrySnippets(ctx: CursorContext, unit: number): PolicyCompletionItem[] {
  const body = ' '.repeat(ctx.column + unit);
  const deeper = ' '.repeat(ctx.column + 2 * unit);
  const actions = choice(['allow', 'require_approval', 'deny']);
  return [
    {
      label: 'rule with a rate limit',
      kind: 'Snippet',
      detail: 'tool: action + rate_limit',
      documentation: 'An entry for a tool (or glob) with an action and at most `max` calls in any `window` seconds.',
      insertText: `\${1:tool_name}:\n${body}action: \${2|${actions}|}\n${body}rate_limit: { max: \${3:10}, window: \${4:60} }`,
      isSnippet: true,
      insertTextMode: 'asIs',
      range: ctx.range,
      sortText: 'zz0',
    },
    {
      label: 'conditional rule',
      kind: 'Snippet',
      detail: 'tool: action + when',
      documentation: "An entry that applies only when a condition on the call's arguments holds.",
      insertText:
        `\${1:tool_name}:\n${body}action: \${2|${choice(['require_approval', 'deny', 'allow'])}|}\n` +
        `${body}when:\n${deeper}- { path: args.\${3:param}, op: \${4|${choice(CONDITION_OPS)}|}, value: \${5:value} }`,
      isSnippet: true,
      insertTextMode: 'asIs',
      range: ctx.range,
      sortText: 'zz1',
    },
  ];
}

function paramItems(ctx: CursorContext, toolKey: string | undefined, tools: ToolSource, prefix: string): PolicyCompletionItem[] {
  if (toolKey === undefined) return [];
  const index = toolIndexOf(tools);
  const matching = index.matching(toolKey).filter((t) => t.parameters.length > 0);
  const byName = new Map<string, { count: number; first: KnownTool }>();
  for (const t of matching) {
    for (const p of t.parameters) {
      const seen = byName.get(p.name);
      if (seen) seen.count++;
      else byName.set(p.name, { count: 1, first: t });
    }
  }
  const glob = isGlob(toolKey);
  const out: PolicyCompletionItem[] = [];
  let i = 0;
  for (const [name, { count, first }] of byName) {
    const p = first.parameters.find((x) => x.name === name)!;
    const docParts = [p.description ?? '', p.enum ? `One of: ${p.enum.map((v) => `\`${JSON.stringify(v)}\``).join(', ')}` : ''].filter(
      Boolean,
    );
    out.push({
      label: `args.${name}`,
      kind: 'Field',
      detail: `${p.type}${p.required ? ', required' : ''}${glob ? ` · in ${count} of ${matching.length} matching tools` : ''}`,
      ...(docParts.length > 0 ? { documentation: docParts.join('\n\n') } : {}),
      insertText: `${prefix}args.${name}`,
      range: ctx.range,
      sortText: String(i++).padStart(3, '0'),
    });
  }
  return out;
}

/** The tool name or glob of a key under tools (without its label), or undefined for a key that is none. */
function patternOf(key: string): string | undefined {
  return splitToolKey(key)?.pattern;
}

/** Completions at a position; empty when there is nothing to offer there. */
export function policyCompletions(document: PolicyDocument | string, position: Position, tools?: ToolSource): PolicyCompletionItem[] {
  const doc = asDocument(document);
  const ctx = cursorContext(doc.lines, position);
  if (!ctx) return [];
  const path = ctx.path;
  const depth = path.length;
  const index = toolIndexOf(tools);
  const unit = indentUnit(doc);
  // After `key:` with no space yet, values need one.
  const lineText = doc.lines.line(position.line);
  const prefix = ctx.kind !== 'key' && ctx.range.start.character > 0 && lineText[ctx.range.start.character - 1] === ':' ? ' ' : '';

  if (ctx.kind === 'key') {
    const exclude = ctx.flow ? new Set<string>() : siblingKeys(doc.lines, ctx.parentLine, ctx.column, position.line);
    if (depth === 0) {
      const pad = ' '.repeat(unit);
      const snippets: Record<string, string> = {
        version: 'version: 1',
        default: `default: \${1|${choice(ACTIONS)}|}`,
        risk:
          `risk:\n${pad}\${1|${choice(['critical', 'high', 'medium', 'low'])}|}: ` +
          `\${2|${choice(['deny', 'require_approval', 'allow'])}|}`,
        hide: 'hide: [$1]',
        tools: `tools:\n${pad}\${1:tool_name}:\n${pad}${pad}action: \${2|${choice(ACTIONS)}|}`,
        resources: `resources:\n${pad}"\${1:odoo://record/*}":\n${pad}${pad}action: \${2|${choice(ACTIONS)}|}`,
        approval_timeout: 'approval_timeout: ${1:120}',
        tests: `tests:\n${pad}- call: \${1:tool_name}\n${pad}  args: {$2}\n${pad}  expect: \${3|${choice(ACTIONS)}|}`,
      };
      return keyItems(ctx, TOP_LEVEL_DOCS, TOP_LEVEL_KEYS, exclude, snippets);
    }
    if (depth === 1 && path[0] === 'tools') {
      // Tools that have an entry already (by the tool name or glob of each key, labels aside).
      const current = ctx.token === '' ? undefined : unquote(ctx.token);
      const existing = new Set(
        doc.entries.flatMap((u) => (u.record.pattern !== undefined && u.record.pattern !== current ? [u.record.pattern] : [])),
      );
      for (const k of exclude) existing.add(patternOf(k) ?? k);
      return [...toolItems(ctx, index.tools, existing, true, ''), ...(ctx.colonFollows || ctx.flow ? [] : entrySnippets(ctx, unit))];
    }
    if (depth === 1 && path[0] === 'risk') return keyItems(ctx, RISK_CLASS_DOCS, [...RISK_CLASSES].reverse(), exclude, {});
    if (depth === 2 && path[0] === 'tools') {
      const pad = ' '.repeat(ctx.column + unit);
      const toolKey = patternOf(path[1]!);
      const params = toolKey === undefined ? [] : index.matching(toolKey).flatMap((t) => t.parameters.map((p) => p.name));
      const paramChoice = [...new Set(params)];
      const snippets: Record<string, string> = {
        action: `action: \${1|${choice(ACTIONS)}|}`,
        reason: 'reason: ${1}',
        rate_limit: 'rate_limit: { max: ${1:10}, window: ${2:60} }',
        approval_timeout: 'approval_timeout: ${1:60}',
        when:
          `when:\n${pad}- { path: args.${paramChoice.length > 0 ? `\${1|${choice(paramChoice)}|}` : '${1:param}'}, ` +
          `op: \${2|${choice(CONDITION_OPS)}|}, value: \${3:value} }`,
      };
      return keyItems(ctx, ENTRY_KEY_DOCS, ENTRY_KEYS, exclude, snippets);
    }
    if (depth === 2 && path[0] === 'resources') {
      const snippets: Record<string, string> = {
        action: `action: \${1|${choice(ACTIONS)}|}`,
        reason: 'reason: ${1}',
        rate_limit: 'rate_limit: { max: ${1:10}, window: ${2:60} }',
        approval_timeout: 'approval_timeout: ${1:60}',
      };
      return keyItems(ctx, RESOURCE_ENTRY_KEY_DOCS, RESOURCE_ENTRY_KEYS, exclude, snippets);
    }
    if (depth === 3 && path[0] === 'resources' && path[2] === 'rate_limit')
      return keyItems(ctx, RATE_LIMIT_KEY_DOCS, RATE_LIMIT_KEYS, exclude, {});
    if (depth === 3 && path[0] === 'tools' && path[2] === 'rate_limit')
      return keyItems(ctx, RATE_LIMIT_KEY_DOCS, RATE_LIMIT_KEYS, exclude, {});
    if (depth === 4 && path[0] === 'tools' && path[2] === 'when' && path[3] === '-')
      return keyItems(ctx, CONDITION_KEY_DOCS, CONDITION_KEYS, exclude, {});
    return [];
  }

  if (ctx.kind === 'item') {
    if (depth === 2 && path[0] === 'hide') return toolItems(ctx, index.tools, new Set(), false, prefix);
    if (depth === 4 && path[0] === 'tools' && path[2] === 'when') return keyItems(ctx, CONDITION_KEY_DOCS, CONDITION_KEYS, new Set(), {});
    return [];
  }

  // values
  const key = ctx.key!;
  if (depth === 0 && key === 'default') return enumItems(ctx, ACTIONS, ACTION_DOCS, 'EnumMember', prefix);
  if (depth === 0 && key === 'version')
    return [{ label: '1', kind: 'Value', detail: 'policy format version', insertText: `${prefix}1`, range: ctx.range }];
  if (depth === 1 && path[0] === 'risk' && (RISK_CLASSES as readonly string[]).includes(key))
    return enumItems(ctx, ACTIONS, ACTION_DOCS, 'EnumMember', prefix);
  if (depth === 2 && path[0] === 'resources' && key === 'action') return enumItems(ctx, ACTIONS, ACTION_DOCS, 'EnumMember', prefix);
  if (depth === 2 && path[0] === 'tools' && key === 'action') return enumItems(ctx, ACTIONS, ACTION_DOCS, 'EnumMember', prefix);
  if (depth === 3 && (path[0] === 'tools' || path[0] === 'resources') && path[2] === 'rate_limit' && key === 'scope')
    return enumItems(ctx, RATE_LIMIT_SCOPES, SCOPE_DOCS, 'EnumMember', prefix);
  if (depth === 4 && path[0] === 'tools' && path[2] === 'when' && path[3] === '-') {
    if (key === 'op') return enumItems(ctx, CONDITION_OPS, OP_DOCS, 'EnumMember', prefix);
    if (key === 'path') return paramItems(ctx, path[1] === undefined ? undefined : patternOf(path[1]), tools, prefix);
  }
  return [];
}
