// schemas/mcp-policy.schema.json (the JSON Schema the YAML extension uses for validation, hovers and completion)
// against src/guard/policy/parse.ts (the guard's own validator): same keys and words, and the same verdict on
// every file of the corpus in test/fixtures/policies/.
//
// Corpus: valid/*.yaml have no error (warnings allowed); invalid/*.yaml start with `# expect: CODE[, CODE]`,
// the validator's error codes for the file (exactly). A file whose schema verdict differs from the validator's
// says so, with the reason, in a `# schema: valid: …` or `# schema: invalid: …` line: those are the only
// exceptions, and each must still be one (a stale exception fails).
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { RISK_CLASSES } from '../../src/guard/catalog/types';
import { ODOO_MCP_CATALOG } from '../../src/guard/catalog/odoo-mcp';
import { ACTIONS, CONDITION_OPS, splitToolKey } from '../../src/guard/policy/model';
import {
  CONDITION_KEYS,
  ENTRY_KEYS,
  RATE_LIMIT_KEYS,
  RATE_LIMIT_REQUIRED_KEYS,
  TOP_LEVEL_KEYS,
  parsePolicy,
} from '../../src/guard/policy/parse';
import { regexProblem } from '../../src/guard/policy/regex';
import { starterPolicy, type StarterTool } from '../../src/guard/policy/starter';

const ROOT = join(__dirname, '..', '..');
const CORPUS = join(ROOT, 'test', 'fixtures', 'policies');
const SCHEMA_FILE = join(ROOT, 'schemas', 'mcp-policy.schema.json');
const PARSE_TS = join(ROOT, 'src', 'guard', 'policy', 'parse.ts');
const PARSE_DIR = join(ROOT, 'src', 'guard', 'policy', 'parse');

/** The validator's source: parse.ts and its parts in parse/. */
function parserSource(): string {
  const parts = readdirSync(PARSE_DIR)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => join(PARSE_DIR, f));
  return [PARSE_TS, ...parts].map((f) => readFileSync(f, 'utf8')).join('\n');
}

/** Diagnostic codes that parse.ts reports as warnings, never errors. */
const WARNING_CODES = ['no-effect'];
/** The most exceptions the corpus may list: each is a real, explained difference, not a convenience. */
const MAX_EXCEPTIONS = 4;

type JsonSchema = { [key: string]: any };
const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as JsonSchema;

/**
 * Ajv in strict mode, told about the editor-only keywords the schema uses (VS Code's and the YAML extension's
 * hover and completion extras), and with `format: "regex"` meaning what the guard means: a JavaScript regular
 * expression in Unicode mode that linear-time matching can run (ajv-formats' `regex` compiles without the `u`
 * flag, which accepts e.g. `\p{Foo}`; no JSON Schema format knows the RE2 limits, e.g. no lookahead).
 */
function compileSchema(): ValidateFunction {
  // strictRequired stays off: `required: [value]` in an else branch names a property defined beside the if/then.
  const ajv = new Ajv({
    allErrors: true,
    strictSchema: true,
    strictNumbers: true,
    strictTypes: true,
    strictTuples: true,
    strictRequired: false,
    allowUnionTypes: true,
  });
  ajv.addVocabulary(['markdownDescription', 'enumDescriptions', 'markdownEnumDescriptions', 'defaultSnippets', 'patternErrorMessage']);
  ajv.addFormat('regex', {
    type: 'string',
    validate: (s: string) => regexProblem(s) === undefined,
  });
  return ajv.compile(schema);
}

interface Case {
  readonly name: string;
  readonly text: string;
  readonly valid: boolean;
  /** invalid/ only: the validator's error codes. */
  readonly expect: readonly string[];
  /** The schema's verdict when it differs from the validator's, with why. */
  readonly exception?: { readonly schemaValid: boolean; readonly reason: string };
}

function loadCorpus(kind: 'valid' | 'invalid'): Case[] {
  const dir = join(CORPUS, kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      const expect =
        /^# expect: (.+)$/m
          .exec(text)?.[1]!
          .split(',')
          .map((s) => s.trim()) ?? [];
      const ex = /^# schema: (valid|invalid): (.+)$/m.exec(text);
      // A file with no text at all cannot say what it expects.
      const expected = text === '' && kind === 'invalid' ? ['empty-policy'] : expect;
      return {
        name: `${kind}/${f}`,
        text,
        valid: kind === 'valid',
        expect: expected,
        ...(ex ? { exception: { schemaValid: ex[1] === 'valid', reason: ex[2]! } } : {}),
      };
    });
}

