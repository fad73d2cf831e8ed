// syntaxes/mcp-policy.tmLanguage.json: the policy's words coloured on top of YAML, tokenized with the same engine
// as VS Code (vscode-textmate + vscode-oniguruma) over two YAML grammars for `source.yaml`:
// - VS Code's own (RedCMD's YAML grammar, built in since VS Code 1.90), from the npm package of VS Code's default
//   yaml extension that monaco-vscode-api publishes;
// - the TextMate bundle's (textmate/yaml.tmbundle, VS Code's grammar before 1.90, still used by Shiki), from tm-grammars.
// Also language-configuration.json and the file icon.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadWASM, OnigScanner, OnigString } from 'vscode-oniguruma';
import { INITIAL, Registry, parseRawGrammar, type IGrammar, type IRawGrammar } from 'vscode-textmate';
import { RISK_CLASSES } from '../../src/guard/catalog/types';
import { ACTIONS, CONDITION_OPS } from '../../src/guard/policy/model';
import { CONDITION_KEYS, ENTRY_KEYS, RATE_LIMIT_KEYS, TOP_LEVEL_KEYS } from '../../src/guard/policy/parse';

const ROOT = join(__dirname, '..', '..');
const GRAMMAR_FILE = join(ROOT, 'syntaxes', 'mcp-policy.tmLanguage.json');
const CORPUS = join(ROOT, 'test', 'fixtures', 'policies');
const OURS = 'source.mcp-policy';

const VSCODE_YAML_DIR = join(ROOT, 'node_modules', '@codingame', 'monaco-vscode-yaml-default-extension', 'resources');
const YAML_GRAMMARS: Record<string, () => Record<string, string>> = {
  "VS Code's YAML grammar": () =>
    Object.fromEntries(
      readdirSync(VSCODE_YAML_DIR)
        .filter((f) => f.endsWith('.tmLanguage.json'))
        .map((f) => {
          const file = join(VSCODE_YAML_DIR, f);
          return [(JSON.parse(readFileSync(file, 'utf8')) as { scopeName: string }).scopeName, file];
        }),
    ),
  "the TextMate bundle's YAML grammar": () => ({ 'source.yaml': join(ROOT, 'node_modules', 'tm-grammars', 'grammars', 'yaml.json') }),
};

let wasm: Promise<void> | undefined;
function onig(): Promise<void> {
  wasm ??= loadWASM(readFileSync(join(ROOT, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm')).buffer as ArrayBuffer);
  return wasm;
}

/** source.mcp-policy over the given YAML grammar; `bare` drops our injections (plain YAML, for comparison). */
async function loadGrammar(yamlFiles: Record<string, string>, bare = false): Promise<IGrammar> {
  await onig();
  const files: Record<string, string> = { ...yamlFiles, [OURS]: GRAMMAR_FILE };
  const registry = new Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new OnigScanner(patterns),
      createOnigString: (s: string) => new OnigString(s),
    }),
    loadGrammar: async (scopeName: string): Promise<IRawGrammar | null> => {
      const file = files[scopeName];
      if (!file) return null;
      const raw = parseRawGrammar(readFileSync(file, 'utf8'), file);
      if (bare && scopeName === OURS) delete (raw as { injections?: unknown }).injections;
      return raw;
    },
  });
  const grammar = await registry.loadGrammar(OURS);
  assert.ok(grammar, 'grammar loaded');
  return grammar;
}

interface Token {
  readonly line: number;
  readonly start: number;
  readonly text: string;
  readonly scopes: readonly string[];
}

