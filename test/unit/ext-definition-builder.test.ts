// src/extension/definition-builder.ts: the command line VS Code runs for a guarded server.
// The last block spawns the BUILT guard (node scripts/build.mjs --fixtures) with exactly the
// launch this module builds, to prove the line really starts a working guard.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRunArgs } from '../../src/cli/args';
import { buildGuardLaunch, guardedLabel, pinsPathFor, type LaunchContext } from '../../src/extension/definition-builder';
import type { GuardedServerConfig } from '../../src/extension/settings';
import { BRIDGE_ADDRESS_ENV, BRIDGE_TOKEN_ENV } from '../../src/guard/bridge/protocol';
import { ODOO_MCP_CATALOG } from '../../src/guard/catalog/odoo-mcp';
import { starterPolicy } from '../../src/guard/policy/starter';
import { GUARD, STANDIN } from '../support/paths';
import { RawClient, type RawMessage } from '../support/raw-client';
import { tempDir, waitFor } from '../support/temp';

const SERVER: GuardedServerConfig = {
  name: 'Odoo',
  command: 'uvx',
  args: ['odoo-mcp', '--verbose'],
  env: { ODOO_URL: 'https://example.test' },
  odoo: true,
};

const CTX: LaunchContext = {
  nodePath: '/opt/vscode/code',
  guardScript: '/ext/dist/mcp-guard.js',
  policyPath: '/home/u/.vscode/mcp-policy.yaml',
  auditPath: '/storage/audit.jsonl',
  auditIncludeArguments: false,
  approvalTimeoutSeconds: 90,
  mode: 'enforce',
  bridge: { address: '/tmp/mcp-guard-bridge.sock', token: 'tok-123' },
  extensionVersion: '0.1.0',
};

function ctx(over: Partial<LaunchContext> = {}): LaunchContext {
  return { ...CTX, ...over };
}

