import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, textOf, type Session } from '../support/guarded';
import { STANDIN } from '../support/paths';
import { resultText, scriptedServer, startRawGuard, type RawGuard } from '../support/raw-guard';
import { waitFor } from '../support/temp';

/**
 * The upstream misbehaves: it crashes (mid-call, in a loop), hangs, answers late, writes
 * garbage, starts slowly. Real processes throughout; the server's own journal (one line per
 * call it executed, with its pid) shows what really ran.
 */
describe('faults: the upstream server crashes, hangs, answers late or writes garbage', function () {
  this.timeout(30_000);
  const sessions: Session[] = [];
  const guards: RawGuard[] = [];

  afterEach(async () => {
    await Promise.all([...sessions.splice(0).map((s) => s.close()), ...guards.splice(0).map((g) => g.close())]);
  });

  function raw(options: Parameters<typeof startRawGuard>[0]): RawGuard {
    const g = startRawGuard(options);
    guards.push(g);
    return g;
  }

  async function sdk(options: Parameters<typeof connect>[0]): Promise<Session> {
    const s = await connect(options);
    sessions.push(s);
    return s;
  }

  const callParams = (name: string, args: Record<string, unknown> = {}) => ({ name, arguments: args });

  it('a crash mid-call: every in-flight call gets an error naming the cause within 1 s, nothing runs twice, and the next call runs on a restarted server', async () => {
    const g = raw({ env: { STANDIN_CRASH_TOOL: 'get_odoo_profile', STANDIN_HANG_TOOL: 'list_models' } });
    await g.client.initialize();
    const first = await g.call('tools/call', callParams('health_check', { nonce: 'before' }), 'before');
    assert.equal(first.result?.isError, false);
    // Five calls the server holds (hang), then one that kills it.
    for (let i = 1; i <= 5; i++)
      g.client.send({ jsonrpc: '2.0', id: `hung-${i}`, method: 'tools/call', params: callParams('list_models', { nonce: `hung-${i}` }) });
    await waitFor('the five held calls to reach the server', () => g.journal().filter((j) => j.tool === 'list_models').length === 5);
    const crashedAt = Date.now();
    g.client.send({ jsonrpc: '2.0', id: 'crash', method: 'tools/call', params: callParams('get_odoo_profile', { nonce: 'crash' }) });
    const ids = ['crash', ...[1, 2, 3, 4, 5].map((i) => `hung-${i}`)];
    const answers = await Promise.all(ids.map((id) => g.response(id, 5000)));
    const elapsed = Date.now() - crashedAt;
    assert.ok(elapsed < 1000, `all in-flight calls answered ${elapsed} ms after the crash`);
    for (const a of answers) {
      assert.equal(a.result?.isError, true, JSON.stringify(a));
      assert.match(
        resultText(a),
        /^MCP Guard: the MCP server stopped before answering the call to (get_odoo_profile|list_models) \(the server exited with code 1\)\. The call may or may not have run\. MCP Guard is restarting the server\.$/,
      );
    }

    const after = await g.call('tools/call', callParams('health_check', { nonce: 'after' }), 'after');
    assert.equal(after.result?.isError, false, JSON.stringify(after));
    const journal = g.journal();
    const pids = [...new Set(journal.map((j) => j.pid))];
    assert.equal(pids.length, 2, 'two server processes ran');
    assert.deepEqual(
      journal.map((j) => [j.arguments.nonce, j.pid === pids[0] ? 'first' : 'second']),
      [['before', 'first'], ...[1, 2, 3, 4, 5].map((i) => [`hung-${i}`, 'first']), ['crash', 'first'], ['after', 'second']],
      'each call ran exactly once; none was replayed on the new process',
    );
    assert.notEqual(JSON.parse(resultText(after)).runtime.pid, pids[0]);

    const decisions = g.decisions();
    assert.equal(decisions.length, 8, 'one audit line per decision');
    assert.deepEqual(decisions.map((d) => d.outcome).sort(), [
      'no_response',
      'no_response',
      'no_response',
      'no_response',
      'no_response',
      'no_response',
      'ok',
      'ok',
    ]);
    const upstreamEvents = g.audit().filter((e) => e.event === 'upstream');
    assert.deepEqual(
      upstreamEvents.map((e) => e.state),
      ['exited', 'restarted'],
    );
    assert.match(g.client.stderr, /the server exited with code 1; restarting it in 100 ms \(restart 1 of at most 5 within 60 s\)/);
  });

  it('with the SDK client: the crashed call is an error result, and the agent can go on calling tools', async () => {
    const s = await sdk({ policy: 'version: 1\n', env: { STANDIN_CRASH_TOOL: 'get_odoo_profile' } });
    const started = Date.now();
    const crashed = await s.client.callTool({ name: 'get_odoo_profile', arguments: {} });
    assert.ok(Date.now() - started < 1000);
    assert.equal(crashed.isError, true);
    assert.match(textOf(crashed), /stopped before answering the call to get_odoo_profile \(the server exited with code 1\)/);
    // The very next call waits for the restart instead of failing.
    const r = await s.client.callTool({ name: 'search_records', arguments: { model: 'res.partner', limit: 1 } });
    assert.notEqual(r.isError, true, textOf(r));
    assert.equal((await s.client.listTools()).tools.length, 43);
    assert.deepEqual(
      s.journal().map((j) => j.tool),
      ['get_odoo_profile', 'search_records'],
    );
  });

  it('requests arriving while the server restarts wait for it, even when it starts slowly', async () => {
    const g = raw({ env: { STANDIN_CRASH_TOOL: 'get_odoo_profile', STANDIN_START_DELAY_MS: '700' } });
    await g.client.initialize();
    assert.equal((await g.call('tools/call', callParams('health_check'), 'warm')).result?.isError, false);
    const crash = await g.call('tools/call', callParams('get_odoo_profile'), 'crash');
    assert.equal(crash.result?.isError, true);
    const sentAt = Date.now();
    g.client.send({ jsonrpc: '2.0', id: 'during-call', method: 'tools/call', params: callParams('health_check', { nonce: 'during' }) });
    g.client.send({ jsonrpc: '2.0', id: 'during-list', method: 'resources/list' });
    const [call, list] = await Promise.all([g.response('during-call', 10_000), g.response('during-list', 10_000)]);
    const waited = Date.now() - sentAt;
    assert.ok(waited >= 700, `they waited for the slow start (${waited} ms)`);
    assert.equal(call.result?.isError, false, JSON.stringify(call));
    assert.ok(Array.isArray(list.result?.resources), JSON.stringify(list));
    const pids = [...new Set(g.journal().map((j) => j.pid))];
    assert.equal(pids.length, 2);
    assert.equal(g.journal().at(-1).arguments.nonce, 'during');
  });

  it('the restart replays the client’s initialize params and notifications/initialized, swallows the answer and re-reads the tools', async () => {
    const g = raw({ upstream: scriptedServer, policy: 'version: 1\nhide: [hidden_one]\n' });
    const initParams = {
      protocolVersion: '2025-06-18',
      capabilities: { roots: { listChanged: true }, experimental: { replayMarker: { n: 42 } } },
      clientInfo: { name: 'replay-check', version: '9.9.9' },
    };
    const init = await g.call('initialize', initParams, 'init');
    assert.equal(init.result?.serverInfo?.name, 'scripted');
    g.client.notify('notifications/initialized');
    assert.match(resultText(await g.call('tools/call', callParams('echo', { n: 1 }), 'e1')), /^ran echo \{"n":1\}$/);
    const crash = await g.call('tools/call', callParams('crash'), 'crash');
    assert.match(resultText(crash), /stopped before answering the call to crash \(the server exited with code 1\)/);
    await waitFor('the restart', () => g.client.stderr.includes('the server is running again'), 10_000);
    const echo = await g.call('tools/call', callParams('echo', { n: 2 }), 'e2');
    assert.match(resultText(echo), /^ran echo \{"n":2\}$/);
    const hidden = await g.call('tools/call', callParams('hidden_one'), 'h');
    assert.match(resultText(hidden), /blocked the call to hidden_one .*by rule hide/);

    const journal = g.journal();
    const [firstPid, secondPid] = [...new Set(journal.map((j) => j.pid))];
    const second = journal.filter((j) => j.pid === secondPid).map((j) => j.msg);
    assert.equal(second[0].method, 'initialize');
    assert.deepEqual(second[0].params, initParams, 'the client’s own initialize params, unchanged');
    assert.match(String(second[0].id), /^mcp-guard-/, 'sent under the guard’s own id');
    assert.equal(second[1].method, 'notifications/initialized');
    assert.equal(second[2].method, 'tools/list');
    assert.deepEqual(
      second.filter((m) => m.method === 'tools/call').map((m) => m.params.name),
      ['echo'],
    );
    assert.deepEqual(
      journal.filter((j) => j.pid === firstPid && j.msg.method === 'tools/call').map((j) => j.msg.params.name),
      ['echo', 'crash'],
    );
    // The client saw one initialize answer (its own) and nothing addressed to the guard's ids.
    assert.equal(g.client.received.filter((m) => m.result?.serverInfo).length, 1);
    assert.ok(!g.client.received.some((m) => String(m.id ?? '').startsWith('mcp-guard-')));
  });

  it('a crash loop ends with the server down and a clear error on every request; the guard keeps answering', async () => {
    const g = raw({
      upstream: (dir) => {
        // Starts the stand-in the first time, then fails every start.
        const wrapper = join(dir, 'crash-loop.js');
        writeFileSync(
          wrapper,
          [
            "const fs = require('fs');",
            "const counter = require('path').join(__dirname, 'starts');",
            "const n = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;",
            'fs.writeFileSync(counter, String(n + 1));',
            'if (n === 0) require(process.env.WRAP_STANDIN);',
            'else process.exit(3);',
          ].join('\n'),
        );
        return [process.execPath, wrapper];
      },
      env: { STANDIN_CRASH_TOOL: 'get_odoo_profile', WRAP_STANDIN: STANDIN },
    });
    const counter = join(g.dir, 'starts');
    await g.client.initialize();
    assert.equal((await g.call('tools/call', callParams('health_check'), 'ok')).result?.isError, false);
    await g.call('tools/call', callParams('get_odoo_profile'), 'crash');
    // A call made while the replacements fail waits, then is refused with the reason.
    g.client.send({ jsonrpc: '2.0', id: 'while-looping', method: 'tools/call', params: callParams('health_check') });
    await waitFor('the guard to give up', () => g.client.stderr.includes('gave up'), 15_000);
    assert.match(g.client.stderr, /the server exited with code 3; MCP Guard restarted it 5 times within 60 s and gave up/);
    const looping = await g.response('while-looping', 15_000);
    assert.equal(looping.result?.isError, true);
    assert.match(resultText(looping), /not running/);

    for (const [id, method, params] of [
      ['down-call', 'tools/call', callParams('health_check')],
      ['down-list', 'tools/list', undefined],
      ['down-read', 'resources/read', { uri: 'odoo://record/res.partner/2' }],
    ] as const) {
      const m = await g.call(method, params, id);
      assert.equal(m.error?.code, -32000, JSON.stringify(m));
      assert.match(
        m.error!.message,
        /^The MCP server behind MCP Guard is not running: the server exited with code 3; MCP Guard restarted it 5 times within 60 s and gave up$/,
      );
    }
    assert.equal(g.client.child.exitCode, null, 'the guard is still running');
    assert.equal(readFileSync(counter, 'utf8'), '6', 'the first start and five restarts');
    assert.deepEqual(
      g.journal().map((j) => j.tool),
      ['health_check', 'get_odoo_profile'],
    );
    assert.equal(
      g
        .audit()
        .filter((e) => e.event === 'upstream')
        .at(-1).state,
      'down',
    );
  });

  it('a hung call times out: an error result naming MCP Guard, the tool and the timeout; audit outcome timeout; the server keeps serving', async () => {
    const s = await sdk({ policy: 'version: 1\n', env: { STANDIN_HANG_TOOL: 'get_odoo_profile' }, guardArgs: ['--call-timeout', '1'] });
    const started = Date.now();
    const r = await s.client.callTool({ name: 'get_odoo_profile', arguments: {} });
    const waited = Date.now() - started;
    assert.ok(waited >= 950 && waited < 3000, `answered after ${waited} ms`);
    assert.equal(r.isError, true);
    assert.match(
      textOf(r),
      /^MCP Guard stopped waiting for the answer to get_odoo_profile: the MCP server did not answer within 1 s \(--call-timeout\)\./,
    );
    const ok = await s.client.callTool({ name: 'health_check', arguments: {} });
    assert.notEqual(ok.isError, true);
    assert.deepEqual(
      s.journal().map((j) => j.tool),
      ['get_odoo_profile', 'health_check'],
    );
    const d = s.decisions();
    assert.deepEqual(
      d.map((e) => [e.tool, e.decision, e.outcome]),
      [
        ['get_odoo_profile', 'allowed', 'timeout'],
        ['health_check', 'allowed', 'ok'],
      ],
    );
  });

  it('a timed-out call is cancelled upstream by its id, and the late answer is dropped', async () => {
    const g = raw({ upstream: scriptedServer, guardArgs: ['--call-timeout', '0.4'], env: { SCRIPTED_DELAY_MS: '1200' } });
    await g.client.initialize();
    const sentAt = Date.now();
    const timedOut = await g.call('tools/call', callParams('slow', { nonce: 'late' }), 'slow-1');
    const waited = Date.now() - sentAt;
    assert.ok(waited >= 350 && waited < 1100, `timed out after ${waited} ms`);
    assert.equal(timedOut.result?.isError, true);
    assert.match(resultText(timedOut), /slow: the MCP server did not answer within 0\.4 s/);
    // The id stays reserved while the server may still answer it.
    g.client.send({ jsonrpc: '2.0', id: 'slow-1', method: 'tools/call', params: callParams('echo') });
    const reuse = await waitFor('the answer to the reused id', () => g.client.received.filter((m) => m.id === 'slow-1')[1]);
    assert.equal(reuse.error?.code, -32600);
    assert.match(reuse.error!.message, /cancelled or timed out/);
    await waitFor('the late answer to be dropped', () => g.client.stderr.includes('dropped a late answer'), 5000);
    assert.equal(
      g.client.received.filter((m) => m.id === 'slow-1' && m.result).length,
      1,
      'exactly one answer reached the client: the guard’s',
    );
    const cancelled = g.journal().find((j) => j.msg.method === 'notifications/cancelled');
    assert.equal(cancelled?.msg.params.requestId, 'slow-1');
    assert.equal(g.journal().filter((j) => j.msg.method === 'tools/call').length, 1);
    const echo = await g.call('tools/call', callParams('echo', { after: true }), 'after');
    assert.match(resultText(echo), /ran echo/);
    assert.deepEqual(
      g.decisions().map((d) => [d.tool, d.outcome]),
      [
        ['slow', 'timeout'],
        ['echo', 'ok'],
      ],
    );
  });

  it('garbage lines on the server’s stdout are logged and skipped, never passed on as results', async () => {
    const g = raw({ env: { STANDIN_GARBAGE_BEFORE_RESULT: '1' } });
    await g.client.initialize();
    for (let i = 0; i < 5; i++) {
      const r = await g.call('tools/call', callParams('health_check', { i }), `g${i}`);
      assert.equal(r.result?.isError, false);
      assert.equal(JSON.parse(resultText(r)).tool, 'health_check');
    }
    assert.deepEqual(g.client.nonJson, []);
    assert.ok(!g.client.received.some((m) => JSON.stringify(m).includes('garbage')));
    assert.equal(g.client.stderr.match(/ignored a line from the server that is not JSON: "garbage: not json"/g)?.length, 5);
    assert.equal(g.journal().length, 5);
  });
});
