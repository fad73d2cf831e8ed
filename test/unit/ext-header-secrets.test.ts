// `${secret:NAME}` in a remote server's headers: settings accept it, the launch hands the guard a variable,
// starting asks once and stores the value, and the guard reads it back from its environment only.
import { strict as assert } from 'node:assert';
import { parseRunArgs } from '../../src/cli/args';
import { buildGuardLaunch, type LaunchContext } from '../../src/extension/definition-builder';
import { headerSecretNames, resolveHeaderSecrets, secretEnvName, secretKey, type HeaderSecretIO } from '../../src/extension/header-secrets';
import { parseServers, type GuardedServerConfig } from '../../src/extension/settings';

const CTX: LaunchContext = {
  nodePath: '/usr/bin/node',
  guardScript: '/ext/dist/mcp-guard.js',
  policyPath: '/ws/.vscode/mcp-policy.yaml',
  pinsPath: undefined,
  auditPath: undefined,
  auditIncludeArguments: false,
  approvalTimeoutSeconds: 60,
  mode: 'enforce',
  extensionVersion: '0.1.0',
  bridge: undefined,
};

const REMOTE: GuardedServerConfig = {
  name: 'Odoo remote',
  command: '',
  args: [],
  url: 'https://odoo.example.com/mcp',
  headers: { Authorization: 'Bearer ${secret:odoo-token}', 'X-Both': '${secret:odoo-token}/${secret:tenant.id}' },
  env: {},
  odoo: false,
};

function fakeIO(stored: Record<string, string>, answers: (string | undefined)[]) {
  const store = new Map(Object.entries(stored));
  const asked: string[] = [];
  const remembered: string[] = [];
  const io: HeaderSecretIO = {
    get: async (key) => store.get(key),
    store: async (key, value) => void store.set(key, value),
    ask: async (p) => {
      asked.push(p.title);
      return answers.shift();
    },
    remember: async (name) => void remembered.push(name),
  };
  return { io, store, asked, remembered };
}

describe('extension: header secrets (${secret:NAME} in a remote server’s headers)', () => {
  it('settings take ${secret:NAME} next to ${env:NAME}, and name what they refuse', () => {
    const { servers, problems } = parseServers([
      { name: 'A', url: 'https://a.example.com/mcp', headers: { Authorization: 'Bearer ${secret:a-token}', X: '${env:X}' } },
      { name: 'B', url: 'https://b.example.com/mcp', headers: { Authorization: '${input:b}' } },
    ]);
    assert.deepEqual(
      servers.map((s) => s.name),
      ['A'],
    );
    assert.deepEqual(problems, [
      "mcpGuard.servers[1].headers.Authorization: ${input:b} is not supported; write ${env:NAME} to take a value from the environment, or ${secret:NAME} to keep it in VS Code's secret storage",
    ]);
  });

  it('the launch hands the guard one variable per secret, never its value; the guard fills the header from its environment', () => {
    assert.deepEqual(headerSecretNames(REMOTE), ['odoo-token', 'tenant.id']);
    const launch = buildGuardLaunch(REMOTE, CTX);
    const token = secretEnvName('odoo-token');
    const tenant = secretEnvName('tenant.id');
    assert.match(token, /^MCP_GUARD_SECRET_[0-9A-F]+$/);
    assert.notEqual(token, secretEnvName('odoo_token'), 'distinct names, distinct variables');
    assert.deepEqual(launch.args.slice(-2), [
      `--upstream-header=Authorization: Bearer \${${token}}`,
      `--upstream-header=X-Both: \${${token}}/\${${tenant}}`,
    ]);
    assert.ok(!JSON.stringify(launch).includes('s3cret'));
    const opts = parseRunArgs(launch.args.slice(2), { [token]: 's3cret-token', [tenant]: 'eu' });
    assert.deepEqual(opts.upstreamHeaders, { Authorization: 'Bearer s3cret-token', 'X-Both': 's3cret-token/eu' });
  });

  it('starting asks once for each secret not stored, stores and remembers it; a stored one is not asked for', async () => {
    const { io, store, asked, remembered } = fakeIO({ [secretKey('tenant.id')]: 'eu' }, ['tok-1']);
    const r = await resolveHeaderSecrets(io, REMOTE);
    assert.deepEqual(r, { ok: true, env: { [secretEnvName('odoo-token')]: 'tok-1', [secretEnvName('tenant.id')]: 'eu' } });
    assert.deepEqual(asked, ['odoo-token for Odoo remote']);
    assert.equal(store.get(secretKey('odoo-token')), 'tok-1');
    assert.deepEqual(remembered, ['odoo-token']);
    const again = fakeIO(Object.fromEntries(store), []);
    assert.ok((await resolveHeaderSecrets(again.io, REMOTE)).ok);
    assert.deepEqual(again.asked, []);
  });

  it('a cancel, an empty answer or a line break stops the start and stores nothing', async () => {
    for (const answer of [undefined, '', 'tok\r\nX-Admin: yes']) {
      const { io, store } = fakeIO({}, [answer]);
      const r = await resolveHeaderSecrets(io, REMOTE);
      assert.equal(r.ok, false);
      assert.match((r as { reason: string }).reason, /odoo-token (is needed to start Odoo remote|must not hold a line break)/);
      assert.equal(store.size, 0);
    }
  });
});