function tokenize(grammar: IGrammar, text: string): Token[] {
  const out: Token[] = [];
  let stack = INITIAL;
  text.split('\n').forEach((line, i) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    for (const t of r.tokens) out.push({ line: i, start: t.startIndex, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
  });
  return out;
}

const isOurs = (scope: string): boolean => scope !== OURS && scope.endsWith('.mcp-policy');

/** The tokens of `word` on the line containing `lineText` (the n-th such word on it). */
function tokensOf(tokens: readonly Token[], text: string, lineText: string, word: string, nth = 0): Token[] {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(lineText));
  assert.ok(line >= 0, `line ${JSON.stringify(lineText)} in the sample`);
  let from = -1;
  for (let k = 0; k <= nth; k++) from = lines[line]!.indexOf(word, from + 1);
  assert.ok(from >= 0, `${JSON.stringify(word)} on line ${line + 1}`);
  const to = from + word.length;
  const found = tokens.filter((t) => t.line === line && t.start < to && t.start + t.text.length > from);
  assert.ok(found.length > 0);
  return found;
}

function assertScope(tokens: readonly Token[], text: string, lineText: string, word: string, scope: string, nth = 0): void {
  for (const t of tokensOf(tokens, text, lineText, word, nth)) {
    assert.ok(
      t.scopes.includes(scope),
      `${JSON.stringify(word)} in ${JSON.stringify(lineText)}: ${JSON.stringify(t.text)} has ${t.scopes.join(' ')}, not ${scope}`,
    );
  }
}

function assertNotOurs(tokens: readonly Token[], text: string, lineText: string, word: string, nth = 0): void {
  for (const t of tokensOf(tokens, text, lineText, word, nth)) {
    assert.ok(!t.scopes.some(isOurs), `${JSON.stringify(word)} in ${JSON.stringify(lineText)} is not a policy word: ${t.scopes.join(' ')}`);
  }
}

const SAMPLE = `# MCP Guard policy: a # deny in a comment stays a comment
version: 1
default: allow   # deny
risk:
  critical: deny
  high: require_approval
hide: [read_field_to_file]
approval_timeout: 120
tools:
  cancel_async_task:
    # action: deny, op: in, path: args.model
    action: deny
    reason: Cancelling a background task is irreversible
    approval_timeout: 60
  search_records:
    rate_limit: { max: 10, window: 60 }
  execute_method:
    action: require_approval
    when:
      - { path: args.model, op: in, value: [res.partner, sale.order] }
      - path: args.values.state
        op: not_in
        value: [done]
  deny:
    reason: "action: deny"
    action: allow
  write_records:
    reason: |
      action: deny
      op: in
    rate_limit:
      max: 5
      window: 1
`;

describe('policy grammar: the file itself', () => {
  const grammar = JSON.parse(readFileSync(GRAMMAR_FILE, 'utf8')) as {
    scopeName: string;
    patterns: unknown[];
    injections: Record<string, unknown>;
  };

  it('is source.mcp-policy, everything generic from source.yaml, the policy words as left-priority injections', () => {
    assert.equal(grammar.scopeName, OURS);
    assert.deepEqual(grammar.patterns, [{ include: 'source.yaml' }]);
    const selectors = Object.keys(grammar.injections);
    assert.ok(selectors.length > 0);
    for (const s of selectors) {
      assert.match(s, /^L:source\.mcp-policy\b/, `${s}: tried first, in policy files only`);
      assert.match(s, /\bcomment\b/, `${s}: never in comments`);
    }
  });

  it('only includes its own repository and source.yaml', () => {
    const includes = [...JSON.stringify(grammar).matchAll(/"include":"([^"]+)"/g)].map((m) => m[1]!);
    for (const inc of includes) assert.ok(inc.startsWith('#') || inc === 'source.yaml', inc);
  });
});

