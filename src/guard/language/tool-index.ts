/**
 * What the policy language knows about tools: the catalog (category, risk and why, with the Odoo
 * server's own descriptions and input schemas) plus, optionally, the tools the running guard last
 * reported (`tools/list` of the real server). Pure and immutable; build one per reported list and
 * reuse it (`toolIndexOf` memoises on the list's identity).
 */
import { argumentClassesOf, classifyCall, classifyTool, type Classification, type ToolAnnotations } from '../catalog/classify';
import { ODOO_MCP_CATALOG, ODOO_MCP_VERSION } from '../catalog/odoo-mcp';
import { ODOO_MCP_TOOLS } from '../catalog/odoo-tools';
import type { Catalog, JsonSchema, ToolDefinition } from '../catalog/types';
import { globToRegExp, isGlob } from '../policy/glob';
import { didYouMean } from '../policy/suggest';

/** A tool as the running guard last reported it (the server's `tools/list`). */
export type ReportedTool = ToolDefinition;

export interface ToolParameter {
  readonly name: string;
  /** The schema's type in short, e.g. `string`, `integer | null`, `string[]`. */
  readonly type: string;
  readonly required: boolean;
  readonly description?: string;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly schema: JsonSchema;
}

export interface KnownTool {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly inputSchema?: JsonSchema;
  readonly classification: Classification;
  /** In the project's catalog. */
  readonly inCatalog: boolean;
  /** In the list the running guard reported. */
  readonly reported: boolean;
  /** From the input schema, in its order; empty when the schema has no properties (or there is none). */
  readonly parameters: readonly ToolParameter[];
}

export interface ToolIndexOptions {
  /** Defaults to the Odoo MCP catalog. */
  readonly catalog?: Catalog;
  /** Descriptions and input schemas of catalog tools; defaults to odoo-mcp's own. */
  readonly definitions?: readonly ToolDefinition[];
  /** How messages name the catalog, e.g. `odoo-mcp 1.3.0`. */
  readonly catalogLabel?: string;
}

const own = <T>(o: Readonly<Record<string, T>>, k: string): T | undefined =>
  Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;

/** A JSON Schema's type in a few characters: `string`, `integer | null`, `string[]`, `object`. */
export function schemaType(schema: JsonSchema | undefined): string {
  if (!schema || typeof schema !== 'object') return 'any';
  const parts: string[] = [];
  const add = (t: string) => {
    if (!parts.includes(t)) parts.push(t);
  };
  const one = (s: JsonSchema): void => {
    const alternatives = s.anyOf ?? s.oneOf;
    if (Array.isArray(alternatives) && alternatives.length > 0) {
      for (const a of alternatives as readonly JsonSchema[]) one(a);
      return;
    }
    if (s.const !== undefined) return add(JSON.stringify(s.const));
    if (Array.isArray(s.enum) && s.type === undefined) return add(s.enum.map((v) => JSON.stringify(v)).join(' | '));
    const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
    if (types.length === 0) return add(s.properties ? 'object' : 'any');
    for (const t of types) {
      if (t === 'array' && s.items && typeof s.items === 'object' && !Array.isArray(s.items)) {
        const inner = schemaType(s.items as JsonSchema);
        add(inner === 'any' ? 'array' : inner.includes(' ') ? `(${inner})[]` : `${inner}[]`);
      } else add(t);
    }
  };
  one(schema);
  return parts.length > 0 ? parts.join(' | ') : 'any';
}

function enumOf(schema: JsonSchema): readonly unknown[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum as readonly unknown[];
  for (const alt of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) {
    if (Array.isArray(alt.enum)) return alt.enum as readonly unknown[];
  }
  return undefined;
}

export function parametersOf(schema: JsonSchema | undefined): ToolParameter[] {
  const props = schema?.properties;
  if (!props || typeof props !== 'object') return [];
  const required = new Set(Array.isArray(schema?.required) ? schema.required : []);
  return Object.entries(props).map(([name, s]) => {
    const e = s && typeof s === 'object' ? enumOf(s) : undefined;
    const description = s && typeof s === 'object' && typeof s.description === 'string' ? s.description : undefined;
    return {
      name,
      type: schemaType(s),
      required: required.has(name),
      ...(description !== undefined ? { description } : {}),
      ...(e !== undefined ? { enum: e } : {}),
      ...(s && typeof s === 'object' && 'default' in s ? { default: s.default } : {}),
      schema: s ?? {},
    };
  });
}

/** The catalog's tools and the reported ones, looked up by name or glob. */
export class ToolIndex {
  /** Catalog tools in catalog order, then reported tools the catalog does not know, in reported order. */
  readonly tools: readonly KnownTool[];
  /** Whether a reported list was given (even an empty one). */
  readonly hasReported: boolean;
  readonly catalogLabel: string;
  private readonly byName = new Map<string, KnownTool>();
  private readonly sorted: readonly string[];
  private readonly catalog: Catalog;
  private readonly globMemo = new Map<string, readonly KnownTool[]>();
  private readonly annotations = new Map<string, ToolAnnotations>();

