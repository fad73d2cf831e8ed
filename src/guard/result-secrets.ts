/**
 * Secrets in what the server answers (tool results, resource contents), found with the rules of
 * secrets.ts (one rule set for the audit log, the approval dialog and results) and, in `redact`
 * mode, replaced by a marker naming their kind before the agent sees them.
 *
 * Results are searched by SHAPE only: private key blocks, the token formats of SECRET_PATTERNS,
 * URL passwords, and the credentials the guard itself was given (ODOO_PASSWORD, ODOO_API_KEY).
 * Not by name: a result's field names are the server's schema (Odoo's `signature`, `session_id`,
 * `auth_…` fields), and hiding values by name would hide ordinary data.
 *
 * Every string is searched as its reader would see it: JSON's `\uXXXX` and `\/`, `\xNN` and HTML's
 * `&#NN;` escapes are decoded first (a secret cannot hide behind an escape inside a JSON text that
 * a tool returns as a string), and a long base64 run is decoded and searched too (an attachment's
 * data). The walk covers every string and every key of the answer: content, structuredContent,
 * resource text and blob, `_meta`, an `isError` result, a JSON-RPC error's message and data.
 * Linear in the answer's size: each rule is linear (timed in test/unit/secrets.test.ts), and the
 * walk visits each value once.
 */
import { PEM_BEGIN, SECRET_PATTERNS, TOKEN_HINT, URL_PASSWORD_RULE, setOwn, type SecretPattern } from './secrets';

export const SCAN_RESULTS_MODES = ['off', 'flag', 'redact'] as const;
/** `off`: results pass unread; `flag`: passed on as they came, findings audited; `redact`: findings replaced. */
export type ScanResultsMode = (typeof SCAN_RESULTS_MODES)[number];
export const DEFAULT_SCAN_RESULTS: ScanResultsMode = 'redact';

/** A credential the guard was given, searched for literally (see ownSecretsFromEnv). */
export interface OwnSecret {
  readonly kind: string;
  readonly value: string;
}

/**
 * Shorter credentials are not searched for: a 4-letter password would be found in ordinary words
 * and hide them. Documented in README (security model).
 */
export const MIN_OWN_SECRET_LENGTH = 6;

/** The guard's environment variables whose values it passes to the server as its credentials. */
export const OWN_SECRET_ENV: readonly string[] = ['ODOO_PASSWORD', 'ODOO_API_KEY'];

/** The Odoo password or API key the guard itself was given, when long enough to search for. */
export function ownSecretsFromEnv(env: Readonly<Record<string, string | undefined>>): OwnSecret[] {
  const values = new Set<string>();
  for (const name of OWN_SECRET_ENV) {
    const v = env[name];
    if (v !== undefined && v.length >= MIN_OWN_SECRET_LENGTH) values.add(v);
  }
  // Longest first: a password inside the API key does not leave the rest of the key readable.
  return [...values].sort((a, b) => b.length - a.length).map((value) => ({ kind: 'odoo-credential', value }));
}

/** What stands in for a secret of that kind in a redacted answer. */
export function secretMarker(kind: string): string {
  return `‹redacted ${kind}›`;
}

/** What a scan found: how many secrets, and their kinds (sorted, each once). Never the secrets. */
export interface SecretFindings {
  readonly count: number;
  readonly kinds: readonly string[];
}

/** The outcome of scanning one answer. `value` is the input itself when nothing was found or nothing is to change. */
export type ValueScan =
  | { readonly kind: 'clean' }
  | { readonly kind: 'found'; readonly findings: SecretFindings; readonly value: unknown }
  /** Nested deeper than the scan looks: the caller must not pass it on unread. */
  | { readonly kind: 'too-deep' };

/** Deeper than this the answer is not searched (and so, in redact and flag mode, not passed on). */
export const MAX_SCAN_DEPTH = 512;

class Tally {
  count = 0;
  readonly kinds = new Set<string>();
  add(kind: string): void {
    this.count++;
    this.kinds.add(kind);
  }
}

interface Scan {
  readonly own: readonly OwnSecret[];
  readonly tally: Tally;
}

class TooDeep extends Error {}

/**
 * Searches every string and key of `value`. With `redact`, a found secret is replaced by its
 * marker in a copy (only the strings and containers on the way to it are copied); without, the
 * value comes back as it is and only the findings tell.
 */
