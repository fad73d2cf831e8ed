/**
 * The one secret detector for everything the guard shows or logs: the audit log (with
 * --audit-include-args), the editor bridge (decision notices and approval texts), MCP
 * elicitation approvals and the guard's own log lines. One job, and long because most of it is
 * the rule lists themselves (names and token formats), which read best side by side.
 *
 * Two checks, both cheap enough for every decided call:
 * - by NAME (`isSecretName`): an argument whose name says it holds a secret is hidden whole;
 * - by SHAPE (`redactSecretsInText`): inside any other string, only the secret part is hidden
 *   (`name=value` / `name: value` pairs with a secret name, URL passwords, PEM private keys,
 *   well-known token formats), so the rest stays readable for the person who approves.
 *
 * Every pattern here is linear in its input: no nested quantifiers, and each one can only start
 * at the beginning of a run of its own characters (a lookbehind), so a failed attempt is never
 * repeated from every position of the same run. test/unit/secrets.test.ts times each on
 * adversarial 100 KB inputs.
 */
import { BoundedCache } from './util/bounded-cache';

export const REDACTED = '‹redacted›';

/** What stands for arrays and objects nested deeper than redactSecrets looks. */
export const TOO_DEEP = '‹nested too deep, not shown›';

const MAX_DEPTH = 32;

// ---- names ------------------------------------------------------------------------------------

/**
 * Stems that mark a name wherever they appear in its letters with the separators taken out
 * (`Pass-Word`, `client.secret`, `myApiKey`, `x_auth_token`). Only stems long or odd enough not
 * to occur inside ordinary words; short words are matched as whole words below.
 */
const STEMS: readonly string[] = [
  'passw', // password, passwd, passwort
  'passphrase',
  'passcode',
  'passkey',
  'secret', // client_secret, secretKey, … (also "secretary": accepted, too wide beats too narrow)
  'credential',
  'token', // access_token, refreshToken, tokens, … except counts, see COUNT_WORDS
  'cookie',
  'authorization',
  'authorisation',
  'bearer',
  'mnemonic',
  'jwt',
  'hmac',
  'totp',
  'hotp',
  'csrf',
  'xsrf',
  'apikey',
  'accesskey',
  'privatekey',
  'privkey',
  'signingkey',
  'encryptionkey',
  'masterkey',
  'sessionkey',
  'licensekey',
  'authkey',
  'sessionid',
  'sessid', // PHPSESSID
  'basicauth',
  'seedphrase',
  'recoveryphrase',
  'creditcard',
  'cardnumber',
];

/**
 * Whole words, or runs of up to three consecutive words read together (`mfa_code`, `pinCode`),
 * that mark a name anywhere in it. Whole words only, so `author`, `design`, `pinned`, `assault`
 * do not count.
 */
const WORDS: ReadonlySet<string> = new Set([
  'pwd',
  'pw',
  'passwd',
  'auth',
  'authn',
  'authz',
  'authentication',
  'otp',
  'mfa',
  '2fa',
  'tfa',
  'mfacode',
  'otpcode',
  'authcode',
  'pincode',
  'securitycode',
  'verificationcode',
  'recoverycode',
  'backupcode',
  'resetcode',
  'sid',
  'sig',
  'sigs',
  'signature',
  'signatures',
  'salt',
  'pepper',
  'seed',
  'ssn',
  'cvv',
  'cvc',
  'cardno',
  'cardnum',
  'ccnum',
  'ccnumber',
]);

/**
 * Words that mark a name only as its last word (trailing digits aside): `db_pass` but not
 * `pass_through`, `user_session` but not `session_timeout`, `pin` but not `pin_to_top`, and `key`
 * as a name or `*_key` / `*Key` but not `key_id`, `keyName`, `keys`.
 */
const LAST_WORDS: ReadonlySet<string> = new Set(['key', 'pass', 'pin', 'session']);

/** `*_key` names that are identifiers, not secrets: `public_key`, `primary_key`, `sort_key`, … */
const PUBLIC_KEY_QUALIFIERS: ReadonlySet<string> = new Set([
  'public',
  'pub',
  'primary',
  'foreign',
  'sort',
  'partition',
  'range',
  'idempotency',
  'cache',
  'dedup',
  'dedupe',
  'lookup',
  'group',
  'index',
  'unique',
  'natural',
  'composite',
  'routing',
  'shard',
  'sharding',
  'translation',
  'i18n',
  'hot',
  'shortcut',
  'object',
  'map',
  'dict',
  'row',
]);

