/**
 * Which tool definitions the guard trusts: those in the pins file (`run --pins`), or else those the
 * session saw first (trust on first use). Every tool list the guard sees (its own reads and each page
 * of the client's) updates the latest definition of each tool; a tool is callable only while its
 * latest listed definition is trusted. A server that changes a tool between tools/list and tools/call
 * without `notifications/tools/list_changed` is therefore checked against what it last listed.
 */
import { changedParts, definitionOf, fingerprint, PART_LABELS, schemaChanges, type PinnedDefinition } from './fingerprint';
import type { Pin, PinsFile } from './pins-file';

/** Where trust comes from. `unreadable`: a pins file was asked for and cannot be used, so nothing is trusted. */
export type TrustSource =
  | { readonly kind: 'pins'; readonly path: string; readonly pins: PinsFile }
  | { readonly kind: 'session' }
  | { readonly kind: 'unreadable'; readonly path: string; readonly error: string };

/** What a person is shown before trusting a definition: enough to see what changed. */
export interface DefinitionChange {
  /** `changed`: differs from the trusted one; `new`: no trusted definition of that name. */
  readonly kind: 'changed' | 'new';
  readonly against: 'pins' | 'session';
  /** The pins file, when trust comes from one. */
  readonly pinsFile?: string;
  /** Labels of the parts that differ (`description`, `input schema`, ...); every part of a new tool. */
  readonly parts: readonly string[];
  readonly oldDescription?: string;
  readonly newDescription?: string;
  /** One line per schema change, e.g. `input schema: properties added: force`. */
  readonly schemaChanges: readonly string[];
  /** The fingerprint of the definition a person is asked to trust. */
  readonly fingerprint: string;
}

/** Why a tool may not be called now; `change` is present when a person may trust it, absent when nobody can. */
export interface Untrusted {
  readonly tool: string;
  readonly why: 'changed' | 'new' | 'duplicate' | 'pins_unreadable';
  readonly reason: string;
  readonly change?: DefinitionChange;
}

/** One tool definition as listed. */
export interface ListedDefinition {
  readonly name: string;
  readonly definition: PinnedDefinition;
}

type Latest =
  | { readonly kind: 'one'; readonly fingerprint: string; readonly definition: PinnedDefinition }
  | { readonly kind: 'duplicate'; readonly count: number };

/** A definition that became untrusted, reported once per tool and fingerprint (the audit log's `tool_definition`). */
export interface DefinitionNews {
  readonly tool: string;
  readonly change: 'changed' | 'new' | 'duplicate';
  readonly against: 'pins' | 'session';
  readonly parts: readonly string[];
  readonly fingerprint: string | null;
  readonly trustedFingerprint?: string;
}

/** As many pages as the guard itself reads of a tool list (tool-registry.ts). */
const MAX_FIRST_LIST_PAGES = 100;

const TRUST_HOW = {
  session: 'A person must trust the new definition before it can be called (when asked to approve the call).',
  pins:
    'A person must trust the new definition before it can be called (in VS Code: "Trust new definition" in the approval; ' +
    'or check the server, then run mcp-guard pin again).',
} as const;

/** A change travels to the editor over the bridge (1 MB a message) and into a form: its texts are bounded. */
const MAX_SHOWN_DESCRIPTION = 4000;
const MAX_SCHEMA_LINES = 40;
const MAX_SCHEMA_LINE = 300;

