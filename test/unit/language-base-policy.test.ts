// Issue 13, part 3: the policy language with an organisation's base policy passed in (parsed), and the
// extension's pure parts: the machine-scoped setting read from user / machine values only, the launch line.
import { strict as assert } from 'node:assert';
import { baseLayerFromText, type BaseLayer } from '../../src/guard/policy/base';
import { policyDiagnostics } from '../../src/guard/language/diagnostics';
import { policyHover } from '../../src/guard/language/hover';
import { policyTestLens } from '../../src/guard/language/policy-tests';
import { basePolicyFileFrom } from '../../src/extension/settings';
import { buildGuardLaunch, type LaunchContext } from '../../src/extension/definition-builder';
import { parseRunArgs } from '../../src/cli/args';

function base(yaml: string, file = '/etc/mcp-guard/org.yaml'): BaseLayer {
  const r = baseLayerFromText(file, yaml);
  assert.ok(r.ok, JSON.stringify(r.diagnostics));
  return r.layer;
}

const ORG = base(
  [
    'version: 1', // 1
    'risk: { critical: allow, high: allow }', // 2
    'hide: [read_field_to_file]', // 3
    'tools:', // 4
    '  search_records:', // 5
    '    action: allow', // 6
    '  "chatter_*":', // 7
    '    action: require_approval', // 8
    '  execute_method:', // 9
    '    action: deny', // 10
    '    reason: No arbitrary methods', // 11
    '  cancel_async_task:', // 12
    '    action: deny', // 13
    '    when:', // 14
    '      - { path: args.task_id, op: eq, value: x }', // 15
    '',
  ].join('\n'),
);

const POLICY = [
  'version: 1', // 0
  'tools:', // 1
  '  execute_method:', // 2
  '    action: allow', // 3
  '  chatter_post:', // 4
  '    action: allow', // 5
  '  search_records:', // 6
  '    action: allow', // 7
  '  cancel_async_task:', // 8
  '    action: allow', // 9
  '  read_field_to_file:', // 10
  '    action: require_approval', // 11
  '',
].join('\n');

describe('policy language with a base policy (issue 13)', () => {
  it('warns that an allow the base makes stricter has no effect, naming the base entry and its line', () => {
    const ds = policyDiagnostics(POLICY, undefined, ORG).filter((d) => d.code === 'base-stricter');
    const byLine = new Map(ds.map((d) => [d.range.start.line, d]));
    assert.equal(byLine.get(3)?.message, 'this allow has no effect: the base policy denies execute_method at /etc/mcp-guard/org.yaml:9');
    assert.equal(byLine.get(3)?.severity, 'warning');
    assert.deepEqual(byLine.get(3)?.range, { start: { line: 3, character: 12 }, end: { line: 3, character: 17 } });
    assert.equal(
      byLine.get(5)?.message,
      'this allow has no effect: the base policy requires approval for chatter_post at /etc/mcp-guard/org.yaml:7',
    );
    assert.equal(
      byLine.get(11)?.message,
      'this require_approval has no effect: the base policy hides read_field_to_file at /etc/mcp-guard/org.yaml:3',
    );
    // A glob: for the tools it matches that the base decides more strictly (execute_approved_write it allows).
    const glob = policyDiagnostics('version: 1\ntools:\n  "execute_*":\n    action: require_approval\n', undefined, ORG);
    assert.equal(
      glob.find((d) => d.code === 'base-stricter')?.message,
      'this require_approval has no effect on 1 of the 2 tools it matches: the base policy denies execute_method at /etc/mcp-guard/org.yaml:9',
    );
    // The base allows search_records; the base's deny of cancel_async_task depends on the arguments: no warning.
    assert.equal(byLine.get(7), undefined);
    assert.equal(byLine.get(9), undefined);
    // Without a base, none.
    assert.equal(policyDiagnostics(POLICY).filter((d) => d.code === 'base-stricter').length, 0);
  });

  it("a base's risk class decides when it has no entry: the built-in critical deny makes an allow of no effect", () => {
    const ds = policyDiagnostics(
      'version: 1\ntools:\n  cancel_async_task:\n    action: allow\n',
      undefined,
      base('version: 1\n', 'org.yaml'),
    );
    const d = ds.find((x) => x.code === 'base-stricter');
    assert.equal(d?.message, 'this allow has no effect: the base policy denies cancel_async_task (risk.critical (built-in), org.yaml)');
  });

  it('hovers show the effective decision with the base', () => {
    const hover = policyHover(POLICY, { line: 2, character: 5 }, undefined, ORG);
    assert.ok(hover);
    assert.match(hover.contents, /\*\*This policy:\*\* `allow` by `tools\.execute_method`/);
    assert.match(
      hover.contents,
      /\*\*With the base policy\*\* \(\/etc\/mcp-guard\/org\.yaml\): `deny` by `base:tools\.execute_method` at \/etc\/mcp-guard\/org\.yaml:9/,
    );
    const allowed = policyHover(POLICY, { line: 6, character: 5 }, undefined, ORG);
    assert.match(allowed?.contents ?? '', /\*\*With the base policy\*\* \([^)]*\): `allow` by `tools\.search_records`/);
    const hidden = policyHover(POLICY, { line: 10, character: 5 }, undefined, ORG);
    assert.match(hidden?.contents ?? '', /hidden by the base policy at \/etc\/mcp-guard\/org\.yaml:3/);
    assert.doesNotMatch(policyHover(POLICY, { line: 2, character: 5 })?.contents ?? '', /With the base policy/);
  });

  it('tests in the editor expect the effective decision with the base', () => {
    const text = `${POLICY}tests:\n  - { call: execute_method, args: { method: read }, expect: allow }\n`;
    assert.equal(policyTestLens(text)?.title, '1 test passes');
    assert.equal(policyTestLens(text, undefined, ORG)?.title, '1 of 1 test fails');
    assert.ok(policyDiagnostics(text, undefined, ORG).some((d) => d.code === 'test-failed'));
  });

  it('the base file itself is analysed as a normal policy (no base under it)', () => {
    const ds = policyDiagnostics('version: 1\ntools:\n  execute_method:\n    action: deny\n');
    assert.equal(ds.filter((d) => d.code === 'base-stricter').length, 0);
  });
});

