import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect, payloadOf, textOf, type Session } from '../support/guarded';
import { waitFor } from '../support/temp';

const FIXTURE_TOOLS = JSON.parse(readFileSync(`${__dirname}/../fixtures/odoo-tools.json`, 'utf8')).tools as { name: string }[];

const sessions: Session[] = [];
async function open(...args: Parameters<typeof connect>): Promise<Session> {
  const s = await connect(...args);
  sessions.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

async function submitTask(s: Session): Promise<string> {
  const r = await s.client.callTool({
    name: 'submit_async_task',
    arguments: { operation: 'data_quality_report', params: { model: 'res.partner' } },
  });
  const taskId = payloadOf(r).task_id as string;
  assert.match(taskId, /^[0-9a-f]{12}$/);
  return taskId;
}

async function taskStatus(s: Session, taskId: string): Promise<string> {
  const r = await s.client.callTool({ name: 'get_async_task', arguments: { task_id: taskId } });
  return payloadOf(r).status as string;
}

describe('guard end to end (SDK client → dist/mcp-guard.js → stand-in odoo-mcp)', function () {
  this.timeout(30_000);

  describe('transparency', () => {
    it('shows the upstream server info, instructions, capabilities and tools exactly', async () => {
      const direct = await open({ direct: true });
      const guarded = await open({ policy: 'version: 1\n' });
      assert.deepEqual(guarded.client.getServerVersion(), direct.client.getServerVersion());
      assert.deepEqual(guarded.client.getServerCapabilities(), direct.client.getServerCapabilities());
      assert.equal(guarded.client.getInstructions(), direct.client.getInstructions());
      const viaGuard = await guarded.client.listTools();
      const straight = await direct.client.listTools();
      assert.deepEqual(viaGuard, straight);
      assert.deepEqual(
        viaGuard.tools.map((t) => t.name),
        FIXTURE_TOOLS.map((t) => t.name),
      );
      assert.deepEqual(viaGuard.tools, FIXTURE_TOOLS);
    });

    it('passes resources, resource templates, prompts and completions through unchanged', async () => {
      const direct = await open({ direct: true });
      const guarded = await open({ policy: 'version: 1\n' });
      for (const s of [direct, guarded]) assert.ok(s);
      assert.deepEqual(await guarded.client.listResources(), await direct.client.listResources());
      assert.deepEqual(await guarded.client.listResourceTemplates(), await direct.client.listResourceTemplates());
      const read = { uri: 'odoo://record/res.partner/2' };
      const viaGuard = await guarded.client.readResource(read);
      assert.deepEqual(viaGuard, await direct.client.readResource(read));
      assert.match(JSON.stringify(viaGuard), /Azure Interior/);
      const prompts = await guarded.client.listPrompts();
      assert.deepEqual(prompts, await direct.client.listPrompts());
      assert.equal(prompts.prompts.length, 11);
      const name = prompts.prompts[0]!.name;
      const args = Object.fromEntries((prompts.prompts[0]!.arguments ?? []).map((a) => [a.name, 'res.partner']));
      assert.deepEqual(await guarded.client.getPrompt({ name, arguments: args }), await direct.client.getPrompt({ name, arguments: args }));
      const completion = {
        ref: { type: 'ref/resource' as const, uri: 'odoo://model/{model_name}' },
        argument: { name: 'model_name', value: 'res' },
      };
      const completed = await guarded.client.complete(completion);
      assert.deepEqual(completed, await direct.client.complete(completion));
      assert.ok(completed.completion.values.includes('res.partner'));
      await guarded.client.setLoggingLevel('debug');
    });

    it('returns exactly the upstream result for allowed calls', async () => {
      const direct = await open({ direct: true });
      const guarded = await open({ policy: 'version: 1\n' });
      const call = {
        name: 'search_records',
        arguments: { model: 'res.partner', domain: [['is_company', '=', true]], fields: ['name'], limit: 3 },
      };
      const viaGuard = await guarded.client.callTool(call);
      assert.deepEqual(viaGuard, await direct.client.callTool(call));
      assert.equal(payloadOf(viaGuard).success, true);
      assert.equal(guarded.journal().length, 1);
    });

    it('relays the upstream elicitation request to the client and its answer back', async () => {
      let asked = '';
      const s = await open({
        policy: 'version: 1\ntools:\n  execute_approved_write: { action: allow }\n',
        env: { ODOO_MCP_ELICIT_WRITES: '1' },
        capabilities: { elicitation: {} },
        setup: (client) =>
          client.setRequestHandler(ElicitRequestSchema, async (req) => {
            asked = req.params.message;
            return { action: 'accept', content: { approve: true } };
          }),
      });
      const validated = payloadOf(
        await s.client.callTool({ name: 'validate_write', arguments: { model: 'res.partner', operation: 'unlink', record_ids: [5] } }),
      );
      assert.equal(validated.success, true, JSON.stringify(validated));
      const result = await s.client.callTool({
        name: 'execute_approved_write',
        arguments: { approval: validated.approval, confirm: true },
      });
      assert.notEqual(asked, '', 'the upstream elicitation reached the client');
      assert.equal(payloadOf(result).success, true, textOf(result));
      const after = payloadOf(await s.client.callTool({ name: 'read_record', arguments: { model: 'res.partner', record_id: 5 } }));
      assert.equal(after.success, false, 'the record was deleted upstream');
    });
  });

  describe('enforcement', () => {
    it('denies cancel_async_task by the critical built-in default and the task keeps running', async () => {
      const s = await open({ policy: 'version: 1\n' });
      const taskId = await submitTask(s);
      const denied = await s.client.callTool({ name: 'cancel_async_task', arguments: { task_id: taskId } });
      assert.equal(denied.isError, true);
      const text = textOf(denied);
      assert.match(
        text,
        /^MCP Guard blocked the call to cancel_async_task \(Destructive, critical risk\) by rule risk\.critical \(built-in\)\./,
      );
      assert.equal(await taskStatus(s, taskId), 'running');
      assert.deepEqual(
        s.journal().map((j) => j.tool),
        ['submit_async_task', 'get_async_task'],
        'the denied call never reached the server',
      );
    });

    it('names the rule and its reason in the denial', async () => {
      const s = await open({
        policy: [
          'version: 1',
          'tools:',
          '  "write_field_*":',
          '    action: deny',
          '    reason: No file transfers between the Odoo host and agents',
        ].join('\n'),
      });
      const r = await s.client.callTool({
        name: 'write_field_from_file',
        arguments: { model: 'res.partner', record_id: 1, field: 'image_1920', input_path: '/tmp/x' },
      });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /by rule tools\.write_field_\*\./);
      assert.match(textOf(r), /Reason: No file transfers between the Odoo host and agents/);
      assert.match(textOf(r), /not sent to the server/);
      assert.equal(s.journal().length, 0);
    });

    it('applies when-conditions: execute_method is allowed only for the listed models, else its class by method decides', async () => {
      const s = await open({
        policy: [
          'version: 1',
          'tools:',
          '  execute_method:',
          '    action: allow',
          '    when:',
          '      - { path: args.model, op: in, value: [res.partner, sale.order] }',
          '      - { path: args.method, op: regex, value: "^(search_read|read|search_count)$" }',
        ].join('\n'),
      });
      const ok = await s.client.callTool({
        name: 'execute_method',
        arguments: { model: 'res.partner', method: 'search_count', args: [[]] },
      });
      assert.notEqual(ok.isError, true, textOf(ok));
      const unlink = await s.client.callTool({
        name: 'execute_method',
        arguments: { model: 'res.partner', method: 'unlink', args: [[3]] },
      });
      assert.equal(unlink.isError, true);
      assert.match(textOf(unlink), /risk\.critical \(built-in\)/);
      // Outside the entry's models the call's own class decides: a read is Read / low (the default allows it),
      // a write is Write / high (approval, and this client cannot be asked).
      const otherRead = await s.client.callTool({
        name: 'execute_method',
        arguments: { model: 'hr.employee', method: 'read', args: [[1]] },
      });
      assert.notEqual(otherRead.isError, true, textOf(otherRead));
      const otherWrite = await s.client.callTool({
        name: 'execute_method',
        arguments: { model: 'hr.employee', method: 'write', args: [[1], { name: 'x' }] },
      });
      assert.equal(otherWrite.isError, true);
      assert.match(textOf(otherWrite), /\(Write, high risk\) by rule risk\.high \(built-in\)/);
      assert.deepEqual(
        s.journal().map((j) => j.arguments['method']),
        ['search_count', 'read'],
      );
      const still = payloadOf(await s.client.callTool({ name: 'read_record', arguments: { model: 'res.partner', record_id: 3 } }));
      assert.equal(still.success, true, 'record 3 was not unlinked');
    });

    it('rate-limits: the max-th call passes, the next is denied, after the window it passes again', async () => {
      const s = await open({ policy: 'version: 1\ntools:\n  health_check:\n    rate_limit: { max: 3, window: 1 }\n' });
      for (let i = 0; i < 3; i++) {
        const r = await s.client.callTool({ name: 'health_check', arguments: {} });
        assert.notEqual(r.isError, true, `call ${i + 1} passes`);
      }
      const limited = await s.client.callTool({ name: 'health_check', arguments: {} });
      assert.equal(limited.isError, true);
      assert.match(textOf(limited), /rate-limited the call to health_check/);
      assert.match(textOf(limited), /at most 3 calls per 1 s\. Retry in \d+(\.\d)? s\./);
      assert.equal(s.journal().length, 3);
      await new Promise((r) => setTimeout(r, 1100));
      const again = await s.client.callTool({ name: 'health_check', arguments: {} });
      assert.notEqual(again.isError, true);
      assert.equal(s.journal().length, 4);
      assert.deepEqual(
        s.decisions().map((d) => d.decision),
        ['allowed', 'allowed', 'allowed', 'rate_limited', 'allowed'],
      );
    });

    it('hides tools from tools/list and denies them if called anyway', async () => {
      const s = await open({ policy: 'version: 1\nhide: [read_field_to_file, "write_*"]\n' });
      const names = (await s.client.listTools()).tools.map((t) => t.name);
      assert.ok(!names.includes('read_field_to_file'));
      assert.ok(!names.includes('write_field_from_file'));
      assert.equal(names.length, FIXTURE_TOOLS.length - 2);
      const r = await s.client.callTool({
        name: 'read_field_to_file',
        arguments: { model: 'res.partner', record_id: 1, field: 'image_1920', output_path: 'x' },
      });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /by rule hide/);
      assert.equal(s.journal().length, 0);
    });

    it('denies a tool the server does not list', async () => {
      const s = await open({ policy: 'version: 1\ndefault: allow\n' });
      const r = await s.client.callTool({ name: 'drop_database', arguments: {} });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /does not offer a tool named drop_database/);
      assert.equal(s.journal().length, 0);
    });
  });

  describe('approval', () => {
    const policy =
      'version: 1\ntools:\n  cancel_async_task:\n    action: require_approval\n    reason: Cancelling a background task is irreversible\n    approval_timeout: 2\n';

    it('forwards the call when the user accepts the elicitation with confirm=true', async () => {
      let message = '';
      let schema: unknown;
      const s = await open({
        policy,
        capabilities: { elicitation: {} },
        setup: (c) =>
          c.setRequestHandler(ElicitRequestSchema, async (req) => {
            message = req.params.message;
            schema = 'requestedSchema' in req.params ? req.params.requestedSchema : undefined;
            return { action: 'accept', content: { confirm: true } };
          }),
      });
      const taskId = await submitTask(s);
      const r = await s.client.callTool({ name: 'cancel_async_task', arguments: { task_id: taskId } });
      assert.notEqual(r.isError, true, textOf(r));
      assert.equal(await taskStatus(s, taskId), 'cancelled');
      assert.match(message, /Tool: cancel_async_task — Destructive, critical risk/);
      assert.match(message, /Rule: tools\.cancel_async_task — Cancelling a background task is irreversible/);
      assert.ok(message.includes(taskId), 'the arguments are shown');
      assert.deepEqual((schema as any).properties.confirm.type, 'boolean');
      const decision = s.decisions().find((d) => d.tool === 'cancel_async_task');
      assert.equal(decision.decision, 'approved');
      assert.equal(decision.approver, 'elicitation');
      assert.equal(decision.outcome, 'ok');
    });

    for (const answer of [
      { action: 'decline' as const },
      { action: 'cancel' as const },
      { action: 'accept' as const, content: { confirm: false } },
    ]) {
      it(`blocks the call when the elicitation answer is ${JSON.stringify(answer)}`, async () => {
        const s = await open({
          policy,
          capabilities: { elicitation: {} },
          setup: (c) => c.setRequestHandler(ElicitRequestSchema, async () => answer),
        });
        const taskId = await submitTask(s);
        const r = await s.client.callTool({ name: 'cancel_async_task', arguments: { task_id: taskId } });
        assert.equal(r.isError, true);
        assert.match(textOf(r), /did not get approval for the call to cancel_async_task/);
        assert.equal(await taskStatus(s, taskId), 'running');
        assert.ok(!s.journal().some((j) => j.tool === 'cancel_async_task'));
        assert.equal(s.decisions().find((d) => d.tool === 'cancel_async_task').decision, 'declined');
      });
    }

    it('blocks the call when nobody answers within approval_timeout', async () => {
      const s = await open({
        policy,
        capabilities: { elicitation: {} },
        setup: (c) => c.setRequestHandler(ElicitRequestSchema, () => new Promise(() => {})),
      });
      const taskId = await submitTask(s);
      const started = Date.now();
      const r = await s.client.callTool({ name: 'cancel_async_task', arguments: { task_id: taskId } });
      const waited = Date.now() - started;
      assert.equal(r.isError, true);
      assert.match(textOf(r), /No answer within 2 s/);
      assert.ok(waited >= 1900 && waited < 6000, `waited ${waited} ms`);
      assert.equal(await taskStatus(s, taskId), 'running');
    });

    it('blocks the call when the client cannot be asked (no elicitation, no editor)', async () => {
      const s = await open({ policy });
      const taskId = await submitTask(s);
      const r = await s.client.callTool({ name: 'cancel_async_task', arguments: { task_id: taskId } });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /needs approval, but no approver is available/);
      assert.equal(await taskStatus(s, taskId), 'running');
      assert.equal(s.decisions().find((d) => d.tool === 'cancel_async_task').decision, 'denied');
    });
  });

  describe('modes', () => {
    it('monitor mode computes and audits every decision but blocks nothing', async () => {
      const s = await open({ policy: 'version: 1\ntools:\n  health_check: { action: deny, reason: test }\n', mode: 'monitor' });
      const taskId = await submitTask(s);
      const r = await s.client.callTool({ name: 'cancel_async_task', arguments: { task_id: taskId } });
      assert.notEqual(r.isError, true);
      assert.equal(await taskStatus(s, taskId), 'cancelled');
      await s.client.callTool({ name: 'health_check', arguments: {} });
      const d = s.decisions();
      assert.ok(d.every((e) => e.decision === 'monitored' && e.mode === 'monitor'));
      assert.equal(d.find((e) => e.tool === 'cancel_async_task').would, 'denied');
      assert.equal(d.find((e) => e.tool === 'health_check').would, 'denied');
      assert.equal(d.find((e) => e.tool === 'submit_async_task').would, 'allowed');
    });

    it('lockdown mode denies every call that is not Read / low risk, even if the policy allows it', async () => {
      const s = await open({ policy: 'version: 1\ntools:\n  "*": { action: allow }\n', mode: 'lockdown' });
      const read = await s.client.callTool({ name: 'search_records', arguments: { model: 'res.partner', limit: 1 } });
      assert.notEqual(read.isError, true);
      const write = await s.client.callTool({
        name: 'submit_async_task',
        arguments: { operation: 'data_quality_report', params: { model: 'res.partner' } },
      });
      assert.equal(write.isError, true);
      assert.match(textOf(write), /by rule mode\.lockdown/);
      assert.deepEqual(
        s.journal().map((j) => j.tool),
        ['search_records'],
      );
    });
  });

  describe('policy file', () => {
    it('hot-reloads a valid change for the next call and keeps the last good policy on an invalid one', async () => {
      const s = await open({ policy: 'version: 1\n' });
      assert.notEqual((await s.client.callTool({ name: 'health_check', arguments: {} })).isError, true);
      s.writePolicy('version: 1\ntools:\n  health_check: { action: deny, reason: maintenance }\n');
      await waitFor('the reload', () => s.audit().some((e) => e.event === 'policy_reload' && e.ok));
      const denied = await s.client.callTool({ name: 'health_check', arguments: {} });
      assert.equal(denied.isError, true);
      assert.match(textOf(denied), /Reason: maintenance/);

      s.writePolicy('version: 1\ntools:\n  health_check: { action: alow }\n');
      await waitFor('the rejected reload', () => s.audit().some((e) => e.event === 'policy_reload' && !e.ok));
      assert.match(
        s.stderr(),
        /policy\.yaml:3:27: error: action must be "allow", "deny" or "require_approval", not the text "alow"; did you mean "allow"\?/,
      );
      const stillDenied = await s.client.callTool({ name: 'health_check', arguments: {} });
      assert.match(textOf(stillDenied), /Reason: maintenance/);
      assert.equal(s.journal().length, 1);
    });

    it('keeps rate-limit counters across a reload', async () => {
      const s = await open({ policy: 'version: 1\ntools:\n  health_check:\n    rate_limit: { max: 2, window: 60 }\n' });
      await s.client.callTool({ name: 'health_check', arguments: {} });
      await s.client.callTool({ name: 'health_check', arguments: {} });
      s.writePolicy('version: 1\ntools:\n  health_check:\n    rate_limit: { max: 2, window: 60 }\n    reason: reloaded\n');
      await waitFor('the reload', () => s.audit().some((e) => e.event === 'policy_reload' && e.ok));
      const r = await s.client.callTool({ name: 'health_check', arguments: {} });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /Rate limit reached/);
    });

    it('fails closed when the policy is invalid at start, with the validation error in the denial', async () => {
      const s = await open({ policy: 'version: 1\ntools:\n  search_records:\n    rate_limit: { max: 0, window: 60 }\n' });
      const r = await s.client.callTool({ name: 'search_records', arguments: { model: 'res.partner' } });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /by rule policy\./);
      assert.match(textOf(r), /policy\.yaml:4:24: error: rate_limit\.max \(calls\) must be at least 1, not 0/);
      assert.equal(s.journal().length, 0);
      // Listing still works, so the user can see what is there while fixing the file.
      assert.equal((await s.client.listTools()).tools.length, FIXTURE_TOOLS.length);
    });

    it('fails closed when the policy file does not exist', async () => {
      const s = await open({ policy: 'version: 1\n', guardArgs: ['--policy', '/nonexistent/policy.yaml'] });
      const r = await s.client.callTool({ name: 'health_check', arguments: {} });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /cannot read the policy file: the file does not exist/);
    });
  });

  describe('audit log', () => {
    it('has start, one decision line per call, no raw arguments, and a stop event', async () => {
      const s = await open({ policy: 'version: 1\n' });
      const secretish = 'Very-Distinctive-Partner-Name-4711';
      await s.client.callTool({ name: 'search_records', arguments: { model: 'res.partner', domain: [['name', '=', secretish]] } });
      await s.client.callTool({ name: 'cancel_async_task', arguments: { task_id: 'abcdefabcdef' } });
      await s.client.callTool({ name: 'health_check', arguments: {} });
      const audit = s.audit();
      assert.equal(audit[0].event, 'start');
      const decisions = audit.filter((e) => e.event === 'decision');
      assert.deepEqual(
        decisions.map((d) => [d.tool, d.decision, d.outcome]),
        [
          ['search_records', 'allowed', 'ok'],
          ['cancel_async_task', 'denied', 'not_forwarded'],
          ['health_check', 'allowed', 'ok'],
        ],
      );
      for (const d of decisions) {
        assert.match(d.args_sha256, /^[0-9a-f]{64}$/);
        assert.equal(typeof d.latency_ms, 'number');
        assert.ok(!Number.isNaN(Date.parse(d.time)));
        for (const key of ['category', 'risk', 'rule', 'reason', 'mode']) assert.ok(key in d, `${key} in ${JSON.stringify(d)}`);
      }
      assert.equal(decisions[1].category, 'Destructive');
      assert.equal(decisions[1].risk, 'critical');
      assert.ok(!readFileSync(s.auditPath, 'utf8').includes(secretish), 'no raw arguments in the audit log');
      await s.client.close();
      await waitFor('the stop event', () => s.audit().some((e) => e.event === 'stop'));
    });
  });
});
