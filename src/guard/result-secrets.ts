/**
 * Secrets in what the server answers (tool results, resource contents), found by secret-spans.ts
 * (the rules of secrets.ts: one rule set for the audit log, the approval dialog and results) and,
 * in `redact` mode, replaced by a marker naming their kind before the agent sees them.
 *
 * Results are searched by SHAPE only: private key blocks, the token formats of SECRET_PATTERNS,
 * URL passwords, and the credentials the guard itself was given (ODOO_PASSWORD, ODOO_API_KEY).
 * Not by name: a result's field names are the server's schema (Odoo's `signature`, `session_id`,
 * `auth_…` fields), and hiding values by name would hide ordinary data.
 *
 * Every string is searched as its reader would see it (escapes decoded, scan-view.ts; long base64
 * runs decoded, secret-spans.ts), and every string and key of the answer is searched: content,
 * structuredContent, resource text and blob, `_meta`, an `isError` result, a JSON-RPC error's
 * message and data. Linear in the answer's size; the walk visits each value once.
 */
import { mayHideBehindEscapes, scanView } from './scan-view';
import { findSecretSpans, MIN_SECRET_LENGTH, type OwnSecret, type SecretSpan } from './secret-spans';
import { setOwn } from './secrets';

export type { OwnSecret } from './secret-spans';

export const SCAN_RESULTS_MODES = ['off', 'flag', 'redact'] as const;
/** `off`: results pass unread; `flag`: passed on as they came, findings audited; `redact`: findings replaced. */
export type ScanResultsMode = (typeof SCAN_RESULTS_MODES)[number];
export const DEFAULT_SCAN_RESULTS: ScanResultsMode = 'redact';

/**
 * Shorter credentials are not searched for: a 4-letter password would be found in ordinary words
 * and hide them. Documented in README (security model).
 */
export const MIN_OWN_SECRET_LENGTH = MIN_SECRET_LENGTH;

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

/** Headers whose values are credentials: `Authorization`, `Cookie`, and any name with key, token, secret, auth or password in it. */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|key|token|secret|auth|passw/i;

/**
 * The credentials the guard sends an HTTP upstream (`--upstream-header`): an answer that repeats one is
 * searched for it like the Odoo password. Both the whole value and, for `Scheme token`, the token alone.
 */
export function ownSecretsFromHeaders(headers: Readonly<Record<string, string>>): OwnSecret[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    if (!CREDENTIAL_HEADER.test(name)) continue;
    const token = /^\S+\s+(\S+)$/.exec(value)?.[1];
    for (const v of [value, token]) if (v !== undefined && v.length >= MIN_OWN_SECRET_LENGTH) values.add(v);
  }
  return [...values].sort((a, b) => b.length - a.length).map((value) => ({ kind: 'upstream-credential', value }));
}

/** What stands in for a secret of that kind (those kinds, where rules overlapped) in a redacted answer. */
export function secretMarker(kind: string | readonly string[], encoding?: 'base64'): string {
  return `‹redacted ${typeof kind === 'string' ? kind : kind.join(', ')}${encoding ? ` in ${encoding}` : ''}›`;
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
  /** Secrets found (overlapping finds of several rules count once). */
  count = 0;
  readonly kinds = new Set<string>();
  add(kind: string): void {
    this.kinds.add(kind);
  }
}

interface Scan {
  readonly own: readonly OwnSecret[];
  readonly tally: Tally;
  /**
   * By index (in walk order, strings of MIN_SECRET_LENGTH or more), the strings the joined search
   * found something in: with their spans (in the string's view) when all lay inside it, else
   * `undefined` (a span crossed into the next string: that string is searched again on its own).
   */
  readonly suspects: ReadonlyMap<number, SecretSpan[] | undefined>;
  readonly escapes: boolean;
  /** The walk's position in that order. */
  next: number;
}

class TooDeep extends Error {}

/**
 * Searches every string and key of `value`. With `redact`, a found secret is replaced by its
 * marker in a copy (only the strings and containers on the way to it are copied); without, the
 * value comes back as it is and only the findings tell.
 */