/** With one of these, a token-named argument is a count (`max_tokens`, `token_count`), not a token. */
const COUNT_WORDS: ReadonlySet<string> = new Set([
  'max',
  'min',
  'num',
  'number',
  'count',
  'total',
  'limit',
  'used',
  'usage',
  'budget',
  'remaining',
  'estimated',
]);

/** Cyrillic, Greek and other letters that render like Latin ones (after NFKD and without marks). */
const CONFUSABLES: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a',
  в: 'b',
  е: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ѕ: 's',
  і: 'i',
  ј: 'j',
  һ: 'h',
  ӏ: 'l',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ѡ: 'w',
  ү: 'y',
  А: 'A',
  В: 'B',
  Е: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  У: 'Y',
  Х: 'X',
  Ѕ: 'S',
  І: 'I',
  Ј: 'J',
  Һ: 'H',
  Ӏ: 'I',
  Ԁ: 'D',
  Ԛ: 'Q',
  Ԝ: 'W',
  Ү: 'Y',
  // Greek
  α: 'a',
  β: 'b',
  γ: 'y',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  ϲ: 'c',
  ϳ: 'j',
  Α: 'A',
  Β: 'B',
  Ε: 'E',
  Ζ: 'Z',
  Η: 'H',
  Ι: 'I',
  Κ: 'K',
  Μ: 'M',
  Ν: 'N',
  Ο: 'O',
  Ρ: 'P',
  Τ: 'T',
  Υ: 'Y',
  Χ: 'X',
  Ϲ: 'C',
  // Latin small capitals and other look-alikes NFKD leaves alone
  ᴀ: 'a',
  ʙ: 'b',
  ᴄ: 'c',
  ᴅ: 'd',
  ᴇ: 'e',
  ɢ: 'g',
  ʜ: 'h',
  ɪ: 'i',
  ᴊ: 'j',
  ᴋ: 'k',
  ʟ: 'l',
  ᴍ: 'm',
  ɴ: 'n',
  ᴏ: 'o',
  ᴘ: 'p',
  ʀ: 'r',
  ꜱ: 's',
  ᴛ: 't',
  ᴜ: 'u',
  ᴠ: 'v',
  ᴡ: 'w',
  ʏ: 'y',
  ᴢ: 'z',
  ı: 'i',
  ȷ: 'j',
  ɡ: 'g',
  ɑ: 'a',
};

const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]+/gu;
const MARKS = /\p{M}+/gu;
const LOOK_ALIKE = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'gu');
const UPPER = /\p{Lu}/u;
const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

/** The name as Latin letters and digits: invisible characters out, compatibility forms folded, look-alikes mapped. */
function foldName(name: string): string {
  if (/^[\x00-\x7f]*$/.test(name)) return name;
  return name
    .replace(INVISIBLE, '')
    .normalize('NFKD')
    .replace(MARKS, '')
    .replace(LOOK_ALIKE, (ch) => CONFUSABLES[ch]!);
}

const OTHER = 0;
const LOWER = 1;
const UPPER_CASE = 2;
const NUMBER = 3;

function kindAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x80) {
    if (c >= 0x61 && c <= 0x7a) return LOWER;
    if (c >= 0x41 && c <= 0x5a) return UPPER_CASE;
    if (c >= 0x30 && c <= 0x39) return NUMBER;
    return OTHER;
  }
  const ch = String.fromCodePoint(s.codePointAt(i)!);
  if (UPPER.test(ch)) return UPPER_CASE;
  if (LETTER.test(ch)) return LOWER; // caseless scripts read as one lower-case word
  if (DIGIT.test(ch)) return NUMBER;
  return OTHER;
}

/** Lower-case words: split at separators, camelCase humps (`APIKey` → api, key) and letter/digit changes. */
function nameWords(name: string): string[] {
  const s = foldName(name);
  const words: string[] = [];
  let start = 0;
  let prev = OTHER;
  let i = 0;
  while (i < s.length) {
    const width = s.charCodeAt(i) >= 0xd800 && s.charCodeAt(i) <= 0xdbff ? 2 : 1;
    const kind = kindAt(s, i);
    if (kind === OTHER) {
      if (i > start) words.push(s.slice(start, i).toLowerCase());
      start = i + width;
    } else if (
      i > start &&
      ((kind === NUMBER) !== (prev === NUMBER) ||
        (kind === UPPER_CASE && prev === LOWER) ||
        (kind === UPPER_CASE && prev === UPPER_CASE && i + width < s.length && kindAt(s, i + width) === LOWER))
    ) {
      words.push(s.slice(start, i).toLowerCase());
      start = i;
    }
    prev = kind;
    i += width;
  }
  if (i > start) words.push(s.slice(start).toLowerCase());
  return words;
}

