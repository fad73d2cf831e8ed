/**
 * Where the secrets are in one text, by the rules of secrets.ts (one rule set for the audit log,
 * the approval dialog and results) plus the credentials the guard was given: spans with a kind,
 * sorted and never overlapping. Finding is kept apart from replacing so a secret found in a
 * decoded view (scan-view.ts) is replaced in the original text.
 *
 * Linear: each rule is linear (timed in test/unit/secrets.test.ts), the cheap first looks are one
 * loop or one indexOf each, and overlapping spans are merged in one sweep after a sort.
 */
import { PEM_BEGIN, SECRET_PATTERNS, URL_PASSWORD_RULE, type SecretPattern } from './secrets';

/** A credential the guard was given, searched for literally. */
export interface OwnSecret {
  readonly kind: string;
  readonly value: string;
}

/** `[start, end)` of a secret; `kinds` has more than one entry only where spans of several rules overlapped. */
export interface SecretSpan {
  readonly start: number;
  readonly end: number;
  readonly kinds: readonly string[];
  /** Set when the span is a base64 run whose decoded text holds the secrets. */
  readonly encoding?: 'base64';
}

/** The secrets in `text`, sorted by position, overlaps merged. */
export function findSecretSpans(text: string, own: readonly OwnSecret[]): SecretSpan[] {
  const found: SecretSpan[] = [];
  collect(text, own, found, true);
  return merge(found);
}

/** The shortest text an own credential can be found in; every token shape is longer (a JWT, 11). */
export const MIN_SECRET_LENGTH = 6;
const MIN_SHAPE_LENGTH = 11;

/** With `base64`, the long base64 runs are decoded and searched too (not in a decoded text: once is enough). */
function collect(text: string, own: readonly OwnSecret[], out: SecretSpan[], base64: boolean): void {
  for (const { kind, value } of own) {
    for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + value.length))
      out.push({ start: at, end: at + value.length, kinds: [kind] });
  }
  if (text.length < MIN_SHAPE_LENGTH) return;
  if (text.includes('-----BEGIN')) collectPrivateKeys(text, out);
  if (text.includes('://')) collectUrlPasswords(text, out);
  let authScheme: boolean | undefined;
  for (const rule of TEXT_RULES) {
    // Cheap first looks for the text-scope rules known here; any other is always tried.
    if (rule.kind === 'jwt' && !text.includes('eyJ')) continue;
    if (AUTH_SCHEME_KINDS.has(rule.kind) && !(authScheme ??= mayHoldAuthScheme(text))) continue;
    collectRule(text, rule, out, 0);
  }
  // Every other shape lies in one run of token characters: only runs with a hint of one are searched.
  for (let run = findRun(text, TOKEN_CHAR, MIN_TOKEN_RUN, 0); run !== undefined; run = findRun(text, TOKEN_CHAR, MIN_TOKEN_RUN, run[1])) {
    const word = text.slice(run[0], run[1]);
    // A rule whose every hint holds `_`, `-` or `.` cannot match a run without it: one look each
    // instead of a search for each hint (a long base64 run has none of `_`, `-`, `.`).
    let has = 0;
    for (let k = 0; k < HINT_MARKS.length; k++) if (word.includes(HINT_MARKS[k]!)) has |= 1 << k;
    for (const { rule, needs } of RUN_RULES)
      if ((needs & has) === needs && (rule.hints === undefined || rule.hints.some((h) => word.includes(h))))
        collectRule(word, rule, out, run[0]);
    // Every base64 run lies in one run of token characters: without `_ - . ~` and with `=` only at
    // its end, the run is one (the usual attachment), else the base64 runs in it are looked for.
    if (base64 && word.length >= MIN_BASE64_RUN) {
      const eq = word.indexOf('=');
      if (has === 0 && !word.includes('~') && (eq === -1 || isPadding(word, eq)))
        collectBase64Run(text, run[0], eq === -1 ? run[1] : run[0] + eq, own, out);
      else
        for (let b = findRun(word, BASE64_CHAR, MIN_BASE64_RUN, 0); b !== undefined; b = findRun(word, BASE64_CHAR, MIN_BASE64_RUN, b[1]))
          collectBase64Run(text, run[0] + b[0], run[0] + b[1], own, out);
    }
  }
}

