/**
 * Regular expressions of `regex` conditions, matched in linear time.
 *
 * Why: the argument a condition tests comes from the agent. With V8's backtracking engine a pattern
 * such as `^([a-z_]+\.?)+$` and a 40-character argument would take hours (the time doubles with each
 * character), during which the guard answered nothing (and ignored SIGTERM). RE2 semantics
 * guarantee time linear in the input; RE2JS is RE2 in plain JavaScript (no native addon: the guard
 * is one esbuild bundle and also runs in VS Code's extension host). One job (the translation from
 * JavaScript's syntax), a little over 500 lines because it is a small tokeniser.
 *
 * The policy language keeps JavaScript's syntax and meaning (Unicode mode, unanchored unless `^…$`):
 * a pattern is first checked by `new RegExp(p, 'u')` (so syntax errors read as before), then
 * translated here, token by token, into RE2 syntax with the same meaning. Where RE2 and JavaScript
 * differ the translation spells out JavaScript's meaning: `.` excludes `\r`, U+2028 and U+2029 as
 * well as `\n`; `\s` is JavaScript's white space and line terminators (RE2's has no `\v`, U+00A0...);
 * `\d`, `\w` are ASCII in both; literals become `\x{…}`. What needs backtracking (lookahead,
 * lookbehind, backreferences) has no linear-time equivalent and is refused with a message saying so.
 * Known differences: `\p{…}` uses RE2JS's Unicode tables, whose Unicode version may differ from
 * V8's; V8 (against the spec) also tries an empty match between the halves of a surrogate pair, so
 * `/\B/u.test('a😀a')` was true and is now false.
 */
import type { RE2JS as RE2JSType } from 're2js';

// Loaded on first use: a guard whose policy has no regex condition never evaluates the engine
// (about 1.4 MB less resident memory, measured).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const re2 = (): typeof RE2JSType => (require('re2js') as { RE2JS: typeof RE2JSType }).RE2JS;

/** A compiled condition regex: a stateless, unanchored test, safe to share across calls. */
export interface LinearRegex {
  test(input: string): boolean;
}

/** Why a pattern cannot be used: `syntax` (not a JavaScript regex at all) or `unsupported` (needs backtracking or RE2 refuses it). */
export class RegexError extends Error {
  constructor(
    message: string,
    readonly kind: 'syntax' | 'unsupported',
  ) {
    super(message);
  }
}

/** RE2's limit on `{n,m}` counts. */
const MAX_REPEAT = 1000;

function unsupported(construct: string, what: string, rewrite = 'rewrite without it'): RegexError {
  return new RegexError(
    `regex uses ${what} \`${construct}\`, which MCP Guard does not support: conditions are matched in linear time (RE2 syntax); ${rewrite}`,
    'unsupported',
  );
}

// ── code point sets, for the classes whose meaning RE2 does not share ──

type Ranges = readonly (readonly [number, number])[];

const MAX_CODE_POINT = 0x10ffff;
/** JavaScript's `\s`: WhiteSpace and LineTerminator. */
const JS_SPACE: Ranges = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];
const DIGIT: Ranges = [[0x30, 0x39]];
const WORD: Ranges = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
/** What `.` does not match in JavaScript (without the `s` flag): the line terminators. */
const LINE_TERMINATORS: Ranges = [
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
];

function complement(set: Ranges): Ranges {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

/** A code point as RE2 reads it literally anywhere (in or out of a class): letters and digits as is, the rest escaped. */
function literal(cp: number): string {
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x5f) return String.fromCharCode(cp);
  return `\\x{${cp.toString(16)}}`;
}

function rangesBody(set: Ranges): string {
  return set.map(([lo, hi]) => (lo === hi ? literal(lo) : `${literal(lo)}-${literal(hi)}`)).join('');
}

/** A set as a class item list (inside `[...]`); an empty set matches nothing and contributes nothing. */
function classOf(set: Ranges): string {
  return set.length === 0 ? `[^${rangesBody([[0, MAX_CODE_POINT]])}]` : `[${rangesBody(set)}]`;
}

const CLASS_ESCAPES: Readonly<Record<string, Ranges>> = {
  d: DIGIT,
  D: complement(DIGIT),
  s: JS_SPACE,
  S: complement(JS_SPACE),
  w: WORD,
  W: complement(WORD),
};

// ── Unicode properties: JavaScript's names to RE2JS's ──

