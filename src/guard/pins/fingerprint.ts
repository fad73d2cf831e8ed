/**
 * A tool's definition as MCP Guard pins it (name, title, description, input and output schema,
 * annotations), its fingerprint (SHA-256 of the canonical JSON), and what differs between two.
 */
import { canonicalJson, canonicalJsonOfParsed, sha256Hex } from '../canonical-json';
import { isPlainObject } from '../util/json';

/** The parts of a listed tool that say what it does and what it takes; anything else a server lists is not pinned. */
export const DEFINITION_PARTS = ['title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const;
export type DefinitionPart = (typeof DEFINITION_PARTS)[number];

/** The pinned parts as the server listed them (any JSON: a server may send a description that is not a string). */
export type PinnedDefinition = { readonly [P in DefinitionPart]?: unknown };

/** How each part is named in a reason an agent or a person reads. */
export const PART_LABELS: Readonly<Record<DefinitionPart, string>> = {
  title: 'title',
  description: 'description',
  inputSchema: 'input schema',
  outputSchema: 'output schema',
  annotations: 'annotations',
};

/** The pinned parts of one `tools/list` item; parts the server left out stay out (absent is not `null`). */
export function definitionOf(tool: Readonly<Record<string, unknown>>): PinnedDefinition {
  const out: Record<string, unknown> = {};
  for (const part of DEFINITION_PARTS) if (tool[part] !== undefined) out[part] = tool[part];
  return out;
}

/**
 * `sha256:` + the hex SHA-256 of the canonical JSON (keys sorted at every level) of the name and
 * the pinned parts: the same definition always gives the same fingerprint, whatever the key order
 * the server wrote it in, and the name is part of it so a pin cannot be moved to another tool.
 */
export function fingerprint(name: string, definition: PinnedDefinition): string {
  return `sha256:${sha256Hex(canonicalJsonOfParsed({ ...definition, name }))}`;
}

/** The parts that differ between two definitions of one tool, in DEFINITION_PARTS order. */
export function changedParts(before: PinnedDefinition, after: PinnedDefinition): DefinitionPart[] {
  // canonicalJson writes an absent part as `null`, so presence is compared first.
  return DEFINITION_PARTS.filter(
    (p) => (before[p] === undefined) !== (after[p] === undefined) || canonicalJson(before[p]) !== canonicalJson(after[p]),
  );
}

/**
 * What changed in an input or output schema, one line each, for a person to read: properties
 * added, removed or changed (by name), required properties added or removed, and "other keywords"
 * for anything else. Empty when the two are the same.
 */
export function schemaChanges(before: unknown, after: unknown): string[] {
  if (canonicalJson(before) === canonicalJson(after)) return [];
  if (!isPlainObject(before) || !isPlainObject(after))
    return [before === undefined ? 'schema added' : after === undefined ? 'schema removed' : 'schema replaced'];
  const lines: string[] = [];
  const props = (s: Record<string, unknown>) => (isPlainObject(s['properties']) ? s['properties'] : {});
  const required = (s: Record<string, unknown>) =>
    new Set(Array.isArray(s['required']) ? s['required'].filter((r): r is string => typeof r === 'string') : []);
  const [pb, pa] = [props(before), props(after)];
  const [rb, ra] = [required(before), required(after)];
  const added = Object.keys(pa).filter((k) => !Object.hasOwn(pb, k));
  const removed = Object.keys(pb).filter((k) => !Object.hasOwn(pa, k));
  const changed = Object.keys(pa).filter((k) => Object.hasOwn(pb, k) && canonicalJson(pa[k]) !== canonicalJson(pb[k]));
  if (added.length) lines.push(`properties added: ${added.join(', ')}`);
  if (removed.length) lines.push(`properties removed: ${removed.join(', ')}`);
  if (changed.length) lines.push(`properties changed: ${changed.join(', ')}`);
  const nowRequired = [...ra].filter((r) => !rb.has(r));
  const noLongerRequired = [...rb].filter((r) => !ra.has(r));
  if (nowRequired.length) lines.push(`now required: ${nowRequired.join(', ')}`);
  if (noLongerRequired.length) lines.push(`no longer required: ${noLongerRequired.join(', ')}`);
  const rest = (s: Record<string, unknown>) => canonicalJson({ ...s, properties: undefined, required: undefined });
  if (rest(before) !== rest(after)) lines.push('other keywords changed');
  return lines;
}