for (const [yamlName, yamlFiles] of Object.entries(YAML_GRAMMARS)) {
  describe(`policy grammar over ${yamlName}`, () => {
    let grammar: IGrammar;
    let bare: IGrammar;
    let tokens: Token[];
    before(async () => {
      const files = yamlFiles();
      grammar = await loadGrammar(files);
      bare = await loadGrammar(files, true);
      tokens = tokenize(grammar, SAMPLE);
    });

    it('colours deny after action: as an action', () => {
      assertScope(tokens, SAMPLE, '    action: deny', 'deny', 'constant.language.action.deny.mcp-policy');
      assertScope(
        tokens,
        SAMPLE,
        '    action: require_approval',
        'require_approval',
        'constant.language.action.require_approval.mcp-policy',
      );
      assertScope(tokens, SAMPLE, 'default: allow', 'allow', 'constant.language.action.allow.mcp-policy');
    });

    it('colours critical under risk: as a risk class, and its action', () => {
      assertScope(tokens, SAMPLE, '  critical: deny', 'critical', 'variable.other.enummember.risk.critical.mcp-policy');
      assertScope(tokens, SAMPLE, '  critical: deny', 'deny', 'constant.language.action.deny.mcp-policy');
      assertScope(tokens, SAMPLE, '  high: require_approval', 'high', 'variable.other.enummember.risk.high.mcp-policy');
    });

    it('colours the op and the args. path of a condition, in a flow mapping and in a block mapping', () => {
      assertScope(tokens, SAMPLE, '{ path: args.model, op: in', 'in', 'keyword.operator.expression.in.mcp-policy');
      assertScope(tokens, SAMPLE, '{ path: args.model, op: in', 'args.model', 'meta.path.args.mcp-policy');
      assertScope(tokens, SAMPLE, '{ path: args.model, op: in', 'args', 'variable.language.args.mcp-policy');
      assertScope(tokens, SAMPLE, '{ path: args.model, op: in', 'model', 'variable.other.property.mcp-policy');
      assertScope(tokens, SAMPLE, '{ path: args.model, op: in', 'path', 'support.type.property-name.condition.mcp-policy');
      assertScope(tokens, SAMPLE, '{ path: args.model, op: in', 'value', 'support.type.property-name.condition.mcp-policy');
      assertScope(tokens, SAMPLE, '- path: args.values.state', 'args.values.state', 'meta.path.args.mcp-policy');
      assertScope(tokens, SAMPLE, '        op: not_in', 'not_in', 'keyword.operator.expression.not_in.mcp-policy');
      assertScope(tokens, SAMPLE, 'rate_limit: { max: 10', 'max', 'support.type.property-name.rate-limit.mcp-policy');
      assertScope(tokens, SAMPLE, 'rate_limit: { max: 10', 'window', 'support.type.property-name.rate-limit.mcp-policy');
    });

    it('colours the keys: top level, entry, rate_limit', () => {
      for (const key of ['version', 'default', 'risk', 'hide', 'approval_timeout', 'tools']) {
        assertScope(tokens, SAMPLE, `${key}:`, key, 'keyword.other.key.top-level.mcp-policy');
      }
      assertScope(tokens, SAMPLE, '    approval_timeout: 60', 'approval_timeout', 'support.type.property-name.entry.mcp-policy');
      assertScope(tokens, SAMPLE, '    reason: Cancelling', 'reason', 'support.type.property-name.entry.mcp-policy');
      assertScope(tokens, SAMPLE, '    when:', 'when', 'support.type.property-name.entry.mcp-policy');
      assertScope(tokens, SAMPLE, '      max: 5', 'max', 'support.type.property-name.rate-limit.mcp-policy');
    });

    it('leaves comments, strings, block scalars and tool names alone', () => {
      assertNotOurs(tokens, SAMPLE, '# MCP Guard policy', 'deny');
      assertNotOurs(tokens, SAMPLE, 'default: allow   # deny', 'deny');
      for (const word of ['action', 'deny', 'op', 'in', 'path', 'args.model'])
        assertNotOurs(tokens, SAMPLE, '    # action: deny, op: in', word);
      assertNotOurs(tokens, SAMPLE, '    reason: "action: deny"', 'action');
      assertNotOurs(tokens, SAMPLE, '    reason: "action: deny"', 'deny');
      assertNotOurs(tokens, SAMPLE, '      action: deny', 'deny');
      assertNotOurs(tokens, SAMPLE, '      op: in', 'in');
      assertNotOurs(tokens, SAMPLE, '  deny:', 'deny');
      assertNotOurs(tokens, SAMPLE, '  cancel_async_task:', 'cancel_async_task');
      assertNotOurs(tokens, SAMPLE, '    reason: Cancelling', 'Cancelling');
      const comment = tokensOf(tokens, SAMPLE, '# MCP Guard policy', 'deny');
      assert.ok(
        comment.every((t) => t.scopes.some((s) => s.startsWith('comment.line'))),
        'still a comment',
      );
    });

    it("colours every word of the validator's lists", async () => {
      const lines = [
        ...TOP_LEVEL_KEYS.map((k) => `${k}: 1`),
        'tools:',
        '  x:',
        ...ENTRY_KEYS.map((k) => `    ${k}: 1`),
        ...RATE_LIMIT_KEYS.map((k) => `    ${k}: 1`),
        ...CONDITION_KEYS.map((k) => `    ${k}: 1`),
        ...ACTIONS.map((a) => `    action: ${a}`),
        ...CONDITION_OPS.map((o) => `    op: ${o}`),
        'risk:',
        ...RISK_CLASSES.map((r) => `  ${r}: deny`),
      ];
      const text = `# every word\n${lines.join('\n')}\n`;
      const all = tokenize(grammar, text);
      for (const k of TOP_LEVEL_KEYS) assertScope(all, text, `${k}: 1`, k, 'keyword.other.key.top-level.mcp-policy');
      for (const k of ENTRY_KEYS) assertScope(all, text, `    ${k}: 1`, k, 'support.type.property-name.entry.mcp-policy');
      for (const k of RATE_LIMIT_KEYS) assertScope(all, text, `    ${k}: 1`, k, 'support.type.property-name.rate-limit.mcp-policy');
      for (const k of CONDITION_KEYS) assertScope(all, text, `    ${k}: 1`, k, 'support.type.property-name.condition.mcp-policy');
      for (const a of ACTIONS) assertScope(all, text, `    action: ${a}`, a, `constant.language.action.${a}.mcp-policy`);
      for (const o of CONDITION_OPS) assertScope(all, text, `    op: ${o}`, o, `keyword.operator.expression.${o}.mcp-policy`);
      for (const r of RISK_CLASSES) assertScope(all, text, `  ${r}: deny`, r, `variable.other.enummember.risk.${r}.mcp-policy`);
    });

    it("keeps the YAML grammar's own scopes everywhere else, on every corpus file (the injections break no YAML rule)", () => {
      const files = ['valid', 'invalid'].flatMap((kind) =>
        readdirSync(join(CORPUS, kind))
          .filter((f) => f.endsWith('.yaml'))
          .map((f) => join(CORPUS, kind, f)),
      );
      const texts = [SAMPLE, ...files.map((f) => readFileSync(f, 'utf8'))];
      let coloured = 0;
      for (const text of texts) {
        const ours = tokenize(grammar, text);
        const plain = tokenize(bare, text);
        const at = (toks: Token[], line: number, i: number) =>
          toks.find((t) => t.line === line && t.start <= i && i < t.start + t.text.length)?.scopes ?? [];
        text.split('\n').forEach((line, n) => {
          for (let i = 0; i < line.length; i++) {
            const a = at(ours, n, i);
            const b = at(plain, n, i);
            const mine = a.some(isOurs);
            if (mine) coloured++;
            // Our scopes, and the entity.name.tag.yaml we give a key where the YAML grammar has no key scope.
            const yaml = a.filter((s, k) => !isOurs(s) && !(s === 'entity.name.tag.yaml' && a[k + 1] !== undefined && isOurs(a[k + 1]!)));
            // Where we colour a word, the YAML rule that would have started there may not (a prefix); elsewhere, the same.
            const same = mine ? yaml.every((s, k) => b[k] === s) : yaml.length === b.length && yaml.every((s, k) => b[k] === s);
            assert.ok(
              same,
              `line ${n + 1} col ${i + 1} (${JSON.stringify(line[i])}) of\n${text}\nwith the policy grammar: ${yaml.join(' ')}\nplain YAML:              ${b.join(' ')}`,
            );
          }
        });
      }
      assert.ok(coloured > 1000, `${coloured} characters coloured`);
    });
  });
}