export function scanValue(value: unknown, own: readonly OwnSecret[], redact: boolean, escapes = true): ValueScan {
  let out: unknown;
  const tally = new Tally();
  try {
    // One search over all the strings at once, instead of one per string (whose fixed cost
    // dominated record lists). Joined by newlines, no rule finds less than in the strings one
    // by one (a newline is no token character and ends every shape), only possibly more (a
    // match across two strings); so the strings it finds nothing in hold no secret, and only
    // the others are replaced by the walk, with the spans the joined search found in them.
    const texts: string[] = [];
    gather(value, 0, texts, escapes);
    const suspects = suspectStrings(texts, own);
    if (suspects.size === 0) return { kind: 'clean' };
    out = walk(value, 0, { own, tally, suspects, escapes, next: 0 });
  } catch (e) {
    if (e instanceof TooDeep) return { kind: 'too-deep' };
    throw e;
  }
  if (tally.count === 0) return { kind: 'clean' };
  return { kind: 'found', findings: { count: tally.count, kinds: [...tally.kinds].sort() }, value: redact ? out : value };
}

/** Strings this long or longer are searched one by one, the others all at once (joined by newlines). */
const SEARCHED_ALONE = 4096;

/** Which of `texts` the search of all of them joined found something in, and where (see Scan.suspects). */
function suspectStrings(all: readonly string[], own: readonly OwnSecret[]): Map<number, SecretSpan[] | undefined> {
  const suspects = new Map<number, SecretSpan[] | undefined>();
  // A long string is searched on its own: joining would only copy it.
  const short: string[] = [];
  const shortIndex: number[] = [];
  for (let i = 0; i < all.length; i++) {
    const t = all[i]!;
    if (t.length < SEARCHED_ALONE) {
      short.push(t);
      shortIndex.push(i);
      continue;
    }
    const alone = findSecretSpans(t, own);
    if (alone.length > 0) suspects.set(i, alone);
  }
  const texts = short;
  const spans = findSecretSpans(texts.join('\n'), own);
  if (spans.length === 0) return suspects;
  const starts: number[] = [];
  let at = 0;
  for (const t of texts) {
    starts.push(at);
    at += t.length + 1;
  }
  const textAt = (offset: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  for (const span of spans) {
    const first = textAt(span.start);
    const last = textAt(Math.max(span.start, span.end - 1));
    if (first === last && span.end <= starts[first]! + texts[first]!.length) {
      const index = shortIndex[first]!;
      if (suspects.has(index) && suspects.get(index) === undefined) continue;
      const base = starts[first]!;
      const inside: SecretSpan = { ...span, start: span.start - base, end: span.end - base };
      const list = suspects.get(index);
      if (list === undefined) suspects.set(index, [inside]);
      else list.push(inside);
      continue;
    }
    for (let i = first; i <= last; i++) suspects.set(shortIndex[i]!, undefined);
  }
  return suspects;
}

/**
 * Every string and key of `value`, as its reader would see it (escapes decoded, when `escapes`
 * says the answer's line may hold any). Throws TooDeep as `walk` does.
 */
function gather(v: unknown, depth: number, out: string[], escapes: boolean): void {
  if (typeof v === 'string') {
    if (v.length >= MIN_SECRET_LENGTH) out.push(escapes && mayHideBehindEscapes(v) ? scanView(v).text : v);
    return;
  }
  if (v === null || typeof v !== 'object') return;
  if (depth >= MAX_SCAN_DEPTH) throw new TooDeep();
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) gather(v[i], depth + 1, out, escapes);
    return;
  }
  const obj = v as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    gather(k, depth + 1, out, escapes);
    gather(obj[k], depth + 1, out, escapes);
  }
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

/** One string: with each secret replaced by its marker (found in its decoded view, replaced in it), or `s` itself. */
function scanString(s: string, scan: Scan): string {
  if (s.length < MIN_SECRET_LENGTH) return s;
  const index = scan.next++;
  if (!scan.suspects.has(index)) return s;
  // The view gather searched: spans found in it map back through it.
  const view = scan.escapes && mayHideBehindEscapes(s) ? scanView(s) : { text: s, toOriginal: (i: number) => i };
  const spans = scan.suspects.get(index) ?? findSecretSpans(view.text, scan.own);
  if (spans.length === 0) return s;
  for (const span of spans) for (const kind of span.kinds) scan.tally.add(kind);
  scan.tally.count += spans.length;
  return replaceSpans(s, spans, view.toOriginal);
}

function replaceSpans(s: string, spans: readonly SecretSpan[], toOriginal: (i: number) => number): string {
  let out = '';
  let copied = 0;
  for (const { start, end, kinds, encoding } of spans) {
    const from = toOriginal(start);
    out += s.slice(copied, from) + secretMarker(kinds, encoding);
    copied = Math.max(from, toOriginal(end));
  }
  return out + s.slice(copied);
}
