/** A definition change as a person reads it in an approval (elicitation form or editor modal): what changed, old and new. */
import type { DefinitionChange } from './trust';

/** Descriptions longer than this are cut visibly: the parts that differ are listed anyway. */
const MAX_DESCRIPTION = 2000;

function cut(text: string): string {
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION)}… [${text.length - MAX_DESCRIPTION} more characters cut]` : text;
}

/** The lines that show a change: which parts, the old and new description, each schema change. */
export function definitionChangeLines(change: DefinitionChange): string[] {
  const lines: string[] = [];
  if (change.kind === 'new')
    lines.push(
      change.against === 'pins'
        ? `Not in the pins file ${change.pinsFile ?? ''}`.trimEnd()
        : 'New since the session first listed the tools',
    );
  else lines.push(`Changed: ${change.parts.join(', ')}`);
  if (change.kind === 'changed' && change.parts.includes('description')) {
    lines.push(`Old description: ${change.oldDescription === undefined ? '(none)' : cut(change.oldDescription)}`);
    lines.push(`New description: ${change.newDescription === undefined ? '(none)' : cut(change.newDescription)}`);
  } else if (change.newDescription !== undefined) lines.push(`Description: ${cut(change.newDescription)}`);
  if (change.schemaChanges.length > 0) lines.push('Schema changes:', ...change.schemaChanges.map((l) => `  ${l}`));
  lines.push(`Fingerprint: ${change.fingerprint}`);
  return lines;
}
