// Editor approvals for agents in the integrated terminal: the terminals' environment (src/extension/terminal-bridge.ts),
// the terminals' own token and the hello's parent process (bridge-server.ts, protocol.ts, parent-process.ts),
// and the dialog naming the process that asked (approval-text.ts, approval-queue.ts).
import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { ApprovalQueue } from '../../src/extension/approval-queue';
import { approvalDialog, askerLines, type Asker } from '../../src/extension/approval-text';
import { TERMINAL_BRIDGE_DESCRIPTION, handBridgeToTerminals, terminalBridgeVariables } from '../../src/extension/terminal-bridge';
import {
  BRIDGE_ADDRESS_ENV,
  BRIDGE_PROTOCOL_VERSION,
  BRIDGE_TOKEN_ENV,
  MAX_PARENT_COMMAND_CHARS,
  displayCommand,
  parentFromHello,
  type ApprovalRequestMessage,
} from '../../src/guard/bridge/protocol';
import { EditorBridgeClient } from '../../src/guard/io/bridge-client';
import { BridgeServer, type GuardConnection } from '../../src/guard/io/bridge-server';
import { commandFromCmdline, parentProcess } from '../../src/guard/io/parent-process';
import { waitFor } from '../support/temp';

const REQ: ApprovalRequestMessage = {
  type: 'approval_request',
  id: 'req-1',
  server: 'odoo',
  tool: 'cancel_async_task',
  category: 'Destructive',
  risk: 'critical',
  riskReason: 'gone for good',
  rule: 'tools.cancel_async_task',
  reason: 'irreversible',
  argsText: '{}',
  timeoutMs: 60000,
  allowSession: false,
};

describe('terminal bridge: the environment handed to terminals', () => {
  it('hands the address and the terminals’ token, not persistent, described, replacing what was there', () => {
    const calls: string[] = [];
    const env = {
      persistent: true,
      description: undefined as unknown,
      replace: (name: string, value: string) => calls.push(`replace ${name}=${value}`),
      clear: () => calls.push('clear'),
    };
    const undo = handBridgeToTerminals(env, { address: '/tmp/x/bridge.sock', terminalToken: 'tt' });
    assert.equal(env.persistent, false);
    assert.equal(env.description, TERMINAL_BRIDGE_DESCRIPTION);
    assert.deepEqual(calls, ['clear', `replace ${BRIDGE_ADDRESS_ENV}=/tmp/x/bridge.sock`, `replace ${BRIDGE_TOKEN_ENV}=tt`]);
    undo.dispose();
    assert.equal(calls.at(-1), 'clear');
  });

  it('uses the terminal token, never the server definitions’ one', async () => {
    const server = await BridgeServer.start({ currentMode: () => 'enforce', onApprovalRequest: () => {} });
    try {
      assert.notEqual(server.terminalToken, server.token);
      assert.match(server.terminalToken, /^[0-9a-f]{64}$/);
      assert.deepEqual(terminalBridgeVariables(server), { [BRIDGE_ADDRESS_ENV]: server.address, [BRIDGE_TOKEN_ENV]: server.terminalToken });
    } finally {
      await server.close();
    }
  });
});

describe('terminal bridge: the hello’s parent process', () => {
  it('validates and flattens the parent for display', () => {
    assert.deepEqual(parentFromHello({ pid: 42, command: 'claude\n--resume\u001b[31m x' }), { pid: 42, command: 'claude --resume [31m x' });
    assert.deepEqual(parentFromHello({ pid: 42 }), { pid: 42 });
    assert.deepEqual(parentFromHello({ pid: 42, command: 7 }), { pid: 42 });
    assert.deepEqual(parentFromHello({ pid: 42, command: '  ' }), { pid: 42 });
    for (const bad of [undefined, null, 'x', [], { pid: -1 }, { pid: 1.5 }, { pid: '42' }, {}])
      assert.equal(parentFromHello(bad), undefined);
    const long = parentFromHello({ pid: 1, command: 'a'.repeat(100_000) });
    assert.equal(long?.command?.length, MAX_PARENT_COMMAND_CHARS);
    assert.ok(long?.command?.endsWith('…'));
    assert.equal(displayCommand('a\u2028b\u0085c'), 'a b c');
  });

  it('reads the parent’s command line from /proc on Linux, and only its pid elsewhere', () => {
    assert.equal(commandFromCmdline('claude\0--model\0opus\0'), 'claude --model opus');
    assert.equal(commandFromCmdline('\0'), undefined);
    const read = (path: string) => {
      assert.equal(path, '/proc/77/cmdline');
      return 'node\0/usr/bin/claude\0';
    };
    assert.deepEqual(parentProcess(77, read, 'linux'), { pid: 77, command: 'node /usr/bin/claude' });
    assert.deepEqual(parentProcess(77, read, 'darwin'), { pid: 77 });
    assert.deepEqual(
      parentProcess(
        77,
        () => {
          throw new Error('ENOENT');
        },
        'linux',
      ),
      { pid: 77 },
    );
    assert.equal(parentProcess(0, read, 'linux'), undefined);
    if (process.platform === 'linux') assert.equal(parentProcess()?.pid, process.ppid);
  });
});