function computeIsSecretName(name: string): boolean {
  const words = nameWords(name);
  if (words.length === 0) return false;
  const joined = words.join('');
  for (const stem of STEMS) {
    if (!joined.includes(stem)) continue;
    if (stem === 'token' && words.some((w) => COUNT_WORDS.has(w))) continue;
    return true;
  }
  for (let i = 0; i < words.length; i++) {
    let run = '';
    for (let j = i; j < words.length && j < i + 3; j++) {
      run += words[j];
      if (WORDS.has(run)) return true;
    }
  }
  let last = words.length - 1;
  while (last > 0 && /^\d+$/.test(words[last]!)) last--;
  const lastWord = words[last]!;
  if (!LAST_WORDS.has(lastWord)) return false;
  return !(lastWord === 'key' && last > 0 && PUBLIC_KEY_QUALIFIERS.has(words[last - 1]!));
}

/**
 * Names come from tool schemas and agents, so the memo is bounded in characters: names over 64
 * characters are not kept, and the whole memo holds at most 16 K characters in 1024 names.
 */
const nameMemo = new BoundedCache<boolean>(1024, 64, 16 * 1024);

/** Whether an argument (or header, or query parameter) with this name holds a secret. */
export function isSecretName(name: string): boolean {
  return nameMemo.get(name) ?? nameMemo.set(name, computeIsSecretName(name));
}

// ---- text -------------------------------------------------------------------------------------

/**
 * Characters that end a name in text. A name may start only right after one of them, so the
 * search never retries from inside a word.
 */
const DELIMS = String.raw`\s"'\x60=:&?#,;(){}\[\]<>\\|`;

/**
 * `name=`, `name: `, `"name": `, `name => ` in free text, JSON, query strings and headers. Only
 * the name and separator are matched here; the value is read by hand, so a name that turns out
 * not to be secret costs nothing beyond its own characters.
 */
export const NAME_THEN_SEPARATOR = new RegExp(
  String.raw`(?<![^${DELIMS}])(?:\\?["'\x60])?([^${DELIMS}]{1,128})(?:\\?["'\x60])?[ \t]{0,4}(?:=>|:=|[:=：＝])`,
  'gu',
);

/** An HTTP auth scheme before a credential stays readable: `Authorization: Bearer ‹redacted›`. */
export const AUTH_SCHEME = /(?:Bearer|Basic|Token|Digest|Bot|OAuth|Api-?Key|JWT|Negotiate|NTLM|AWS4-HMAC-SHA256)[ \t]{1,4}/iy;

/** Where an unquoted value ends. */
const VALUE_END = /[\s"'\x60&,;<>)\]}]/;

/** `[start, end)` of the value after a separator at `from`, or undefined when there is none to hide. */
function valueSpan(text: string, from: number, toEndOfLine: boolean): [number, number] | undefined {
  let i = from;
  for (let n = 0; n < 4 && (text[i] === ' ' || text[i] === '\t'); n++) i++;
  let close: string | undefined;
  if (text[i] === '"' || text[i] === "'" || text[i] === '`') {
    close = text[i];
    i++;
  } else if (text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === "'")) {
    close = `\\${text[i + 1]}`;
    i += 2;
  }
  AUTH_SCHEME.lastIndex = i;
  if (AUTH_SCHEME.test(text)) i = AUTH_SCHEME.lastIndex;
  if (text.startsWith(REDACTED, i)) return undefined;
  let end = i;
  if (close !== undefined) {
    while (end < text.length && text[end] !== '\n' && !text.startsWith(close, end)) end += text[end] === '\\' && close.length === 1 ? 2 : 1;
    end = Math.min(end, text.length);
  } else {
    if (text[i] === '{' || text[i] === '[' || text[i] === '(') return undefined;
    if (toEndOfLine) {
      const nl = text.indexOf('\n', i);
      end = nl === -1 ? text.length : nl;
      if (text[end - 1] === '\r') end--;
    } else {
      while (end < text.length && !VALUE_END.test(text[end]!)) end++;
    }
  }
  return end > i ? [i, end] : undefined;
}