/** General_Category long names (and the aliases JavaScript accepts) to the short ones RE2 knows. */
const GENERAL_CATEGORY: Readonly<Record<string, string>> = {
  Other: 'C',
  Control: 'Cc',
  cntrl: 'Cc',
  Format: 'Cf',
  Unassigned: 'Cn',
  Private_Use: 'Co',
  Surrogate: 'Cs',
  Letter: 'L',
  Cased_Letter: 'LC',
  Lowercase_Letter: 'Ll',
  Modifier_Letter: 'Lm',
  Other_Letter: 'Lo',
  Titlecase_Letter: 'Lt',
  Uppercase_Letter: 'Lu',
  Mark: 'M',
  Combining_Mark: 'M',
  Spacing_Mark: 'Mc',
  Enclosing_Mark: 'Me',
  Nonspacing_Mark: 'Mn',
  Number: 'N',
  Decimal_Number: 'Nd',
  digit: 'Nd',
  Letter_Number: 'Nl',
  Other_Number: 'No',
  Punctuation: 'P',
  punct: 'P',
  Connector_Punctuation: 'Pc',
  Dash_Punctuation: 'Pd',
  Close_Punctuation: 'Pe',
  Final_Punctuation: 'Pf',
  Initial_Punctuation: 'Pi',
  Other_Punctuation: 'Po',
  Open_Punctuation: 'Ps',
  Symbol: 'S',
  Currency_Symbol: 'Sc',
  Modifier_Symbol: 'Sk',
  Math_Symbol: 'Sm',
  Other_Symbol: 'So',
  Separator: 'Z',
  Line_Separator: 'Zl',
  Paragraph_Separator: 'Zp',
  Space_Separator: 'Zs',
};
const SHORT_CATEGORIES = new Set(Object.values(GENERAL_CATEGORY));

const propertyMemo = new Map<string, boolean>();

/** Whether RE2JS knows `\p{name}`. */
function re2HasProperty(name: string): boolean {
  let ok = propertyMemo.get(name);
  if (ok === undefined) {
    try {
      re2().compile(`\\p{${name}}`);
      ok = true;
    } catch {
      ok = false;
    }
    propertyMemo.set(name, ok);
  }
  return ok;
}

/**
 * `\p{…}` / `\P{…}` as RE2 writes it. JavaScript (Unicode mode) has three forms: a General_Category
 * value, a binary property, or `Script=` / `Script_Extensions=` with a value; `new RegExp` has
 * already refused any other name.
 */
function property(negated: boolean, body: string, written: string): string {
  const eq = body.indexOf('=');
  let name: string;
  if (eq >= 0) {
    const key = body.slice(0, eq);
    const value = body.slice(eq + 1);
    if (key === 'General_Category' || key === 'gc') name = GENERAL_CATEGORY[value] ?? value;
    else if (key === 'Script' || key === 'sc') {
      // RE2 knows scripts by their long names only (Greek, not Grek), and has no General_Category of that name.
      if (!re2HasProperty(value) || SHORT_CATEGORIES.has(value))
        throw unsupported(written, 'the Unicode script', "write the script's long name, e.g. \\p{Script=Greek}");
      name = value;
    } else throw unsupported(written, 'the Unicode property', 'RE2 has Script but not Script_Extensions; use \\p{Script=…}');
  } else if (body === 'ASCII') name = 'Ascii';
  else name = GENERAL_CATEGORY[body] ?? body;
  // A bare name RE2 reads as a script would mean something else: JavaScript never reads it so, and
  // `new RegExp` has refused bare script names already. So only categories and binary properties reach here.
  if (!re2HasProperty(name))
    throw unsupported(
      written,
      'the Unicode property',
      'RE2 does not have it; use a general category such as \\p{L} or a script such as \\p{Script=Latin}',
    );
  return `\\${negated ? 'P' : 'p'}{${name}}`;
}

// ── the translation ──

const SYNTAX_CHARACTERS = '^$\\.*+?()[]{}|/';

class Translator {
  private i = 0;

  constructor(private readonly src: string) {}

  run(): string {
    const out = this.disjunction();
    if (this.i < this.src.length) throw this.fail();
    return out;
  }

  private fail(): RegexError {
    // `new RegExp` accepted the pattern, so this is a construct the translation does not know.
    return new RegexError(
      `regex ${JSON.stringify(this.src)} uses syntax MCP Guard cannot match in linear time (near position ${this.i})`,
      'unsupported',
    );
  }

  private peek(offset = 0): string {
    return this.src[this.i + offset] ?? '';
  }

  private startsWith(s: string): boolean {
    return this.src.startsWith(s, this.i);
  }

  /** The next code point of the pattern (a surrogate pair is one, as in Unicode mode). */
  private codePoint(): number {
    const cp = this.src.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    return cp;
  }

  private disjunction(): string {
    let out = this.alternative();
    while (this.peek() === '|') {
      this.i++;
      out += `|${this.alternative()}`;
    }
    return out;
  }