interface SchemaVerdict {
  readonly valid: boolean;
  /** Set when the file is not YAML at all: no schema can say anything then. */
  readonly yamlError?: string;
  readonly errors: readonly ErrorObject[];
  readonly doc?: Document;
}

/** What the YAML extension does: parse the YAML (the same `yaml` package), then validate the data. */
function schemaVerdict(validate: ValidateFunction, text: string): SchemaVerdict {
  const doc = parseDocument(text, { logLevel: 'error' });
  if (doc.errors.length > 0) return { valid: false, yamlError: doc.errors[0]!.message, errors: [] };
  const data = doc.toJS({ maxAliasCount: 100 });
  const valid = validate(data) as boolean;
  return { valid, errors: valid ? [] : [...(validate.errors ?? [])], doc };
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

/**
 * The source span [from, to] of the thing an ajv error is about: the node at its instancePath (from its key, when
 * it is a mapping value), or the offending key for additionalProperties / propertyNames. Falls back to the
 * deepest node found.
 */
function errorSpan(doc: Document, text: string, e: ErrorObject): [number, number] {
  const segments =
    e.instancePath === ''
      ? []
      : e.instancePath
          .slice(1)
          .split('/')
          .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const extra =
    (e.params as { additionalProperty?: string; propertyName?: string }).additionalProperty ??
    (e.params as { propertyName?: string }).propertyName;
  if (extra !== undefined) segments.push(extra);
  let node = doc.contents as Node | null;
  let span: [number, number] = node?.range ? [node.range[0], node.range[2]] : [0, text.length];
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === seg);
      const key = pair?.key as Node | undefined;
      if (!pair || !key?.range) break;
      node = (pair.value as Node | null) ?? null;
      span = [key.range[0], node?.range ? node.range[2] : key.range[2]];
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item?.range) break;
      node = item;
      span = [item.range[0], item.range[2]];
    } else break;
  }
  return span;
}

function sameKeys(actual: Iterable<string>, expected: readonly string[], what: string): void {
  assert.deepEqual([...actual].sort(), [...expected].sort(), what);
}

/** Every subschema of the schema, with its JSON pointer. */
function* subschemas(s: JsonSchema, at = '#'): Generator<[string, JsonSchema]> {
  yield [at, s];
  for (const key of ['properties', 'definitions'] as const) {
    for (const [k, v] of Object.entries((s[key] ?? {}) as Record<string, JsonSchema>)) yield* subschemas(v, `${at}/${key}/${k}`);
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames', 'if', 'then', 'else'] as const) {
    if (s[key] && typeof s[key] === 'object') yield* subschemas(s[key] as JsonSchema, `${at}/${key}`);
  }
  for (const [i, v] of ((s.allOf ?? []) as JsonSchema[]).entries()) yield* subschemas(v, `${at}/allOf/${i}`);
}

