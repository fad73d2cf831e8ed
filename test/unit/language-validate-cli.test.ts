// `mcp-guard validate` prints the language diagnostics: the built CLI (node scripts/build.mjs, then
// node dist/mcp-guard.js validate FILE), and validateFiles in-process.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatValidateLine, validateFiles } from '../../src/cli/validate';

const ROOT = join(__dirname, '..', '..');

const ERROR_WARNING_INFO = [
  'version: 1',
  'tools:',
  '  "*":',
  '    action: deny',
  '  search_records:',
  '    action: allow',
  '  serch_recrds:',
  '    action: deny',
  '  read_record:',
  '    action: dny',
  '',
].join('\n');

const WARNING_INFO =
  'version: 1\ndefault: allow\nrisk: { critical: allow }\ntools:\n  "*": { action: deny }\n  read_record: { action: allow }\n';

const CLEAN = 'version: 1\ntools:\n  search_records:\n    action: allow\n    rate_limit: { max: 10, window: 60 }\n';

describe('mcp-guard validate: the built CLI', function () {
  this.timeout(120_000);
  let dir: string;
  const file = (name: string) => join(dir, name);

  before(() => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, `build failed: ${build.stderr}`);
    dir = mkdtempSync(join(tmpdir(), 'mcp-guard-validate-'));
    writeFileSync(file('ewi.yaml'), ERROR_WARNING_INFO);
    writeFileSync(file('wi.yaml'), WARNING_INFO);
    writeFileSync(file('clean.yaml'), CLEAN);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  function validate(...files: string[]): { status: number | null; lines: string[]; stderr: string } {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'mcp-guard.js'), 'validate', ...files], { encoding: 'utf8' });
    return { status: r.status, lines: r.stdout.split('\n').filter((l) => l !== ''), stderr: r.stderr };
  }

  it('a file with an error, a warning and an info: all three lines, FILE:LINE:COL, exit 1', () => {
    const f = file('ewi.yaml');
    const r = validate(f);
    assert.deepEqual(r.lines, [
      `${f}:5:3: info: The entry for search_records never changes a decision: "*" (deny, no conditions) also matches search_records, and deny is stricter than allow`,
      `${f}:7:3: warning: Unknown tool "serch_recrds": not in the catalog (odoo-mcp 1.3.0), and the server has not reported its tools; did you mean "search_records"?`,
      `${f}:10:13: error: action must be "allow", "deny" or "require_approval", not the text "dny"; did you mean "deny"?`,
    ]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, '');
  });

  it('warnings and infos alone: exit 0', () => {
    const f = file('wi.yaml');
    const r = validate(f);
    assert.deepEqual(r.lines, [
      `${f}:3:19: warning: risk: critical: allow lets every critical-risk tool that no entry decides through without asking; the built-in action is deny`,
      `${f}:6:3: info: The entry for read_record never changes a decision: "*" (deny, no conditions) also matches read_record, and deny is stricter than allow`,
    ]);
    assert.equal(r.status, 0);
  });

  it('a clean file prints nothing and exits 0; several files: exit 1 when any has an error', () => {
    assert.deepEqual(validate(file('clean.yaml')), { status: 0, lines: [], stderr: '' });
    const r = validate(file('clean.yaml'), file('wi.yaml'), file('ewi.yaml'));
    assert.equal(r.status, 1);
    assert.equal(r.lines.length, 5);
    assert.equal(validate(file('clean.yaml'), file('wi.yaml')).status, 0);
  });
});

describe('mcp-guard validate: in process', () => {
  it('formatValidateLine prints info for information, one-based positions', () => {
    const range = { start: { line: 4, character: 2 }, end: { line: 4, character: 9 } };
    assert.equal(formatValidateLine('p.yaml', { severity: 'information', code: 'dead-entry', message: 'm', range }), 'p.yaml:5:3: info: m');
    assert.equal(formatValidateLine('p.yaml', { severity: 'warning', code: 'x', message: 'w', range }), 'p.yaml:5:3: warning: w');
    assert.equal(formatValidateLine('p.yaml', { severity: 'error', code: 'x', message: 'e', range }), 'p.yaml:5:3: error: e');
  });

  it('validateFiles: the same lines and exit codes; a missing file is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-guard-validate-'));
    try {
      const f = join(dir, 'p.yaml');
      writeFileSync(f, ERROR_WARNING_INFO);
      const out: string[] = [];
      assert.equal(
        validateFiles([f], (l) => out.push(l)),
        1,
      );
      assert.deepEqual(
        out.map((l) =>
          l
            .slice(f.length + 1)
            .split(':')
            .slice(0, 3)
            .join(':'),
        ),
        ['5:3: info', '7:3: warning', '10:13: error'],
      );
      const w = join(dir, 'w.yaml');
      writeFileSync(w, WARNING_INFO);
      assert.equal(
        validateFiles([w], () => undefined),
        0,
      );
      const missing: string[] = [];
      assert.equal(
        validateFiles([join(dir, 'nope.yaml')], (l) => missing.push(l)),
        1,
      );
      assert.deepEqual(missing, [`${join(dir, 'nope.yaml')}:1:1: error: cannot read the file: it does not exist`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