  private alternative(): string {
    let out = '';
    while (this.i < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.term();
      out += atom + this.quantifier();
    }
    return out;
  }

  private quantifier(): string {
    const c = this.peek();
    let q: string;
    if (c === '*' || c === '+' || c === '?') {
      this.i++;
      q = c;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) throw this.fail();
      this.i += m[0].length;
      const lo = Number(m[1]);
      const hi = m[3] === undefined || m[3] === '' ? undefined : Number(m[3]);
      if (lo > MAX_REPEAT || (hi !== undefined && hi > MAX_REPEAT)) {
        throw unsupported(m[0], 'the repeat count', `RE2 repeats at most ${MAX_REPEAT} times; use a smaller count or *`);
      }
      q = `{${lo}${m[2] === undefined ? '' : `,${hi ?? ''}`}}`;
    } else return '';
    if (this.peek() === '?') {
      this.i++;
      q += '?';
    }
    return q;
  }

  private term(): string {
    const c = this.peek();
    switch (c) {
      case '^':
      case '$':
        // Without the m flag, both JavaScript and RE2 anchor at the very start and end of the text.
        this.i++;
        return c;
      case '.':
        this.i++;
        return classOf(complement(LINE_TERMINATORS));
      case '(':
        return this.group();
      case '[':
        return this.characterClass();
      case '\\':
        return this.atomEscape();
      default:
        return literal(this.codePoint());
    }
  }

  private group(): string {
    this.i++; // (
    if (this.startsWith('?=')) throw unsupported('(?=', 'a lookahead');
    if (this.startsWith('?!')) throw unsupported('(?!', 'a negative lookahead');
    if (this.startsWith('?<=')) throw unsupported('(?<=', 'a lookbehind');
    if (this.startsWith('?<!')) throw unsupported('(?<!', 'a negative lookbehind');
    if (this.startsWith('?:')) this.i += 2;
    else if (this.startsWith('?<')) {
      const end = this.src.indexOf('>', this.i);
      if (end < 0) throw this.fail();
      this.i = end + 1;
    } else if (this.peek() === '?') {
      // Modifiers such as `(?i:…)`: newer V8s accept them, the Node versions the guard supports do not.
      const m = /^\?[a-z-]*:?/.exec(this.src.slice(this.i));
      throw unsupported(`(${m?.[0] ?? '?'}`, 'the modifier group', 'write the cases out, e.g. [Rr]es instead of (?i:res)');
    }
    // Captures play no part in a yes/no test: every group is a plain group for RE2.
    const inner = this.disjunction();
    if (this.peek() !== ')') throw this.fail();
    this.i++;
    return `(?:${inner})`;
  }

  private atomEscape(): string {
    this.i++; // backslash
    const c = this.peek();
    if (c === 'b' || c === 'B') {
      // ASCII word boundaries in both (JavaScript's \w is ASCII without the i flag).
      this.i++;
      return `\\${c}`;
    }
    if (/[1-9]/.test(c)) {
      const m = /^\d+/.exec(this.src.slice(this.i))!;
      throw unsupported(`\\${m[0]}`, 'the backreference', 'rewrite without it (a backreference needs backtracking)');
    }
    if (c === 'k') {
      const end = this.src.indexOf('>', this.i);
      throw unsupported(
        this.src.slice(this.i - 1, end < 0 ? this.i + 1 : end + 1),
        'the backreference',
        'rewrite without it (a backreference needs backtracking)',
      );
    }
    const set = this.classEscape();
    if (set !== undefined) return `[${set}]`;
    return literal(this.characterEscape());
  }

  /** `\d \D \s \S \w \W \p{…} \P{…}` after the backslash, as class items; undefined when it is none of those. */
  private classEscape(): string | undefined {
    const c = this.peek();
    const set = CLASS_ESCAPES[c];
    if (set !== undefined) {
      this.i++;
      return rangesBody(set);
    }
    if (c === 'p' || c === 'P') {
      const end = this.src.indexOf('}', this.i);
      if (this.peek(1) !== '{' || end < 0) throw this.fail();
      const body = this.src.slice(this.i + 2, end);
      const written = this.src.slice(this.i - 1, end + 1);
      this.i = end + 1;
      return property(c === 'P', body, written);
    }
    return undefined;
  }

  /** A CharacterEscape after the backslash (Unicode mode): its code point. */
  private characterEscape(inClass = false): number {
    const c = this.peek();
    const simple: Record<string, number> = { f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b };
    if (simple[c] !== undefined) {
      this.i++;
      return simple[c]!;
    }
    if (c === 'c') {
      const letter = this.src.charCodeAt(this.i + 1);
      this.i += 2;
      return letter % 32;
    }
    if (c === '0') {
      this.i++;
      return 0;
    }
    if (c === 'x') {
      const hex = this.src.slice(this.i + 1, this.i + 3);
      this.i += 3;
      return parseInt(hex, 16);
    }
    if (c === 'u') {
      if (this.peek(1) === '{') {
        const end = this.src.indexOf('}', this.i);
        const cp = parseInt(this.src.slice(this.i + 2, end), 16);
        this.i = end + 1;
        return cp;
      }
      const unit = parseInt(this.src.slice(this.i + 1, this.i + 5), 16);
      this.i += 5;
      // Unicode mode reads `\uD83D\uDE00` as the one code point it encodes.
      if (unit >= 0xd800 && unit <= 0xdbff && /^\\u[dD][c-fC-F][0-9a-fA-F]{2}/.test(this.src.slice(this.i))) {
        const low = parseInt(this.src.slice(this.i + 2, this.i + 6), 16);
        this.i += 6;
        return (unit - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
      }
      return unit;
    }
    if (inClass && c === '-') {
      this.i++;
      return 0x2d;
    }
    if (SYNTAX_CHARACTERS.includes(c) && c !== '') return this.codePoint();
    throw this.fail();
  }

  /** `[...]` with JavaScript's rules (Unicode mode): `[]` matches nothing, `[^]` any code point. */
  private characterClass(): string {
    this.i++; // [
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.i++;
    }
    let items = '';
    for (;;) {
      if (this.i >= this.src.length) throw this.fail();
      if (this.peek() === ']') {
        this.i++;
        break;
      }
      const from = this.classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') {
        this.i++;
        const to = this.classAtom();
        // `new RegExp` refuses a range with a class escape at either end in Unicode mode.
        if (typeof from !== 'number' || typeof to !== 'number') throw this.fail();
        items += `${literal(from)}-${literal(to)}`;
      } else items += typeof from === 'number' ? literal(from) : from;
    }
    if (items === '') return negated ? classOf([[0, MAX_CODE_POINT]]) : classOf([]);
    return `[${negated ? '^' : ''}${items}]`;
  }

  /** One class atom: a code point, or a set of class items (from `\d`, `\p{…}`...). */
  private classAtom(): number | string {
    if (this.peek() !== '\\') return this.codePoint();
    this.i++;
    if (this.peek() === 'b') {
      this.i++;
      return 0x08;
    }
    return this.classEscape() ?? this.characterEscape(true);
  }
}