/** Characters that many rules' hints hold; `needs` has bit k when every hint of the rule holds HINT_MARKS[k]. */
const HINT_MARKS = ['_', '-', '.'] as const;

function neededMarks(hints: readonly string[] | undefined): number {
  let needs = 0;
  if (hints !== undefined) for (let k = 0; k < HINT_MARKS.length; k++) if (hints.every((h) => h.includes(HINT_MARKS[k]!))) needs |= 1 << k;
  return needs;
}

/**
 * URL_PASSWORD tried only where a `://` is: a match's scheme is the whole run of scheme characters
 * before it (the rule's lookbehind), so a sticky copy is tried once there. Its user and password
 * stop at a `/`, so the attempts from one `://` end at the next: linear overall.
 */
function collectUrlPasswords(text: string, out: SecretSpan[]): void {
  for (let at = text.indexOf('://'); at !== -1; at = text.indexOf('://', at + 3)) {
    let start = at;
    while (start > 0 && at - start <= 32 && isSchemeChar(text.charCodeAt(start - 1))) start--;
    URL_PASSWORD_AT.lastIndex = start;
    const m = URL_PASSWORD_AT.exec(text);
    if (m === null) continue;
    const keep = m.groups?.['keep'] ?? '';
    const end = m.index + m[0].length;
    out.push({ start: m.index + keep.length, end, kinds: [URL_PASSWORD_RULE.kind] });
  }
}

const URL_PASSWORD_AT = new RegExp(URL_PASSWORD_RULE.pattern.source, 'y');

function isSchemeChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2e || c === 0x2d;
}

const RUN_RULES = SECRET_PATTERNS.filter((p) => p.scope === 'run').map((rule) => ({ rule, needs: neededMarks(rule.hints) }));
const TEXT_RULES = SECRET_PATTERNS.filter((p) => p.scope === 'text');
/** A credential after `Bearer `, `Token `, `Basic `: only where one of those words is. */
const AUTH_SCHEME_KINDS: ReadonlySet<string> = new Set(['bearer-token', 'basic-credentials']);

/** The bearer rule ignores case (`BeArEr x` is as good to an HTTP server), so its pre-check must too. */
const AUTH_WORD = /bearer|token/i;

function mayHoldAuthScheme(text: string): boolean {
  return text.includes('Basic') || AUTH_WORD.test(text);
}

/** The BEGIN and END lines stay readable; the key between them goes (everything after BEGIN when there is no END). */
function collectPrivateKeys(text: string, out: SecretSpan[]): void {
  PEM_BEGIN.lastIndex = 0;
  for (let m = PEM_BEGIN.exec(text); m !== null; m = PEM_BEGIN.exec(text)) {
    const bodyStart = PEM_BEGIN.lastIndex;
    const end = text.indexOf('-----END', bodyStart);
    out.push({ start: bodyStart, end: end === -1 ? text.length : end, kinds: ['private-key'] });
    if (end === -1) return;
    PEM_BEGIN.lastIndex = end + 8;
  }
}

/** The rule's `keep` group (a token's prefix, an auth scheme) stays readable; the rest is the secret. `text` starts at `offset`. */
function collectRule(text: string, { pattern, check, kind }: SecretPattern, out: SecretSpan[], offset: number): void {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const keep = m.groups?.['keep'] ?? '';
    const start = m.index + keep.length;
    const end = m.index + m[0].length;
    if (end > start && (!check || check(text.slice(start, end)))) out.push({ start: offset + start, end: offset + end, kinds: [kind] });
    if (m[0].length === 0) pattern.lastIndex++;
  }
}

