import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { BridgeServer } from '../../src/guard/io/bridge-server';
import type { ApprovalRequestMessage } from '../../src/guard/bridge/protocol';
import { connect, payloadOf, textOf, type Session } from '../support/guarded';
import { GUARD, STANDIN } from '../support/paths';
import { tempDir, waitFor } from '../support/temp';

/**
 * Pinned tool definitions, end to end: the real guard in front of the stand-in, whose tool
 * search_records changes its description and input schema after N calls
 * (STANDIN_CHANGE_TOOL_AFTER_CALLS). The stand-in's journal shows what really executed.
 */
const FIXTURE_TOOLS = JSON.parse(readFileSync(`${__dirname}/../fixtures/odoo-tools.json`, 'utf8')).tools as { name: string }[];
const SEARCH = { name: 'search_records', arguments: { model: 'res.partner', domain: [], fields: ['name'], limit: 2 } };
const CHANGE_AFTER_2 = { STANDIN_CHANGE_TOOL_AFTER_CALLS: '2' };

const sessions: Session[] = [];
const cleanups: (() => void)[] = [];
async function open(...args: Parameters<typeof connect>): Promise<Session> {
  const s = await connect(...args);
  sessions.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  for (const c of cleanups.splice(0)) c();
});

/** `mcp-guard pin --pins FILE -- node stand-in`, as a user runs it. */
function pin(file: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STANDIN_'))) as Record<string, string>;
  const r = spawnSync(process.execPath, [GUARD, 'pin', '--pins', file, '--name', 'odoo-mcp', '--', process.execPath, STANDIN], {
    env: { ...base, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function pinsPath(): string {
  const { dir, cleanup } = tempDir('mcp-guard-pins-');
  cleanups.push(cleanup);
  return join(dir, 'odoo.pins.json');
}

const names = async (s: Session) => (await s.client.listTools()).tools.map((t) => t.name);
const executed = (s: Session, tool: string) => s.journal().filter((j) => j.tool === tool).length;

/** Two health checks: the stand-in then changes search_records and sends tools/list_changed. */
async function triggerChange(s: Session): Promise<void> {
  let told = false;
  s.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    told = true;
  });
  for (let i = 0; i < 2; i++) assert.equal(payloadOf(await s.client.callTool({ name: 'health_check', arguments: {} })).success, true);
  await waitFor('tools/list_changed at the client', () => told);
}

describe('pinned tool definitions (SDK client → dist/mcp-guard.js → stand-in)', function () {
  this.timeout(30_000);

  describe('without a pins file: trust on first use for the session', () => {
    it('a tool changed after list_changed is denied (never executed), then left out of tools/list, with what changed', async () => {
      const s = await open({ env: CHANGE_AFTER_2 });
      assert.deepEqual(
        await names(s),
        FIXTURE_TOOLS.map((t) => t.name),
      );
      assert.equal(payloadOf(await s.client.callTool(SEARCH)).success, true, 'trusted before the change');
      await triggerChange(s);
      // Called straight after the notification, before the client lists again: the guard re-reads the list itself.
      const denied = await s.client.callTool(SEARCH);
      assert.equal(denied.isError, true);
      assert.match(
        textOf(denied),
        /blocked the call to search_records .* by rule tool_definition\.\nReason: The server changed the definition of search_records after this session first listed it: description, input schema changed \(input schema: properties added: notify_url\)/,
      );
      assert.equal(executed(s, 'search_records'), 1, 'only the call before the change executed');
      const listed = await names(s);
      assert.deepEqual(
        listed,
        FIXTURE_TOOLS.map((t) => t.name).filter((n) => n !== 'search_records'),
      );
      assert.equal((await s.client.callTool(SEARCH)).isError, true);
      assert.equal(executed(s, 'search_records'), 1);
      assert.equal(payloadOf(await s.client.callTool({ name: 'health_check', arguments: {} })).success, true, 'other tools still work');
      const events = s.audit().filter((e) => e.event === 'tool_definition');
      assert.deepEqual(
        events.map((e) => [e.tool, e.change, e.against, e.parts]),
        [['search_records', 'changed', 'session', ['description', 'input schema']]],
        'audited once',
      );
      assert.match(events[0].fingerprint, /^sha256:[0-9a-f]{64}$/);
      assert.notEqual(events[0].fingerprint, events[0].trusted_fingerprint);
      assert.deepEqual(
        s
          .decisions()
          .filter((d) => d.tool === 'search_records')
          .map((d) => [d.decision, d.rule === 'tool_definition', d.outcome]),
        [
          ['allowed', false, 'ok'],
          ['denied', true, 'not_forwarded'],
          ['denied', true, 'not_forwarded'],
        ],
      );
    });

    it('a tool changed silently (no list_changed) is left out of the next tools/list and denied', async () => {
      const s = await open({ env: { STANDIN_CHANGE_TOOL_AFTER_CALLS: '1', STANDIN_CHANGE_TOOL_SILENTLY: '1' } });
      await names(s);
      await s.client.callTool({ name: 'health_check', arguments: {} });
      assert.ok(!(await names(s)).includes('search_records'), 'the changed definition the client was sent is left out');
      const denied = await s.client.callTool(SEARCH);
      assert.equal(denied.isError, true);
      assert.match(textOf(denied), /changed the definition of search_records/);
      assert.equal(executed(s, 'search_records'), 0);
    });

    it('a person who trusts the change (MCP elicitation) lets it through for the session; one who does not, does not', async () => {
      const asked: string[] = [];
      let answer = false;
      const s = await open({
        env: CHANGE_AFTER_2,
        capabilities: { elicitation: {} },
        setup: (client) =>
          client.setRequestHandler(ElicitRequestSchema, async (req) => {
            asked.push(req.params.message);
            return { action: 'accept', content: { confirm: answer } };
          }),
      });
      await names(s);
      await triggerChange(s);
      assert.equal((await s.client.callTool(SEARCH)).isError, true);
      assert.equal(asked.length, 1);
      assert.match(asked[0]!, /trust the new definition of search_records/i);
      assert.match(asked[0]!, /Old description: /);
      assert.match(asked[0]!, /New description: .*notify_url/);
      assert.match(asked[0]!, /input schema: properties added: notify_url/);
      assert.equal(executed(s, 'search_records'), 0);
      answer = true;
      assert.equal(payloadOf(await s.client.callTool(SEARCH)).success, true);
      assert.equal(executed(s, 'search_records'), 1);
      assert.ok((await names(s)).includes('search_records'), 'trusted now, listed again');
      await s.client.callTool(SEARCH);
      assert.equal(asked.length, 2, 'trusted for the session: not asked again');
      assert.deepEqual(
        s
          .audit()
          .filter((e) => e.event === 'tool_trusted')
          .map((e) => [e.tool, e.by, e.pins_updated]),
        [['search_records', 'elicitation', false]],
      );
    });
  });

  describe('with a pins file (mcp-guard pin, then run --pins)', () => {
    it('pin then run --pins with an unchanged server changes nothing', async () => {
      const file = pinsPath();
      const r = pin(file);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^pinned ${FIXTURE_TOOLS.length} tools of odoo-mcp in `));
      const pins = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(pins.version, 1);
      assert.equal(pins.server, 'odoo-mcp');
      assert.deepEqual(Object.keys(pins.tools).sort(), FIXTURE_TOOLS.map((t) => t.name).sort());
      const before = readFileSync(file, 'utf8');
      const again = pin(file);
      assert.equal(again.status, 0);
      assert.equal(again.stdout.trim().split('\n').length, 1, 'nothing changed, nothing listed');
      assert.equal(readFileSync(file, 'utf8'), before, 'the same server gives the same file');

      const direct = await open({ direct: true });
      const s = await open({ guardArgs: ['--pins', file] });
      assert.deepEqual(await s.client.listTools(), await direct.client.listTools());
      assert.deepEqual(await s.client.callTool(SEARCH), await direct.client.callTool(SEARCH));
      assert.equal(executed(s, 'search_records'), 1);
      assert.deepEqual(
        s.audit().filter((e) => e.event === 'tool_definition' || e.event === 'tool_trusted'),
        [],
      );
      assert.equal(s.audit().find((e) => e.event === 'start').pins, file);
    });

    it('a tool that differs from its pin is left out of tools/list and denied, saying what changed', async () => {
      const file = pinsPath();
      assert.equal(pin(file).status, 0);
      const s = await open({ guardArgs: ['--pins', file], env: CHANGE_AFTER_2 });
      await triggerChange(s);
      assert.ok(!(await names(s)).includes('search_records'));
      const denied = await s.client.callTool(SEARCH);
      assert.match(
        textOf(denied),
        /The definition of search_records differs from its pin in .*odoo\.pins\.json: description, input schema changed/,
      );
      assert.equal(executed(s, 'search_records'), 0);
      const pinned = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(s.audit().find((e) => e.event === 'tool_definition').trusted_fingerprint, pinned.tools.search_records.fingerprint);
    });

    it('a tool not in the pins file is left out and denied', async () => {
      const file = pinsPath();
      assert.equal(pin(file).status, 0);
      const pins = JSON.parse(readFileSync(file, 'utf8'));
      delete pins.tools.read_record;
      writeFileSync(file, JSON.stringify(pins));
      const s = await open({ guardArgs: ['--pins', file] });
      assert.deepEqual(
        await names(s),
        FIXTURE_TOOLS.map((t) => t.name).filter((n) => n !== 'read_record'),
      );
      const denied = await s.client.callTool({ name: 'read_record', arguments: { model: 'res.partner', record_id: 2 } });
      assert.match(textOf(denied), /read_record is not in the pins file/);
      assert.equal(executed(s, 'read_record'), 0);
      assert.deepEqual(
        s
          .audit()
          .filter((e) => e.event === 'tool_definition')
          .map((e) => [e.tool, e.change, e.against]),
        [['read_record', 'new', 'pins']],
      );
    });

    it('"Trust new definition" in the editor lets the call through and rewrites the pins file; the next session trusts it', async () => {
      const file = pinsPath();
      assert.equal(pin(file).status, 0);
      const before = JSON.parse(readFileSync(file, 'utf8'));
      const asked: ApprovalRequestMessage[] = [];
      const bridge = await BridgeServer.start({
        currentMode: () => 'enforce',
        onApprovalRequest: (conn, req) => {
          asked.push(req);
          conn.send({ type: 'approval_answer', id: req.id, answer: 'trust_definition' });
        },
      });
      cleanups.push(() => void bridge.close());
      const s = await open({
        guardArgs: ['--pins', file],
        env: { ...CHANGE_AFTER_2, MCP_GUARD_BRIDGE: bridge.address, MCP_GUARD_BRIDGE_TOKEN: bridge.token },
      });
      await waitFor('the guard to reach the editor', () => /connected to VS Code/.test(s.stderr()), 10_000);
      await triggerChange(s);
      assert.equal(payloadOf(await s.client.callTool(SEARCH)).success, true);
      assert.equal(executed(s, 'search_records'), 1);
      assert.equal(asked.length, 1);
      const change = asked[0]!.definitionChange!;
      assert.deepEqual([change.kind, change.against, change.parts], ['changed', 'pins', ['description', 'input schema']]);
      assert.equal(change.oldDescription, before.tools.search_records.definition.description);
      assert.match(change.newDescription!, /notify_url/);
      assert.deepEqual(change.schemaChanges, ['input schema: properties added: notify_url']);
      assert.equal(asked[0]!.allowSession, false);
      const after = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(after.tools.search_records.fingerprint, change.fingerprint, 'pinned');
      assert.notEqual(after.tools.search_records.fingerprint, before.tools.search_records.fingerprint);
      for (const name of Object.keys(before.tools).filter((n) => n !== 'search_records'))
        assert.deepEqual(after.tools[name], before.tools[name], name);
      assert.deepEqual(
        s
          .audit()
          .filter((e) => e.event === 'tool_trusted')
          .map((e) => [e.tool, e.by, e.pins_updated, e.fingerprint]),
        [['search_records', 'editor', true, change.fingerprint]],
      );
      // The next session, on the changed server from its start, trusts the new pin (and no longer the old definition).
      const next = await open({ guardArgs: ['--pins', file], env: { STANDIN_CHANGE_TOOL_AFTER_CALLS: '1' } });
      assert.ok(!(await names(next)).includes('search_records'), 'the old definition is no longer pinned');
      await next.client.callTool({ name: 'health_check', arguments: {} });
      assert.ok((await names(next)).includes('search_records'), 'the new one is');
      assert.equal(payloadOf(await next.client.callTool(SEARCH)).success, true);
    });

    for (const [what, text] of [
      ['missing', undefined],
      ['not JSON', '{"version": 1, "tools": '],
      ['edited by hand', 'EDIT'],
    ] as const) {
      it(`a pins file that is ${what} fails closed: no tool listed, every call denied with what to fix`, async () => {
        const file = pinsPath();
        if (text === 'EDIT') {
          assert.equal(pin(file).status, 0);
          const pins = JSON.parse(readFileSync(file, 'utf8'));
          pins.tools.health_check.definition.description = 'Edited.';
          writeFileSync(file, JSON.stringify(pins));
        } else if (text !== undefined) writeFileSync(file, text);
        const s = await open({ guardArgs: ['--pins', file] });
        assert.deepEqual(await names(s), []);
        const denied = await s.client.callTool({ name: 'health_check', arguments: {} });
        assert.equal(denied.isError, true);
        assert.match(textOf(denied), /cannot use the pins file .*odoo\.pins\.json/);
        assert.match(textOf(denied), /mcp-guard pin/);
        assert.deepEqual(s.journal(), []);
        assert.match(s.stderr(), /every tool is blocked until it is fixed/);
      });
    }
  });
});
