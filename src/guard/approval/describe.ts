/** Arguments as a person reads them in an approval: secrets hidden (see secrets.ts), long values cut visibly. */
import { REDACTED, TOO_DEEP, isSecretName, redactSecrets, redactSecretsInText, setOwn } from '../secrets';

// The detector lives in ../secrets (one for everything the guard shows or logs); re-exported for existing importers.
export { REDACTED, TOO_DEEP, isSecretName, redactSecrets, redactSecretsInText };

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
  for (const [k, v] of entries.slice(0, 50)) setOwn(out, k, cut(v, maxText, depth + 1));
  if (entries.length > 50) out['…'] = `[${entries.length - 50} more keys cut]`;
  return out;
}

/** Indented JSON of the arguments for a person to read: secrets hidden, long values cut visibly. */
export function formatArgumentsForDisplay(args: unknown, maxText = 300, maxTotal = 4000): string {
  const text = JSON.stringify(cut(redactSecrets(args), maxText, 0), null, 2) ?? 'null';
  return text.length > maxTotal ? `${text.slice(0, maxTotal)}\n… [${text.length - maxTotal} more characters cut]` : text;
}