describe('extension definition-builder: buildGuardLaunch', () => {
  it('the bridge env var names are the ones the guard reads', () => {
    assert.equal(BRIDGE_ADDRESS_ENV, 'MCP_GUARD_BRIDGE');
    assert.equal(BRIDGE_TOKEN_ENV, 'MCP_GUARD_BRIDGE_TOKEN');
  });

  it('runs the guard script under the given node with the exact argument order', () => {
    const launch = buildGuardLaunch(SERVER, CTX);
    assert.equal(launch.command, '/opt/vscode/code');
    assert.deepEqual(launch.args, [
      '/ext/dist/mcp-guard.js',
      'run',
      '--policy',
      '/home/u/.vscode/mcp-policy.yaml',
      '--audit',
      '/storage/audit.jsonl',
      '--approval-timeout',
      '90',
      '--mode',
      'enforce',
      '--name=Odoo',
      '--',
      'uvx',
      'odoo-mcp',
      '--verbose',
    ]);
  });

  it('adds --audit-include-args right after the audit path only when auditing with includeArguments', () => {
    const on = buildGuardLaunch(SERVER, ctx({ auditIncludeArguments: true, mode: 'monitor' }));
    assert.deepEqual(on.args, [
      '/ext/dist/mcp-guard.js',
      'run',
      '--policy',
      '/home/u/.vscode/mcp-policy.yaml',
      '--audit',
      '/storage/audit.jsonl',
      '--audit-include-args',
      '--approval-timeout',
      '90',
      '--mode',
      'monitor',
      '--name=Odoo',
      '--',
      'uvx',
      'odoo-mcp',
      '--verbose',
    ]);
    // includeArguments without an audit path: neither --audit nor --audit-include-args
    const noAudit = buildGuardLaunch(SERVER, ctx({ auditPath: undefined, auditIncludeArguments: true }));
    assert.equal(noAudit.args.includes('--audit'), false);
    assert.equal(noAudit.args.includes('--audit-include-args'), false);
    // audit without includeArguments
    assert.equal(buildGuardLaunch(SERVER, ctx({ auditIncludeArguments: false })).args.includes('--audit-include-args'), false);
  });

  it('passes mcpGuard.state as --state=URL (one token), and nothing for memory or unset', () => {
    const args = buildGuardLaunch(SERVER, ctx({ state: 'redis://10.0.0.5:6379/2' })).args;
    assert.ok(args.includes('--state=redis://10.0.0.5:6379/2'), args.join(' '));
    assert.ok(args.indexOf('--state=redis://10.0.0.5:6379/2') < args.indexOf('--'), 'before the server command');
    for (const c of [ctx({ state: 'memory' }), ctx({})])
      assert.equal(
        buildGuardLaunch(SERVER, c).args.some((a) => a.startsWith('--state')),
        false,
      );
  });

  it('passes --scan-results after the approval timeout when the setting is given', () => {
    const args = buildGuardLaunch(SERVER, ctx({ scanResults: 'off' })).args;
    assert.deepEqual(args.slice(args.indexOf('--approval-timeout'), args.indexOf('--mode')), [
      '--approval-timeout',
      '90',
      '--scan-results',
      'off',
    ]);
  });

  it('passes mcpGuard.audit.otlpEndpoint as one --otlp-endpoint=URL token after the audit flags, which parses back', () => {
    const launch = buildGuardLaunch(SERVER, ctx({ otlpEndpoint: 'http://collector.internal:4318', auditIncludeArguments: true }));
    const at = launch.args.indexOf('--otlp-endpoint=http://collector.internal:4318');
    assert.equal(launch.args[at - 1], '--audit-include-args');
    assert.deepEqual(parseRunArgs(launch.args.slice(2), {}).otlp, {
      url: 'http://collector.internal:4318/v1/logs',
      source: '--otlp-endpoint',
    });
    assert.ok(!buildGuardLaunch(SERVER, CTX).args.some((a) => a.startsWith('--otlp-endpoint')));
    // Without an audit file too: the export does not need one.
    assert.ok(
      buildGuardLaunch(SERVER, ctx({ auditPath: undefined, otlpEndpoint: 'http://c:4318' })).args.includes('--otlp-endpoint=http://c:4318'),
    );
  });

  it('leaves out --policy when there is no policy path', () => {
    const launch = buildGuardLaunch(SERVER, ctx({ policyPath: undefined, auditPath: undefined }));
    assert.deepEqual(launch.args, [
      '/ext/dist/mcp-guard.js',
      'run',
      '--approval-timeout',
      '90',
      '--mode',
      'enforce',
      '--name=Odoo',
      '--',
      'uvx',
      'odoo-mcp',
      '--verbose',
    ]);
  });

  it('passes the server command and args after -- untouched, even ones that look like guard options', () => {
    const server: GuardedServerConfig = {
      name: 'S',
      command: 'node',
      args: ['--mode', 'lockdown', '--', '--policy', 'x'],
      env: {},
      odoo: false,
    };
    const launch = buildGuardLaunch(server, CTX);
    const dash = launch.args.indexOf('--');
    assert.deepEqual(launch.args.slice(dash + 1), ['node', '--mode', 'lockdown', '--', '--policy', 'x']);
  });

  it('its args parse back with the guard CLI parser to the same settings', () => {
    const launch = buildGuardLaunch(
      { ...SERVER, name: 'My Odoo (prod)' },
      ctx({
        auditIncludeArguments: true,
        mode: 'lockdown',
        approvalTimeoutSeconds: 7,
        scanResults: 'flag',
        state: 'redis://10.1.2.3:6380/4',
      }),
    );
    assert.equal(launch.args[1], 'run');
    const opts = parseRunArgs(launch.args.slice(2), {});
    assert.deepEqual(opts, {
      policy: '/home/u/.vscode/mcp-policy.yaml',
      audit: '/storage/audit.jsonl',
      auditIncludeArgs: true,
      approvalTimeoutSeconds: 7,
      mode: 'lockdown',
      catalog: 'auto',
      scanResults: 'flag',
      state: { kind: 'redis', host: '10.1.2.3', port: 6380, db: 4, label: 'redis://10.1.2.3:6380/4' },
      name: 'My Odoo (prod)',
      command: 'uvx',
      commandArgs: ['odoo-mcp', '--verbose'],
    });
  });

  it("a remote server: --upstream-url and one --upstream-header per header, ${env:NAME} as the guard's ${NAME}; no --", () => {
    const remote: GuardedServerConfig = {
      name: 'Odoo remote',
      command: '',
      args: [],
      url: 'https://odoo.example.com/mcp?db=prod',
      headers: { Authorization: 'Bearer ${env:ODOO_MCP_TOKEN}', 'X-Tenant': 'acme ${env:TENANT}-${env:TENANT}' },
      env: { TENANT: 'eu' },
      odoo: false,
    };
    const launch = buildGuardLaunch(remote, CTX);
    assert.ok(!launch.args.includes('--'));
    assert.deepEqual(launch.args.slice(-3), [
      '--upstream-url=https://odoo.example.com/mcp?db=prod',
      '--upstream-header=Authorization: Bearer ${ODOO_MCP_TOKEN}',
      '--upstream-header=X-Tenant: acme ${TENANT}-${TENANT}',
    ]);
    assert.equal(launch.env['TENANT'], 'eu');
    // The guard reads them back, the variables from its environment (VS Code's plus the entry's env).
    const opts = parseRunArgs(launch.args.slice(2), { ODOO_MCP_TOKEN: 'tok', TENANT: 'eu' });
    assert.equal(opts.upstreamUrl, 'https://odoo.example.com/mcp?db=prod');
    assert.equal(opts.command, 'https://odoo.example.com/mcp?…');
    assert.equal(opts.name, 'Odoo remote');
    assert.deepEqual(opts.upstreamHeaders, { Authorization: 'Bearer tok', 'X-Tenant': 'acme eu-eu' });
    // A change of url or headers changes the version, so VS Code offers to restart it.
    assert.notEqual(buildGuardLaunch({ ...remote, headers: { 'X-Tenant': 'b' } }, CTX).version, launch.version);
    assert.notEqual(buildGuardLaunch({ ...remote, url: 'https://other.example.com/mcp' }, CTX).version, launch.version);
  });

  it("passes a server's catalog setting as --catalog (auto is the default and adds nothing) and restarts on a change", () => {
    const auto = buildGuardLaunch(SERVER, CTX);
    assert.ok(!auto.args.some((a) => a.startsWith('--catalog')));
    for (const catalog of ['odoo-mcp', 'none'] as const) {
      const launch = buildGuardLaunch({ ...SERVER, catalog }, CTX);
      assert.equal(parseRunArgs(launch.args.slice(2)).catalog, catalog);
      assert.notEqual(launch.version, auto.version);
    }
  });

  // A name is one token (--name=NAME), so one starting with "-" is not read as an option.
  it('a server name that starts with "-" still round-trips through the guard CLI', () => {
    for (const name of ['-prod', '--', '--mode']) {
      const launch = buildGuardLaunch({ ...SERVER, name }, CTX);
      const opts = parseRunArgs(launch.args.slice(2));
      assert.equal(opts.name, name);
      assert.equal(opts.command, 'uvx');
      assert.equal(opts.mode, 'enforce');
    }
  });

  it('env: ELECTRON_RUN_AS_NODE=1, the bridge address and token, and the server env', () => {
    const launch = buildGuardLaunch(SERVER, CTX);
    assert.deepEqual(launch.env, {
      ODOO_URL: 'https://example.test',
      ELECTRON_RUN_AS_NODE: '1',
      MCP_GUARD_BRIDGE: '/tmp/mcp-guard-bridge.sock',
      MCP_GUARD_BRIDGE_TOKEN: 'tok-123',
    });
  });

  it('env without a bridge has no bridge variables', () => {
    const launch = buildGuardLaunch(SERVER, ctx({ bridge: undefined }));
    assert.deepEqual(launch.env, { ODOO_URL: 'https://example.test', ELECTRON_RUN_AS_NODE: '1' });
  });

  it("the server's env cannot override ELECTRON_RUN_AS_NODE or the bridge variables", () => {
    const server: GuardedServerConfig = {
      ...SERVER,
      env: { ELECTRON_RUN_AS_NODE: '0', MCP_GUARD_BRIDGE: '/tmp/evil.sock', MCP_GUARD_BRIDGE_TOKEN: 'stolen', OTHER: 'kept' },
    };
    const launch = buildGuardLaunch(server, CTX);
    assert.equal(launch.env['ELECTRON_RUN_AS_NODE'], '1');
    assert.equal(launch.env[BRIDGE_ADDRESS_ENV], '/tmp/mcp-guard-bridge.sock');
    assert.equal(launch.env[BRIDGE_TOKEN_ENV], 'tok-123');
    assert.equal(launch.env['OTHER'], 'kept');
    // without a bridge the ELECTRON flag still cannot be overridden
    assert.equal(buildGuardLaunch(server, ctx({ bridge: undefined })).env['ELECTRON_RUN_AS_NODE'], '1');
  });

  // Only the extension may point a guard at a bridge.
  it('without a bridge, bridge variables from the server env are not passed on', () => {
    const server: GuardedServerConfig = { ...SERVER, env: { MCP_GUARD_BRIDGE: '/tmp/evil.sock', MCP_GUARD_BRIDGE_TOKEN: 'x' } };
    const launch = buildGuardLaunch(server, ctx({ bridge: undefined }));
    assert.equal(launch.env[BRIDGE_ADDRESS_ENV], undefined);
    assert.equal(launch.env[BRIDGE_TOKEN_ENV], undefined);
  });

  it('does not share or mutate the server env object', () => {
    const env = { A: '1' };
    const launch = buildGuardLaunch({ ...SERVER, env }, CTX);
    launch.env['A'] = 'changed';
    assert.deepEqual(env, { A: '1' });
  });

  it('labels the definition "NAME (guarded)"', () => {
    assert.equal(buildGuardLaunch(SERVER, CTX).label, 'Odoo (guarded)');
    assert.equal(guardedLabel({ ...SERVER, name: 'Everything' }), 'Everything (guarded)');
  });

  it("passes a server's pins file as --pins, resolved against the workspace folder", () => {
    const pinsPath = pinsPathFor({ ...SERVER, pinsFile: '.vscode/odoo.pins.json' }, '/w');
    assert.equal(pinsPath, join('/w', '.vscode/odoo.pins.json'));
    assert.equal(pinsPathFor({ ...SERVER, pinsFile: '/abs/p.json' }, '/w'), '/abs/p.json');
    // No folder: passed as written, so the guard fails closed on a file it cannot find rather than pinning nothing.
    assert.equal(pinsPathFor({ ...SERVER, pinsFile: 'p.json' }, undefined), 'p.json');
    assert.equal(pinsPathFor(SERVER, '/w'), undefined);
    const launch = buildGuardLaunch(SERVER, ctx({ pinsPath }));
    const i = launch.args.indexOf('--pins');
    assert.ok(i > 0 && i < launch.args.indexOf('--'));
    assert.equal(launch.args[i + 1], pinsPath);
    assert.equal(parseRunArgs(launch.args.slice(2)).pins, pinsPath, 'the guard reads it as its pins file');
    assert.ok(!buildGuardLaunch(SERVER, CTX).args.includes('--pins'));
  });

  describe('version', () => {
    const base = buildGuardLaunch(SERVER, CTX).version;

    it('is the extension version plus a 12-hex-digit fingerprint, stable for the same input', () => {
      assert.match(base, /^0\.1\.0\+[0-9a-f]{12}$/);
      assert.equal(buildGuardLaunch({ ...SERVER, args: [...SERVER.args], env: { ...SERVER.env } }, { ...CTX }).version, base);
    });

    const changes: [string, GuardedServerConfig, LaunchContext][] = [
      ['server name', { ...SERVER, name: 'Odoo 2' }, CTX],
      ['server command', { ...SERVER, command: 'pipx' }, CTX],
      ['server args', { ...SERVER, args: ['odoo-mcp'] }, CTX],
      ['server env', { ...SERVER, env: { ODOO_URL: 'https://other.test' } }, CTX],
      ['server policyFile', { ...SERVER, policyFile: 'p.yaml' }, CTX],
      ['server pinsFile', { ...SERVER, pinsFile: 'odoo.pins.json' }, CTX],
      ['pins path', SERVER, ctx({ pinsPath: '/w/odoo.pins.json' })],
      ['server odoo flag', { ...SERVER, odoo: false }, CTX],
      ['policy path', SERVER, ctx({ policyPath: '/other/policy.yaml' })],
      ['no policy path', SERVER, ctx({ policyPath: undefined })],
      ['audit path', SERVER, ctx({ auditPath: '/other/audit.jsonl' })],
      ['audit off', SERVER, ctx({ auditPath: undefined })],
      ['audit includeArguments', SERVER, ctx({ auditIncludeArguments: true })],
      ['OTLP endpoint', SERVER, ctx({ otlpEndpoint: 'http://collector:4318' })],
      ['approval timeout', SERVER, ctx({ approvalTimeoutSeconds: 91 })],
      ['scan results', SERVER, ctx({ scanResults: 'off' })],
      ['state store', SERVER, ctx({ state: 'redis://127.0.0.1:6379/0' })],
      ['extension version', SERVER, ctx({ extensionVersion: '0.2.0' })],
    ];
    for (const [what, server, c] of changes) {
      it(`changes with the ${what}`, () => {
        assert.notEqual(buildGuardLaunch(server, c).version, base);
      });
    }

    it('does not change with the mode or the bridge (both are live)', () => {
      for (const c of [
        ctx({ mode: 'monitor' }),
        ctx({ mode: 'lockdown' }),
        ctx({ bridge: { address: '/tmp/other.sock', token: 'other' } }),
        ctx({ bridge: undefined }),
      ]) {
        assert.equal(buildGuardLaunch(SERVER, c).version, base);
      }
    });

    it('does not change with the node path or guard script location', () => {
      // Documents current behaviour: these are not part of the fingerprint.
      assert.equal(buildGuardLaunch(SERVER, ctx({ nodePath: '/other/node', guardScript: '/other/mcp-guard.js' })).version, base);
    });
  });
});

