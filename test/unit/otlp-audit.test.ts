import { strict as assert } from 'node:assert';
import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { UsageError, parseRunArgs, parseServeArgs } from '../../src/cli/args';
import { startOtlpAudit, type DropReport } from '../../src/cli/otlp-audit';
import type { AuditEvent, DecisionEvent } from '../../src/guard/audit-events';
import { auditRecord, severityOf } from '../../src/guard/otlp/attributes';
import { otlpEndpointProblem, resolveOtlpEndpoint } from '../../src/guard/otlp/endpoint';

const DECISION: DecisionEvent = {
  event: 'decision',
  server: 'odoo',
  tool: 'execute_method',
  category: 'Destructive',
  risk: 'critical',
  class_source: 'catalog-argument',
  class_argument: 'method=unlink',
  class_reason: 'unlink deletes records',
  decision: 'denied',
  rule: 'tools.execute_method',
  reason: 'No deletes from agents',
  entries: ['execute_method'],
  mode: 'enforce',
  args_sha256: 'ab'.repeat(32),
  latency_ms: 0.42,
  outcome: 'not_forwarded',
};
const RUN = { instanceId: 'inst-1', transport: 'pipe' as const };
const SERVE = { instanceId: 'inst-2', transport: 'tcp' as const };

describe('audit to OpenTelemetry: the endpoint', () => {
  it('--otlp-endpoint is a base URL: /v1/logs is appended, unless the path already ends with it', () => {
    assert.deepEqual(resolveOtlpEndpoint('http://127.0.0.1:4318', {}).endpoint, {
      url: 'http://127.0.0.1:4318/v1/logs',
      source: '--otlp-endpoint',
    });
    assert.equal(resolveOtlpEndpoint('https://otel.example.com/base/', {}).endpoint?.url, 'https://otel.example.com/base/v1/logs');
    assert.equal(resolveOtlpEndpoint('http://c:4318/v1/logs', {}).endpoint?.url, 'http://c:4318/v1/logs');
  });

  it('the flag wins over the variables; OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (as is) over OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/logs)', () => {
    const both = { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:9000/custom/path', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318' };
    assert.deepEqual(resolveOtlpEndpoint('http://flag:4318', both).endpoint, {
      url: 'http://flag:4318/v1/logs',
      source: '--otlp-endpoint',
    });
    assert.deepEqual(resolveOtlpEndpoint(undefined, both).endpoint, {
      url: 'http://logs:9000/custom/path',
      source: 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
    });
    assert.deepEqual(resolveOtlpEndpoint(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318' }).endpoint, {
      url: 'http://base:4318/v1/logs',
      source: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    });
    assert.equal(
      resolveOtlpEndpoint(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318/otlp/' }).endpoint?.url,
      'http://base:4318/otlp/v1/logs',
    );
    // As the SDK does: a logs endpoint without a path gets the root path, nothing appended.
    assert.equal(
      resolveOtlpEndpoint(undefined, { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:4318' }).endpoint?.url,
      'http://logs:4318/',
    );
  });

  it('no endpoint without flag or variables; empty variables are unset; a bad variable is named and skipped', () => {
    assert.deepEqual(resolveOtlpEndpoint(undefined, {}), {});
    assert.deepEqual(resolveOtlpEndpoint(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: ' ' }), {});
    const bad = resolveOtlpEndpoint(undefined, {
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'grpc://x:4317',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://b:4318',
    });
    assert.equal(bad.endpoint?.url, 'http://b:4318/v1/logs');
    assert.match(bad.problem ?? '', /^OTEL_EXPORTER_OTLP_LOGS_ENDPOINT must be an http:\/\/ or https:\/\/ URL .*; it is ignored$/);
    assert.equal(resolveOtlpEndpoint(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'nope' }).endpoint, undefined);
  });

  it('refuses non-HTTP URLs and credentials in the URL', () => {
    assert.equal(otlpEndpointProblem('http://127.0.0.1:4318'), undefined);
    assert.match(otlpEndpointProblem('localhost:4318')!, /http:\/\/ or https:\/\//);
    assert.match(otlpEndpointProblem('https://u:p@collector')!, /user name or password/);
  });
});

describe('audit to OpenTelemetry: --otlp-endpoint on the command line', () => {
  it('run and serve take --otlp-endpoint; without it the variables apply; without either there is no export', () => {
    const run = parseRunArgs(['--otlp-endpoint', 'http://127.0.0.1:4318', '--', 'node', 's.js'], {});
    assert.deepEqual(run.otlp, { url: 'http://127.0.0.1:4318/v1/logs', source: '--otlp-endpoint' });
    const serve = parseServeArgs(['--listen', '0', '--otlp-endpoint=http://c:4318/', '--', 'node', 's.js'], {});
    assert.deepEqual(serve.otlp, { url: 'http://c:4318/v1/logs', source: '--otlp-endpoint' });
    const fromEnv = parseRunArgs(['--', 'node', 's.js'], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318' });
    assert.deepEqual(fromEnv.otlp, { url: 'http://env:4318/v1/logs', source: 'OTEL_EXPORTER_OTLP_ENDPOINT' });
    const none = parseRunArgs(['--', 'node', 's.js'], {});
    assert.equal(none.otlp, undefined);
    assert.equal(none.otlpProblem, undefined);
    const badEnv = parseRunArgs(['--', 'node', 's.js'], { OTEL_EXPORTER_OTLP_ENDPOINT: 'nope' });
    assert.equal(badEnv.otlp, undefined);
    assert.match(badEnv.otlpProblem!, /OTEL_EXPORTER_OTLP_ENDPOINT must be/);
  });

  it('a bad --otlp-endpoint is a usage error', () => {
    assert.throws(() => parseRunArgs(['--otlp-endpoint', 'collector:4318', '--', 'x'], {}), UsageError);
    assert.throws(
      () => parseRunArgs(['--otlp-endpoint', 'http://user:secret@c:4318', '--', 'x'], {}),
      (e: Error) => e instanceof UsageError && /user name or password/.test(e.message) && !e.message.includes('secret'),
    );
  });
});

describe('audit to OpenTelemetry: an audit event as a log record', () => {
  it('maps a decision to the MCP / GenAI conventions and mcp_guard.* attributes, severity WARN for a denial', () => {
    const r = auditRecord(DECISION, RUN);
    assert.equal(r.eventName, 'decision');
    assert.equal(r.severityText, 'WARN');
    assert.equal(r.severityNumber, 13);
    assert.equal(r.body, 'denied execute_method on odoo by tools.execute_method: No deletes from agents');
    assert.deepEqual(r.attributes, {
      'mcp.session.id': 'inst-1',
      'network.transport': 'pipe',
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'execute_method',
      'mcp_guard.server': 'odoo',
      'mcp_guard.category': 'Destructive',
      'mcp_guard.risk': 'critical',
      'mcp_guard.class_source': 'catalog-argument',
      'mcp_guard.class_argument': 'method=unlink',
      'mcp_guard.class_reason': 'unlink deletes records',
      'mcp_guard.decision': 'denied',
      'mcp_guard.rule': 'tools.execute_method',
      'mcp_guard.reason': 'No deletes from agents',
      'mcp_guard.entries': ['execute_method'],
      'mcp_guard.mode': 'enforce',
      'mcp_guard.args_sha256': 'ab'.repeat(32),
      'mcp_guard.latency_ms': 0.42,
      'mcp_guard.outcome': 'not_forwarded',
    });
  });

  it('arguments only when the audit line has them (--audit-include-args), as gen_ai.tool.call.arguments', () => {
    assert.equal(auditRecord(DECISION, RUN).attributes['gen_ai.tool.call.arguments'], undefined);
    const withArgs = auditRecord({ ...DECISION, arguments: { model: 'res.partner', ids: [1, 2] } }, RUN);
    assert.deepEqual(withArgs.attributes['gen_ai.tool.call.arguments'], { model: 'res.partner', ids: [1, 2] });
    assert.ok(!Object.keys(withArgs.attributes).some((k) => k.startsWith('mcp_guard.arguments')));
  });

  it('a resource read: mcp.method.name is its method, no tool name; its URI only with the arguments', () => {
    const read: DecisionEvent = { ...DECISION, tool: 'resources/read', decision: 'allowed', outcome: 'ok' };
    const r = auditRecord(read, RUN);
    assert.equal(r.attributes['mcp.method.name'], 'resources/read');
    assert.equal(r.attributes['gen_ai.tool.name'], undefined);
    assert.equal(r.attributes['gen_ai.operation.name'], undefined);
    assert.equal(r.attributes['mcp.resource.uri'], undefined);
    assert.equal(
      auditRecord({ ...read, arguments: { uri: 'odoo://record/res.partner/2' } }, RUN).attributes['mcp.resource.uri'],
      'odoo://record/res.partner/2',
    );
  });

  it('severity: denials WARN, failed calls and guard troubles ERROR, the rest INFO; error.type for failed calls', () => {
    for (const decision of ['denied', 'declined', 'rate_limited'] as const) assert.equal(severityOf({ ...DECISION, decision }), 'WARN');
    for (const decision of ['allowed', 'approved', 'monitored'] as const)
      assert.equal(severityOf({ ...DECISION, decision, outcome: 'ok' }), 'INFO');
    const failed = { ...DECISION, decision: 'allowed' as const, outcome: 'isError' as const };
    assert.equal(severityOf(failed), 'ERROR');
    assert.equal(auditRecord(failed, RUN).attributes['error.type'], 'tool_error');
    assert.equal(auditRecord({ ...failed, outcome: 'timeout' }, RUN).attributes['error.type'], 'timeout');
    assert.equal(auditRecord({ ...failed, outcome: 'ok' }, RUN).attributes['error.type'], undefined);
    assert.equal(severityOf({ event: 'policy_reload', ok: false, error: 'x' }), 'ERROR');
    assert.equal(severityOf({ event: 'upstream', state: 'down' }), 'ERROR');
    assert.equal(severityOf({ event: 'upstream', state: 'exited' }), 'WARN');
    assert.equal(severityOf({ event: 'otlp_dropped', dropped: 1, total: 1, cause: 'x' }), 'WARN');
    const down = { event: 'state_store', store: 'redis://127.0.0.1:6390/0', state: 'unreachable', cause: 'ECONNREFUSED' } as const;
    assert.equal(severityOf(down), 'ERROR');
    assert.equal(severityOf({ ...down, state: 'reachable' }), 'INFO');
    assert.equal(auditRecord(down, RUN).attributes['mcp_guard.store'], 'redis://127.0.0.1:6390/0');
    assert.equal(severityOf({ event: 'start', version: '1', mode: 'enforce', policy: null, upstream: 'x', pid: 1 }), 'INFO');
  });

  it('serve: mcp.session.id is the instance id and the session number (never the Mcp-Session-Id), transport tcp', () => {
    const r = auditRecord({ ...DECISION, session: 3 } as AuditEvent, SERVE);
    assert.equal(r.attributes['mcp.session.id'], 'inst-2/3');
    assert.equal(r.attributes['mcp_guard.session'], 3);
    assert.equal(r.attributes['network.transport'], 'tcp');
    const start = auditRecord({ event: 'start', version: '1', mode: 'enforce', policy: null, upstream: 'x', pid: 1 }, SERVE);
    assert.equal(start.attributes['mcp.session.id'], undefined);
    const session = auditRecord({ event: 'session', state: 'started', session: 4 }, SERVE);
    assert.equal(session.eventName, 'session');
    assert.equal(session.attributes['mcp.session.id'], 'inst-2/4');
  });

  it('other events: every field under mcp_guard.*, a tool as gen_ai.tool.name', () => {
    const r = auditRecord(
      {
        event: 'tool_definition',
        server: 'odoo',
        tool: 'search',
        change: 'changed',
        against: 'pins',
        parts: ['description'],
        fingerprint: 'f1',
      },
      RUN,
    );
    assert.equal(r.eventName, 'tool_definition');
    assert.equal(r.severityText, 'WARN');
    assert.equal(r.attributes['gen_ai.tool.name'], 'search');
    assert.deepEqual(r.attributes['mcp_guard.parts'], ['description']);
    assert.equal(r.attributes['mcp_guard.change'], 'changed');
    const secrets = auditRecord({ ...DECISION, result_secrets: { action: 'redacted', kinds: ['jwt'], count: 2 } }, RUN);
    assert.equal(secrets.attributes['mcp_guard.result_secrets.action'], 'redacted');
    assert.deepEqual(secrets.attributes['mcp_guard.result_secrets.kinds'], ['jwt']);
    assert.equal(secrets.attributes['mcp_guard.result_secrets.count'], 2);
  });
});

/** An exporter the test answers by hand. */
class ManualExporter implements LogRecordExporter {
  readonly batches: { logs: ReadableLogRecord[]; done: (r: ExportResult) => void }[] = [];
  export(logs: ReadableLogRecord[], done: (r: ExportResult) => void): void {
    this.batches.push({ logs, done });
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, probe: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick(5);
  }
}

describe('audit to OpenTelemetry: batching, bounds and the drop counter', () => {
  it('write() only queues; records are batched to the exporter with their resource, event name and time', async () => {
    const exporter = new ManualExporter();
    const reports: DropReport[] = [];
    const otlp = startOtlpAudit({
      url: 'http://unused/v1/logs',
      serviceVersion: '9.9.9',
      transport: 'pipe',
      exporter,
      batchDelayMs: 10,
      onDropped: (r) => reports.push(r),
    });
    otlp.write(DECISION, 1_700_000_000_123);
    assert.equal(exporter.batches.length, 0, 'nothing is done on the caller’s turn');
    await until('the batch', () => exporter.batches.length === 1);
    const [record] = exporter.batches[0]!.logs;
    assert.equal(record!.eventName, 'decision');
    assert.equal(record!.severityText, 'WARN');
    assert.deepEqual(record!.hrTime, [1_700_000_000, 123_000_000]);
    assert.equal(record!.resource.attributes['service.name'], 'mcp-guard');
    assert.equal(record!.resource.attributes['service.version'], '9.9.9');
    assert.equal(record!.resource.attributes['service.instance.id'], otlp.instanceId);
    assert.equal(record!.attributes['mcp.session.id'], otlp.instanceId);
    exporter.batches[0]!.done({ code: 0 });
    const stats = await otlp.shutdown(100);
    assert.deepEqual(stats, { sent: 1, dropped: 0, pending: 0 });
    assert.deepEqual(reports, []);
  });

  it('bounded: beyond maxQueue records waiting on a collector that does not answer are dropped and counted; unsent at shutdown too', async () => {
    const exporter = new ManualExporter();
    const reports: DropReport[] = [];
    const otlp = startOtlpAudit({
      url: 'http://unused/v1/logs',
      serviceVersion: '1',
      transport: 'pipe',
      exporter,
      maxQueue: 4,
      batchDelayMs: 10,
      onDropped: (r) => reports.push(r),
    });
    for (let i = 0; i < 10; i++) otlp.write(DECISION, Date.now());
    await until('the first report', () => reports.length === 1);
    assert.deepEqual(reports[0], { dropped: 6, total: 6, cause: 'queue full: 4 records waiting for the collector' });
    assert.equal(otlp.stats.pending, 4);
    const started = Date.now();
    const stats = await otlp.shutdown(150);
    assert.ok(Date.now() - started < 1000, 'shutdown is bounded');
    assert.deepEqual(stats, { sent: 0, dropped: 10, pending: 0 });
    assert.equal(reports.length, 2);
    assert.equal(reports[1]!.dropped, 4);
    assert.equal(reports[1]!.total, 10);
    // An answer after the end counts nothing twice.
    for (const b of exporter.batches) b.done({ code: 1, error: new Error('late') });
    assert.equal(otlp.stats.dropped, 10);
  });

  it('failed exports are counted with their cause: reported at once, then at most every reportEveryMs, and at shutdown', async () => {
    const exporter = new ManualExporter();
    const reports: DropReport[] = [];
    const otlp = startOtlpAudit({
      url: 'http://unused/v1/logs',
      serviceVersion: '1',
      transport: 'pipe',
      exporter,
      batchDelayMs: 5,
      reportEveryMs: 400,
      onDropped: (r) => reports.push(r),
    });
    otlp.write(DECISION, Date.now());
    otlp.write(DECISION, Date.now());
    await until('a batch', () => exporter.batches.length === 1);
    exporter.batches[0]!.done({ code: 1, error: new Error('connect ECONNREFUSED 127.0.0.1:9') });
    await until('the first report', () => reports.length === 1);
    assert.deepEqual(reports[0], { dropped: 2, total: 2, cause: 'collector unreachable: connect ECONNREFUSED 127.0.0.1:9' });
    const firstAt = Date.now();
    otlp.write(DECISION, Date.now());
    await until('a second batch', () => exporter.batches.length === 2);
    exporter.batches[1]!.done({ code: 1, error: Object.assign(new Error('Bad Request'), { code: 400 }) });
    await tick(100);
    assert.equal(reports.length, 1, 'not reported again before reportEveryMs');
    await until('the second report', () => reports.length === 2, 2000);
    assert.ok(Date.now() - firstAt >= 350);
    assert.deepEqual(reports[1], { dropped: 1, total: 3, cause: 'the collector answered HTTP 400 Bad Request' });
    assert.equal(otlp.stats.sent, 0);
    await otlp.shutdown(50);
    assert.equal(reports.length, 2, 'nothing new to report at shutdown');
  });

  it('abandon() at process exit counts what is unsent, at once', () => {
    const exporter = new ManualExporter();
    const reports: DropReport[] = [];
    const otlp = startOtlpAudit({
      url: 'http://unused/v1/logs',
      serviceVersion: '1',
      transport: 'pipe',
      exporter,
      onDropped: (r) => reports.push(r),
    });
    otlp.write(DECISION, Date.now());
    otlp.write(DECISION, Date.now());
    otlp.abandon();
    assert.deepEqual(reports, [{ dropped: 2, total: 2, cause: 'not sent before exit: the collector had not answered' }]);
  });
});