export function scanValue(value: unknown, own: readonly OwnSecret[], redact: boolean): ValueScan {
  const scan: Scan = { own, tally: new Tally() };
  let out: unknown;
  try {
    out = walk(value, 0, scan);
  } catch (e) {
    if (e instanceof TooDeep) return { kind: 'too-deep' };
    throw e;
  }
  if (scan.tally.count === 0) return { kind: 'clean' };
  return { kind: 'found', findings: { count: scan.tally.count, kinds: [...scan.tally.kinds].sort() }, value: redact ? out : value };
}

/** Returns the value with secrets replaced; the same reference when it holds none. */
function walk(v: unknown, depth: number, scan: Scan): unknown {
  if (typeof v === 'string') return scanString(v, scan);
  if (v === null || typeof v !== 'object') return v;
  if (depth >= MAX_SCAN_DEPTH) throw new TooDeep();
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const w = walk(v[i], depth + 1, scan);
      if (out === undefined && w !== v[i]) out = v.slice(0, i);
      out?.push(w);
    }
    return out ?? v;
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const key = scanString(k, scan);
    const w = walk(obj[k], depth + 1, scan);
    if (out === undefined && (key !== k || w !== obj[k])) {
      out = {};
      for (let j = 0; j < i; j++) setOwn(out, keys[j]!, obj[keys[j]!]);
    }
    if (out !== undefined) setOwn(out, key, w);
  }
  return out ?? v;
}

/**
 * The shortest string any rule can find something in: an own credential (6 characters); every
 * token shape is longer (a JWT at least 11).
 */
const MIN_SCANNED_LENGTH = MIN_OWN_SECRET_LENGTH;
const MIN_SHAPE_LENGTH = 11;

/** One string: the text with each secret replaced by its marker, or `s` itself when none was found. */
function scanString(s: string, scan: Scan): string {
  if (s.length < MIN_SCANNED_LENGTH) return s;
  const before = scan.tally.count;
  const view = mayHideBehindEscapes(s) ? unescapeForScan(s) : s;
  let out = scanText(view, scan);
  if (mayHoldBase64(out)) out = replaceBase64Secrets(out, scan);
  return scan.tally.count === before ? s : out;
}

function scanText(text: string, scan: Scan): string {
  let out = text;
  for (const { kind, value } of scan.own) if (out.includes(value)) out = replaceLiteral(out, value, kind, scan.tally);
  if (out.includes('-----BEGIN')) out = replacePrivateKeys(out, scan.tally);
  if (out.includes('://')) out = applyRule(out, URL_PASSWORD_RULE, scan.tally);
  if (out.length >= MIN_SHAPE_LENGTH && mayHoldTokenShape(out)) for (const rule of SECRET_PATTERNS) out = applyRule(out, rule, scan.tally);
  return out;
}

function replaceLiteral(text: string, value: string, kind: string, tally: Tally): string {
  let out = '';
  let copied = 0;
  for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + value.length)) {
    out += text.slice(copied, at) + secretMarker(kind);
    copied = at + value.length;
    tally.add(kind);
  }
  return out + text.slice(copied);
}

/** The BEGIN and END lines stay; the key between them goes (everything after BEGIN when there is no END). */
function replacePrivateKeys(text: string, tally: Tally): string {
  let out = '';
  let copied = 0;
  PEM_BEGIN.lastIndex = 0;
  for (let m = PEM_BEGIN.exec(text); m !== null; m = PEM_BEGIN.exec(text)) {
    const bodyStart = PEM_BEGIN.lastIndex;
    const end = text.indexOf('-----END', bodyStart);
    tally.add('private-key');
    out += `${text.slice(copied, bodyStart)}\n${secretMarker('private-key')}\n`;
    if (end === -1) return out;
    copied = end;
    PEM_BEGIN.lastIndex = end + 8;
  }
  return out + text.slice(copied);
}

function applyRule(text: string, { pattern, check, kind }: SecretPattern, tally: Tally): string {
  pattern.lastIndex = 0;
  return text.replace(pattern, (match: string, ...rest: unknown[]) => {
    const groups = rest[rest.length - 1] as Record<string, string | undefined> | undefined;
    const keep = (typeof groups === 'object' && groups?.['keep']) || '';
    if (check && !check(match.slice(keep.length))) return match;
    tally.add(kind);
    return keep + secretMarker(kind);
  });
}

// ---- the cheap first look -----------------------------------------------------------------------

/**
 * Characters a token of SECRET_PATTERNS is made of (with the `.` and `/` of a Slack webhook's path).
 * A JWT starts with `eyJ`; every other shape but the `Bearer`/`Token`/`Basic` ones is one unbroken
 * run of these, at least 15 long (`xoxb-` and 10 more), that contains a TOKEN_HINT literal. So only
 * such runs are given to TOKEN_HINT, and ordinary text (words, numbers, e-mail addresses) is passed
 * over in a loop that looks at one character in 15. TOKEN_HINT on the whole text costs several
 * times more: its many alternatives defeat V8's literal search.
 */