describe('extension definition-builder: the launch really starts a working guard (built bundle)', function () {
  this.timeout(30000);

  let tmp: { dir: string; cleanup: () => void };
  let client: RawClient | undefined;

  before(function () {
    for (const f of [GUARD, STANDIN]) {
      if (!existsSync(f)) throw new Error(`${f} is missing: run node scripts/build.mjs --fixtures first`);
    }
  });

  beforeEach(() => {
    tmp = tempDir('mcp-guard-ext-launch-');
  });

  afterEach(async () => {
    if (client) await client.close();
    client = undefined;
    tmp.cleanup();
  });

  function textOf(m: RawMessage): string {
    return ((m.result?.content ?? []) as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
  }

  it('allows health_check and denies cancel_async_task, with the server env and audit applied', async () => {
    const policyPath = join(tmp.dir, 'mcp-policy.yaml');
    const auditPath = join(tmp.dir, 'audit.jsonl');
    const journal = join(tmp.dir, 'journal.jsonl');
    writeFileSync(
      policyPath,
      starterPolicy(
        'odoo test',
        Object.entries(ODOO_MCP_CATALOG).map(([name, e]) => ({ name, ...e })),
      ),
    );
    const server: GuardedServerConfig = {
      name: 'Standin',
      command: process.execPath,
      args: [STANDIN],
      // reaches the upstream only if the launch env is really used
      env: { STANDIN_JOURNAL: journal },
      odoo: false,
    };
    const launch = buildGuardLaunch(server, {
      nodePath: process.execPath,
      guardScript: GUARD,
      policyPath,
      auditPath,
      auditIncludeArguments: false,
      approvalTimeoutSeconds: 5,
      mode: 'enforce',
      bridge: undefined,
      extensionVersion: '0.0.0-test',
    });
    // Exactly the launch's command, args and env: nothing inherited from this process.
    client = new RawClient(launch.command, launch.args, launch.env);

    const init = await client.initialize();
    assert.equal(init.error, undefined, JSON.stringify(init.error));
    assert.equal(typeof init.result?.serverInfo?.name, 'string');

    const ok = await client.request('tools/call', { name: 'health_check', arguments: {} });
    assert.equal(ok.error, undefined, JSON.stringify(ok.error));
    assert.notEqual(ok.result?.isError, true, textOf(ok));

    const cancel = await client.request('tools/call', { name: 'cancel_async_task', arguments: { task_id: 'abc' } });
    assert.equal(cancel.error, undefined, JSON.stringify(cancel.error));
    assert.equal(cancel.result?.isError, true, 'cancel_async_task must be blocked');
    assert.match(
      textOf(cancel),
      /^MCP Guard blocked the call to cancel_async_task \(Destructive, critical risk\) by rule tools\.cancel_async_task\./,
    );
    assert.match(client.stderr, /guarding "Standin" in enforce mode/);

    // The stand-in saw health_check only: the denied call was never forwarded.
    const journaled = readFileSync(journal, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).tool);
    assert.deepEqual(journaled, ['health_check']);

    await client.close();
    client = undefined;
    // --audit took effect: both decisions were written.
    const decisions = await waitFor('audit decisions', () => {
      if (!existsSync(auditPath)) return undefined;
      const d = readFileSync(auditPath, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((e) => e.event === 'decision');
      return d.length >= 2 ? d : undefined;
    });
    assert.deepEqual(
      decisions.map((d: { tool: string; decision: string; server: string }) => [d.server, d.tool, d.decision]),
      [
        ['Standin', 'health_check', 'allowed'],
        ['Standin', 'cancel_async_task', 'denied'],
      ],
    );
  });

  it('in monitor mode the same launch lets cancel_async_task through (the --mode argument works)', async () => {
    const journal = join(tmp.dir, 'journal.jsonl');
    const launch = buildGuardLaunch(
      { name: 'Standin', command: process.execPath, args: [STANDIN], env: { STANDIN_JOURNAL: journal }, odoo: false },
      {
        nodePath: process.execPath,
        guardScript: GUARD,
        policyPath: undefined,
        auditPath: undefined,
        auditIncludeArguments: false,
        approvalTimeoutSeconds: 5,
        mode: 'monitor',
        bridge: undefined,
        extensionVersion: '0.0.0-test',
      },
    );
    client = new RawClient(launch.command, launch.args, launch.env);
    await client.initialize();
    const cancel = await client.request('tools/call', { name: 'cancel_async_task', arguments: { task_id: 'abc' } });
    assert.equal(cancel.error, undefined, JSON.stringify(cancel.error));
    assert.doesNotMatch(textOf(cancel), /MCP Guard blocked/);
    assert.deepEqual(
      readFileSync(journal, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).tool),
      ['cancel_async_task'],
    );
  });
});