/** A header whose whole value is a credential (`Cookie: a=1; b=2`), not one token. */
function isWholeLineHeader(name: string): boolean {
  const joined = nameWords(name).join('');
  return joined === 'cookie' || joined === 'setcookie' || joined.endsWith('authorization');
}

function redactNamedValues(text: string): string {
  let out = '';
  let copied = 0;
  const re = NAME_THEN_SEPARATOR;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const name = m[1]!;
    if (!isSecretName(name)) continue;
    const span = valueSpan(text, re.lastIndex, isWholeLineHeader(name));
    if (span === undefined) continue;
    out += text.slice(copied, span[0]) + REDACTED;
    copied = span[1];
    re.lastIndex = span[1];
  }
  return copied === 0 ? text : out + text.slice(copied);
}

export const PEM_BEGIN = /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/g;

/** Keeps the BEGIN and END lines; without an END line everything after BEGIN is hidden. */
function redactPrivateKeys(text: string): string {
  let out = '';
  let copied = 0;
  PEM_BEGIN.lastIndex = 0;
  for (let m = PEM_BEGIN.exec(text); m !== null; m = PEM_BEGIN.exec(text)) {
    const bodyStart = PEM_BEGIN.lastIndex;
    const end = text.indexOf('-----END', bodyStart);
    out += `${text.slice(copied, bodyStart)}\n${REDACTED}\n`;
    if (end === -1) return out;
    copied = end;
    PEM_BEGIN.lastIndex = end + 8;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** One rule for a secret's shape: `keep` (named group, optional) stays, the rest of the match is hidden. */
export interface SecretPattern {
  /** The gitleaks rule id it follows, or a short description. */
  readonly id: string;
  /** What a secret of this shape is called where it is reported (result scanning, audit log): `aws-access-key`, `jwt`, … */
  readonly kind: string;
  /**
   * `run`: every match is one unbroken run of at least 15 of `A-Z a-z 0-9 _ . + / = ~ -`, so result
   * scanning (secret-spans.ts) tries it only on such runs; `text`: tried on the whole text.
   */
  readonly scope: 'run' | 'text';
  /** For scope `run`: literals one of which every match contains, so a run without any is not searched. */
  readonly hints?: readonly string[];
  readonly pattern: RegExp;
  /** Further test of the hidden part, for shapes that ordinary words can take. */
  readonly check?: (secret: string) => boolean;
}

const hasDigit = (s: string): boolean => /\d/.test(s);

function isBasicCredential(s: string): boolean {
  try {
    return /^[\x20-\x7e]+:[\x20-\x7e]*$/.test(atob(s));
  } catch {
    return false;
  }
}

/**
 * Well-known token formats, after gitleaks' default rules (github.com/gitleaks/gitleaks,
 * config/gitleaks.toml; the ids below are its rule names), loosened in length where a vendor
 * has changed it, plus `Bearer`/`Basic` credentials outside a header.
 */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  { id: 'jwt', kind: 'jwt', scope: 'text', pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g },
  {
    id: 'github-pat, github-oauth, github-app-token, github-refresh-token, github-fine-grained-pat',
    kind: 'github-token',
    scope: 'run',
    hints: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    pattern: /(?<![A-Za-z0-9_])(?<keep>gh[pousr]_|github_pat_)[A-Za-z0-9_]{20,}/g,
  },
  {
    id: 'gitlab-pat',
    kind: 'gitlab-token',
    scope: 'run',
    hints: ['glpat-'],
    pattern: /(?<![A-Za-z0-9_-])(?<keep>glpat-)[A-Za-z0-9_-]{20,}/g,
  },
  {
    id: 'aws-access-token',
    kind: 'aws-access-key',
    scope: 'run',
    hints: ['A3T', 'AKIA', 'ASIA', 'ABIA', 'ACCA'],
    pattern: /(?<![A-Za-z0-9])(?<keep>A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])/g,
  },
  {
    id: 'slack-bot-token, slack-user-token, slack-app-token, slack-legacy-token',
    kind: 'slack-token',
    scope: 'run',
    hints: ['xoxa-', 'xoxb-', 'xoxp-', 'xoxo-', 'xoxs-', 'xoxr-', 'xoxe-', 'xapp-'],
    pattern: /(?<![A-Za-z0-9])(?<keep>xox[abposre]-|xapp-)[A-Za-z0-9-]{10,}/g,
  },
  {
    id: 'slack-webhook-url',
    kind: 'slack-webhook',
    scope: 'run',
    hints: ['hooks.slack.com/'],
    pattern: /(?<keep>hooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9+/_-]{20,}/g,
  },
  {
    id: 'stripe-access-token',
    kind: 'stripe-key',
    scope: 'run',
    hints: ['sk_', 'rk_', 'whsec_'],
    pattern: /(?<![A-Za-z0-9])(?<keep>(?:sk|rk)_(?:test|live|prod)_|whsec_)[A-Za-z0-9]{10,}/g,
  },
  {
    id: 'gcp-api-key',
    kind: 'google-api-key',
    scope: 'run',
    hints: ['AIza'],
    pattern: /(?<![A-Za-z0-9_-])(?<keep>AIza)[A-Za-z0-9_-]{30,}/g,
  },
  {
    id: 'google oauth access token',
    kind: 'google-oauth-token',
    scope: 'run',
    hints: ['ya29.'],
    pattern: /(?<![A-Za-z0-9_-])(?<keep>ya29\.)[A-Za-z0-9_-]{20,}/g,
  },
  {
    id: 'openai-api-key, anthropic-api-key',
    kind: 'ai-api-key',
    scope: 'run',
    hints: ['sk-'],
    pattern: /(?<![A-Za-z0-9_-])(?<keep>sk-(?:proj-|svcacct-|admin-|ant-(?:api|admin)\d\d-)?)[A-Za-z0-9_-]{20,}/g,
    check: hasDigit,
  },
  {
    id: 'huggingface-access-token',
    kind: 'huggingface-token',
    scope: 'run',
    hints: ['hf_'],
    pattern: /(?<![A-Za-z0-9_])(?<keep>hf_)[A-Za-z]{30,}/g,
  },
  { id: 'npm-access-token', kind: 'npm-token', scope: 'run', hints: ['npm_'], pattern: /(?<![A-Za-z0-9_])(?<keep>npm_)[A-Za-z0-9]{36,}/g },
  {
    id: 'pypi-upload-token',
    kind: 'pypi-token',
    scope: 'run',
    hints: ['pypi-AgEIcHlwaS5vcmc'],
    pattern: /(?<![A-Za-z0-9_-])(?<keep>pypi-)AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}/g,
  },
  {
    id: 'sendgrid-api-token',
    kind: 'sendgrid-key',
    scope: 'run',
    hints: ['SG.'],
    pattern: /(?<![A-Za-z0-9_-])(?<keep>SG\.)[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}/g,
  },
  {
    id: 'shopify-access-token, shopify-custom-access-token, shopify-private-app-access-token, shopify-shared-secret',
    kind: 'shopify-token',
    scope: 'run',
    hints: ['shp'],
    pattern: /(?<![A-Za-z0-9_])(?<keep>shp(?:at|ca|pa|ss)_)[a-fA-F0-9]{32}/g,
  },
  {
    id: 'digitalocean-pat, digitalocean-access-token, digitalocean-refresh-token',
    kind: 'digitalocean-token',
    scope: 'run',
    hints: ['_v1_'],
    pattern: /(?<![A-Za-z0-9_])(?<keep>do[opr]_v1_)[a-f0-9]{64}/g,
  },
  {
    id: 'bearer token outside a header',
    kind: 'bearer-token',
    scope: 'text',
    pattern: /(?<![A-Za-z0-9_-])(?<keep>(?:Bearer|Token)[ \t]{1,4})[A-Za-z0-9._~+/=-]{8,}/gi,
    check: hasDigit,
  },
  {
    id: 'basic credentials outside a header',
    kind: 'basic-credentials',
    scope: 'text',
    pattern: /(?<![A-Za-z0-9_-])(?<keep>Basic[ \t]{1,4})[A-Za-z0-9+/]{8,}={0,2}/g,
    check: isBasicCredential,
  },
];