describe('mcpGuard.basePolicyFile (machine-scoped)', () => {
  it('is read from the user / machine value only: workspace and folder values are ignored, even when present', () => {
    assert.equal(basePolicyFileFrom({ defaultValue: '', globalValue: '/etc/org.yaml' }), '/etc/org.yaml');
    assert.equal(basePolicyFileFrom({ defaultValue: '', workspaceValue: '/tmp/loose.yaml' }), undefined, 'a workspace cannot set it');
    assert.equal(
      basePolicyFileFrom({ defaultValue: '', globalValue: '/etc/org.yaml', workspaceValue: '', workspaceFolderValue: '/tmp/x.yaml' }),
      '/etc/org.yaml',
      'a workspace cannot clear or replace it',
    );
    assert.equal(basePolicyFileFrom({ defaultValue: '', globalValue: '  ' }), undefined);
    assert.equal(basePolicyFileFrom({ globalValue: 42 }), undefined);
    assert.equal(basePolicyFileFrom(undefined), undefined);
    assert.equal(basePolicyFileFrom({ globalValue: '~/org.yaml' }, '/home/u'), '/home/u/org.yaml');
  });

  it('is contributed with "scope": "machine"', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = require('../../package.json') as { contributes: { configuration: { properties: Record<string, { scope?: string }> } } };
    assert.equal(pkg.contributes.configuration.properties['mcpGuard.basePolicyFile']?.scope, 'machine');
  });

  it('the launch line passes --base-policy, and a change of it changes the version', () => {
    const ctx: LaunchContext = {
      nodePath: '/node',
      guardScript: '/ext/dist/mcp-guard.js',
      policyPath: '/w/.vscode/mcp-policy.yaml',
      auditPath: undefined,
      auditIncludeArguments: false,
      approvalTimeoutSeconds: 120,
      mode: 'enforce',
      bridge: undefined,
      extensionVersion: '0.1.0',
    };
    const server = { name: 'Odoo', command: 'uvx', args: ['odoo-mcp'], env: {}, odoo: true };
    const without = buildGuardLaunch(server, ctx);
    const withBase = buildGuardLaunch(server, { ...ctx, basePolicyPath: '/etc/org.yaml' });
    assert.ok(!without.args.includes('--base-policy'));
    const i = withBase.args.indexOf('--base-policy');
    assert.equal(withBase.args[i + 1], '/etc/org.yaml');
    assert.notEqual(without.version, withBase.version);
    assert.equal(parseRunArgs(withBase.args.slice(2)).basePolicy, '/etc/org.yaml');
  });
});
