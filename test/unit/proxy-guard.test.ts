import { strict as assert } from 'node:assert';
import { ProxyHarness, textOfResult } from '../support/proxy-harness';

/** GuardProxy in process: timeouts, cancellation, restarts and failures, message by message. */
describe('proxy: GuardProxy under upstream and client faults (in process)', () => {
  it('times out a forwarded call: error result naming MCP Guard, the tool and the timeout; cancels it upstream; drops the late answer', async () => {
    const h = new ProxyHarness({
      answerCall: (m) => (m.params.name === 'read_b' ? undefined : { content: [{ type: 'text', text: 'ok' }] }),
      proxy: { callTimeoutMs: 60 },
    });
    await h.initialize();
    h.call('slow', 'read_b', { n: 1 });
    h.call('fast', 'read_a');
    await h.settle();
    assert.equal(h.answersTo('fast')[0].result.content[0].text, 'ok');
    const answer = await h.answerTo('slow');
    assert.equal(answer.result.isError, true);
    assert.equal(
      textOfResult(answer),
      'MCP Guard stopped waiting for the answer to read_b: the MCP server did not answer within 0.06 s (--call-timeout). MCP Guard asked the server to cancel the call; it may or may not have run.',
    );
    assert.deepEqual(h.upstream.find((m) => m.method === 'notifications/cancelled')?.params.requestId, 'slow');
    // The late answer is dropped, and only then may the id be used again.
    h.send({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'read_a', arguments: {} } });
    assert.match(h.answersTo('slow')[1].error.message, /cancelled or timed out/);
    h.fromUpstream({ jsonrpc: '2.0', id: 'slow', result: { content: [{ type: 'text', text: 'late' }] } });
    assert.equal(h.answersTo('slow').length, 2, 'the late answer did not reach the client');
    assert.ok(h.logs.some((l) => l.includes('dropped a late answer')));
    assert.deepEqual(
      h.audit.decisions.map((d) => [d.tool, d.outcome]),
      [
        ['read_a', 'ok'],
        ['read_b', 'timeout'],
      ],
    );
    assert.equal(h.proxy.inFlight, 0);
  });

  it('a client cancellation of a forwarded call ends it: one audit line, no answer, the late answer dropped', async () => {
    const h = new ProxyHarness({ answerCall: () => undefined, proxy: { callTimeoutMs: 0 } });
    await h.initialize();
    h.call(5, 'read_a');
    await h.settle();
    h.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 5, reason: 'user' } });
    assert.equal(h.upstream.filter((m) => m.method === 'notifications/cancelled').length, 1, 'the cancellation goes upstream');
    h.fromUpstream({ jsonrpc: '2.0', id: 5, result: { content: [] } });
    await h.settle();
    assert.equal(h.answersTo(5).length, 0);
    assert.deepEqual(
      h.audit.decisions.map((d) => d.outcome),
      ['no_response'],
    );
    assert.equal(h.proxy.inFlight, 0, 'nothing leaks');
  });

  it('a crash answers every in-flight request at once; while restarting, requests wait; the restart replays the handshake and sends them once', async () => {
    const h = new ProxyHarness({
      answerCall: (m) => (m.params.name === 'read_b' ? undefined : { content: [{ type: 'text', text: `ran ${m.params.arguments.n}` }] }),
    });
    const initParams = { protocolVersion: '2025-06-18', capabilities: { elicitation: {} }, clientInfo: { name: 'replay', version: '2' } };
    await h.initialize(initParams);
    h.call('hung', 'read_b');
    h.send({ jsonrpc: '2.0', id: 'res', method: 'resources/list' });
    h.upstreamAnswers = false;
    h.send({ jsonrpc: '2.0', id: 'res2', method: 'resources/list' });
    await h.settle();
    // The server asked the client something; then it dies.
    h.fromUpstream({ jsonrpc: '2.0', id: 77, method: 'roots/list' });
    const before = h.upstream.length;
    h.proxy.upstreamExited('the server exited with code 1', true);
    assert.equal(h.proxy.upstreamStatus, 'restarting');
    assert.match(
      textOfResult(h.answersTo('hung')[0]),
      /stopped before answering the call to read_b \(the server exited with code 1\)\. The call may or may not have run\. MCP Guard is restarting the server\./,
    );
    assert.equal(h.answersTo('res2')[0].error.code, -32000);
    assert.deepEqual(
      h.toClient.find((m) => m.method === 'notifications/cancelled')?.params.requestId,
      77,
      'the client stops answering the dead server',
    );
    // The client's late answer to the dead server's request is not passed on.
    h.send({ jsonrpc: '2.0', id: 77, result: { roots: [] } });
    // Requests arriving now wait.
    h.call('during', 'read_a', { n: 2 });
    h.send({ jsonrpc: '2.0', id: 'list-during', method: 'prompts/list' });
    h.send({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
    await h.settle();
    assert.equal(h.upstream.length, before, 'nothing reaches the upstream while it restarts');

    h.upstreamAnswers = true;
    await h.proxy.upstreamRestarted();
    await h.settle(20);
    const after = h.upstream.slice(before);
    assert.equal(after[0].method, 'initialize');
    assert.deepEqual(after[0].params, initParams);
    assert.match(after[0].id, /^mcp-guard-/);
    assert.equal(after[1].method, 'notifications/initialized');
    assert.deepEqual(
      after.slice(2).map((m) => m.method ?? `answer ${m.id}`),
      ['prompts/list', 'notifications/roots/list_changed', 'tools/list', 'tools/call'],
      'what waited, in order; then the tool list is read again before the held call is decided',
    );
    assert.equal(textOfResult(await h.answerTo('during')), 'ran 2');
    assert.ok(h.answersTo('list-during')[0].result);
    assert.equal(h.toClient.filter((m) => m.result?.serverInfo).length, 1, 'the replayed initialize answer is swallowed');
    assert.equal(h.forwardedCalls.filter((m) => m.id === 'hung').length, 1, 'the crashed call is not sent again');
  });

  it('a restarted server gets the logging level and the resource subscriptions the first one accepted, before what waited', async () => {
    const h = new ProxyHarness();
    await h.initialize();
    h.send({ jsonrpc: '2.0', id: 'l1', method: 'logging/setLevel', params: { level: 'debug' } });
    h.send({ jsonrpc: '2.0', id: 'l2', method: 'logging/setLevel', params: { level: 'warning' } });
    for (const [id, uri] of [
      ['s1', 'odoo://a'],
      ['s2', 'odoo://b'],
      ['s3', 'odoo://c'],
    ])
      h.send({ jsonrpc: '2.0', id, method: 'resources/subscribe', params: { uri } });
    h.send({ jsonrpc: '2.0', id: 'u1', method: 'resources/unsubscribe', params: { uri: 'odoo://b' } });
    await h.settle();
    // A subscription the server refuses is not replayed.
    h.upstreamAnswers = false;
    h.send({ jsonrpc: '2.0', id: 's4', method: 'resources/subscribe', params: { uri: 'odoo://refused' } });
    await h.settle();
    h.fromUpstream({ jsonrpc: '2.0', id: 's4', error: { code: -32602, message: 'no such resource' } });
    h.upstreamAnswers = true;
    h.proxy.upstreamExited('crash', true);
    h.send({ jsonrpc: '2.0', id: 'waited', method: 'resources/list' });
    await h.settle();
    const before = h.upstream.length;
    await h.proxy.upstreamRestarted();
    await h.settle();
    const after = h.upstream
      .slice(before)
      .map((m) => [m.method, m.params?.level ?? m.params?.uri])
      .filter(([m]) => m !== undefined);
    assert.deepEqual(after.slice(0, 6), [
      ['initialize', undefined],
      ['notifications/initialized', undefined],
      ['logging/setLevel', 'warning'],
      ['resources/subscribe', 'odoo://a'],
      ['resources/subscribe', 'odoo://c'],
      ['resources/list', undefined],
    ]);
    assert.equal(h.answersTo('waited').length, 1);
    assert.equal(
      h.toClient.filter((m) => m.id !== undefined && typeof m.id === 'string' && m.id.startsWith('mcp-guard')).length,
      0,
      'the replay answers stay in the guard',
    );
    assert.ok(
      h.logs.some((l) => /replayed to the restarted server: logging\/setLevel/.test(l)),
      h.logs.join('\n'),
    );
  });

  it('a request waiting in the restart queue that the client cancels is never sent', async () => {
    const h = new ProxyHarness();
    await h.initialize();
    h.proxy.upstreamExited('crash', true);
    h.send({ jsonrpc: '2.0', id: 'q1', method: 'resources/list' });
    h.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'q1' } });
    await h.settle();
    const before = h.upstream.length;
    await h.proxy.upstreamRestarted();
    await h.settle();
    assert.ok(!h.upstream.slice(before).some((m) => m.id === 'q1'), 'the withdrawn request was not sent');
    assert.equal(h.answersTo('q1').length, 0);
  });

  it('a call approved while the server restarts waits in the queue; if its timeout passes there, it is never sent', async () => {
    let approve: () => void = () => {};
    const approver = {
      name: 'test',
      isAvailable: () => true,
      request: () =>
        new Promise<{ outcome: 'approved'; by: string; scope: 'once' }>(
          (resolve) => (approve = () => resolve({ outcome: 'approved', by: 'test', scope: 'once' })),
        ),
    };
    const h = new ProxyHarness({
      policy: 'version: 1\ntools:\n  write_a: { action: require_approval }\n',
      proxy: { callTimeoutMs: 40, approvers: [approver] },
    });
    await h.initialize();
    h.call('w', 'write_a');
    await h.settle();
    h.proxy.upstreamExited('crash', true);
    approve();
    await h.settle();
    assert.equal(h.answersTo('w').length, 0, 'approved, waiting for the server');
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(
      textOfResult(h.answersTo('w')[0]),
      'MCP Guard could not send the call to write_a within 0.04 s (--call-timeout): the MCP server is restarting. The call did not run.',
    );
    await h.proxy.upstreamRestarted();
    await h.settle();
    assert.equal(h.forwardedCalls.length, 0);
    assert.deepEqual(
      h.audit.decisions.map((d) => [d.decision, d.outcome]),
      [['approved', 'not_forwarded']],
    );
  });

  it('after giving up, every request gets a clear error and waiting calls are refused with the reason', async () => {
    const h = new ProxyHarness();
    await h.initialize();
    h.proxy.upstreamExited('crash', true);
    h.call('waiting', 'read_a');
    await h.settle();
    h.proxy.upstreamExited('the server exited with code 3; MCP Guard restarted it 5 times within 60 s and gave up');
    await h.settle();
    assert.match(
      textOfResult(await h.answerTo('waiting')),
      /not running \(the server exited with code 3; MCP Guard restarted it 5 times within 60 s and gave up\)/,
    );
    h.call('later', 'read_a');
    h.send({ jsonrpc: '2.0', id: 'ping', method: 'ping' });
    assert.equal(
      h.answersTo('later')[0].error.message,
      'The MCP server behind MCP Guard is not running: the server exited with code 3; MCP Guard restarted it 5 times within 60 s and gave up',
    );
    assert.equal(h.answersTo('ping')[0].error.code, -32000);
    assert.equal(h.forwardedCalls.length, 0);
  });

  it('an upstream answer over the size limit becomes an error for its call; a deep upstream batch element is dropped and answered', async () => {
    const h = new ProxyHarness({ answerCall: () => undefined, proxy: { maxMessageBytes: 8192 } });
    await h.initialize();
    h.call('big', 'read_a');
    h.call('deep', 'read_b');
    await h.settle();
    h.fromUpstream(`{"jsonrpc":"2.0","result":{"content":[{"type":"text","text":"${'x'.repeat(10_000)}"}]},"id":"big"}`);
    assert.match(
      textOfResult(h.answersTo('big')[0]),
      /^MCP Guard dropped the MCP server's answer to read_a: it was 10\d{3} bytes, over the limit of 8192 bytes/,
    );
    const deep = '['.repeat(3000) + ']'.repeat(3000);
    h.fromUpstream(`[{"jsonrpc":"2.0","id":"deep","result":{"content":[],"x":${deep}}}]`);
    assert.match(textOfResult(h.answersTo('deep')[0]), /nested too deep/);
    assert.deepEqual(
      h.audit.decisions.map((d) => d.outcome),
      ['protocol_error', 'protocol_error'],
    );
  });

  it('while the audit log cannot be written, only Read / low-risk calls go ahead (fail closed), unless auditFailOpen', async () => {
    for (const failOpen of [false, true]) {
      const decisions: { auditProblem?: string }[] = [];
      const h = new ProxyHarness({ proxy: { auditFailOpen: failOpen, onDecision: (e) => decisions.push(e) } });
      await h.initialize();
      h.audit.problem = 'cannot write audit.jsonl: ENOSPC';
      h.call('r', 'read_a');
      h.call('w', 'write_a');
      await h.settle();
      assert.equal(h.answersTo('r')[0].result.isError, false);
      const w = h.answersTo('w')[0];
      if (failOpen) {
        assert.equal(w.result.isError, false);
      } else {
        assert.equal(w.result.isError, true);
        assert.match(
          textOfResult(w),
          /by rule audit\.\nReason: MCP Guard cannot write its audit log \(cannot write audit\.jsonl: ENOSPC\)/,
        );
      }
      assert.deepEqual(
        h.forwardedCalls.map((m) => m.params.name),
        failOpen ? ['read_a', 'write_a'] : ['read_a'],
      );
      assert.ok(
        decisions.every((d) => d.auditProblem === 'cannot write audit.jsonl: ENOSPC'),
        'the editor is told',
      );
    }
  });

  it('reports each decision with its argument hash and arguments, and the tool list with schemas, to its host', async () => {
    const decisions: { tool: string; argsSha256: string; args: unknown }[] = [];
    const lists: unknown[] = [];
    const tools = [
      {
        name: 'read_a',
        description: 'Reads a',
        inputSchema: { type: 'object', properties: { id: { type: 'integer' } } },
        annotations: { readOnlyHint: true },
      },
      { name: 'write_a' },
    ];
    const h = new ProxyHarness({ tools, proxy: { onDecision: (e) => decisions.push(e), onToolsRead: (t) => lists.push(t) } });
    await h.initialize();
    h.call('r', 'read_a', { id: 7 });
    await h.answerTo('r');
    assert.equal(decisions.length, 1);
    assert.deepEqual(decisions[0]!.args, { id: 7 });
    assert.equal(decisions[0]!.argsSha256, h.audit.decisions[0].args_sha256);
    assert.ok(lists.length >= 1, 'the guard read the tool list');
    assert.deepEqual(lists[0], [
      {
        name: 'read_a',
        description: 'Reads a',
        inputSchema: { type: 'object', properties: { id: { type: 'integer' } } },
        annotations: { readOnlyHint: true },
      },
      { name: 'write_a', inputSchema: { type: 'object' } },
    ]);
  });

  it('answers a client response to an id the upstream never asked about by dropping it', async () => {
    const h = new ProxyHarness();
    await h.initialize();
    h.send({ jsonrpc: '2.0', id: 'never-asked', result: {} });
    h.fromUpstream({ jsonrpc: '2.0', id: 'asked', method: 'sampling/createMessage', params: {} });
    h.send({ jsonrpc: '2.0', id: 'asked', result: { ok: true } });
    await h.settle();
    assert.ok(!h.upstream.some((m) => m.id === 'never-asked'));
    assert.ok(h.upstream.some((m) => m.id === 'asked' && m.result?.ok === true));
  });
});
