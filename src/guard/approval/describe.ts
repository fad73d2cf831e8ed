/** Argument names whose values are never shown or logged. */
const SECRET_NAME = /^pass$|passw(or)?d|passphrase|secret|token|api[_-]?key|apikey|credential|private[_-]?key|authorization|cookie|session[_-]?id/i;

export const REDACTED = '‹redacted›';

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** What stands for arrays and objects nested deeper than redactSecrets looks. */
export const TOO_DEEP = '‹nested too deep, not shown›';

/**
 * A copy with secret-named fields replaced, at any depth: arrays and objects nested deeper
 * than 32 levels are replaced as a whole (they are not searched, so they are not shown).
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 32) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretName(k) ? REDACTED : redactSecrets(v, depth + 1);
  return out;
}

function cut(value: unknown, maxText: number, depth: number): unknown {
  if (typeof value === 'string') {
    return value.length > maxText ? `${value.slice(0, maxText)}… [${value.length - maxText} more characters cut]` : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '… [nested too deep, cut]';
  if (Array.isArray(value)) {
    const shown = value.slice(0, 50).map((v) => cut(v, maxText, depth + 1));
    if (value.length > 50) shown.push(`… [${value.length - 50} more items cut]`);
    return shown;
  }
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value);
  for (const [k, v] of entries.slice(0, 50)) out[k] = cut(v, maxText, depth + 1);
  if (entries.length > 50) out['…'] = `[${entries.length - 50} more keys cut]`;
  return out;
}

/** Indented JSON of the arguments for a person to read: secrets hidden, long values cut visibly. */
export function formatArgumentsForDisplay(args: unknown, maxText = 300, maxTotal = 4000): string {
  const text = JSON.stringify(cut(redactSecrets(args), maxText, 0), null, 2) ?? 'null';
  return text.length > maxTotal ? `${text.slice(0, maxTotal)}\n… [${text.length - maxTotal} more characters cut]` : text;
}