function bounded(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… [${text.length - max} more characters cut]` : text;
}

function descriptionText(d: PinnedDefinition): string | undefined {
  const text = typeof d.description === 'string' ? d.description : d.description === undefined ? undefined : JSON.stringify(d.description);
  return text === undefined ? undefined : bounded(text, MAX_SHOWN_DESCRIPTION);
}

export class ToolTrust {
  private readonly trusted = new Map<string, Pin>();
  private readonly latest = new Map<string, Latest>();
  private readonly reported = new Set<string>();
  /** Session trust: first definitions are trusted until the client's first complete tools/list. */
  private sealed: boolean;
  private clientPages = 0;

  constructor(readonly source: TrustSource) {
    if (source.kind === 'pins') for (const [name, pin] of source.pins.tools) this.trusted.set(name, pin);
    this.sealed = source.kind !== 'session';
  }

  /**
   * Takes in one tool list (or one page of it): the latest definition of each tool it names. Returns
   * what became untrusted and was not reported before. Tools the list does not name keep what was
   * seen of them (a page is not the whole list; a tool the server dropped is unknown to it anyway).
   */
  observe(tools: readonly ListedDefinition[]): DefinitionNews[] {
    const counts = new Map<string, number>();
    for (const t of tools) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const news: DefinitionNews[] = [];
    for (const t of tools) {
      const count = counts.get(t.name)!;
      if (count > 1) {
        this.latest.set(t.name, { kind: 'duplicate', count });
        this.report(news, { tool: t.name, change: 'duplicate', against: this.against, parts: [], fingerprint: null });
        continue;
      }
      const fp = fingerprint(t.name, t.definition);
      this.latest.set(t.name, { kind: 'one', fingerprint: fp, definition: t.definition });
      if (!this.sealed && !this.trusted.has(t.name)) this.trusted.set(t.name, { fingerprint: fp, definition: t.definition });
      const pin = this.trusted.get(t.name);
      if (pin?.fingerprint === fp) continue;
      this.report(news, {
        tool: t.name,
        change: pin ? 'changed' : 'new',
        against: this.against,
        parts: pin ? changedParts(pin.definition, t.definition).map((p) => PART_LABELS[p]) : [],
        fingerprint: fp,
        ...(pin ? { trustedFingerprint: pin.fingerprint } : {}),
      });
    }
    return news;
  }

  /** The client has seen its first whole tool list: from now on a new or changed definition needs a person. */
  seal(): void {
    this.sealed = true;
  }

  /**
   * A page of the client's tools/list was observed: its last page (`last`) seals trust on first use,
   * and so does the MAX_FIRST_LIST_PAGES-th page, so a server that pages forever cannot keep the
   * session trusting whatever it adds.
   */
  clientPageSeen(last: boolean): void {
    this.clientPages++;
    if (last || this.clientPages >= MAX_FIRST_LIST_PAGES) this.seal();
  }

  private get against(): 'pins' | 'session' {
    return this.source.kind === 'session' ? 'session' : 'pins';
  }

  private report(news: DefinitionNews[], item: DefinitionNews): void {
    const key = `${item.tool}\u0000${item.fingerprint ?? `x${item.change}`}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    news.push(item);
  }

  /** Why `name` may not be called now, or undefined when its latest listed definition is trusted. */
  check(name: string): Untrusted | undefined {
    const { source } = this;
    if (source.kind === 'unreadable')
      return {
        tool: name,
        why: 'pins_unreadable',
        reason:
          `MCP Guard cannot use the pins file ${source.path} (${source.error}), so it trusts no tool. ` +
          'Ask the user to fix the pins file or write it again with mcp-guard pin.',
      };
    const latest = this.latest.get(name);
    // Not listed at all: the tool registry answers that (unknown tool) before this is asked.
    if (latest === undefined) return undefined;
    if (latest.kind === 'duplicate')
      return {
        tool: name,
        why: 'duplicate',
        reason: `The server lists ${latest.count} tools named ${name}, so MCP Guard cannot tell which definition a call would reach.`,
      };
    const pin = this.trusted.get(name);
    if (pin?.fingerprint === latest.fingerprint) return undefined;
    const change = this.changeOf(pin?.definition, latest.definition, latest.fingerprint);
    return { tool: name, why: change.kind, reason: `${this.describe(name, change)} ${TRUST_HOW[change.against]}`, change };
  }

  private changeOf(before: PinnedDefinition | undefined, after: PinnedDefinition, fp: string): DefinitionChange {
    const parts = before ? changedParts(before, after) : changedParts({}, after);
    const schemaLines: string[] = [];
    for (const p of ['inputSchema', 'outputSchema'] as const) {
      if (!parts.includes(p)) continue;
      for (const line of schemaChanges(before?.[p], after[p])) schemaLines.push(bounded(`${PART_LABELS[p]}: ${line}`, MAX_SCHEMA_LINE));
    }
    if (schemaLines.length > MAX_SCHEMA_LINES)
      schemaLines.splice(MAX_SCHEMA_LINES, Infinity, `… ${schemaLines.length - MAX_SCHEMA_LINES} more`);
    const oldDescription = before ? descriptionText(before) : undefined;
    const newDescription = descriptionText(after);
    return {
      kind: before ? 'changed' : 'new',
      against: this.against,
      ...(this.source.kind === 'pins' ? { pinsFile: this.source.path } : {}),
      parts: parts.map((p) => PART_LABELS[p]),
      ...(oldDescription !== undefined ? { oldDescription } : {}),
      ...(newDescription !== undefined ? { newDescription } : {}),
      schemaChanges: schemaLines,
      fingerprint: fp,
    };
  }

  private describe(name: string, change: DefinitionChange): string {
    const what = change.parts.length > 0 ? change.parts.join(', ') : 'nothing pinned';
    const schema = change.schemaChanges.length > 0 ? ` (${change.schemaChanges.join('; ')})` : '';
    if (change.kind === 'changed')
      return change.against === 'pins'
        ? `The definition of ${name} differs from its pin in ${change.pinsFile}: ${what} changed${schema}.`
        : `The server changed the definition of ${name} after this session first listed it: ${what} changed${schema}.`;
    const lower = name.toLowerCase();
    const twin = [...this.trusted.keys()].find((k) => k !== name && k.toLowerCase() === lower);
    const caseNote = twin === undefined ? '' : ` Its name differs only in case from ${twin}, which is trusted.`;
    return change.against === 'pins'
      ? `${name} is not in the pins file ${change.pinsFile}.${caseNote}`
      : `The server added ${name} after this session first listed its tools.${caseNote}`;
  }

  /** The annotations of the latest listed definition of `name` (what the server last said of it), if any. */
  latestAnnotations(name: string): Readonly<Record<string, unknown>> | undefined {
    const latest = this.latest.get(name);
    const annotations = latest?.kind === 'one' ? latest.definition.annotations : undefined;
    return annotations !== null && typeof annotations === 'object' && !Array.isArray(annotations)
      ? (annotations as Record<string, unknown>)
      : undefined;
  }

  /**
   * A person trusted the definition with `fp`: it becomes trusted (for the session, and in the pins
   * when trust comes from a file). False when the tool's latest definition is no longer that one.
   */
  accept(name: string, fp: string): boolean {
    const latest = this.latest.get(name);
    if (latest?.kind !== 'one' || latest.fingerprint !== fp) return false;
    this.trusted.set(name, { fingerprint: fp, definition: latest.definition });
    return true;
  }

  /** The pins as they now stand (the file's pins plus what was trusted since), for writing back. */
  pinsNow(): PinsFile | undefined {
    if (this.source.kind !== 'pins') return undefined;
    return {
      version: this.source.pins.version,
      server: this.source.pins.server,
      tools: new Map([...this.trusted].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    };
  }
}

/** The definitions of the named items of a `tools/list` result; items without a string name are skipped. */
export function listedDefinitions(items: readonly unknown[]): ListedDefinition[] {
  const out: ListedDefinition[] = [];
  for (const t of items)
    if (t !== null && typeof t === 'object' && !Array.isArray(t) && typeof (t as { name?: unknown }).name === 'string') {
      const item = t as Record<string, unknown> & { name: string };
      out.push({ name: item.name, definition: definitionOf(item) });
    }
  return out;
}
