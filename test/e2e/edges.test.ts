import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryOf, readJsonLines, resultText, startRawGuard, type RawGuard, type RawGuardOptions } from '../support/raw-guard';
import { GUARD } from '../support/paths';
import type { RawMessage } from '../support/raw-client';
import { tempDir, waitFor } from '../support/temp';

/**
 * The edges of "a denied call never reaches the server", attacked through the built CLI as an
 * outsider would: framing tricks against a server that reads stdin the way the MCP Python SDK
 * does (odoo-mcp), resource URIs in the spellings a WHATWG URL parser folds together, and
 * inputs meant to stall or bloat the guard. Each test reads the stand-in's own records.
 */
describe('edges: framing, URI spellings, prototype keys, stalls and memory (real guard, Python-framed stand-in)', function () {
  this.timeout(60_000);
  const guards: RawGuard[] = [];
  afterEach(async () => {
    await Promise.all(guards.splice(0).map((g) => g.close()));
  });

  /**
   * A guard in front of the stand-in reading stdin with universal newlines (as the Python SDK does)
   * and looking resources up as WHATWG URLs (as the TypeScript SDK's McpServer does); it journals
   * every line its reader framed and every resource it served.
   */
  function start(
    options: RawGuardOptions & { env?: Record<string, string> } = {},
  ): RawGuard & { lines(): string[]; resourceReads(): any[] } {
    const g = startRawGuard({
      ...options,
      env: (dir) => ({
        STANDIN_NEWLINES: 'universal',
        STANDIN_URIS: 'whatwg',
        STANDIN_LINE_JOURNAL: join(dir, 'lines.jsonl'),
        STANDIN_RESOURCE_JOURNAL: join(dir, 'resources.jsonl'),
        ...options.env,
      }),
    });
    guards.push(g);
    return Object.assign(g, {
      lines: () => readJsonLines(join(g.dir, 'lines.jsonl')) as string[],
      resourceReads: () => readJsonLines(join(g.dir, 'resources.jsonl')),
    });
  }

  async function payload(g: RawGuard, name: string, args: Record<string, unknown>, id: string): Promise<any> {
    const m = await g.call('tools/call', { name, arguments: args }, id);
    assert.equal(m.result?.isError, false, JSON.stringify(m));
    return JSON.parse(resultText(m));
  }

  async function submitTask(g: RawGuard): Promise<string> {
    const p = await payload(g, 'submit_async_task', { operation: 'data_quality_report', params: { model: 'res.partner' } }, 'submit');
    assert.match(p.task_id, /^[0-9a-f]{12}$/);
    return p.task_id as string;
  }

  async function taskStatus(g: RawGuard, taskId: string, id: string): Promise<string> {
    return (await payload(g, 'get_async_task', { task_id: taskId }, id)).status;
  }

  /** Every line the Python-style reader framed parses as one JSON-RPC message. */
  function assertEveryLineIsOneMessage(lines: string[]): void {
    for (const line of lines) {
      if (line.trim() === '') continue;
      assert.doesNotThrow(
        () => JSON.parse(line),
        `the server's reader framed a line that is not one JSON message: ${JSON.stringify(line.slice(0, 200))}`,
      );
    }
  }

  const smuggledCancel = (taskId: string) =>
    `{"jsonrpc":"2.0","id":"smuggled","method":"tools/call","params":{"name":"cancel_async_task","arguments":{"task_id":"${taskId}"}}}`;

  it('a client "response" with id null that hides a tools/call between bare CRs never reaches the server', async () => {
    const g = start();
    await g.client.initialize();
    const taskId = await submitTask(g);
    g.client.sendLine(`{"jsonrpc":"2.0","id":null,"result":{"x":\r${smuggledCancel(taskId)}\r}}`);
    g.client.sendLine(`{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"x","data":\r${smuggledCancel(taskId)}\r}}`);
    assert.equal(await taskStatus(g, taskId, 'status'), 'running');
    assert.ok(!g.journal().some((j) => j.tool === 'cancel_async_task'), 'the smuggled cancel never ran');
    assert.ok(!g.client.received.some((m) => m.id === 'smuggled'), 'no answer to the smuggled call reached the client');
    assert.match(g.client.stderr, /dropped a response from the client without a request id/);
  });

  it("an answer to the server's own elicitation reaches it as exactly one message, even with a tools/call between bare CRs inside", async () => {
    const g = start({ policy: 'version: 1\ntools:\n  execute_approved_write: { action: allow }\n', env: { ODOO_MCP_ELICIT_WRITES: '1' } });
    await g.client.initialize({ elicitation: {} });
    const taskId = await submitTask(g);
    const validated = await payload(g, 'validate_write', { model: 'res.partner', operation: 'unlink', record_ids: [5] }, 'validate');
    assert.equal(validated.success, true, JSON.stringify(validated));
    g.client.send({
      jsonrpc: '2.0',
      id: 'execute',
      method: 'tools/call',
      params: { name: 'execute_approved_write', arguments: { approval: validated.approval, confirm: true } },
    });
    const ask = (await waitFor(
      'the elicitation',
      () => g.client.received.find((m) => m.method === 'elicitation/create'),
      10_000,
    )) as RawMessage;
    const answer = `{"jsonrpc":"2.0","id":${JSON.stringify(ask.id)},"result":{"action":"accept","content":{"approve":true},"_meta":{"x":\r${smuggledCancel(taskId)}\r}}}`;
    g.client.sendLine(answer);
    // The same answer again answers nothing: it must not reach the server a second time.
    g.client.sendLine(answer);
    const executed = await g.response('execute');
    assert.equal(JSON.parse(resultText(executed)).success, true, resultText(executed));
    assert.equal(await taskStatus(g, taskId, 'status'), 'running');
    assert.ok(!g.journal().some((j) => j.tool === 'cancel_async_task'), 'the smuggled cancel never ran');
    assert.ok(!g.client.received.some((m) => m.id === 'smuggled'));
  });

  it('the server reads every forwarded line as one message: bare CRs, NEL, LS and PS anywhere in client messages', async () => {
    const g = start();
    await g.client.initialize();
    const taskId = await submitTask(g);
    // Legal JSON whitespace (\r) between tokens, and raw NEL/LS/PS inside strings, in every kind of message.
    g.client.sendLine(`{"jsonrpc":"2.0",\r"id":"p1",\r"method":"ping",\r"params":{"_meta":{"x":"a\u2028b\u2029c\u0085d"}}}`);
    g.client.sendLine(
      `{"jsonrpc":"2.0",\r"method":"notifications/progress","params":{"progressToken":"t","progress":1,"x":\r${smuggledCancel(taskId)}\r}}`,
    );
    g.client.sendLine(
      `{"jsonrpc":"2.0","id":"c1","method":"tools/call",\r"params":{"name":"get_async_task","arguments":{"task_id":"${taskId}","note":"\u2028"}}}`,
    );
    await g.response('p1');
    await g.response('c1');
    assert.equal(await taskStatus(g, taskId, 'status'), 'running');
    const lines = g.lines();
    assert.ok(lines.length >= 5, `the line journal has the session: ${lines.length} lines`);
    assertEveryLineIsOneMessage(lines);
    assert.ok(!lines.some((l) => /[\r\u0085\u2028\u2029]/.test(l)), 'no raw line terminator reached the server');
    assert.ok(!g.journal().some((j) => j.tool === 'cancel_async_task'));
  });

  describe('resource URIs in other spellings', () => {
    const policy = [
      'version: 1',
      'hide: ["odoo://models"]',
      'resources:',
      '  "odoo://record/*": { action: deny, reason: records are read through tools }',
      '  "odoo://model/res.users": { action: deny, reason: no user metadata }',
    ].join('\n');

    it('are decided as the server will read them: case, spaces, controls, tabs, newlines and escapes do not get past a deny or hide', async () => {
      const g = start({ policy });
      await g.client.initialize();
      const spellings = [
        'ODOO://record/res.partner/1',
        'Odoo://record/res.partner/1',
        ' odoo://record/res.partner/1',
        'odoo://record/res.partner/1 ',
        '\u0000odoo://record/res.partner/1',
        'odoo://rec\tord/res.partner/1',
        'odoo://record/res.partner/1\n',
        'odoo://rec\nord/res.partner/1',
        'odoo://record/a/%2e%2e/res.partner/1',
        'ODOO://models',
        ' odoo://models',
        'odoo://mo\tdels',
        'odoo://model/res%2Eusers',
        'odoo://model/res%2eusers',
        'odoo://model/%72es.users',
        'odoo:/\u0000/models',
        'not a uri',
      ];
      let n = 0;
      for (const uri of spellings) {
        const m = await g.call('resources/read', { uri }, `r${n++}`);
        assert.ok(m.error, `${JSON.stringify(uri)} was answered without an error: ${JSON.stringify(m).slice(0, 300)}`);
        assert.equal(m.error.code, -32001, `${JSON.stringify(uri)}: ${m.error.message}`);
      }
      assert.deepEqual(g.resourceReads(), [], 'no denied or hidden resource reached the server');
      // And the ordinary spellings still work, forwarded as the guard decided them.
      const ok = await g.call('resources/read', { uri: 'odoo://model/res%2Epartner' }, 'ok');
      assert.equal(ok.error, undefined, JSON.stringify(ok.error));
      assert.deepEqual(
        g.resourceReads().map((r) => r.uri),
        ['odoo://model/res.partner'],
      );
      const refused = g.decisions().filter((d) => d.rule === 'uri');
      assert.ok(refused.length >= 4, 'refused spellings are audited with rule uri');
      const audit = JSON.stringify(g.audit());
      assert.ok(!audit.includes('%2E') && !audit.includes('ODOO://'), 'the audit log keeps URIs only as a digest');
    });
  });

  it('arguments with a __proto__, constructor or prototype key are denied, whatever the conditions say', async () => {
    const policy =
      'version: 1\ntools:\n  search_records (partners):\n    action: deny\n    when:\n      - { path: args.model, op: eq, value: res.partner }\n';
    const g = start({ policy });
    await g.client.initialize();
    const cases = [
      '{"model":"res.users","__proto__":{"model":"res.partner"}}',
      '{"model":"res.users","domain":[{"\\u005f_proto__":{"model":"res.partner"}}]}',
      '{"model":"res.users","fields":{"constructor":{"prototype":{"model":"res.partner"}}}}',
    ];
    let n = 0;
    for (const args of cases) {
      g.client.sendLine(`{"jsonrpc":"2.0","id":"p${n}","method":"tools/call","params":{"name":"search_records","arguments":${args}}}`);
      const m = await g.response(`p${n++}`);
      assert.equal(m.result?.isError, true, args);
      assert.match(resultText(m), /by rule arguments/);
      assert.match(resultText(m), /__proto__|constructor/);
    }
    assert.deepEqual(g.journal(), [], 'none of them reached the server');
    const plain = await g.call('tools/call', { name: 'search_records', arguments: { model: 'res.users' } }, 'plain');
    assert.equal(plain.result?.isError, false, resultText(plain));
  });

  it('a huge URI is refused at once, and the guard answers the next request within a second', async () => {
    const g = start({ policy: 'version: 1\nresources:\n  "odoo://*/attachment/*.pdf": { action: deny }\n' });
    await g.client.initialize();
    g.client.send({
      jsonrpc: '2.0',
      id: 'huge',
      method: 'resources/read',
      params: { uri: `odoo://x/${'attachment/'.repeat(100_000)}a.pdx` },
    });
    const started = Date.now();
    const next = await g.call('tools/call', { name: 'health_check', arguments: {} }, 'next', 5_000);
    assert.ok(Date.now() - started < 1000, `the next call took ${Date.now() - started} ms`);
    assert.equal(next.result?.isError, false);
    const huge = await g.response('huge');
    assert.equal(huge.error?.code, -32001);
    assert.match(huge.error!.message, /over MCP Guard's limit/);
    assert.deepEqual(g.resourceReads(), []);
  });

  it('memory stays bounded under hundreds of distinct megabyte URIs', async function () {
    this.timeout(120_000);
    const g = start();
    await g.client.initialize();
    const before = memoryOf(g.pid).rss;
    const big = 'a'.repeat(1 << 20);
    for (let i = 0; i < 150; i++) {
      g.client.send({ jsonrpc: '2.0', id: `m${i}`, method: 'resources/read', params: { uri: `odoo://search/${i}/${big}` } });
      if (i % 20 === 19) await g.response(`m${i}`, 30_000);
    }
    await g.response('m149', 30_000);
    const after = memoryOf(g.pid);
    console.log(`      (guard rss ${Math.round(before / 1048576)} MB before, ${Math.round(after.rss / 1048576)} MB after)`);
    assert.ok(
      after.rss - before < 150 * 1024 * 1024,
      `the guard grew by ${Math.round((after.rss - before) / 1048576)} MB (rss ${Math.round(after.rss / 1048576)} MB)`,
    );
    const next = await g.call('tools/call', { name: 'health_check', arguments: {} }, 'next');
    assert.equal(next.result?.isError, false);
  });

  it('a policy behind a Kubernetes ConfigMap layout applies the swapped version within seconds', async () => {
    const { dir, cleanup } = tempDir('mcp-guard-configmap-');
    try {
      const version = (name: string, action: string) => {
        mkdirSync(join(dir, name));
        writeFileSync(join(dir, name, 'policy.yaml'), `version: 1\ntools:\n  search_records: { action: ${action} }\n`);
      };
      version('..2026_12_07_a', 'allow');
      symlinkSync('..2026_12_07_a', join(dir, '..data'));
      symlinkSync('..data/policy.yaml', join(dir, 'policy.yaml'));
      const g = start({ policy: null, guardArgs: ['--policy', join(dir, 'policy.yaml')] });
      await g.client.initialize();
      const first = await g.call('tools/call', { name: 'search_records', arguments: { model: 'res.partner' } }, 'before');
      assert.equal(first.result?.isError, false, resultText(first));
      // The kubelet's swap: a new timestamped directory, a new ..data link renamed over the old one.
      version('..2026_12_07_b', 'deny');
      symlinkSync('..2026_12_07_b', join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      const deadline = Date.now() + 5_000;
      for (let n = 0; ; n++) {
        const m = await g.call('tools/call', { name: 'search_records', arguments: { model: 'res.partner' } }, `after-${n}`);
        if (m.result?.isError === true && /by rule tools\.search_records/.test(resultText(m))) break;
        assert.ok(Date.now() < deadline, 'the swapped policy was not applied within 5 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(g.audit().some((e) => e.event === 'policy_reload' && e.ok === true));
    } finally {
      cleanup();
    }
  });

  it('with --audit-include-args, secrets under any name or inside strings stay out of the audit log', async () => {
    const g = start({ guardArgs: ['--audit-include-args'] });
    await g.client.initialize();
    const secrets = ['hunter2-pwd', 'otp-493817', 'sess-9f8e7d', 'jwt-secret-x', 'bob-db-pass', 'bearer-tok-77', 'qz-access-tok'];
    const args = {
      model: 'res.partner',
      pwd: secrets[0],
      otp: secrets[1],
      session: secrets[2],
      ['pass\u200Bword']: secrets[3],
      note: `connect with postgres://bob:${secrets[4]}@db.internal/prod`,
      headers: `Authorization: Bearer ${secrets[5]}`,
      callback: `https://example.com/cb?access_token=${secrets[6]}&page=2`,
    };
    await g.call('tools/call', { name: 'search_records', arguments: args }, 'leaky');
    await waitFor('the decision in the audit log', () => g.decisions().find((d) => d.tool === 'search_records'));
    const audit = JSON.stringify(g.audit());
    for (const secret of secrets) assert.ok(!audit.includes(secret), `the audit log shows ${secret}`);
    assert.ok(audit.includes('res.partner') && audit.includes('example.com/cb') && audit.includes('page=2'), 'the rest stays readable');
  });

  it('a backtracking-prone regex condition cannot freeze the guard: the call is decided and the next one answered within a second', async () => {
    const policy =
      'version: 1\ntools:\n  search_records (dotted):\n    action: deny\n    when:\n      - { path: args.model, op: regex, value: "^([a-z_]+\\\\.?)+$" }\n';
    const g = start({ policy });
    await g.client.initialize();
    const started = Date.now();
    g.client.send({
      jsonrpc: '2.0',
      id: 'evil',
      method: 'tools/call',
      params: { name: 'search_records', arguments: { model: `${'a'.repeat(40)}!` } },
    });
    const next = await g.call('tools/call', { name: 'health_check', arguments: {} }, 'next', 5_000);
    assert.ok(Date.now() - started < 1000, `answered after ${Date.now() - started} ms`);
    assert.equal(next.result?.isError, false);
    await g.response('evil');
    const dotted = await g.call('tools/call', { name: 'search_records', arguments: { model: 'res.partner' } }, 'dotted');
    assert.match(resultText(dotted), /by rule tools\.search_records \(dotted\)/);
  });

  describe('policies that look right and do nothing are invalid, so the guard fails closed', () => {
    const cases: [string, string, RegExp][] = [
      [
        'an empty value',
        'version: 1\ntools:\n  search_records:\n    action: deny\n    when:\n      - { path: args.model, op: eq, value: }\n',
        /`value` is empty: eq needs a value/,
      ],
      ['a tool key in other capitals', 'version: 1\ntools:\n  Cancel_Async_Task:\n    action: deny\n', /cancel_async_task/],
      [
        'a regex that needs backtracking',
        'version: 1\ntools:\n  search_records:\n    action: deny\n    when:\n      - { path: args.model, op: regex, value: "^(?=res)" }\n',
        /lookahead/,
      ],
    ];
    for (const [what, policy, message] of cases) {
      it(`${what}: validate exits 1 naming it, and a running guard blocks every call`, async () => {
        const { dir, cleanup } = tempDir('mcp-guard-invalid-');
        try {
          const file = join(dir, 'p.yaml');
          writeFileSync(file, policy);
          const v = spawnSync(process.execPath, [GUARD, 'validate', file], { encoding: 'utf8' });
          assert.equal(v.status, 1, v.stdout + v.stderr);
          assert.match(v.stdout + v.stderr, message);
        } finally {
          cleanup();
        }
        const g = start({ policy });
        await g.client.initialize();
        const m = await g.call('tools/call', { name: 'health_check', arguments: {} }, 'any');
        assert.match(resultText(m), /by rule policy/);
        assert.deepEqual(g.journal(), []);
      });
    }
  });
});
