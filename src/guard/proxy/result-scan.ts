/**
 * The server's answer to a decided request (a tools/call, a resources/read) as the client gets it
 * under `--scan-results`: byte for byte when it holds no secret (or scanning is off), with each
 * secret replaced by a marker naming its kind (`redact`), or as it came but reported (`flag`).
 */
import type { ResultSecretsNote } from '../audit-events';
import { scanValue, type OwnSecret, type ScanResultsMode, type SecretFindings } from '../result-secrets';
import type { JsonRpcMessage } from './jsonrpc';
import { stringifyOrUndefined } from './list-filter';

/** What the audit log and the editor are told about secrets in one answer: kinds and a count, never a secret. */
export type ResultSecrets = ResultSecretsNote;

export type ScannedAnswer =
  | { readonly kind: 'pass'; readonly line: string; readonly secrets?: ResultSecrets }
  /** It cannot be searched (or rebuilt): it is not passed on. */
  | { readonly kind: 'unreadable'; readonly why: string };

export interface ResultScanConfig {
  readonly mode: ScanResultsMode;
  readonly own: readonly OwnSecret[];
}

/** Searches a result or an error (its message and data: a server may echo what it read). */
export function scanAnswer(config: ResultScanConfig, msg: JsonRpcMessage, line: string): ScannedAnswer {
  if (config.mode === 'off') return { kind: 'pass', line };
  const field = 'error' in msg ? 'error' : 'result';
  const redact = config.mode === 'redact';
  // A decoded string can hold a backslash, `\u` or `&#` only if the line has `\\`, `\u` or `&#`.
  const escapes = line.includes('\\\\') || line.includes('\\u') || line.includes('&#');
  const scan = scanValue(msg[field], config.own, redact, escapes);
  switch (scan.kind) {
    case 'clean':
      return { kind: 'pass', line };
    case 'too-deep':
      return { kind: 'unreadable', why: 'it was nested too deep to search for secrets (--scan-results)' };
    case 'found': {
      const secrets: ResultSecrets = { action: redact ? 'redacted' : 'flagged', ...scan.findings };
      if (!redact) return { kind: 'pass', line, secrets };
      const rebuilt = stringifyOrUndefined({ ...msg, [field]: scan.value });
      return rebuilt === undefined
        ? { kind: 'unreadable', why: 'it held secrets and was nested too deep to redact them (--scan-results)' }
        : { kind: 'pass', line: rebuilt, secrets };
    }
  }
}

/** `3 secrets (aws-access-key, jwt)`: for the guard's log line. */
export function describeSecrets(s: SecretFindings): string {
  return `${s.count} secret${s.count === 1 ? '' : 's'} (${s.kinds.join(', ')})`;
}
