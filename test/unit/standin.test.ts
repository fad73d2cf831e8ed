// The stand-in Odoo MCP server (src/demo/odoo-standin), driven through a real SDK
// Client over stdio against the BUILT bundle (npm run build: dist/odoo-demo-server.js).
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CallToolResultSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import fixture from '../fixtures/odoo-tools.json';
import { RawClient } from '../support/raw-client';

const ROOT = resolve(__dirname, '..', '..');
const SERVER = join(ROOT, 'dist', 'odoo-demo-server.js');

type Json = any;

interface Started {
  client: Client;
  call: (name: string, args?: Record<string, unknown>) => Promise<CallToolResult>;
  /** structuredContent of a successful (isError false) call */
  payload: (name: string, args?: Record<string, unknown>) => Promise<Json>;
}

const clients: Client[] = [];

async function start(env: Record<string, string> = {}, capabilities: Record<string, unknown> = {}): Promise<Started> {
  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('STANDIN_') && !k.startsWith('ODOO_MCP_')) baseEnv[k] = v;
  }
  const transport = new StdioClientTransport({ command: process.execPath, args: [SERVER], env: { ...baseEnv, ...env }, stderr: 'pipe' });
  const client = new Client({ name: 'standin-test', version: '0.0.0' }, { capabilities });
  await client.connect(transport);
  clients.push(client);
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  const payload = async (name: string, args: Record<string, unknown> = {}) => {
    const r = await call(name, args);
    assert.equal(r.isError, false, `${name} answered isError: ${JSON.stringify(r.content)}`);
    const text = (r.content[0] as { text: string }).text;
    assert.deepEqual(JSON.parse(text), r.structuredContent, `${name}: text and structuredContent differ`);
    return r.structuredContent;
  };
  return { client, call, payload };
}

function errorText(r: CallToolResult): string {
  assert.equal(r.isError, true);
  return (r.content[0] as { text: string }).text;
}

