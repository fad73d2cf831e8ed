/**
 * The parser's result types (the plain `ParseResult` and the editors' `DetailedParseResult`) and its options.
 *
 * Why: both readers, the units they build and every importer of the parser share these shapes, so they live apart from
 * any one of them.
 */
import type { Document, Pair } from 'yaml';
import type { PolicyDiagnostic } from '../diagnostics';
import type { Policy, PolicyEntry } from '../model';
import type { LineIndex, Locator } from './lines';

export interface ParseResult {
  /** Present only when the file has no error; warnings do not withhold it. */
  readonly policy?: Policy;
  readonly diagnostics: readonly PolicyDiagnostic[];
}

/** One entry under `tools` as parsed and checked. An incremental parse reuses it as is while its text is unchanged. */
export interface EntryRecord {
  /** The entry's own text, when it was parsed on its own (the incremental cache key). */
  readonly text?: string;
  readonly pair: Pair;
  /** Positions of `pair`'s nodes relative to the entry's first line (line 0 is the key's line). */
  readonly at: Locator;
  /** The key as text, label included; absent when it is not a plain word (then `diagnostics` says so). */
  readonly key?: string;
  /** The tool name or glob of `key` (all of it, or the part before ` (LABEL)`); absent when the key is not a valid tool key. */
  readonly pattern?: string;
  /** The label of a key written `PATTERN (LABEL)`. */
  readonly label?: string;
  /** The entry, when it validated (with the `index` it had when first parsed). */
  readonly entry?: PolicyEntry;
  /** This entry's diagnostics, lines relative to its first line. */
  readonly diagnostics: readonly PolicyDiagnostic[];
  /** The last line (relative, inclusive) holding the entry's key or value. */
  readonly lastLine: number;
}

/** An entry at its place in one version of the file. */
export interface EntryUnit {
  readonly record: EntryRecord;
  /** Position under tools, counting every key (as `PolicyEntry.index`). */
  readonly index: number;
  /** Document line of the key (the record's line 0). */
  readonly line: number;
  /** First document line after the entry's text (its trailing comments and blank lines belong to it). */
  readonly endLine: number;
  /** The validated entry, with this position's index. */
  readonly entry?: PolicyEntry;
}

/** One top-level key with its value. */
export interface TopUnit {
  readonly key?: string;
  readonly doc: Document;
  readonly pair: Pair;
  /** Positions of `pair`'s nodes in the document. */
  readonly at: Locator;
  /** Document line of the key. */
  readonly line: number;
  /** First document line after this key's text. */
  readonly endLine: number;
}

/** Everything a parse learned, for editors: `parsePolicy` plus the YAML nodes with their places. */
export interface DetailedParseResult extends ParseResult {
  readonly text: string;
  readonly lines: LineIndex;
  /** How the text was read: one top-level key and one entry at a time (the fast, incremental path), or whole. */
  readonly strategy: 'segments' | 'whole';
  /** False after YAML syntax errors or aliases; the units are then YAML's best effort and nothing is validated. */
  readonly yamlOk: boolean;
  readonly top: readonly TopUnit[];
  readonly entries: readonly EntryUnit[];
  /** Column of the keys under tools, when they are written in block style. */
  readonly entryIndent?: number;
  /**
   * The policy made of every part that validated, even when other parts have errors (for hovers and
   * warnings while the file is being edited). Absent after YAML syntax errors or when the root is no mapping.
   */
  readonly partial?: Policy;
  /** Entry records by their text, for the next incremental parse. */
  readonly cache: ReadonlyMap<string, EntryRecord>;
}

export interface ParseOptions {
  /** The approval timeout when the file sets none at the top level (the guard's --approval-timeout). */
  readonly defaultApprovalTimeoutSeconds?: number;
  /**
   * `auto` (default) reads the file one top-level key and one tools entry at a time when its layout
   * allows, which gives the very same result as reading it whole, faster, and lets an incremental parse
   * reuse unchanged entries; `whole` always reads it as one YAML document (for tests and comparisons).
   */
  readonly strategy?: 'auto' | 'whole';
  /**
   * `check` (default) validates the `tests:` section like the rest; `ignore` skips it, as the guard
   * does: it never runs tests, so a mistake in one must not stop it (the editor, `validate` and
   * `mcp-guard test` still report it). YAML syntax errors anywhere still make the file invalid.
   */
  readonly tests?: 'check' | 'ignore';
}