/**
 * The RE2 form of a JavaScript (Unicode mode) regex, or a `RegexError` saying why there is none. The
 * result has the same meaning, matched with RE2's unanchored search.
 */
export function translateRegex(pattern: string): string {
  try {
    new RegExp(pattern, 'u');
  } catch (e) {
    throw new RegexError(
      `Invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`,
      'syntax',
    );
  }
  return new Translator(pattern).run();
}

const compiled = new Map<string, LinearRegex>();
/** Patterns kept compiled (an editor re-validates on every keystroke); beyond this the memo starts over. */
const MEMO_LIMIT = 512;

/**
 * Compiles a condition's pattern for linear-time matching; throws a `RegexError` when the pattern is
 * not a JavaScript regex or needs what linear time cannot do. Compiled patterns are shared (a test
 * keeps no state between calls).
 */
export function compileLinearRegex(pattern: string): LinearRegex {
  const hit = compiled.get(pattern);
  if (hit) return hit;
  const source = translateRegex(pattern);
  let re: RE2JSType;
  try {
    re = re2().compile(source);
  } catch (e) {
    // Things RE2 itself refuses, e.g. repeats that multiply past its limit: `(a{100}){100}`.
    const why = (e as Error).message.replace(/^error parsing regexp: /, '');
    throw new RegexError(
      `regex ${JSON.stringify(pattern)} is too large for linear-time matching (RE2: ${why}); simplify it`,
      'unsupported',
    );
  }
  const out: LinearRegex = { test: (input) => re.test(input) };
  if (compiled.size >= MEMO_LIMIT) compiled.clear();
  compiled.set(pattern, out);
  return out;
}

/** The problem with a condition's pattern, or undefined when `compileLinearRegex` accepts it. */
export function regexProblem(pattern: string): RegexError | undefined {
  try {
    compileLinearRegex(pattern);
    return undefined;
  } catch (e) {
    if (e instanceof RegexError) return e;
    return new RegexError(`regex ${JSON.stringify(pattern)} cannot be compiled: ${(e as Error).message}`, 'unsupported');
  }
}