describe('odoo-standin server', function () {
  this.timeout(10_000);
  let tmp: string;

  before(() => {
    assert.ok(existsSync(SERVER), `${SERVER} missing: run npm run build first`);
    tmp = mkdtempSync(join(tmpdir(), 'standin-test-'));
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('catalog and reads', () => {
    let s: Started;
    before(async () => {
      s = await start();
    });

    it('identifies itself and answers tools/list with exactly the fixture', async () => {
      assert.deepEqual(s.client.getServerVersion(), { name: 'odoo-mcp-standin', version: '1.3.0' });
      assert.ok(s.client.getInstructions());
      const caps = s.client.getServerCapabilities()!;
      assert.deepEqual(caps.tools, { listChanged: false });
      assert.deepEqual(caps.resources, { subscribe: false, listChanged: false });
      assert.ok(caps.prompts && caps.completions && caps.logging);
      const { tools } = await s.client.listTools();
      assert.deepEqual(tools, fixture.tools);
    });

    it('search_records finds seeded records (domain, fields, limit/offset, query)', async () => {
      const deco = await s.payload('search_records', {
        model: 'res.partner',
        domain: [['name', 'ilike', 'deco']],
        fields: ['name', 'email'],
      });
      assert.equal(deco.success, true);
      assert.deepEqual(deco.result, [{ id: 3, name: 'Deco Addict', email: 'deco.addict82@example.com' }]);

      const companies = await s.payload('search_records', {
        model: 'res.partner',
        domain: [
          ['is_company', '=', true],
          ['id', '!=', 1],
        ],
        fields: ['name'],
        limit: 2,
        offset: 1,
      });
      assert.deepEqual(
        companies.result.map((r: Json) => r.id),
        [3, 4],
      );

      const orders = await s.payload('search_records', {
        model: 'sale.order',
        domain: '[["partner_id", "in", [2]], ["amount_total", ">", 1500]]',
        fields: ['name', 'partner_id'],
      });
      assert.deepEqual(orders.result, [{ id: 1, name: 'S00001', partner_id: [2, 'Azure Interior'] }]);

      const q = await s.payload('search_records', { model: 'hr.employee', query: 'marc', fields: ['name'] });
      assert.deepEqual(q.result, [{ id: 2, name: 'Marc Demo' }]);

      const emp = await s.payload('search_employee', { name: 'Anita' });
      assert.deepEqual(emp.result, [{ id: 4, name: 'Anita Oliver' }]);

      const agg = await s.payload('aggregate_records', { model: 'sale.order', group_by: ['state'], measures: ['amount_total:sum'] });
      const sale = agg.result.find((g: Json) => g.state === 'sale');
      assert.deepEqual(sale, { state: 'sale', __count: 2, 'amount_total:sum': 2940 });
    });

    it('answers tool-level failures, bad arguments and unknown tools like the real server', async () => {
      const missing = await s.payload('read_record', { model: 'res.partner', record_id: 999 });
      assert.equal(missing.success, false);
      assert.match(missing.error, /not found/i);

      assert.match(
        errorText(await s.call('read_record', { model: 'res.partner' })),
        /^Error executing tool read_record: 1 validation error for read_recordArguments\nrecord_id\n {2}Field required/,
      );
      assert.match(errorText(await s.call('read_record', { model: 'res.partner', record_id: 'abc' })), /Input should be a valid integer/);
      assert.equal(errorText(await s.call('no_such_tool')), 'Error executing tool no_such_tool: Unknown tool');
    });

    it('answers every tool of the fixture with a success/error payload', async () => {
      const required: Record<string, unknown> = {
        model: 'res.partner',
        method: 'search_count',
        log_text: 'INFO ok\nERROR boom',
        name: 'res.partner',
        requirements: ['Track sales orders'],
        conditions: [{ field: 'name', operator: 'ilike', value: 'a' }],
        pack: 'sales',
        record_id: 2,
        field: 'name',
        output_path: '/tmp/out.bin',
        input_path: '/tmp/in.bin',
        attachment_id: 1,
        group_by: ['is_company'],
        start_date: '2025-01-01',
        end_date: '2025-12-31',
        operation: 'scan_addons_source',
        approval: {},
        body: 'hello',
        query: 'azure',
        task_id: '000000000000',
      };
      for (const tool of fixture.tools) {
        const args: Record<string, unknown> = {};
        for (const r of (tool.inputSchema as { required?: string[] }).required ?? []) args[r] = required[r];
        if (tool.name === 'preview_write' || tool.name === 'validate_write') args.operation = 'write';
        const p = await s.payload(tool.name, args);
        assert.equal(typeof p.success, 'boolean', tool.name);
      }
    });

    it('serves the resources and resource templates', async () => {
      const { resources } = await s.client.listResources();
      assert.deepEqual(
        resources.map((r) => r.uri),
        ['odoo://models'],
      );
      const { resourceTemplates } = await s.client.listResourceTemplates();
      assert.deepEqual(
        resourceTemplates.map((t) => t.uriTemplate),
        ['odoo://model/{model_name}', 'odoo://record/{model_name}/{record_id}', 'odoo://search/{model_name}/{domain}'],
      );

      const models = await s.client.readResource({ uri: 'odoo://models' });
      assert.equal(models.contents[0].mimeType, 'application/json');
      assert.ok(JSON.parse((models.contents[0] as { text: string }).text).model_names.includes('sale.order'));

      const rec = await s.client.readResource({ uri: 'odoo://record/res.partner/2' });
      assert.equal(JSON.parse((rec.contents[0] as { text: string }).text).name, 'Azure Interior');

      const domain = encodeURIComponent(JSON.stringify([['state', '=', 'draft']]));
      const found = await s.client.readResource({ uri: `odoo://search/sale.order/${domain}` });
      assert.deepEqual(
        JSON.parse((found.contents[0] as { text: string }).text).map((r: Json) => r.name),
        ['S00002'],
      );

      const model = await s.client.readResource({ uri: 'odoo://model/hr.employee' });
      assert.ok(JSON.parse((model.contents[0] as { text: string }).text).fields.work_email);
    });

    it('lists the 11 prompts, renders one and completes model names', async () => {
      const { prompts } = await s.client.listPrompts();
      assert.equal(prompts.length, 11);
      assert.ok(prompts.some((p) => p.name === 'pre_migration_data_quality'));
      const got = await s.client.getPrompt({ name: 'safe_write_review', arguments: { model: 'res.partner', operation: 'unlink' } });
      assert.equal(got.messages[0].role, 'user');
      assert.match((got.messages[0].content as { text: string }).text, /Model: res\.partner\nOperation: unlink/);

      const c1 = await s.client.complete({
        ref: { type: 'ref/resource', uri: 'odoo://record/{model_name}/{record_id}' },
        argument: { name: 'model_name', value: 'res' },
      });
      assert.deepEqual(c1.completion.values, ['res.partner']);
      const c2 = await s.client.complete({
        ref: { type: 'ref/prompt', name: 'safe_write_review' },
        argument: { name: 'model', value: 'hr.' },
      });
      assert.deepEqual(c2.completion.values, ['hr.employee', 'hr.leave']);
    });

    it('runs the async task lifecycle: submit, get, list, cancel for good', async () => {
      const sub = await s.payload('submit_async_task', { operation: 'receivable_payable_aging', params: { direction: 'receivable' } });
      assert.equal(sub.success, true);
      assert.match(sub.task_id, /^[0-9a-f]{12}$/);
      assert.equal(sub.status, 'running');
      assert.equal((await s.payload('get_async_task', { task_id: sub.task_id })).status, 'running');
      const listed = await s.payload('list_async_tasks');
      assert.ok(listed.tasks.some((t: Json) => t.task_id === sub.task_id));
      const cancel = await s.payload('cancel_async_task', { task_id: sub.task_id });
      assert.equal(cancel.success, true);
      assert.equal(cancel.status, 'cancelled');
      assert.equal((await s.payload('get_async_task', { task_id: sub.task_id })).status, 'cancelled');
      const again = await s.payload('cancel_async_task', { task_id: sub.task_id });
      assert.equal(again.success, false);
      assert.match(again.error, /^Task already cancelled/);
      assert.equal((await s.payload('submit_async_task', { operation: 'drop_database' })).success, false);
    });
  });

  describe('writes, journal and state file', () => {
    let s: Started;
    let journal: string;
    let stateFile: string;
    before(async () => {
      journal = join(tmp, 'journal.jsonl');
      stateFile = join(tmp, 'state.json');
      s = await start({ STANDIN_JOURNAL: journal, STANDIN_STATE_FILE: stateFile });
    });
    const journalLines = () =>
      readFileSync(journal, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    const state = () => JSON.parse(readFileSync(stateFile, 'utf8'));

    it('preview -> validate -> execute unlink really deletes, and journals every executed call', async () => {
      assert.ok(
        state().records['res.partner'].some((r: Json) => r.id === 4),
        'initial state file lists seed records',
      );
      assert.equal((await s.payload('read_record', { model: 'res.partner', record_id: 4 })).success, true);
      const args = { model: 'res.partner', operation: 'unlink', record_ids: [4] };
      const preview = await s.payload('preview_write', args);
      assert.match(preview.approval.token, /^odoo-write:[0-9a-f]{32}$/);
      const validated = await s.payload('validate_write', args);
      assert.equal(validated.approval_status.stored, true);
      const noConfirm = await s.payload('execute_approved_write', { approval: validated.approval });
      assert.equal(noConfirm.success, false);
      assert.equal((await s.payload('read_record', { model: 'res.partner', record_id: 4 })).success, true, 'no confirm, no delete');
      const done = await s.payload('execute_approved_write', { approval: validated.approval, confirm: true });
      assert.equal(done.success, true, JSON.stringify(done));
      assert.equal((await s.payload('read_record', { model: 'res.partner', record_id: 4 })).success, false);
      const replay = await s.payload('execute_approved_write', { approval: validated.approval, confirm: true });
      assert.equal(replay.success, false, 'approval is single-use');

      const lines = journalLines();
      assert.deepEqual(
        lines.map((l) => l.tool),
        [
          'read_record',
          'preview_write',
          'validate_write',
          'execute_approved_write',
          'read_record',
          'execute_approved_write',
          'read_record',
          'execute_approved_write',
        ],
      );
      assert.deepEqual(
        lines.map((l) => l.seq),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
      assert.deepEqual(lines[1].arguments, args);
      assert.ok(lines.every((l) => typeof l.pid === 'number' && !Number.isNaN(Date.parse(l.time))));
      assert.equal(
        state().records['res.partner'].some((r: Json) => r.id === 4),
        false,
      );
    });

    it('execute_method unlink deletes; chatter_post appends to the chatter', async () => {
      const r = await s.payload('execute_method', { model: 'sale.order', method: 'unlink', args: [[5]] });
      assert.equal(r.success, true);
      assert.equal((await s.payload('execute_method', { model: 'sale.order', method: 'search_count', args: [[]] })).result, 4);
      const post = await s.payload('chatter_post', { model: 'res.partner', record_id: 2, body: 'Called the customer' });
      assert.equal(post.success, true);
      assert.equal(state().chatter['res.partner/2'][0].body, 'Called the customer');
      assert.equal(state().records['sale.order'].length, 4);
    });
  });

  describe('writes disabled', () => {
    it('ODOO_MCP_ENABLE_WRITES=0 refuses to delete', async () => {
      const s = await start({ ODOO_MCP_ENABLE_WRITES: '0' });
      const r = await s.payload('execute_method', { model: 'res.partner', method: 'unlink', args: [[3]] });
      assert.equal(r.success, false);
      assert.equal((await s.payload('read_record', { model: 'res.partner', record_id: 3 })).success, true);
    });
  });

  describe('elicitation of writes', () => {
    it('applies the write only when the client accepts with approve=true', async () => {
      const answers = [{ action: 'decline' }, { action: 'accept', content: { approve: true } }];
      const asked: string[] = [];
      const s = await start({ ODOO_MCP_ELICIT_WRITES: '1' }, { elicitation: {} });
      s.client.setRequestHandler(ElicitRequestSchema, (req) => {
        asked.push(req.params.message);
        return answers.shift() as never;
      });
      const args = { model: 'product.product', operation: 'write', record_ids: [1], values: { list_price: 99 } };
      const { approval } = await s.payload('validate_write', args);
      const declined = await s.payload('execute_approved_write', { approval, confirm: true });
      assert.equal(declined.success, false);
      assert.match(declined.error, /^Write not approved/);
      assert.match(asked[0], /write on product\.product/);
      const accepted = await s.payload('execute_approved_write', { approval, confirm: true });
      assert.equal(accepted.success, true);
      const rec = await s.payload('read_record', { model: 'product.product', record_id: 1, fields: ['list_price'] });
      assert.equal(rec.result.list_price, 99);
    });
  });

  describe('fault injection', () => {
    it('STANDIN_CRASH_TOOL journals the call, then the process dies', async () => {
      const journal = join(tmp, 'crash.jsonl');
      const s = await start({ STANDIN_CRASH_TOOL: 'execute_method', STANDIN_JOURNAL: journal });
      await assert.rejects(s.call('execute_method', { model: 'res.partner', method: 'unlink', args: [[3]] }), /Connection closed/);
      const lines = readFileSync(journal, 'utf8').trim().split('\n');
      assert.equal(lines.length, 1);
      assert.equal(JSON.parse(lines[0]).tool, 'execute_method');
    });

    it('STANDIN_HANG_TOOL never answers that tool, STANDIN_DELAY_MS slows every call', async () => {
      const s = await start({ STANDIN_HANG_TOOL: 'search_records', STANDIN_DELAY_MS: '60' });
      await assert.rejects(
        s.client.callTool({ name: 'search_records', arguments: { model: 'res.partner' } }, CallToolResultSchema, { timeout: 250 }),
        /timed out/,
      );
      const t0 = Date.now();
      await s.payload('list_instances');
      assert.ok(Date.now() - t0 >= 55);
    });

    it('STANDIN_GARBAGE_BEFORE_RESULT writes a non-JSON stdout line before each result', async () => {
      const s = await start({ STANDIN_GARBAGE_BEFORE_RESULT: '1' });
      const errors: string[] = [];
      s.client.onerror = (e) => errors.push(e.message);
      assert.equal((await s.payload('health_check')).success, true);
      assert.ok(
        errors.some((m) => /not valid JSON/.test(m)),
        JSON.stringify(errors),
      );
    });
  });

  describe('progress, logging and finishing tasks', () => {
    let s: Started;
    before(async () => {
      s = await start({ STANDIN_PROGRESS_STEPS: '2', STANDIN_TASK_FINISH_MS: '20' });
    });

    it('sends STANDIN_PROGRESS_STEPS progress notifications with the request token, all before the result', async () => {
      // A raw peer: the SDK client may drop a progress notification that arrives in the same
      // read as the response (typescript-sdk#2580), which would make this test flaky.
      const raw = new RawClient(process.execPath, [SERVER], { ...process.env, STANDIN_PROGRESS_STEPS: '2' });
      try {
        await raw.initialize();
        const answer = await raw.request('tools/call', { name: 'list_instances', arguments: {}, _meta: { progressToken: 'tok-42' } }, 'p1');
        assert.equal(answer.result.isError, false);
        const progress = raw.received.filter((m) => m.method === 'notifications/progress');
        assert.deepEqual(
          progress.map((m) => [m.params.progressToken, m.params.progress, m.params.total]),
          [
            ['tok-42', 1, 2],
            ['tok-42', 2, 2],
          ],
        );
        assert.ok(raw.received.indexOf(progress[1]!) < raw.received.indexOf(answer));
      } finally {
        await raw.close();
      }
    });

    it('logs tool runs only once a level is set', async () => {
      const logs: unknown[] = [];
      s.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
        logs.push(n.params.data);
      });
      await s.payload('list_models');
      assert.equal(logs.length, 0);
      await s.client.setLoggingLevel('info');
      await s.payload('list_models');
      assert.equal(logs.length, 1);
      await s.client.setLoggingLevel('error');
      await s.payload('list_models');
      assert.equal(logs.length, 1);
    });

    it('STANDIN_TASK_FINISH_MS makes tasks succeed; cancelling then fails', async () => {
      const sub = await s.payload('submit_async_task', { operation: 'scan_addons_source' });
      await new Promise((r) => setTimeout(r, 80));
      const got = await s.payload('get_async_task', { task_id: sub.task_id });
      assert.equal(got.status, 'succeeded');
      assert.ok(got.result);
      const cancel = await s.payload('cancel_async_task', { task_id: sub.task_id });
      assert.equal(cancel.success, false);
      assert.match(cancel.error, /^Task already succeeded/);
    });
  });

  describe('a tool that changes (STANDIN_CHANGE_TOOL_AFTER_CALLS)', () => {
    it('after N calls lists the tool with another description and input schema, and sends tools/list_changed', async () => {
      const s = await start({ STANDIN_CHANGE_TOOL_AFTER_CALLS: '2', STANDIN_CHANGE_TOOL: 'read_record' });
      assert.deepEqual(s.client.getServerCapabilities()?.tools, { listChanged: true });
      let changed = 0;
      s.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        changed++;
      });
      assert.deepEqual((await s.client.listTools()).tools, fixture.tools);
      await s.payload('health_check');
      assert.deepEqual((await s.client.listTools()).tools, fixture.tools, 'unchanged after one call');
      assert.equal(changed, 0);
      await s.payload('health_check');
      const after = (await s.client.listTools()).tools;
      assert.equal(changed, 1);
      const before = fixture.tools.find((t: Json) => t.name === 'read_record')!;
      const now = after.find((t) => t.name === 'read_record')!;
      assert.notEqual(now.description, before.description);
      assert.match(now.description!, /notify_url/);
      assert.ok((now.inputSchema.properties as Json).notify_url, 'the input schema gained a property');
      assert.deepEqual(
        after.filter((t) => t.name !== 'read_record'),
        fixture.tools.filter((t: Json) => t.name !== 'read_record'),
        'only that tool changed',
      );
    });

    it('with STANDIN_CHANGE_TOOL_SILENTLY=1 changes search_records (the default) without telling the client', async () => {
      const s = await start({ STANDIN_CHANGE_TOOL_AFTER_CALLS: '1', STANDIN_CHANGE_TOOL_SILENTLY: '1' });
      assert.deepEqual(s.client.getServerCapabilities()?.tools, { listChanged: false });
      let changed = 0;
      s.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        changed++;
      });
      await s.payload('health_check');
      const now = (await s.client.listTools()).tools.find((t) => t.name === 'search_records')!;
      assert.match(now.description!, /notify_url/);
      assert.equal(changed, 0);
    });
  });
});
