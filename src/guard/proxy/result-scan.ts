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
      const rebuilt = (scan.replaced && spliceLine(line, scan.replaced)) ?? stringifyOrUndefined({ ...msg, [field]: scan.value });
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

/**
 * The line with each changed string's JSON text replaced in place, the rest as the server wrote
 * it; undefined when the line does not hold each string exactly as often, written as
 * JSON.stringify writes it (then the whole answer is written again). A match must start at an
 * unescaped quote: inside a JSON string every quote is escaped, so it is the string's own token.
 */
export function spliceLine(
  line: string,
  replaced: ReadonlyMap<string, { readonly to: string; readonly count: number }>,
): string | undefined {
  const edits: [number, number, string][] = [];
  for (const [from, { to, count }] of replaced) {
    const was = JSON.stringify(from);
    const now = JSON.stringify(to);
    if (LINE_TERMINATOR.test(was) || LINE_TERMINATOR.test(now)) return undefined;
    let n = 0;
    for (let at = line.indexOf(was); at !== -1; at = line.indexOf(was, at + 1)) {
      if (escapedAt(line, at)) continue;
      if (++n > count) return undefined;
      edits.push([at, at + was.length, now]);
    }
    if (n !== count) return undefined;
  }
  edits.sort((a, b) => a[0] - b[0]);
  let out = '';
  let copied = 0;
  for (const [start, end, now] of edits) {
    if (start < copied) return undefined;
    out += line.slice(copied, start) + now;
    copied = end;
  }
  return out + line.slice(copied);
}

/** What wireLine escapes: a line with one of them is written again whole. */
const LINE_TERMINATOR = /[\u2028\u2029\x85]/;

/** Whether the quote at `at` is escaped (an odd number of backslashes before it). */
function escapedAt(line: string, at: number): boolean {
  let k = at;
  while (k > 0 && line.charCodeAt(k - 1) === 0x5c) k--;
  return (at - k) % 2 === 1;
}