const TOKEN_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+/=~-') TOKEN_CHAR[c.charCodeAt(0)] = 1;
const MIN_TOKEN_RUN = 15;

function mayHoldTokenShape(text: string): boolean {
  // JWTs, and the auth-scheme shapes whose kept prefix ends in a space.
  if (
    text.includes('eyJ') ||
    text.includes('earer') ||
    text.includes('EARER') ||
    text.includes('oken') ||
    text.includes('OKEN') ||
    text.includes('Basic')
  )
    return TOKEN_HINT.test(text);
  for (let run = findRun(text, TOKEN_CHAR, MIN_TOKEN_RUN, 0); run !== undefined; run = findRun(text, TOKEN_CHAR, MIN_TOKEN_RUN, run[1])) {
    if (TOKEN_HINT.test(text.slice(run[0], run[1]))) return true;
  }
  return false;
}

/**
 * The first run of at least `min` characters of `table` at or after `from`, as `[start, end)`.
 * It looks at every `min`-th character only: a run that long must cover one of them, so text of
 * short words costs about length / min steps, and no character is looked at more than twice.
 */
export function findRun(text: string, table: Uint8Array, min: number, from: number): [number, number] | undefined {
  const inTable = (i: number): boolean => {
    const c = text.charCodeAt(i);
    return c < 128 && table[c] === 1;
  };
  let i = from + min - 1;
  while (i < text.length) {
    if (!inTable(i)) {
      i += min;
      continue;
    }
    let start = i;
    while (start > from && inTable(start - 1)) start--;
    let end = i + 1;
    while (end < text.length && inTable(end)) end++;
    if (end - start >= min) return [start, end];
    i = end + min;
  }
  return undefined;
}

// ---- escapes ----------------------------------------------------------------------------------

/** `\uXXXX`, `\xNN`, `\/` (JSON, JavaScript) and `&#NN;` / `&#xNN;` (HTML): each starts with a fixed character. */
const ESCAPE = /\\u([0-9A-Fa-f]{4})|\\x([0-9A-Fa-f]{2})|\\\/|&#(?:[xX]([0-9A-Fa-f]{1,6})|([0-9]{1,7}));?/g;

function mayHideBehindEscapes(s: string): boolean {
  return s.includes('\\') || s.includes('&#');
}

/** Escaped twice (`\\u0041`, `\u005Cu0041`) is decoded as often as it takes, up to 4 times. */
function unescapeForScan(s: string): string {
  let out = s;
  for (let pass = 0; pass < 4 && mayHideBehindEscapes(out); pass++) {
    ESCAPE.lastIndex = 0;
    const next = out.replace(ESCAPE, (m: string, u?: string, x?: string, hex?: string, dec?: string) => {
      if (m === '\\/') return '/';
      const code = parseInt(u ?? x ?? hex ?? dec!, u !== undefined || x !== undefined || hex !== undefined ? 16 : 10);
      return code <= 0x10ffff ? String.fromCodePoint(code) : m;
    });
    if (next === out) break;
    out = next;
  }
  return out;
}

// ---- base64 -----------------------------------------------------------------------------------

/**
 * A run of base64 long enough to hold a key or a token (an attachment's data, a resource blob). It
 * starts only where no base64 character precedes it, so a failed run is never retried from inside.
 */
const BASE64_RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/]{32,}={0,2}/g;
const MIN_BASE64_RUN = 32;
const BASE64_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_CHAR[c.charCodeAt(0)] = 1;

function mayHoldBase64(s: string): boolean {
  return s.length >= MIN_BASE64_RUN && findRun(s, BASE64_CHAR, MIN_BASE64_RUN, 0) !== undefined;
}

/** A base64 run whose decoded text holds a secret is replaced whole, by one marker per kind found. */
function replaceBase64Secrets(text: string, scan: Scan): string {
  BASE64_RUN.lastIndex = 0;
  return text.replace(BASE64_RUN, (run: string) => {
    const decoded = Buffer.from(run, 'base64').toString('latin1');
    const inner: Scan = { own: scan.own, tally: new Tally() };
    scanText(decoded, inner);
    if (inner.tally.count === 0) return run;
    for (const kind of inner.tally.kinds) scan.tally.add(kind);
    return [...inner.tally.kinds]
      .sort()
      .map((kind) => secretMarker(`${kind} in base64`))
      .join(' ');
  });
}