describe('policy JSON Schema: the words and keys of the validator', () => {
  const defs = schema.definitions as Record<string, JsonSchema>;

  it('is a draft-07 schema that ajv compiles in strict mode', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    compileSchema();
  });

  it('has the top-level keys of TOP_LEVEL_KEYS, version required, nothing else allowed', () => {
    sameKeys(Object.keys(schema.properties), TOP_LEVEL_KEYS, 'top-level keys');
    assert.deepEqual(schema.required, ['version']);
    assert.equal(schema.additionalProperties, false);
    assert.equal(schema.properties.version.const, 1);
  });

  it('has the entry keys of ENTRY_KEYS, the rate_limit keys of RATE_LIMIT_KEYS (max and window required), the condition keys of CONDITION_KEYS', () => {
    sameKeys(Object.keys(defs.entry!.properties), ENTRY_KEYS, 'entry keys');
    sameKeys(Object.keys(defs.rate_limit!.properties), RATE_LIMIT_KEYS, 'rate_limit keys');
    sameKeys(defs.rate_limit!.required, RATE_LIMIT_REQUIRED_KEYS, 'rate_limit required keys');
    sameKeys(Object.keys(defs.condition!.properties), CONDITION_KEYS, 'condition keys');
    sameKeys(defs.condition!.required, ['path', 'op'], 'condition required keys');
    for (const [name, s] of [
      ['entry', defs.entry],
      ['rate_limit', defs.rate_limit],
      ['condition', defs.condition],
    ] as const) {
      assert.equal(s!.additionalProperties, false, `${name} allows no other keys`);
    }
  });

  it('offers exactly ACTIONS wherever an action goes (default, each risk class, entry action), each with a description', () => {
    const places: [string, JsonSchema][] = [
      ['default', schema.properties.default],
      ['action', defs.entry!.properties.action],
      ...RISK_CLASSES.map((r): [string, JsonSchema] => [`risk.${r}`, schema.properties.risk.properties[r]]),
    ];
    for (const [where, s] of places) {
      assert.deepEqual(s.enum, [...ACTIONS], where);
      assert.equal(s.markdownEnumDescriptions?.length, ACTIONS.length, `${where}: markdownEnumDescriptions`);
      assert.equal(s.enumDescriptions?.length, ACTIONS.length, `${where}: enumDescriptions`);
    }
  });

  it('has the risk classes of RISK_CLASSES and the ops of CONDITION_OPS', () => {
    sameKeys(Object.keys(schema.properties.risk.properties), RISK_CLASSES, 'risk classes');
    sameKeys(schema.properties.risk.propertyNames.enum, RISK_CLASSES, 'risk propertyNames');
    assert.equal(schema.properties.risk.additionalProperties, false);
    const op = defs.condition!.properties.op;
    assert.deepEqual(op.enum, [...CONDITION_OPS]);
    assert.equal(op.markdownEnumDescriptions.length, CONDITION_OPS.length);
    assert.equal(op.enumDescriptions.length, CONDITION_OPS.length);
  });

  it('constrains the value of every op that the validator constrains (if/then on op)', () => {
    const constrained = new Set<string>();
    for (const branch of defs.condition!.allOf as JsonSchema[]) {
      const cond = branch.if?.properties?.op;
      const ops: string[] = cond?.const !== undefined ? [cond.const] : (cond?.enum ?? []);
      for (const o of ops)
        assert.ok((CONDITION_OPS as readonly string[]).includes(o), `if/then on an op the validator does not know: ${o}`);
      if (branch.then?.properties?.value) ops.forEach((o) => constrained.add(o));
    }
    // Every op has a rule for its value (eq and neq: anything but null).
    sameKeys(constrained, CONDITION_OPS, 'ops with a value rule');
  });

  it("uses the validator's own pattern for path", () => {
    const source = parserSource();
    const literal = /const PATH_PATTERN = \/(.+)\/;/.exec(source)?.[1];
    assert.ok(literal, 'PATH_PATTERN found in parse.ts');
    assert.equal(defs.condition!.properties.path.pattern, literal);
  });

  it('allows the keys under tools that the validator allows: a name or glob, optionally with a label (splitToolKey)', () => {
    const pattern = new RegExp(schema.properties.tools.propertyNames.pattern, 'u');
    const keys = [
      'a',
      'execute_method',
      'write_*',
      'foo(bar)',
      '123',
      'execute_method (no unlink)',
      'a   (b c)',
      'a\t(x)',
      'a ( x )',
      'a (x: #1)',
      'a b',
      'a (b',
      'a ()',
      'a ( )',
      'a (b) c',
      'a ((b))',
      'f(x) (y)',
      ' a',
      'a ',
      ' a (b)',
      'a (b) ',
      '',
    ];
    for (const key of keys) assert.equal(pattern.test(key), splitToolKey(key) !== undefined, JSON.stringify(key));
    assert.equal(typeof schema.properties.tools.propertyNames.patternErrorMessage, 'string');
  });

  it('documents every key for hovers: description and markdownDescription', () => {
    for (const [at, s] of subschemas(schema)) {
      if (!/\/properties\/[^/]+$/.test(at) && at !== '#' && !/^#\/definitions\/[^/]+$/.test(at)) continue;
      if (/\/(if|then|else)\//.test(at)) continue;
      const target = s.$ref ? (defs[String(s.$ref).replace('#/definitions/', '')] as JsonSchema) : s;
      assert.equal(typeof target.description, 'string', `${at}: description`);
      assert.equal(typeof target.markdownDescription, 'string', `${at}: markdownDescription`);
    }
  });
});

describe('policy JSON Schema and the validator agree on the corpus', () => {
  const validate = compileSchema();
  const valid = loadCorpus('valid');
  const invalid = loadCorpus('invalid');

  it('has at least 25 valid and 35 invalid files, and few, explained exceptions', () => {
    assert.ok(valid.length >= 25, `${valid.length} valid files`);
    assert.ok(invalid.length >= 35, `${invalid.length} invalid files`);
    const exceptions = [...valid, ...invalid].filter((c) => c.exception);
    assert.ok(exceptions.length <= MAX_EXCEPTIONS, `${exceptions.length} exceptions: ${exceptions.map((c) => c.name).join(', ')}`);
    for (const c of exceptions) assert.ok(c.exception!.reason.length > 20, `${c.name}: the exception says why`);
    for (const c of invalid) assert.ok(c.expect.length > 0, `${c.name}: starts with # expect: CODE`);
    for (const c of valid) assert.equal(c.expect.length, 0, `${c.name}: a valid file expects no error`);
  });

  it('covers every error code the validator reports', () => {
    const source = parserSource();
    const codes = new Set([...source.matchAll(/'([a-z]+(?:-[a-z]+)+|alias)'/g)].map((m) => m[1]!));
    for (const w of WARNING_CODES) codes.delete(w);
    const covered = new Set(invalid.flatMap((c) => c.expect));
    const missing = [...codes].filter((c) => !covered.has(c));
    assert.deepEqual(missing, [], 'error codes with no invalid/ file');
    assert.ok(codes.size >= 14, `found the codes in parse.ts: ${[...codes].join(', ')}`);
  });

  for (const c of valid) {
    it(`${c.name}: valid for both${c.exception ? ' (exception: the schema refuses it)' : ''}`, () => {
      const errors = parsePolicy(c.text).diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(
        errors.map((d) => `${d.code}: ${d.message}`),
        [],
        'validator errors',
      );
      const v = schemaVerdict(validate, c.text);
      assert.equal(v.yamlError, undefined, 'YAML parses');
      if (c.exception) assert.equal(v.valid, c.exception.schemaValid, `stale exception: ${c.exception.reason}`);
      else
        assert.deepEqual(
          v.errors.map((e) => `${e.instancePath} ${e.message}`),
          [],
          'schema errors',
        );
    });
  }

  for (const c of invalid) {
    it(`${c.name}: invalid for both (${c.expect.join(', ')})${c.exception ? ', exception: the schema accepts it' : ''}`, () => {
      const errors = parsePolicy(c.text).diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual([...new Set(errors.map((d) => d.code))].sort(), [...c.expect].sort(), "the validator's error codes");
      const v = schemaVerdict(validate, c.text);
      if (c.exception) {
        assert.equal(v.valid, c.exception.schemaValid, `stale exception: ${c.exception.reason}`);
        return;
      }
      assert.equal(v.valid, false, 'the schema refuses it');
      if (v.yamlError !== undefined) {
        assert.deepEqual(c.expect, ['yaml-syntax'], `only YAML syntax errors stop the schema from running: ${v.yamlError}`);
        return;
      }
      // Both refuse it for the same thing: some schema error's node holds some validator error's position.
      const starts = lineStarts(c.text);
      const offsets = errors.map((d) => starts[d.range.start.line]! + d.range.start.character);
      const spans = v.errors.map((e) => errorSpan(v.doc!, c.text, e));
      assert.ok(
        spans.some(([from, to]) => offsets.some((o) => from <= o && o <= to)),
        `the schema errors (${v.errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}) are not where the validator's are (${errors.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1}`).join(', ')})`,
      );
    });
  }

  it('the starter policy written for new users is valid for both', () => {
    const tools: StarterTool[] = Object.entries(ODOO_MCP_CATALOG).map(([name, e]) => ({ name, ...e }));
    const text = starterPolicy('the Odoo MCP server', tools);
    assert.deepEqual(
      parsePolicy(text).diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    const v = schemaVerdict(validate, text);
    assert.deepEqual(
      v.errors.map((e) => `${e.instancePath} ${e.message}`),
      [],
    );
    assert.ok(v.valid);
  });
});