  constructor(reported: readonly ReportedTool[] | undefined, options: ToolIndexOptions = {}) {
    const catalog = options.catalog ?? ODOO_MCP_CATALOG;
    this.catalog = catalog;
    this.catalogLabel = options.catalogLabel ?? (options.catalog ? 'the catalog' : `odoo-mcp ${ODOO_MCP_VERSION}`);
    this.hasReported = reported !== undefined;
    const definitions = new Map<string, ToolDefinition>();
    for (const d of options.definitions ?? (options.catalog ? [] : ODOO_MCP_TOOLS)) definitions.set(d.name, d);
    const live = new Map<string, ToolDefinition>();
    for (const d of reported ?? []) if (d && typeof d.name === 'string' && !live.has(d.name)) live.set(d.name, d);
    const tools: KnownTool[] = [];
    const add = (name: string, def: ToolDefinition | undefined, inCatalog: boolean, isReported: boolean) => {
      const tool: KnownTool = {
        name,
        ...(def?.title !== undefined ? { title: def.title } : {}),
        ...(typeof def?.description === 'string' ? { description: def.description } : {}),
        ...(def?.inputSchema && typeof def.inputSchema === 'object' ? { inputSchema: def.inputSchema } : {}),
        classification: classifyTool(name, def?.annotations, catalog),
        inCatalog,
        reported: isReported,
        parameters: parametersOf(def?.inputSchema),
      };
      tools.push(tool);
      this.byName.set(name, tool);
      if (def?.annotations) this.annotations.set(name, def.annotations);
    };
    for (const name of Object.keys(catalog)) add(name, live.get(name) ?? definitions.get(name), true, live.has(name));
    for (const [name, def] of live) if (!own(catalog, name)) add(name, def, false, true);
    this.tools = tools;
    this.sorted = tools.map((t) => t.name).sort();
  }

  get names(): readonly string[] {
    return this.tools.map((t) => t.name);
  }

  get(name: string): KnownTool | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** How the guard classifies a tool of this name: as known here, else as an unknown tool with no annotations. */
  classify(name: string): Classification {
    return this.byName.get(name)?.classification ?? classifyTool(name, undefined, this.catalog);
  }

  /** How the guard classifies one call: by its arguments where the catalog classes the tool by one, else as `classify`. */
  classifyCall(name: string, args: Readonly<Record<string, unknown>>): Classification {
    return classifyCall(name, this.annotations.get(name), args, { kind: 'own', catalog: this.catalog });
  }

  /** The classes the catalog gives a tool by an argument's value (see argumentClassesOf); empty for most tools. */
  argumentClasses(name: string): readonly Classification[] {
    return argumentClassesOf(name, this.catalog);
  }

  /** Known tools an exact name or a glob (`*`, `?`) matches, in index order. */
  matching(pattern: string): readonly KnownTool[] {
    if (!isGlob(pattern)) {
      const t = this.byName.get(pattern);
      return t ? [t] : [];
    }
    const memo = this.globMemo.get(pattern);
    if (memo) return memo;
    const re = globToRegExp(pattern);
    const cut = pattern.search(/[*?]/);
    const prefix = pattern.slice(0, cut);
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const hits = new Set<string>();
    for (let i = lo; i < this.sorted.length && this.sorted[i]!.startsWith(prefix); i++) {
      if (re.test(this.sorted[i]!)) hits.add(this.sorted[i]!);
    }
    const found = hits.size === 0 ? [] : this.tools.filter((t) => hits.has(t.name));
    if (this.globMemo.size > 4096) this.globMemo.clear();
    this.globMemo.set(pattern, found);
    return found;
  }

  /** The closest known tool name, for "did you mean" (as `didYouMean` over the names in sorted order). */
  suggest(name: string): string | undefined {
    if (this.sorted.length <= 64) return didYouMean(name, this.sorted);
    const lower = (this.lowerSorted ??= this.sorted.map((n) => n.toLowerCase()));
    const word = name.toLowerCase();
    const limit = Math.max(2, Math.floor(word.length / 3));
    let best: string | undefined;
    let bestDistance = limit + 1;
    for (let i = 0; i < lower.length; i++) {
      const c = lower[i]!;
      if (Math.abs(c.length - word.length) >= bestDistance) continue;
      const d = boundedDistance(word, c, bestDistance - 1);
      if (d < bestDistance) {
        best = this.sorted[i];
        bestDistance = d;
      }
    }
    return best;
  }

  private lowerSorted: string[] | undefined;
}

let rowA = new Int32Array(64);
let rowB = new Int32Array(64);

/** Levenshtein distance of `a` and `b`, or `limit + 1` as soon as it must exceed `limit`. */
function boundedDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  if (rowA.length <= b.length) {
    rowA = new Int32Array(b.length + 1);
    rowB = new Int32Array(b.length + 1);
  }
  let prev = rowA;
  let cur = rowB;
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    const t = prev;
    prev = cur;
    cur = t;
  }
  return prev[b.length]!;
}

let defaultIndex: ToolIndex | undefined;
const byList = new WeakMap<readonly ReportedTool[], ToolIndex>();

/** Where tools come from: an index, a reported list (memoised by identity), or nothing (the catalog alone). */
export type ToolSource = ToolIndex | readonly ReportedTool[] | undefined;

export function createToolIndex(reported?: readonly ReportedTool[], options?: ToolIndexOptions): ToolIndex {
  return new ToolIndex(reported, options);
}

/** The index for a source; the same list (by identity) always gives the same index. */
export function toolIndexOf(source: ToolSource): ToolIndex {
  if (source instanceof ToolIndex) return source;
  if (source === undefined) return (defaultIndex ??= new ToolIndex(undefined));
  let index = byList.get(source);
  if (!index) {
    index = new ToolIndex(source);
    byList.set(source, index);
  }
  return index;
}
