// `mcp-guard serve` started where VS Code handed its bridge over (an integrated terminal): every
// session's approvals go to the editor, marked as a terminal's with the process that started serve;
// mode changes from the editor reach every session; no session's server process inherits the bridge.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { BridgeServer, type GuardConnection } from '../../src/guard/io/bridge-server';
import type { ApprovalRequestMessage } from '../../src/guard/bridge/protocol';
import { textOf } from '../support/guarded';
import { connectHttp, serve, type Served } from '../support/served';
import { waitFor } from '../support/temp';

const POLICY =
  'version: 1\ntools:\n  cancel_async_task: { action: require_approval, reason: irreversible }\n  health_check: { action: allow }\n';

describe('mcp-guard serve with the editor bridge of a terminal', function () {
  this.timeout(30_000);
  let bridge: BridgeServer;
  let served: Served | undefined;
  const clients: Client[] = [];
  const asked: { conn: GuardConnection; req: ApprovalRequestMessage }[] = [];

  beforeEach(async () => {
    asked.length = 0;
    bridge = await BridgeServer.start({
      currentMode: () => 'enforce',
      onApprovalRequest: (conn, req) => {
        asked.push({ conn, req });
        conn.send({ type: 'approval_answer', id: req.id, answer: 'deny' });
      },
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
    await served?.stop();
    await bridge.close();
  });

  it('asks the editor for every session, as a terminal guard naming its parent; denied, the call never runs', async () => {
    served = await serve({ policy: POLICY, env: { MCP_GUARD_BRIDGE: bridge.address, MCP_GUARD_BRIDGE_TOKEN: bridge.terminalToken } });
    await waitFor('serve to reach the editor', () => /connected to VS Code/.test(served!.stderr()), 10_000);
    for (let i = 0; i < 2; i++) {
      const { client } = await connectHttp(served.url);
      clients.push(client);
      const r = await client.callTool({ name: 'cancel_async_task', arguments: { task_id: `abcdefabcde${i}` } });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /did not get approval/);
    }
    assert.equal(asked.length, 2);
    for (const { conn, req } of asked) {
      assert.equal(conn.origin, 'terminal');
      assert.equal(req.tool, 'cancel_async_task');
      assert.equal(conn.parent?.pid, process.pid, 'serve’s parent is this test');
      if (process.platform === 'linux') assert.ok(conn.parent?.command?.includes('mocha'), conn.parent?.command);
    }
    assert.ok(!served.journal().some((j) => j.tool === 'cancel_async_task'));
    if (process.platform === 'linux') {
      const pid = served.upstreamPid(1);
      assert.ok(pid);
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      assert.doesNotMatch(environ, /MCP_GUARD_BRIDGE/, 'the server process does not inherit the bridge');
    }
  });

  it('applies a mode change from the editor to every session, and new ones start in it', async () => {
    served = await serve({ policy: POLICY, env: { MCP_GUARD_BRIDGE: bridge.address, MCP_GUARD_BRIDGE_TOKEN: bridge.terminalToken } });
    await waitFor('serve to reach the editor', () => /connected to VS Code/.test(served!.stderr()), 10_000);
    const { client: first } = await connectHttp(served.url);
    clients.push(first);
    await first.listTools();
    bridge.broadcast({ type: 'set_mode', mode: 'lockdown' });
    await waitFor('the mode change', () => /mode set to lockdown from VS Code/.test(served!.stderr()), 5000);
    const { client: second } = await connectHttp(served.url);
    clients.push(second);
    for (const c of [first, second]) {
      const r = await c.callTool({ name: 'submit_async_task', arguments: { operation: 'data_quality_report', params: {} } });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /Lockdown/i);
    }
    assert.deepEqual(served.journal(), []);
  });
});