describe('policy language configuration', () => {
  const config = JSON.parse(readFileSync(join(ROOT, 'language-configuration.json'), 'utf8')) as {
    comments: { lineComment: string };
    brackets: string[][];
    autoClosingPairs: { open: string; close: string }[];
    surroundingPairs: string[][];
    folding: { offSide: boolean };
    indentationRules: { increaseIndentPattern: string; decreaseIndentPattern: string };
    onEnterRules: { beforeText: string; action: { indent: string; appendText?: string } }[];
    wordPattern: { pattern: string; flags: string };
  };

  it('has YAML comments, brackets, quotes and indentation-based folding', () => {
    assert.equal(config.comments.lineComment, '#');
    assert.deepEqual(config.brackets, [
      ['{', '}'],
      ['[', ']'],
    ]);
    for (const q of ['"', "'", '{', '['])
      assert.ok(
        config.autoClosingPairs.some((p) => p.open === q),
        `auto-closes ${q}`,
      );
    for (const q of ['"', "'", '{', '['])
      assert.ok(
        config.surroundingPairs.some((p) => p[0] === q),
        `surrounds with ${q}`,
      );
    assert.equal(config.folding.offSide, true);
  });

  it('takes write_field_*, args.model, require_approval and ?ead_* as single words', () => {
    const words = (s: string) => s.match(new RegExp(config.wordPattern.pattern, `${config.wordPattern.flags}g`)) ?? [];
    assert.deepEqual(words('  "write_field_*": { action: require_approval }'), ['write_field_*', 'action', 'require_approval']);
    assert.deepEqual(words('- { path: args.record_ids.0, op: in, value: [res.partner] }'), [
      'path',
      'args.record_ids.0',
      'op',
      'in',
      'value',
      'res.partner',
    ]);
    assert.deepEqual(words('hide: [?ead_*, x-y]'), ['hide', '?ead_*', 'x-y']);
    assert.deepEqual(words('- a.'), ['a']);
  });

  it('indents after key:, and continues a list after - item', () => {
    const increase = new RegExp(config.indentationRules.increaseIndentPattern);
    assert.ok(increase.test('tools:'));
    assert.ok(increase.test('    when:   # all must hold'));
    assert.ok(!increase.test('    action: deny'));
    assert.ok(new RegExp(config.indentationRules.decreaseIndentPattern).test('    }'));
    const onEnter = (line: string) => config.onEnterRules.find((r) => new RegExp(r.beforeText).test(line))?.action;
    assert.deepEqual(onEnter('  search_records:'), { indent: 'indent' });
    assert.deepEqual(onEnter('      - path: args.model'), { indent: 'none', appendText: '  ' });
    assert.deepEqual(onEnter('      - { path: args.model, op: in, value: [a] }'), { indent: 'none', appendText: '- ' });
    assert.deepEqual(onEnter('  - read_field_to_file'), { indent: 'none', appendText: '- ' });
    assert.equal(onEnter('    action: deny'), undefined);
  });

  it('has its file icon', () => {
    const svg = readFileSync(join(ROOT, 'media', 'policy-file-icon.svg'), 'utf8');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*viewBox="0 0 16 16"/);
    assert.ok(existsSync(join(ROOT, 'schemas', 'mcp-policy.schema.json')));
  });
});