describe('terminal bridge: connections over a real socket', () => {
  let server: BridgeServer;
  const connected: GuardConnection[] = [];
  const clients: EditorBridgeClient[] = [];

  beforeEach(async () => {
    connected.length = 0;
    server = await BridgeServer.start({ currentMode: () => 'enforce', onApprovalRequest: () => {}, onConnect: (c) => connected.push(c) });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.close();
  });

  function client(token: string, parent?: { pid: number; command?: string }): EditorBridgeClient {
    const c = new EditorBridgeClient({
      address: server.address,
      token,
      server: 'odoo',
      version: 'test',
      ...(parent ? { parent } : {}),
      mode: () => 'enforce',
      onSetMode: () => {},
      onResetRateLimits: () => {},
      log: () => {},
      retryDelaysMs: [50],
    });
    clients.push(c);
    return c;
  }

  it('marks a guard with the terminals’ token as a terminal one, with its parent', async () => {
    assert.equal(await client(server.terminalToken, { pid: 4321, command: 'claude --resume' }).start(), true);
    await waitFor('the connection', () => connected.length === 1);
    assert.equal(connected[0]!.origin, 'terminal');
    assert.deepEqual(connected[0]!.parent, { pid: 4321, command: 'claude --resume' });
  });

  it('marks a guard with the definitions’ token as the editor’s, whatever parent it names', async () => {
    assert.equal(await client(server.token, { pid: 4321, command: 'claude' }).start(), true);
    await waitFor('the connection', () => connected.length === 1);
    assert.equal(connected[0]!.origin, 'editor');
    assert.equal(connected[0]!.parent, undefined);
  });

  it('still refuses a wrong token, and keeps a malformed parent out', async () => {
    assert.equal(await client('f'.repeat(64), { pid: 1 }).start(), false);
    const socket = connect(server.address);
    await new Promise((r) => socket.once('connect', r));
    const hello = {
      type: 'hello',
      token: server.terminalToken,
      protocol: BRIDGE_PROTOCOL_VERSION,
      server: 's',
      pid: 9,
      mode: 'enforce',
      version: 'x',
    };
    socket.write(`${JSON.stringify({ ...hello, parent: { pid: 'evil', command: 'x' } })}\n`);
    await waitFor('the connection', () => connected.length === 1);
    assert.equal(connected[0]!.origin, 'terminal');
    assert.equal(connected[0]!.parent, undefined);
    socket.destroy();
  });
});

describe('terminal bridge: the dialog names the process that asked', () => {
  const terminal: Asker = { origin: 'terminal', pid: 900, parent: { pid: 812, command: 'claude --resume' } };

  it('says a terminal asks, and which process, as the guard reports it', () => {
    const d = approvalDialog(REQ, 1, 1, terminal);
    assert.equal(d.message, 'MCP Guard: allow cancel_async_task on odoo? (asked from a terminal)');
    assert.ok(d.detail.startsWith('Asked by a process in an integrated terminal: claude --resume (pid 812)\n'), d.detail);
    assert.match(d.detail, /as its guard, pid 900, reports it/);
    assert.match(d.detail, /Tool: cancel_async_task/);
  });

  it('falls back to the pid alone, then to the guard’s pid', () => {
    assert.deepEqual(askerLines({ origin: 'terminal', pid: 900, parent: { pid: 812 } }).slice(0, 1), [
      'Asked by a process in an integrated terminal (pid 812)',
    ]);
    assert.deepEqual(askerLines({ origin: 'terminal', pid: 900 }), ['Asked by a process in an integrated terminal (guard pid 900)', '']);
  });

  it('leaves the editor’s own guards’ dialogs as they were', () => {
    const editor: Asker = { origin: 'editor', pid: 900 };
    assert.deepEqual(approvalDialog(REQ, 1, 1, editor), approvalDialog(REQ, 1, 1));
    assert.deepEqual(askerLines(editor), []);
  });

  it('names the terminal in a definition dialog too', () => {
    const req = {
      ...REQ,
      definitionChange: { kind: 'new', against: 'session', parts: [], schemaChanges: [], fingerprint: 'f' },
    } as ApprovalRequestMessage;
    const d = approvalDialog(req, 1, 2, terminal);
    assert.match(d.message, /\(1 of 2\) \(asked from a terminal\)$/);
    assert.match(d.detail, /^Asked by a process in an integrated terminal: claude --resume/);
  });

  it('the queue passes each request’s asker to the dialog', async () => {
    const seen: (Asker | undefined)[] = [];
    const q = new ApprovalQueue(async (_req, _p, _t, asker) => {
      seen.push(asker);
      return 'deny';
    });
    const answered: string[] = [];
    q.enqueue({ key: 'a', request: REQ, asker: terminal, answer: (a) => answered.push(a) });
    q.enqueue({ key: 'b', request: REQ, answer: (a) => answered.push(a) });
    await waitFor('both answers', () => answered.length === 2);
    assert.deepEqual(seen, [terminal, undefined]);
  });
});