function merge(spans: SecretSpan[]): SecretSpan[] {
  if (spans.length <= 1) return spans;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: SecretSpan[] = [];
  let last: { start: number; end: number; kinds: string[]; encoding?: 'base64' } | undefined;
  for (const s of spans) {
    if (last !== undefined && s.start < last.end) {
      last.end = Math.max(last.end, s.end);
      for (const k of s.kinds) if (!last.kinds.includes(k)) last.kinds.push(k);
      continue;
    }
    last = { start: s.start, end: s.end, kinds: [...s.kinds], ...(s.encoding ? { encoding: s.encoding } : {}) };
    out.push(last);
  }
  return out;
}

// ---- the cheap first look -----------------------------------------------------------------------

/**
 * Characters a token of SECRET_PATTERNS is made of (with the `.` and `/` of a Slack webhook's path).
 * A rule of scope `run` only matches inside one unbroken run of these, at least 15 long (`xoxb-`
 * and 10 more), that contains one of the rule's `hints`. So a rule is tried only on such runs, and
 * ordinary text (words, numbers, e-mail addresses) is passed over in a loop that looks at one
 * character in 15. The rules on the whole text cost several times more, and so does TOKEN_HINT
 * (its many alternatives defeat V8's literal search; `includes` does not).
 */
const TOKEN_CHAR = runChars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.+/=~-');
const MIN_TOKEN_RUN = 15;

/**
 * The first run of at least `min` characters of `table` at or after `from`, as `[start, end)`.
 * It looks at every `min`-th character only: a run that long must cover one of them, so text of
 * short words costs about length / min steps, and no character is looked at more than twice.
 */
export function findRun(text: string, chars: RunChars, min: number, from: number): [number, number] | undefined {
  const { table, rest } = chars;
  let i = from + min - 1;
  while (i < text.length) {
    if (!inTable(text, table, i)) {
      i += min;
      continue;
    }
    let start = i;
    while (start > from && inTable(text, table, start - 1)) start--;
    let end = i + 1;
    while (end < text.length && end - i < 64 && inTable(text, table, end)) end++;
    if (end - i === 64) {
      // A long run (base64 data): a sticky regular expression's character class loop is several times faster.
      rest.lastIndex = end;
      rest.test(text);
      end = rest.lastIndex;
    }
    if (end - start >= min) return [start, end];
    i = end + min;
  }
  return undefined;
}

/** A set of ASCII characters: a table for single looks, a sticky pattern for the rest of a run. */
export interface RunChars {
  readonly table: Uint8Array;
  readonly rest: RegExp;
}

function runChars(chars: string): RunChars {
  const table = new Uint8Array(128);
  for (const c of chars) table[c.charCodeAt(0)] = 1;
  const escaped = chars.replace(/[\\\]^-]/g, '\\$&');
  return { table, rest: new RegExp(`[${escaped}]*`, 'y') };
}

// Top level, not a closure in findRun: the bundles keep function names, which costs a call per closure made.
function inTable(text: string, table: Uint8Array, i: number): boolean {
  const c = text.charCodeAt(i);
  return c < 128 && table[c] === 1;
}

// ---- base64 -----------------------------------------------------------------------------------

/** Long enough to hold a key or a token (an attachment's data, a resource blob). */
const MIN_BASE64_RUN = 32;
const BASE64_CHAR = runChars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');

function isPadding(word: string, from: number): boolean {
  for (let i = from; i < word.length; i++) if (word.charCodeAt(i) !== 0x3d) return false;
  return true;
}

/** A base64 run (`[start, end)` of `text`) whose decoded text holds a secret is a secret as a whole (its padding too). */
function collectBase64Run(text: string, start: number, end: number, own: readonly OwnSecret[], out: SecretSpan[]): void {
  if (end - start < MIN_BASE64_RUN) return;
  const decoded = Buffer.from(text.slice(start, end), 'base64').toString('latin1');
  const inner: SecretSpan[] = [];
  collect(decoded, own, inner, false);
  if (inner.length === 0) return;
  let to = end;
  while (to < text.length && to < end + 2 && text[to] === '=') to++;
  out.push({ start, end: to, kinds: [...new Set(inner.flatMap((s) => s.kinds))].sort(), encoding: 'base64' });
}
