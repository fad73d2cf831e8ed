import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { argumentsDigest } from '../../src/guard/canonical-json';
import { connect, textOf, type Session } from '../support/guarded';
import { memoryOf, resultText, scriptedServer, startRawGuard, type RawGuard } from '../support/raw-guard';
import { waitFor } from '../support/temp';

/**
 * A hostile or broken client: malformed JSON-RPC, wrong types, missing, null and duplicate
 * ids, huge and deeply nested messages, invalid UTF-8, calls before initialize. The guard
 * answers each with a proper error (or drops it), forwards nothing undecided, and keeps serving.
 */
describe('faults: hostile and broken client input', function () {
  this.timeout(30_000);
  const guards: RawGuard[] = [];
  const sessions: Session[] = [];

  afterEach(async () => {
    await Promise.all([...guards.splice(0).map((g) => g.close()), ...sessions.splice(0).map((s) => s.close())]);
  });

  function raw(options: Parameters<typeof startRawGuard>[0] = {}): RawGuard {
    const g = startRawGuard(options);
    guards.push(g);
    return g;
  }

  /** The guard still serves: an allowed call runs and a denied one is denied. */
  async function stillServes(g: RawGuard, tag: string): Promise<void> {
    const ok = await g.call('tools/call', { name: 'health_check', arguments: { probe: tag } }, `probe-ok-${tag}`);
    assert.equal(ok.result?.isError, false, JSON.stringify(ok));
    const denied = await g.call('tools/call', { name: 'cancel_async_task', arguments: { task_id: 'aaaaaaaaaaaa' } }, `probe-denied-${tag}`);
    assert.equal(denied.result?.isError, true);
    assert.match(resultText(denied), /MCP Guard blocked the call to cancel_async_task/);
    assert.equal(g.client.child.exitCode, null);
  }

  it('answers malformed messages, wrong types and bad ids with JSON-RPC errors, forwards none of them, and keeps serving', async () => {
    const g = raw();
    await g.client.initialize();
    const cases: [string, number | null, number][] = [
      // [line, the id the answer must carry, error code]
      ['{"jsonrpc":"2.0","id":1,"method":"tools/call"', null, -32700],
      ['nul', null, -32700],
      ['42', null, -32600],
      ['"tools/call"', null, -32600],
      ['[]', null, -32600],
      ['{"jsonrpc":"2.0","id":101,"method":"tools/call","params":"health_check"}', 101, -32602],
      ['{"jsonrpc":"2.0","id":102,"method":"tools/call","params":{"name":7,"arguments":{}}}', 102, -32602],
      ['{"jsonrpc":"2.0","id":103,"method":"tools/call","params":{"name":"","arguments":{}}}', 103, -32602],
      ['{"jsonrpc":"2.0","id":104,"method":"tools/call","params":{"name":"health_check","arguments":"{}"}}', 104, -32602],
      ['{"jsonrpc":"2.0","id":105,"method":"tools/call","params":{"name":"health_check","arguments":null}}', 105, -32602],
      ['{"jsonrpc":"2.0","id":106,"method":17,"params":{}}', 106, -32600],
      ['{"jsonrpc":"2.0","id":{"x":1},"method":"tools/call","params":{"name":"health_check","arguments":{}}}', null, -32600],
      ['{"jsonrpc":"2.0","id":[1],"method":"tools/call","params":{"name":"health_check","arguments":{}}}', null, -32600],
      ['{"jsonrpc":"2.0","id":true,"method":"tools/call","params":{"name":"health_check","arguments":{}}}', null, -32600],
      ['{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"health_check","arguments":{}}}', null, -32600],
      ['{"jsonrpc":"2.0","id":107}', 107, -32600],
    ];
    for (const [line] of cases) g.client.sendLine(line);
    await waitFor('an answer to every bad message', () => g.client.received.filter((m) => m.error).length >= cases.length);
    const errors = g.client.received.filter((m) => m.error);
    assert.equal(errors.length, cases.length, JSON.stringify(errors));
    for (const [i, [line, id, code]] of cases.entries()) {
      assert.equal(errors[i]!.id, id, line);
      assert.equal(errors[i]!.error!.code, code, `${line} → ${JSON.stringify(errors[i])}`);
    }
    // A tools/call without an id is a notification: nothing can be answered, and it is not forwarded.
    g.client.sendLine('{"jsonrpc":"2.0","method":"tools/call","params":{"name":"health_check","arguments":{"nonce":"no-id"}}}');
    await stillServes(g, 'after-malformed');
    assert.match(g.client.stderr, /dropped a tools\/call without an id/);
    assert.deepEqual(
      g.journal().map((j) => j.arguments.probe ?? j.arguments.nonce),
      ['after-malformed'],
      'only the probe ran: no malformed or id-less call reached the server',
    );
  });

  it('refuses a tools/call before initialize, without forwarding it', async () => {
    const g = raw();
    const early = await g.call('tools/call', { name: 'health_check', arguments: {} }, 'early');
    assert.equal(early.error?.code, -32600);
    assert.match(early.error!.message, /tools\/call before initialize/);
    await g.client.initialize();
    await stillServes(g, 'after-init');
    assert.equal(g.journal().length, 1);
  });

  it('refuses a duplicate id while the first request is in flight; the call runs once', async () => {
    const g = raw({ env: { STANDIN_DELAY_MS: '300' } });
    await g.client.initialize();
    g.client.send({ jsonrpc: '2.0', id: 'same', method: 'tools/call', params: { name: 'health_check', arguments: { n: 1 } } });
    g.client.send({ jsonrpc: '2.0', id: 'same', method: 'tools/call', params: { name: 'health_check', arguments: { n: 2 } } });
    await waitFor('both answers', () => g.client.received.filter((m) => m.id === 'same').length === 2, 5000);
    const [first, second] = g.client.received.filter((m) => m.id === 'same');
    assert.equal(first!.error?.code, -32600, 'the duplicate is refused at once');
    assert.match(first!.error!.message, /already in use/);
    assert.equal(second!.result?.isError, false);
    assert.deepEqual(
      g.journal().map((j) => j.arguments.n),
      [1],
    );
  });

  it('denies a tool the server does not list and a hidden tool, also when called in a batch', async () => {
    const g = raw({ policy: 'version: 1\nhide: [list_instances]\n' });
    await g.client.initialize();
    const list = await g.call('tools/list', {}, 'list');
    assert.ok(!list.result.tools.some((t: { name: string }) => t.name === 'list_instances'));
    g.client.send([
      { jsonrpc: '2.0', id: 'b-hidden', method: 'tools/call', params: { name: 'list_instances', arguments: {} } },
      { jsonrpc: '2.0', id: 'b-unknown', method: 'tools/call', params: { name: 'drop_database', arguments: {} } },
    ]);
    const hidden = await g.response('b-hidden');
    const unknown = await g.response('b-unknown');
    assert.match(resultText(hidden), /blocked the call to list_instances .*by rule hide/);
    assert.match(resultText(unknown), /does not offer a tool named drop_database/);
    assert.equal(g.journal().length, 0);
  });

  it('decides on exactly what it forwards: duplicate keys resolve the same way for the decision and the server', async () => {
    const g = raw({ upstream: scriptedServer, policy: 'version: 1\ntools:\n  write_thing: { action: deny, reason: no writes }\n' });
    await g.client.initialize();
    // JSON.parse keeps the last of duplicate keys; the guard re-serialises what it parsed.
    g.client.sendLine(
      '{"jsonrpc":"2.0","id":"d1","method":"tools/call","params":{"name":"echo","name":"write_thing","arguments":{"x":1}}}',
    );
    g.client.sendLine(
      '{"jsonrpc":"2.0","id":"d2","method":"tools/call","params":{"name":"write_thing","name":"echo","arguments":{"x":2,"x":3}}}',
    );
    const denied = await g.response('d1');
    const allowed = await g.response('d2');
    assert.match(resultText(denied), /blocked the call to write_thing .*by rule tools\.write_thing/);
    assert.equal(resultText(allowed), 'ran echo {"x":3}');
    const calls = g.journal().filter((j) => j.msg.method === 'tools/call');
    assert.equal(calls.length, 1, 'only the allowed call reached the server');
    // The server got one name and one x: the bytes the policy decided on.
    assert.equal(calls[0].raw, '{"jsonrpc":"2.0","id":"d2","method":"tools/call","params":{"name":"echo","arguments":{"x":3}}}');
    assert.deepEqual(
      g.decisions().map((d) => [d.tool, d.decision]),
      [
        ['write_thing', 'denied'],
        ['echo', 'allowed'],
      ],
      'the denial is logged at once, the allowed call when its answer comes',
    );
    assert.equal(g.decisions().find((d) => d.tool === 'echo').args_sha256, argumentsDigest({ x: 3 }));
  });

  it('a message another JSON parser could read as a tools/call (duplicate or escaped "method" keys) is passed on as the guard read it', async () => {
    const g = raw({ upstream: scriptedServer });
    await g.client.initialize();
    // JSON.parse keeps the last key: to the guard these are a ping and a notification. A parser
    // that keeps the first would see tools/call, so the verbatim bytes must not go up.
    g.client.sendLine('{"jsonrpc":"2.0","id":"p1","method":"tools/call","method":"ping","params":{"name":"write_thing","arguments":{}}}');
    g.client.sendLine(
      '{"jsonrpc":"2.0","id":"p2","m\\u0065thod":"tools/call","method":"ping","params":{"name":"write_thing","arguments":{}}}',
    );
    g.client.sendLine(
      '{"jsonrpc":"2.0","method":"tools/call","method":"notifications/progress","params":{"name":"write_thing","arguments":{}}}',
    );
    await g.response('p1');
    await g.response('p2');
    await stillServesScripted(g);
    const raws = g.journal().map((j) => j.raw as string);
    assert.ok(raws.includes('{"jsonrpc":"2.0","id":"p1","method":"ping","params":{"name":"write_thing","arguments":{}}}'), raws.join('\n'));
    assert.ok(raws.includes('{"jsonrpc":"2.0","id":"p2","method":"ping","params":{"name":"write_thing","arguments":{}}}'), raws.join('\n'));
    assert.ok(raws.includes('{"jsonrpc":"2.0","method":"notifications/progress","params":{"name":"write_thing","arguments":{}}}'));
    assert.ok(!raws.some((r) => r.includes('tools/call') && r.includes('write_thing')), 'no undecided tools/call text reached the server');
  });

  async function stillServesScripted(g: RawGuard): Promise<void> {
    assert.match(resultText(await g.call('tools/call', { name: 'echo', arguments: { ok: 1 } }, `echo-${Date.now()}`)), /^ran echo/);
  }

  it('invalid UTF-8 becomes U+FFFD, and the decision is made on exactly the text forwarded', async () => {
    const g = raw({ upstream: scriptedServer });
    await g.client.initialize();
    const bytes = (s: string) => Buffer.from(s, 'utf8');
    // An argument with invalid bytes (a lone continuation byte, an overlong form, a truncated sequence).
    g.client.child.stdin.write(
      Buffer.concat([
        bytes('{"jsonrpc":"2.0","id":"u1","method":"tools/call","params":{"name":"echo","arguments":{"s":"a'),
        Buffer.from([0x80, 0xc0, 0xaf, 0xe2, 0x82]),
        bytes('b"}}}\n'),
      ]),
    );
    // A tool name with an invalid byte is no listed tool.
    g.client.child.stdin.write(
      Buffer.concat([
        bytes('{"jsonrpc":"2.0","id":"u2","method":"tools/call","params":{"name":"echo'),
        Buffer.from([0xff]),
        bytes('","arguments":{}}}\n'),
      ]),
    );
    const u1 = await g.response('u1');
    const u2 = await g.response('u2');
    const calls = g.journal().filter((j) => j.msg.method === 'tools/call');
    assert.equal(calls.length, 1);
    const forwarded = calls[0].msg.params.arguments.s as string;
    assert.match(forwarded, /^a\uFFFD+b$/);
    assert.ok(!forwarded.includes('\u0080'));
    assert.equal(resultText(u1), `ran echo ${JSON.stringify({ s: forwarded })}`);
    const decisions = g.decisions();
    assert.equal(decisions.length, 2);
    assert.equal(
      decisions.find((d) => d.tool === 'echo').args_sha256,
      argumentsDigest({ s: forwarded }),
      'the audited arguments are the forwarded ones',
    );
    assert.match(resultText(u2), /does not offer a tool named echo\uFFFD/);
    assert.equal(decisions.find((d) => d.tool === 'echo\uFFFD').decision, 'denied');
  });

  it('denies a call nested 100,000 levels deep without forwarding it, refuses other deep requests, and keeps serving', async () => {
    const g = raw({ guardArgs: ['--audit-include-args'] });
    await g.client.initialize();
    const depth = 100_000;
    const deepArray = '['.repeat(depth) + ']'.repeat(depth);
    const deepObject = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    g.client.sendLine(
      `{"jsonrpc":"2.0","id":"deep-call","method":"tools/call","params":{"name":"search_records","arguments":{"model":"res.partner","domain":${deepArray}}}}`,
    );
    g.client.sendLine(
      `{"jsonrpc":"2.0","id":"deep-obj","method":"tools/call","params":{"name":"search_records","arguments":{"password":"deep-secret-1","x":${deepObject}}}}`,
    );
    g.client.sendLine(
      `{"jsonrpc":"2.0","id":"deep-read","method":"resources/read","params":{"uri":"odoo://record/res.partner/2","x":${deepArray}}}`,
    );
    g.client.sendLine(
      `[{"jsonrpc":"2.0","id":"deep-batch","method":"tools/call","params":{"name":"health_check","arguments":{"x":${deepArray}}}},{"jsonrpc":"2.0","id":"shallow-batch","method":"tools/call","params":{"name":"health_check","arguments":{"nonce":"batch"}}}]`,
    );
    g.client.sendLine(`{"jsonrpc":"2.0","method":"notifications/roots/list_changed","params":{"x":${deepArray}}}`);
    for (const id of ['deep-call', 'deep-obj', 'deep-batch']) {
      const r = await g.response(id);
      assert.equal(r.result?.isError, true, JSON.stringify(r).slice(0, 300));
      assert.match(
        resultText(r),
        /by rule arguments\.\nReason: The call nests deeper than 256 levels; MCP Guard does not forward what it cannot inspect\./,
      );
    }
    const read = await g.response('deep-read');
    assert.equal(read.error?.code, -32600);
    assert.equal((await g.response('shallow-batch')).result?.isError, false);
    await stillServes(g, 'after-deep');
    assert.deepEqual(
      g.journal().map((j) => j.arguments.nonce ?? j.arguments.probe),
      ['batch', 'after-deep'],
    );
    const auditText = readFileSync(g.auditPath, 'utf8');
    assert.ok(!auditText.includes('deep-secret-1'));
    const denied = g.decisions().filter((d) => d.rule === 'arguments');
    assert.equal(denied.length, 3);
    for (const d of denied) assert.match(d.args_sha256, /^[0-9a-f]{64}$/);
  });

  it('answers a message over --max-message-bytes with an error carrying its id, without buffering the rest', async () => {
    const g = raw({ guardArgs: ['--max-message-bytes', '65536'] });
    await g.client.initialize();
    await stillServes(g, 'warm');
    const before = memoryOf(g.pid);
    // 64 MiB in one line, id last (as the SDK orders it), written in pieces.
    const piece = 'x'.repeat(1024 * 1024);
    g.client.child.stdin.write('{"jsonrpc":"2.0","method":"tools/call","params":{"name":"health_check","arguments":{"blob":"');
    for (let i = 0; i < 64; i++) {
      if (!g.client.child.stdin.write(piece)) await new Promise((r) => g.client.child.stdin.once('drain', r));
    }
    g.client.child.stdin.write('"}},"id":"huge"}\n');
    const huge = await g.response('huge', 20_000);
    assert.equal(huge.error?.code, -32600);
    assert.match(
      huge.error!.message,
      /^Invalid request: the message is 67108\d{3} bytes, over MCP Guard's limit of 65536 bytes \(--max-message-bytes\); it was discarded$/,
    );
    const after = memoryOf(g.pid);
    assert.ok(
      after.hwm - before.hwm < 32 * 1024 * 1024,
      `peak memory grew by ${((after.hwm - before.hwm) / 1048576).toFixed(1)} MB for a 64 MiB line`,
    );
    // Just under the limit still works.
    const fits = await g.call('tools/call', { name: 'health_check', arguments: { blob: 'y'.repeat(60_000) } }, 'fits');
    assert.equal(fits.result?.isError, false);
    await stillServes(g, 'after-huge');
    assert.equal(g.journal().filter((j) => 'blob' in j.arguments).length, 1, 'only the message under the limit ran');
  });

  it('the default limit is 16 MiB', async () => {
    const g = raw();
    await g.client.initialize();
    const big = 'z'.repeat(16 * 1024 * 1024);
    g.client.sendLine(`{"jsonrpc":"2.0","id":"over","method":"tools/call","params":{"name":"health_check","arguments":{"blob":"${big}"}}}`);
    const over = await g.response('over', 20_000);
    assert.match(over.error?.message ?? '', /limit of 16777216 bytes/);
    await stillServes(g, 'after-16m');
  });

  it('secret-named arguments appear in no log, audit line, approval text or denial text', async () => {
    const secrets = ['Sup3r-S3cret-pw', 'tok-5ecret-77', 'key-5ecret-99', 'deep-5ecret-11'];
    let deep: Record<string, unknown> = { password: secrets[3] };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const args = {
      model: 'res.partner',
      method: 'search_count',
      args: [[]],
      kwargs: { password: secrets[0], context: { access_token: secrets[1] } },
      api_key: secrets[2],
      deep,
    };
    let asked = '';
    const s = await connect({
      policy: [
        'version: 1',
        'tools:',
        '  execute_method: { action: require_approval, reason: needs a person }',
        '  search_records: { action: deny, reason: no searching }',
      ].join('\n'),
      guardArgs: ['--audit-include-args'],
      capabilities: { elicitation: {} },
      setup: (c) =>
        c.setRequestHandler(ElicitRequestSchema, async (req) => {
          asked = req.params.message;
          return { action: 'accept', content: { confirm: true } };
        }),
    });
    sessions.push(s);
    const approved = await s.client.callTool({ name: 'execute_method', arguments: args });
    const denied = await s.client.callTool({
      name: 'search_records',
      arguments: { model: 'res.partner', password: secrets[0], token: secrets[1] },
    });
    const unknown = await s.client.callTool({ name: 'no_such_tool', arguments: { secret: secrets[2] } });
    assert.match(asked, /‹redacted›/);
    assert.equal(denied.isError, true);
    assert.equal(unknown.isError, true);
    assert.equal(s.journal().length, 1, 'the approved call ran');
    const texts = {
      approval: asked,
      denial: textOf(denied),
      unknown: textOf(unknown),
      audit: readFileSync(s.auditPath, 'utf8'),
      stderr: s.stderr(),
    };
    for (const [where, text] of Object.entries(texts)) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `${secret} appears in the ${where}`);
    }
    assert.equal(s.journal()[0].tool, 'execute_method');
    assert.ok(approved.content);
    const logged = s.decisions().find((d) => d.tool === 'execute_method');
    assert.equal(logged.arguments.kwargs.password, '‹redacted›');
    assert.equal(logged.arguments.api_key, '‹redacted›');
  });
});
