// src/extension/policy-location.ts: which policy file a guarded server runs with.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { choosePolicy, type PolicyLocationInput } from '../../src/extension/policy-location';
import type { GuardedServerConfig } from '../../src/extension/settings';

const WS = '/home/u/project';
const USER = '/home/u/.config/Code/User/globalStorage/mcp-guard/mcp-policy.yaml';
const WS_POLICY = join(WS, '.vscode/mcp-policy.yaml');

const SERVER: GuardedServerConfig = { name: 'Odoo', command: 'uvx', args: ['odoo-mcp'], env: {}, odoo: true };

function input(over: Partial<PolicyLocationInput> & { existing?: string[] } = {}): PolicyLocationInput & { probed: string[] } {
  const probed: string[] = [];
  const existing = new Set(over.existing ?? []);
  const { existing: _ignored, ...rest } = over;
  return {
    server: SERVER,
    workspacePolicySetting: '.vscode/mcp-policy.yaml',
    workspaceFolder: WS,
    trusted: true,
    userPolicyPath: USER,
    exists: (p) => {
      probed.push(p);
      return existing.has(p);
    },
    probed,
    ...rest,
  };
}

describe('extension policy-location: choosePolicy', () => {
  describe('a per-server policyFile', () => {
    it('absolute: used with scope server in a trusted workspace', () => {
      const server = { ...SERVER, policyFile: '/etc/mcp/odoo.yaml' };
      assert.deepEqual(choosePolicy(input({ server, existing: [WS_POLICY] })), { path: '/etc/mcp/odoo.yaml', scope: 'server' });
    });

    it('absolute: used with scope server even in an untrusted workspace', () => {
      const server = { ...SERVER, policyFile: '/etc/mcp/odoo.yaml' };
      assert.deepEqual(choosePolicy(input({ server, trusted: false })), { path: '/etc/mcp/odoo.yaml', scope: 'server' });
    });

    it('absolute: used even without a workspace folder', () => {
      const server = { ...SERVER, policyFile: '/etc/mcp/odoo.yaml' };
      assert.deepEqual(choosePolicy(input({ server, workspaceFolder: undefined, trusted: false })), {
        path: '/etc/mcp/odoo.yaml',
        scope: 'server',
      });
    });

    it('absolute: used whether or not the file exists (existence is not checked)', () => {
      const server = { ...SERVER, policyFile: '/nowhere/odoo.yaml' };
      const i = input({ server });
      assert.deepEqual(choosePolicy(i), { path: '/nowhere/odoo.yaml', scope: 'server' });
      assert.deepEqual(i.probed, []);
    });

    it('relative: resolved against the workspace folder when trusted', () => {
      const server = { ...SERVER, policyFile: 'policies/odoo.yaml' };
      assert.deepEqual(choosePolicy(input({ server, existing: [WS_POLICY] })), {
        path: '/home/u/project/policies/odoo.yaml',
        scope: 'server',
      });
    });

    it('relative: ignored when untrusted, falling back to the user policy (not the workspace one)', () => {
      const server = { ...SERVER, policyFile: 'policies/odoo.yaml' };
      const i = input({ server, trusted: false, existing: [WS_POLICY, '/home/u/project/policies/odoo.yaml'] });
      assert.deepEqual(choosePolicy(i), { path: USER, scope: 'user' });
      assert.deepEqual(i.probed, [], 'nothing in the workspace is even looked at');
    });

    it('relative: ignored without a workspace folder, even when trusted', () => {
      const server = { ...SERVER, policyFile: 'policies/odoo.yaml' };
      assert.deepEqual(choosePolicy(input({ server, workspaceFolder: undefined })), { path: USER, scope: 'user' });
    });

    it('relative with ..: still a workspace-relative, trusted-only path', () => {
      const server = { ...SERVER, policyFile: '../shared/odoo.yaml' };
      assert.deepEqual(choosePolicy(input({ server })), { path: '/home/u/shared/odoo.yaml', scope: 'server' });
      assert.deepEqual(choosePolicy(input({ server, trusted: false })), { path: USER, scope: 'user' });
    });
  });

  describe('the workspace policy file', () => {
    it('used when trusted and it exists', () => {
      const i = input({ existing: [WS_POLICY] });
      assert.deepEqual(choosePolicy(i), { path: WS_POLICY, scope: 'workspace' });
      assert.deepEqual(i.probed, [WS_POLICY]);
    });

    it('not used when trusted but missing: the user policy applies', () => {
      const i = input({ existing: [] });
      assert.deepEqual(choosePolicy(i), { path: USER, scope: 'user' });
      assert.deepEqual(i.probed, [WS_POLICY]);
    });

    it('not used when untrusted even though it exists, and not probed', () => {
      const i = input({ trusted: false, existing: [WS_POLICY] });
      assert.deepEqual(choosePolicy(i), { path: USER, scope: 'user' });
      assert.deepEqual(i.probed, []);
    });

    it('not used without a workspace folder', () => {
      const i = input({ workspaceFolder: undefined, existing: [WS_POLICY] });
      assert.deepEqual(choosePolicy(i), { path: USER, scope: 'user' });
    });

    it('follows the mcpGuard.policyFile setting, relative or absolute', () => {
      assert.deepEqual(
        choosePolicy(input({ workspacePolicySetting: 'guard/policy.yml', existing: ['/home/u/project/guard/policy.yml'] })),
        {
          path: '/home/u/project/guard/policy.yml',
          scope: 'workspace',
        },
      );
      assert.deepEqual(choosePolicy(input({ workspacePolicySetting: '/srv/policy.yaml', existing: ['/srv/policy.yaml'] })), {
        path: '/srv/policy.yaml',
        scope: 'workspace',
      });
    });

    it('a server without policyFile takes the workspace file; blank policyFile is not set by parseServers', () => {
      const i = input({ server: { ...SERVER }, existing: [WS_POLICY] });
      assert.equal(choosePolicy(i).scope, 'workspace');
    });
  });

  it('falls back to the user policy path', () => {
    assert.deepEqual(choosePolicy(input({ trusted: false, workspaceFolder: undefined })), { path: USER, scope: 'user' });
  });
});
