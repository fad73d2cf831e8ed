import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect, payloadOf, textOf, type Session } from '../support/guarded';
import { closedPort, OtlpReceiver, type ReceivedRecord } from '../support/otlp-receiver';
import { resultText, startRawGuard, type RawGuard, type RawGuardOptions } from '../support/raw-guard';
import { connectHttp, serve, type Served } from '../support/served';
import { ROOT } from '../support/paths';
import { tempDir, waitFor } from '../support/temp';

const VERSION = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')).version as string;

/**
 * Audit to OpenTelemetry (`--otlp-endpoint`): real guard processes send their audit events as OTLP/HTTP log
 * records to a local receiver that decodes what the SDK's exporter really sends; with the receiver down or
 * hanging, calls are neither slower nor blocked, decisions do not change, the guard exits promptly and says
 * how many records were lost.
 */
describe('audit to OpenTelemetry (--otlp-endpoint → a local OTLP/HTTP receiver)', function () {
  this.timeout(60_000);
  const receivers: OtlpReceiver[] = [];
  const sessions: Session[] = [];
  const raws: RawGuard[] = [];
  const served: Served[] = [];

  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
    await Promise.all(raws.splice(0).map((g) => g.close()));
    await Promise.all(served.splice(0).map((s) => s.stop()));
    await Promise.all(receivers.splice(0).map((r) => r.stop()));
  });

  async function receiver(mode: OtlpReceiver['mode'] = 'ok'): Promise<OtlpReceiver> {
    const r = await new OtlpReceiver(mode).start();
    receivers.push(r);
    return r;
  }
  async function open(...args: Parameters<typeof connect>): Promise<Session> {
    const s = await connect(...args);
    sessions.push(s);
    return s;
  }
  function raw(options: RawGuardOptions): RawGuard {
    const g = startRawGuard(options);
    raws.push(g);
    return g;
  }

  /** Every field of the audit line is on the record: under its convention name, or as mcp_guard.<field>. */
  function assertSameAsLine(record: ReceivedRecord, line: Record<string, unknown>): void {
    assert.equal(record.eventName, line['event']);
    for (const [key, value] of Object.entries(line)) {
      if (key === 'event' || key === 'time' || key === 'arguments') continue;
      if (key === 'tool') assert.equal(record.attributes['gen_ai.tool.name'], value);
      else assert.deepEqual(record.attributes[`mcp_guard.${key}`], value, `mcp_guard.${key}`);
    }
  }

  const POLICY = [
    'version: 1',
    'tools:',
    '  health_check:',
    '    rate_limit: { max: 2, window: 60 }',
    '  execute_method: { action: deny, reason: No ORM calls from agents }',
    '  cancel_async_task:',
    '    action: require_approval',
    '    reason: Cancelling is irreversible',
    '    approval_timeout: 10',
    '',
  ].join('\n');

  it('sends allowed, rate_limited, denied, approved and declined decisions with the conventions’ and mcp_guard.* attributes, no argument values', async () => {
    const r = await receiver();
    const answers = [{ action: 'accept' as const, content: { confirm: true } }, { action: 'decline' as const }];
    const s = await open({
      policy: POLICY,
      guardArgs: ['--otlp-endpoint', r.url],
      capabilities: { elicitation: {} },
      setup: (c) => c.setRequestHandler(ElicitRequestSchema, async () => answers.shift()!),
    });
    for (let i = 0; i < 3; i++) await s.client.callTool({ name: 'health_check', arguments: { nonce: `nonce-value-${i}` } });
    const denied = await s.client.callTool({
      name: 'execute_method',
      arguments: { model: 'res.partner', method: 'search_read', args: [], kwargs: { nonce: 'nonce-value-denied' } },
    });
    assert.equal(denied.isError, true);
    const tasks: string[] = [];
    for (let i = 0; i < 2; i++) {
      const t = await s.client.callTool({
        name: 'submit_async_task',
        arguments: { operation: 'data_quality_report', params: { model: 'res.partner' } },
      });
      tasks.push(payloadOf(t).task_id as string);
    }
    const approved = await s.client.callTool({ name: 'cancel_async_task', arguments: { task_id: tasks[0] } });
    assert.notEqual(approved.isError, true, textOf(approved));
    const declined = await s.client.callTool({ name: 'cancel_async_task', arguments: { task_id: tasks[1] } });
    assert.equal(declined.isError, true);

    const lines = s.decisions();
    assert.deepEqual(
      lines.map((d) => d.decision),
      ['allowed', 'allowed', 'rate_limited', 'denied', 'allowed', 'allowed', 'approved', 'declined'],
    );
    await waitFor('every decision at the receiver', () => r.decisions().length === lines.length, 10_000);
    const records = r.decisions();
    const instance = records[0]!.resource['service.instance.id'] as string;
    assert.match(instance, /^[0-9a-f-]{36}$/);
    records.forEach((record, i) => {
      const line = lines[i]!;
      assertSameAsLine(record, line);
      assert.deepEqual(record.resource, { 'service.name': 'mcp-guard', 'service.version': VERSION, 'service.instance.id': instance });
      assert.deepEqual(record.scope, { name: 'mcp-guard', version: VERSION });
      assert.equal(record.attributes['mcp.method.name'], 'tools/call');
      assert.equal(record.attributes['gen_ai.operation.name'], 'execute_tool');
      assert.equal(record.attributes['mcp.session.id'], instance, 'one MCP session per stdio guard');
      assert.equal(record.attributes['network.transport'], 'pipe');
      assert.equal(record.attributes['mcp_guard.args_sha256'], line.args_sha256);
      assert.equal(record.attributes['mcp_guard.latency_ms'], line.latency_ms);
      assert.equal(record.attributes['gen_ai.tool.call.arguments'], undefined);
      const warn = ['rate_limited', 'denied', 'declined'].includes(line.decision);
      assert.equal(record.severityText, warn ? 'WARN' : 'INFO', line.decision);
      assert.equal(record.severityNumber, warn ? 13 : 9);
      assert.equal(record.body, `${line.decision} ${line.tool} on ${line.server} by ${line.rule}: ${line.reason}`);
      // The record's time is the audit line's, to the millisecond.
      assert.ok(Math.abs(Number(BigInt(record.timeUnixNano!) / 1_000_000n) - Date.parse(line.time)) < 50);
    });
    const byDecision = (d: string) => records.find((x) => x.attributes['mcp_guard.decision'] === d)!;
    assert.equal(byDecision('denied').attributes['mcp_guard.rule'], 'tools.execute_method');
    assert.equal(byDecision('rate_limited').attributes['gen_ai.tool.name'], 'health_check');
    assert.equal(byDecision('approved').attributes['mcp_guard.approver'], 'elicitation');
    assert.equal(byDecision('approved').attributes['mcp_guard.outcome'], 'ok');
    assert.equal(byDecision('declined').attributes['mcp_guard.outcome'], 'not_forwarded');

    // Argument values stay out unless the audit line has them: neither the nonces nor the task ids were sent.
    const sent = JSON.stringify(r.records);
    for (const value of ['nonce-value', ...tasks]) assert.ok(!sent.includes(value), `${value} is not sent`);
    assert.equal(r.records[0]!.eventName, 'start');
    assert.deepEqual(r.refused, []);
    assert.ok(r.requests.every((q) => q.path === '/v1/logs' && q.headers['content-type'] === 'application/json'));
  });

  it('with --audit-include-args the arguments go as gen_ai.tool.call.arguments, redacted as in the audit line', async () => {
    const r = await receiver();
    const s = await open({ guardArgs: ['--otlp-endpoint', r.url, '--audit-include-args'] });
    await s.client.callTool({ name: 'health_check', arguments: { nonce: 'visible-1', password: 'hunter2-secret' } });
    await waitFor('the decision', () => r.decisions().length === 1, 10_000);
    const [line] = s.decisions();
    assert.equal(line.arguments.nonce, 'visible-1');
    assert.notEqual(line.arguments.password, 'hunter2-secret');
    assert.deepEqual(r.decisions()[0]!.attributes['gen_ai.tool.call.arguments'], line.arguments);
    assert.ok(!JSON.stringify(r.records).includes('hunter2-secret'));
  });

  it('works without --audit, from OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/logs) with OTEL_EXPORTER_OTLP_HEADERS', async () => {
    const r = await receiver();
    const g = raw({
      noAudit: true,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: r.url, OTEL_EXPORTER_OTLP_HEADERS: 'x-team-token=tok-123,x-tenant=a%20b' },
    });
    await g.client.initialize();
    await g.call('tools/call', { name: 'health_check', arguments: {} }, 1);
    await waitFor('the decision', () => r.decisions().length === 1, 10_000);
    assert.equal(r.requests[0]!.path, '/v1/logs');
    assert.equal(r.requests[0]!.headers['x-team-token'], 'tok-123');
    assert.equal(r.requests[0]!.headers['x-tenant'], 'a b');
    assert.match(
      g.client.stderr,
      /audit events also go to http:\/\/127\.0\.0\.1:\d+\/v1\/logs \(OTLP\/HTTP, from OTEL_EXPORTER_OTLP_ENDPOINT\)/,
    );
    assert.ok(!g.client.stderr.includes('tok-123'), 'headers are not logged');
  });

  it('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is used as is, and wins over OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const r = await receiver();
    const g = raw({
      env: {
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${r.url}/custom/logs`,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
        OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-logs=1',
      },
    });
    await g.client.initialize();
    await g.call('tools/call', { name: 'health_check', arguments: {} }, 1);
    await waitFor('the decision', () => r.decisions().length === 1, 10_000);
    assert.equal(r.requests[0]!.path, '/custom/logs');
    assert.equal(r.requests[0]!.headers['x-logs'], '1');
  });

  /** 50 sequential calls (health_check, and a Write tool every 10th); their round-trip times in ms. */
  async function fiftyCalls(g: RawGuard, prefix: string): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const params =
        i % 10 === 9
          ? { name: 'submit_async_task', arguments: { operation: 'data_quality_report', params: { model: 'res.partner' } } }
          : { name: 'health_check', arguments: { i } };
      const t = process.hrtime.bigint();
      const answer = await g.call('tools/call', params, `${prefix}${i}`, 5000);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      assert.equal(answer.result?.isError, false, resultText(answer));
    }
    return times;
  }
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  /** Ends the client's side and times the guard's exit. */
  async function exitTime(g: RawGuard): Promise<{ ms: number; code: number | null }> {
    const t = Date.now();
    g.client.child.stdin.end();
    const code = await g.client.exited;
    return { ms: Date.now() - t, code };
  }

  function lostReports(g: RawGuard): { dropped: number; total: number; cause: string }[] {
    return g.audit().filter((e) => e.event === 'otlp_dropped');
  }

  for (const down of ['closed', 'hanging'] as const) {
    it(`a ${down === 'closed' ? 'dead collector (closed port)' : 'collector that accepts and never answers'}: no call slower or blocked, same decisions, a prompt exit, the loss counted and reported`, async () => {
      const hanging = down === 'hanging' ? await receiver('hang') : undefined;
      const url = hanging?.url ?? `http://127.0.0.1:${await closedPort()}`;
      const plain = raw({});
      const exported = raw({
        guardArgs: ['--otlp-endpoint', url],
        // A dead collector is known after 1 s, not the default 5 s: the report comes sooner.
        env: down === 'closed' ? { OTEL_EXPORTER_OTLP_TIMEOUT: '1000' } : {},
      });
      await Promise.all([plain.client.initialize(), exported.client.initialize()]);
      // The start record's export is under way (and stuck) before the calls begin.
      if (hanging) await waitFor('an export to hang', () => hanging.hung >= 1, 5000);
      const base = await fiftyCalls(plain, 'p');
      const withOtlp = await fiftyCalls(exported, 'o');
      if (hanging) assert.ok(hanging.hung >= 1 && hanging.records.length === 0, 'every call was answered while the export hung');
      // Generous: on a shared 2-core machine both are noisy; a call waiting on the collector would take seconds.
      assert.ok(p50(withOtlp) <= p50(base) * 2 + 2, `p50 ${p50(withOtlp).toFixed(2)} ms with OTLP vs ${p50(base).toFixed(2)} ms without`);
      assert.ok(Math.max(...withOtlp) < 1000, `max ${Math.max(...withOtlp).toFixed(1)} ms`);
      // The same decisions; a Write tool is not held back as it is when the audit file cannot be written.
      const decisions = (g: RawGuard) => g.decisions().map((d) => `${d.tool} ${d.decision} ${d.outcome}`);
      assert.deepEqual(decisions(exported), decisions(plain));
      assert.equal(exported.decisions().filter((d) => d.tool === 'submit_async_task' && d.decision === 'allowed').length, 5);
      assert.ok(!exported.client.stderr.includes('the audit log cannot be written'));
      if (down === 'closed') {
        await waitFor('a report of the loss', () => /OTLP: \d+ audit records dropped/.test(exported.client.stderr), 10_000);
        assert.match(
          exported.client.stderr,
          /OTLP: \d+ audit records dropped \(collector unreachable: connect ECONNREFUSED 127\.0\.0\.1:\d+\)/,
        );
      }

      const [plainExit, exit] = await Promise.all([exitTime(plain), exitTime(exported)]);
      assert.equal(exit.code, 0);
      assert.ok(exit.ms < plainExit.ms + 2000, `exit took ${exit.ms} ms with OTLP, ${plainExit.ms} ms without`);
      // Every record was lost, and the reports add up to it: the last one (after the stop, in the file only) has the total.
      const lines = exported.audit();
      const reports = lostReports(exported);
      const last = reports.at(-1)!;
      assert.deepEqual(lines.at(-1), last);
      assert.equal(last.total, lines.length - 1, 'every record sent to the export was counted as lost');
      assert.equal(
        reports.reduce((n, rep) => n + rep.dropped, 0),
        last.total,
      );
      assert.match(
        exported.client.stderr,
        new RegExp(
          `OTLP: ${last.dropped} audit records dropped \\(${down === 'closed' ? 'collector unreachable: connect ECONNREFUSED' : 'not sent before exit: the collector had not answered'}`,
        ),
      );
      if (reports.length > 1) assert.ok(exported.client.stderr.includes(`; ${last.total} since the guard started`));
    });
  }

  it('a guard without an endpoint never loads the SDK bundle (dist/mcp-guard-otlp.js); with one it does', async () => {
    const t = tempDir();
    try {
      // Records every module the guard loads whose name mentions the OTLP bundle or the SDK.
      const hook = join(t.dir, 'hook.js');
      writeFileSync(
        hook,
        `const M = require('module'); const fs = require('fs'); const load = M._load;
         M._load = function (request, ...rest) {
           if (/mcp-guard-otlp|opentelemetry/.test(String(request))) fs.appendFileSync(process.env.LOAD_LOG, String(request) + '\\n');
           return load.call(this, request, ...rest);
         };`,
      );
      const r = await receiver();
      for (const withEndpoint of [false, true]) {
        const loadLog = join(t.dir, `loaded-${withEndpoint}.txt`);
        const g = raw({
          guardArgs: withEndpoint ? ['--otlp-endpoint', r.url] : [],
          env: { NODE_OPTIONS: `--require ${hook}`, LOAD_LOG: loadLog },
        });
        await g.client.initialize();
        await g.call('tools/call', { name: 'health_check', arguments: {} }, 1);
        const loaded = existsSync(loadLog) ? readFileSync(loadLog, 'utf8') : '';
        if (withEndpoint) assert.match(loaded, /mcp-guard-otlp\.js/);
        else assert.equal(loaded, '', 'nothing of OpenTelemetry is loaded');
      }
    } finally {
      t.cleanup();
    }
  });

  it('serve: each HTTP session has its own mcp.session.id (instance/number), transport tcp, and the session events go too', async () => {
    const r = await receiver();
    const s = await serve({ serveArgs: ['--otlp-endpoint', r.url] });
    served.push(s);
    const a = await connectHttp(s.url);
    const b = await connectHttp(s.url);
    await a.client.callTool({ name: 'health_check', arguments: {} });
    await b.client.callTool({ name: 'health_check', arguments: {} });
    await waitFor('both decisions', () => r.decisions().length === 2, 10_000);
    const instance = r.records[0]!.resource['service.instance.id'] as string;
    const ids = r.decisions().map((d) => d.attributes['mcp.session.id']);
    assert.deepEqual(new Set(ids), new Set([`${instance}/1`, `${instance}/2`]));
    for (const d of r.decisions()) {
      assert.equal(d.attributes['network.transport'], 'tcp');
      assert.equal(d.attributes['mcp.session.id'], `${instance}/${d.attributes['mcp_guard.session'] as number}`);
    }
    assert.ok(r.records.some((x) => x.eventName === 'session' && x.attributes['mcp_guard.state'] === 'started'));
    await a.client.close();
    await b.client.close();
    const t = Date.now();
    assert.equal(await s.stop(), 0);
    assert.ok(Date.now() - t < 5000);
    assert.ok(
      r.records.some((x) => x.eventName === 'stop'),
      'the stop record was flushed at exit',
    );
  });
});
