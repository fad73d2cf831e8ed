/**
 * Every tool call's category and risk class: from the catalog when it knows the tool (by the
 * call's arguments where the tool's risk depends on one), else from the server's annotations.
 */
import { ODOO_MCP_CATALOG } from './odoo-mcp';
import {
  RISK_CLASSES,
  TOOL_CATEGORIES,
  type Catalog,
  type CatalogEntry,
  type ClassJudgement,
  type RiskClass,
  type ToolCategory,
} from './types';

/** The MCP tool annotations the classifier reads (all optional hints from the server). */
export interface ToolAnnotations {
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

/**
 * Where a class came from: the catalog's class for the tool; the catalog's class for the value
 * of one argument (`argument` says which); the server's annotations; the catalog raised by a
 * destructive annotation; or, for a server the catalog does not describe, the catalog's class
 * of a tool of the same name, which raised what the annotations gave.
 */
export type ClassSource = 'catalog' | 'catalog-argument' | 'annotations' | 'catalog+annotations' | 'name-match';

export interface Classification {
  readonly category: ToolCategory;
  readonly risk: RiskClass;
  readonly reason: string;
  readonly source: ClassSource;
  /**
   * When the catalog classes the tool by an argument, which case applied: `method=search_read`
   * (that exact value), `method=action_*` (a prefix), `file_root=(absent)` (absent or null) or
   * `method=(other)` (any other value: the tool's own class). Never the raw value of a case that
   * is not listed, so that nothing the agent sent is echoed.
   */
  readonly argument?: string;
}

/** Which catalog applies to a server, and how (see `classifyCall`). */
export type CatalogUse =
  | { readonly kind: 'own'; readonly catalog: Catalog }
  | { readonly kind: 'name-match'; readonly catalog: Catalog; readonly describes: string };

/** The catalog in force for the Odoo MCP server itself. */
export const ODOO_MCP_OWN: CatalogUse = { kind: 'own', catalog: ODOO_MCP_CATALOG };

export function riskRank(risk: RiskClass): number {
  return RISK_CLASSES.indexOf(risk);
}

/** Whether `a` is a stricter class than `b`: a higher risk, or the same risk and a more harmful category. */
export function stricterThan(a: { category: ToolCategory; risk: RiskClass }, b: { category: ToolCategory; risk: RiskClass }): boolean {
  const byRisk = riskRank(a.risk) - riskRank(b.risk);
  return byRisk > 0 || (byRisk === 0 && TOOL_CATEGORIES.indexOf(a.category) > TOOL_CATEGORIES.indexOf(b.category));
}

// Shared, never mutated: classifying a call allocates nothing on the common paths.
const HINT_DESTRUCTIVE: Classification = Object.freeze({
  category: 'Destructive',
  risk: 'high',
  reason: 'The server marks it destructive (destructiveHint).',
  source: 'annotations',
});
const HINT_READ_ONLY: Classification = Object.freeze({
  category: 'Read',
  risk: 'low',
  reason: 'The server marks it read-only (readOnlyHint).',
  source: 'annotations',
});
const HINT_NONE: Classification = Object.freeze({
  category: 'Write',
  risk: 'medium',
  reason: 'Not in the catalog and the server does not mark it read-only, so it may change data.',
  source: 'annotations',
});

/** What the server's own hints say, for tools our catalog does not know. */
export function classifyFromAnnotations(annotations: ToolAnnotations | undefined): Classification {
  if (annotations?.destructiveHint === true) return HINT_DESTRUCTIVE;
  if (annotations?.readOnlyHint === true) return HINT_READ_ONLY;
  return HINT_NONE;
}

/** A catalog entry made ready for per-call lookups: every class it can give, built once. */
interface CompiledEntry {
  readonly tool: Classification;
  readonly byArgument?: {
    readonly argument: string;
    readonly values: ReadonlyMap<string, Classification>;
    readonly absent: Classification | undefined;
    readonly prefixes: readonly { readonly prefix: string; readonly cls: Classification }[];
    readonly other: Classification;
  };
}

/** The classes of listed argument values (and absence): the catalog's judgement of exactly that call, which hints do not change. */
const LISTED_CASES = new WeakSet<Classification>();

function listed(cls: Classification): Classification {
  LISTED_CASES.add(cls);
  return cls;
}

function argumentClass(tool: string, label: string, j: ClassJudgement, argument: string): Classification {
  return Object.freeze({
    category: j.category,
    risk: j.risk,
    reason: `${tool} with ${label}: ${j.reason.charAt(0).toLowerCase()}${j.reason.slice(1)}`,
    source: 'catalog-argument',
    argument,
  });
}

function compileEntry(tool: string, entry: CatalogEntry): CompiledEntry {
  const own: Classification = Object.freeze({ category: entry.category, risk: entry.risk, reason: entry.reason, source: 'catalog' });
  const by = entry.byArgument;
  if (!by) return { tool: own };
  const a = by.argument;
  const values = new Map<string, Classification>();
  for (const value of Object.keys(by.values ?? {})) {
    const j = by.values![value]!;
    values.set(value, listed(argumentClass(tool, `${a}=${value}`, j, `${a}=${value}`)));
  }
  // Strict cases keep the tool's own class whatever their text says: only listed values and absence can lower it.
  const strict = (reason: string): ClassJudgement => ({ category: entry.category, risk: entry.risk, reason });
  return {
    tool: own,
    byArgument: {
      argument: a,
      values,
      absent: by.absent ? listed(argumentClass(tool, `no ${a}`, by.absent, `${a}=(absent)`)) : undefined,
      prefixes: (by.strictPrefixes ?? []).map((p) => ({
        prefix: p.prefix,
        cls: argumentClass(tool, `${a}=${p.prefix}*`, strict(p.reason), `${a}=${p.prefix}*`),
      })),
      other: argumentClass(tool, `this ${a}`, strict(by.otherReason), `${a}=(other)`),
    },
  };
}

const compiledCatalogs = new WeakMap<Catalog, ReadonlyMap<string, CompiledEntry>>();

function compiled(catalog: Catalog): ReadonlyMap<string, CompiledEntry> {
  let map = compiledCatalogs.get(catalog);
  if (!map) {
    const m = new Map<string, CompiledEntry>();
    for (const tool of Object.keys(catalog)) m.set(tool, compileEntry(tool, catalog[tool]!));
    compiledCatalogs.set(catalog, m);
    map = m;
  }
  return map;
}

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/**
 * The class of one call from the entry's argument cases. Exact values only: a value in another
 * case, with a trailing space, in look-alike letters, a non-string, an array: all keep the
 * tool's own class. Absence (or null) counts only where the catalog says what it means.
 */
function pick(e: CompiledEntry, args: Readonly<Record<string, unknown>> | undefined): Classification {
  const by = e.byArgument;
  if (!by) return e.tool;
  if (args === undefined || args === null || typeof args !== 'object' || Array.isArray(args)) return by.other;
  const present = hasOwn(args, by.argument);
  const value = present ? args[by.argument] : undefined;
  if (!present || value === null) return by.absent ?? by.other;
  if (typeof value !== 'string') return by.other;
  const exact = by.values.get(value);
  if (exact) return exact;
  for (const p of by.prefixes) if (value.startsWith(p.prefix)) return p.cls;
  return by.other;
}

/** The tool-level rule: an explicit destructive hint may raise the catalog's class (a server knows its deployment), nothing lowers it. */
function raisedByHints(known: Classification, annotations: ToolAnnotations | undefined): Classification {
  if (annotations?.destructiveHint !== true || riskRank(HINT_DESTRUCTIVE.risk) <= riskRank(known.risk)) return known;
  return {
    category: known.category,
    risk: HINT_DESTRUCTIVE.risk,
    reason: `${known.reason} Raised to ${HINT_DESTRUCTIVE.risk} because the server marks it destructive.`,
    source: 'catalog+annotations',
    ...(known.argument !== undefined ? { argument: known.argument } : {}),
  };
}

const nameMatched = new WeakMap<Classification, Map<string, Classification>>();

/** The catalog's class of a same-named tool, told as such (built once per class and server described). */
function asNameMatch(cls: Classification, describes: string): Classification {
  let byServer = nameMatched.get(cls);
  if (!byServer) nameMatched.set(cls, (byServer = new Map<string, Classification>()));
  let out = byServer.get(describes);
  if (!out) {
    out = Object.freeze({
      category: cls.category,
      risk: cls.risk,
      reason:
        `Classed by its name: MCP Guard's catalog for ${describes} has a tool of this name and judges it so (${cls.reason}). ` +
        `This server is not ${describes}, so that judgement only raises the class its annotations give.`,
      source: 'name-match',
      ...(cls.argument !== undefined ? { argument: cls.argument } : {}),
    });
    byServer.set(describes, out);
  }
  return out;
}

/**
 * The class of one call. For the server a catalog describes (`own`), the catalog decides:
 * by the deciding argument's value where the entry has argument classes (the server's
 * per-tool hints cannot tell a search from an unlink, and odoo-mcp marks every execute_method
 * destructive), else the tool's class, which an explicit destructive hint may raise. For any
 * other server (`name-match`) the annotations decide, and a same-named catalog tool may only
 * raise that class, never lower it: another server's tool of that name may do anything.
 */
export function classifyCall(
  tool: string,
  annotations: ToolAnnotations | undefined,
  args: Readonly<Record<string, unknown>> | undefined,
  use: CatalogUse = ODOO_MCP_OWN,
): Classification {
  const entry = compiled(use.catalog).get(tool);
  if (!entry) return classifyFromAnnotations(annotations);
  const judged = pick(entry, args);
  if (use.kind === 'own') return LISTED_CASES.has(judged) ? judged : raisedByHints(judged, annotations);
  const hints = classifyFromAnnotations(annotations);
  return stricterThan(judged, hints) ? asNameMatch(judged, use.describes) : hints;
}

/**
 * Classifies a tool from the catalog when it is known there, for any arguments (the strictest
 * of its argument classes); the server's annotations may raise that risk (a server knows its
 * deployment) but never lower it, since annotations are hints the server is free to get wrong.
 */
export function classifyTool(name: string, annotations?: ToolAnnotations, catalog: Catalog = ODOO_MCP_CATALOG): Classification {
  const entry = hasOwn(catalog, name) ? compiled(catalog).get(name) : undefined;
  if (!entry) return classifyFromAnnotations(annotations);
  return raisedByHints(entry.tool, annotations);
}

/** The argument classes of a catalog tool, most lenient first, for hovers and docs; empty when its class does not depend on an argument. */
export function argumentClassesOf(name: string, catalog: Catalog = ODOO_MCP_CATALOG): readonly Classification[] {
  const by = hasOwn(catalog, name) ? compiled(catalog).get(name)?.byArgument : undefined;
  if (!by) return [];
  const all = [...by.values.values(), ...(by.absent ? [by.absent] : []), ...by.prefixes.map((p) => p.cls), by.other];
  return all;
}

/** Read / low risk: what lockdown mode and an unwritable audit log still let through. */
export function isLockdownSafe(cls: Classification): boolean {
  return cls.category === 'Read' && cls.risk === 'low';
}