/** Cheap test that one of SECRET_PATTERNS may apply, so ordinary strings skip the rest. */
export const TOKEN_HINT =
  /eyJ|gh[pousr]_|github_pat_|glpat-|A3T|AKIA|ASIA|ABIA|ACCA|xox|xapp-|hooks\.slack|[sr]k_|whsec_|AIza|ya29\.|sk-|hf_|npm_|pypi-|SG\.|shp|do[opr]_v1_|[Bb][Ee][Aa][Rr][Ee][Rr]|[Tt][Oo][Kk][Ee][Nn]|Basic/;

/** `scheme://user:password@host`: the password goes, user and host stay. */
export const URL_PASSWORD = /(?<![A-Za-z0-9+.-])(?<keep>[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s/?#@:]{0,256}:)[^\s/?#]{1,256}(?=@)/g;
export const URL_PASSWORD_RULE: SecretPattern = { id: 'url password', kind: 'url-password', scope: 'text', pattern: URL_PASSWORD };

/** Every regular expression this module runs over text or names, for the linear-time test. */
export const ALL_PATTERNS: readonly { readonly id: string; readonly pattern: RegExp }[] = [
  { id: 'name then separator', pattern: NAME_THEN_SEPARATOR },
  { id: 'auth scheme', pattern: AUTH_SCHEME },
  { id: 'value end', pattern: VALUE_END },
  { id: 'PEM private key header', pattern: PEM_BEGIN },
  URL_PASSWORD_RULE,
  { id: 'token hint', pattern: TOKEN_HINT },
  { id: 'invisible characters in names', pattern: INVISIBLE },
  { id: 'combining marks in names', pattern: MARKS },
  ...SECRET_PATTERNS,
];

function applyPattern(text: string, { pattern, check }: SecretPattern): string {
  pattern.lastIndex = 0;
  return text.replace(pattern, (match: string, ...rest: unknown[]) => {
    const groups = rest[rest.length - 1] as Record<string, string | undefined> | undefined;
    const keep = (typeof groups === 'object' && groups?.['keep']) || '';
    const secret = match.slice(keep.length);
    if (check && !check(secret)) return match;
    return keep + REDACTED;
  });
}

/** The shortest text any rule can find something in (`pw=x`); longer ones needed for token shapes. */
const MIN_SHAPE_LENGTH = 13;

/**
 * The text with the secret parts replaced by ‹redacted› and the rest kept:
 * `postgres://user:‹redacted›@host/db`, `Authorization: Bearer ‹redacted›`,
 * `https://x/cb?access_token=‹redacted›&page=2`, `ghp_‹redacted›`.
 */
export function redactSecretsInText(text: string): string {
  const named = text.includes('=') || text.includes(':') || text.includes('：') || text.includes('＝');
  if (!named && text.length < MIN_SHAPE_LENGTH) return text;
  let out = text;
  if (out.includes('-----BEGIN')) out = redactPrivateKeys(out);
  if (out.includes('://')) out = applyPattern(out, URL_PASSWORD_RULE);
  if (named) out = redactNamedValues(out);
  if (out.length >= MIN_SHAPE_LENGTH && TOKEN_HINT.test(out)) {
    for (const p of SECRET_PATTERNS) out = applyPattern(out, p);
  }
  return out;
}

// ---- values -----------------------------------------------------------------------------------

/** Odoo domain operators: `[name, op, value]` with a secret name hides the value. */
const DOMAIN_OPERATORS: ReadonlySet<string> = new Set([
  '=',
  '!=',
  '<>',
  '==',
  '<',
  '>',
  '<=',
  '>=',
  '=?',
  'like',
  'ilike',
  'not like',
  'not ilike',
  '=like',
  '=ilike',
  'in',
  'not in',
  'child_of',
  'parent_of',
  'any',
  'not any',
]);

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactSecretsInText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) {
    if (
      value.length === 3 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      DOMAIN_OPERATORS.has(value[1]) &&
      isSecretName(value[0])
    ) {
      return [value[0], value[1], REDACTED];
    }
    return value.map((v) => redactValue(v, depth + 1));
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    setOwn(out, k, isSecretName(k) ? REDACTED : redactValue(v, depth + 1));
  }
  return out;
}

/** `out[key] = v`, except that a `__proto__` key (an own key after JSON.parse) stays a key, not the prototype. */
export function setOwn(out: Record<string, unknown>, key: string, v: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  else out[key] = v;
}

/**
 * A deep copy fit to show or log: values of secret-named keys replaced whole (whatever their
 * type), every other string through redactSecretsInText, `[name, op, value]` domain leaves on a
 * secret-named field with the value hidden. Arrays and objects nested deeper than 32 levels are
 * replaced as a whole (they are not searched, so they are not shown).
 */
export function redactSecrets(value: unknown): unknown {
  return redactValue(value, 0);
}
