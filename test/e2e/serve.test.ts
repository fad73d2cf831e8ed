import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect, payloadOf, textOf } from '../support/guarded';
import { alive, connectHttp, serve, type Served } from '../support/served';
import { tempDir, waitFor } from '../support/temp';

const FIXTURE_TOOLS = JSON.parse(readFileSync(`${__dirname}/../fixtures/odoo-tools.json`, 'utf8')).tools as { name: string }[];

const servers: Served[] = [];
const clients: Client[] = [];
async function start(...args: Parameters<typeof serve>): Promise<Served> {
  const s = await serve(...args);
  servers.push(s);
  return s;
}
async function client(...args: Parameters<typeof connectHttp>) {
  const c = await connectHttp(...args);
  clients.push(c.client);
  return c;
}

const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
/** The status of a POST sent with exactly these headers (node:http, which lets a test set Host). */
function rawStatus(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const MCP_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

describe('mcp-guard serve (SDK Streamable HTTP client → dist/mcp-guard.js serve → stand-in odoo-mcp per session)', function () {
  this.timeout(30_000);

  it('prints the address it got for port 0 and shows the upstream exactly as the stdio stand-in does', async () => {
    const s = await start();
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    assert.doesNotMatch(s.url, /:0\//);
    const { client: guarded } = await client(s.url);
    const direct = await connect({ direct: true });
    try {
      assert.deepEqual(guarded.getServerVersion(), direct.client.getServerVersion());
      assert.deepEqual(guarded.getServerCapabilities(), direct.client.getServerCapabilities());
      assert.equal(guarded.getInstructions(), direct.client.getInstructions());
      const tools = await guarded.listTools();
      assert.deepEqual(tools, await direct.client.listTools());
      assert.deepEqual(tools.tools, FIXTURE_TOOLS);
      assert.deepEqual(await guarded.listResources(), await direct.client.listResources());
      const read = { uri: 'odoo://record/res.partner/2' };
      assert.deepEqual(await guarded.readResource(read), await direct.client.readResource(read));
      assert.deepEqual(await guarded.listPrompts(), await direct.client.listPrompts());
    } finally {
      await direct.close();
    }
  });

  it('enforces the policy: a denied call never reaches the server (journal), an allowed one does', async () => {
    const s = await start({ policy: 'version: 1\ntools:\n  health_check: { action: deny, reason: not today }\n' });
    const { client: c } = await client(s.url);
    const denied = await c.callTool({ name: 'health_check', arguments: {} });
    assert.equal(denied.isError, true);
    assert.match(textOf(denied), /not today/);
    const read = await c.callTool({ name: 'read_record', arguments: { model: 'res.partner', record_id: 3 } });
    assert.equal(payloadOf(read).success, true, textOf(read));
    assert.deepEqual(
      s.journal().map((j) => j.tool),
      ['read_record'],
    );
    assert.deepEqual(
      s.decisions().map((d) => [d.tool, d.decision, d.session]),
      [
        ['health_check', 'denied', 1],
        ['read_record', 'allowed', 1],
      ],
    );
  });

  it('holds the run flags over HTTP: a missing --pins file blocks every tool, --scan-results redacts a secret in a result', async () => {
    const pinsDir = tempDir();
    after(pinsDir.cleanup);
    const missingPins = join(pinsDir.dir, 'missing.pins.json');
    const pinned = await start({ serveArgs: ['--pins', missingPins] });
    const { client: p } = await client(pinned.url);
    assert.deepEqual((await p.listTools()).tools, []);
    const blocked = await p.callTool({ name: 'health_check', arguments: {} });
    assert.equal(blocked.isError, true);
    assert.match(textOf(blocked), /pins file/);
    assert.deepEqual(pinned.journal(), []);

    const token = `ghp_${'A1b2C3d4E5f6G7h8I9j0'.repeat(2).slice(0, 36)}`;
    const scanned = await start({ env: { STANDIN_PARTNER_REF: token } });
    const { client: c } = await client(scanned.url);
    const read = await c.callTool({ name: 'read_record', arguments: { model: 'res.partner', record_id: 2 } });
    assert.ok(!JSON.stringify(read).includes(token.slice(4)), 'the token reached the client');
    assert.match(textOf(read), /redacted/);
    assert.equal(scanned.decisions()[0]?.result_secrets?.action, 'redacted');
  });

  it('keeps two concurrent sessions apart: own server process, own rate limits, answers only to their own client', async () => {
    const s = await start({ policy: 'version: 1\ntools:\n  health_check:\n    rate_limit: { max: 2, window: 60 }\n' });
    const { client: a } = await client(s.url);
    const { client: b } = await client(s.url);
    const pidA = await waitFor('session 1 pid', () => s.upstreamPid(1));
    const pidB = await waitFor('session 2 pid', () => s.upstreamPid(2));
    assert.notEqual(pidA, pidB);
    // Interleaved reads with the same request ids on both sessions: each gets its own records.
    const reads = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((id) =>
        (id % 2 ? a : b).callTool({ name: 'read_record', arguments: { model: 'res.partner', record_id: id } }),
      ),
    );
    reads.forEach((r, i) => assert.equal(payloadOf(r).result?.id, i + 1, textOf(r)));
    // A's budget is A's: after A used it up, B still has its two calls.
    for (let i = 0; i < 2; i++) assert.notEqual((await a.callTool({ name: 'health_check', arguments: {} })).isError, true);
    assert.equal((await a.callTool({ name: 'health_check', arguments: {} })).isError, true);
    for (let i = 0; i < 2; i++) assert.notEqual((await b.callTool({ name: 'health_check', arguments: {} })).isError, true);
    const limitedB = await b.callTool({ name: 'health_check', arguments: {} });
    assert.match(textOf(limitedB), /rate-limited the call to health_check/);
    // A task submitted in A lives in A's server process: B's does not know it.
    const task = payloadOf(
      await a.callTool({ name: 'submit_async_task', arguments: { operation: 'data_quality_report', params: { model: 'res.partner' } } }),
    ).task_id as string;
    const inA = payloadOf(await a.callTool({ name: 'get_async_task', arguments: { task_id: task } }));
    const inB = await b.callTool({ name: 'get_async_task', arguments: { task_id: task } });
    assert.equal(inA.status, 'running');
    assert.match(textOf(inB), /not found|unknown|no task/i);
    const bySession = (n: number) =>
      s
        .decisions()
        .filter((d) => d.session === n && d.tool === 'health_check')
        .map((d) => d.decision);
    assert.deepEqual(bySession(1), ['allowed', 'allowed', 'rate_limited']);
    assert.deepEqual(bySession(2), ['allowed', 'allowed', 'rate_limited']);
    // SIGTERM ends the guard and both sessions' server processes.
    assert.equal(await s.stop(), 0);
    assert.ok(!alive(pidA) && !alive(pidB), 'both server processes are gone');
  });

  it("asks for approval by elicitation on the calling session's client only", async () => {
    const policy = 'version: 1\ntools:\n  health_check:\n    action: require_approval\n    reason: ask first\n    approval_timeout: 5\n';
    const s = await start({ policy });
    const asked: string[] = [];
    const withElicitation = (name: string, answer: boolean) => ({
      capabilities: { elicitation: {} },
      setup: (c: Client) =>
        c.setRequestHandler(ElicitRequestSchema, async () => {
          asked.push(name);
          return { action: 'accept' as const, content: { confirm: answer } };
        }),
    });
    const { client: a } = await client(s.url, withElicitation('a', true));
    const { client: b } = await client(s.url, withElicitation('b', false));
    const [ra, rb] = await Promise.all([
      a.callTool({ name: 'health_check', arguments: {} }),
      b.callTool({ name: 'health_check', arguments: {} }),
    ]);
    assert.notEqual(ra.isError, true, textOf(ra));
    assert.equal(rb.isError, true);
    assert.match(textOf(rb), /did not get approval/);
    assert.deepEqual(asked.sort(), ['a', 'b']);
    assert.equal(s.journal().length, 1);
    const decisions = s.decisions().map((d) => [d.session, d.decision]);
    assert.deepEqual(
      decisions.sort((x, y) => x[0] - y[0]),
      [
        [1, 'approved'],
        [2, 'declined'],
      ],
    );
  });

  it("drops an approval answer forged in another session: only the asked session's client can approve", async () => {
    const policy = 'version: 1\ntools:\n  health_check:\n    action: require_approval\n    reason: ask first\n    approval_timeout: 10\n';
    const s = await start({ policy });
    let askedId: string | number | undefined;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const { transport: attacker } = await client(s.url, { capabilities: { elicitation: {} } });
    const { client: victim } = await client(s.url, {
      capabilities: { elicitation: {} },
      setup: (c) =>
        c.setRequestHandler(ElicitRequestSchema, async (_req, extra) => {
          askedId = extra.requestId;
          await released;
          return { action: 'decline' as const };
        }),
    });
    const call = victim.callTool({ name: 'health_check', arguments: {} });
    const id = await waitFor('the approval request', () => askedId);
    // The attacker knows (or guesses) the id of the guard's approval request and answers it yes, in its own session.
    await attacker.send({ jsonrpc: '2.0', id, result: { action: 'accept', content: { confirm: true } } });
    await new Promise((r) => setTimeout(r, 300));
    release();
    const r = await call;
    assert.equal(r.isError, true);
    assert.match(textOf(r), /did not get approval/);
    assert.equal(s.journal().length, 0);
    assert.match(s.stderr(), /session 1: dropped a response from the client to an unknown request id/);
    assert.deepEqual(
      s.decisions().map((d) => [d.session, d.decision]),
      [[2, 'declined']],
    );
  });

  it('sends progress on the stream of the call that asked for it, before its result', async () => {
    const s = await start({ env: { STANDIN_PROGRESS_STEPS: '4' } });
    const { client: a } = await client(s.url);
    const { client: b } = await client(s.url);
    const seen: Record<string, number[]> = { a: [], b: [] };
    const [ra, rb] = await Promise.all([
      a.callTool({ name: 'health_check', arguments: {} }, undefined, { onprogress: (p) => seen['a']!.push(p.progress) }),
      b.callTool({ name: 'health_check', arguments: {} }, undefined, { onprogress: (p) => seen['b']!.push(p.progress) }),
    ]);
    assert.notEqual(ra.isError, true, textOf(ra));
    assert.notEqual(rb.isError, true, textOf(rb));
    assert.equal(seen['a']!.length, 4, JSON.stringify(seen));
    assert.equal(seen['b']!.length, 4, JSON.stringify(seen));
  });

  it('ends a session on DELETE: its server process is gone, its id gets 404, /healthz counts it out', async () => {
    const s = await start();
    const { client: c, transport } = await client(s.url);
    const pid = await waitFor('session 1 pid', () => s.upstreamPid(1));
    const health = async () => (await (await fetch(new URL('/healthz', s.url))).json()) as { sessions: number; policyValid: boolean };
    assert.deepEqual(await health(), { status: 'ok', sessions: 1, policyValid: true });
    const sessionId = transport.sessionId!;
    assert.match(sessionId, /^[0-9a-f-]{36}$/);
    await transport.terminateSession();
    await waitFor('the server process to exit', () => !alive(pid), 5000);
    assert.equal((await health()).sessions, 0);
    const after = await fetch(s.url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, 'Mcp-Session-Id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    assert.equal(after.status, 404);
    await c.close();
    assert.ok(s.audit().some((e) => e.event === 'session' && e.state === 'ended' && e.session === 1));
  });

  it('ends a session whose client went away without DELETE after --session-idle', async () => {
    const s = await start({ serveArgs: ['--session-idle', '1'] });
    const { client: c } = await client(s.url);
    const pid = await waitFor('session 1 pid', () => s.upstreamPid(1));
    await c.listTools();
    await c.close();
    await waitFor('the idle session to end', () => !alive(pid), 5000);
    // The server can be gone a moment before the guard's log line about it has come through its pipe.
    await waitFor('the idle log line', () => /session 1: ended: idle for 1 s/.test(s.stderr()), 5000);
  });

  it('ends the session of a server that cannot start, after its initialize got the error; /healthz tells an invalid policy', async () => {
    const s = await start({
      policy: 'version: 1\ndefault: maybe\n',
      serveArgs: ['--name', 'broken'],
      command: [process.execPath, '/nonexistent/server.js'],
    });
    await assert.rejects(client(s.url), /MCP Guard is not running|not running|exited/i);
    const health = async () => (await (await fetch(new URL('/healthz', s.url))).json()) as { sessions: number; policyValid: boolean };
    for (let i = 0; (await health()).sessions !== 0; i++) {
      assert.ok(i < 100, 'the session ended within 5 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await health()).policyValid, false);
    assert.match(s.stderr(), /session 1: ended: the server did not start/);
  });

  it('answers 401 without the token, 403 for a foreign Origin, 404 for unknown sessions and paths, 413 over the cap, 503 when full', async () => {
    const token = 'test-token-0123456789abcdef';
    const t = tempDir();
    cleanups.push(t.cleanup);
    const tokenFile = join(t.dir, 'token');
    writeFileSync(tokenFile, `${token}\n`);
    const s = await start({
      serveArgs: [
        '--token-file',
        tokenFile,
        '--allow-origin',
        'http://localhost:6274',
        '--max-message-bytes',
        '65536',
        '--max-sessions',
        '1',
      ],
    });
    const auth = { Authorization: `Bearer ${token}` };
    const post = (headers: Record<string, string>, body: string = JSON.stringify(INIT)) =>
      fetch(s.url, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body });
    assert.equal((await post({})).status, 401);
    assert.equal((await post({ Authorization: 'Bearer wrong-token-0123456789abcdef' })).status, 401);
    assert.equal((await post({ Authorization: `Bearer ${token}x` })).status, 401);
    assert.equal((await fetch(new URL('/healthz', s.url))).status, 401);
    assert.equal((await post({ ...auth, Origin: 'http://evil.example' })).status, 403);
    // fetch cannot set Host; a DNS-rebinding page's requests name the attacker's domain there.
    assert.equal(await rawStatus(s.url, { ...MCP_HEADERS, ...auth, Host: 'evil.example:80' }, JSON.stringify(INIT)), 403);
    assert.equal((await post({ ...auth, 'Mcp-Session-Id': crypto.randomUUID() })).status, 404);
    assert.equal((await fetch(new URL('/other', s.url), { headers: auth })).status, 404);
    const big = JSON.stringify({ ...INIT, params: { ...INIT.params, pad: 'x'.repeat(70_000) } });
    assert.equal((await post(auth, big)).status, 413);
    const health = await fetch(new URL('/healthz', s.url), { headers: auth });
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', sessions: 0, policyValid: true });
    assert.equal(s.journal().length, 0);
    // The allowed origin, with the token, gets a session; a second one is over --max-sessions.
    // A browser page of the allowed origin: its preflight needs no token, and the answers are readable to it.
    const pre = await fetch(s.url, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:6274', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'http://localhost:6274');
    const fromPage = await fetch(new URL('/healthz', s.url), { headers: { ...auth, Origin: 'http://localhost:6274' } });
    assert.equal(fromPage.status, 200);
    assert.match(fromPage.headers.get('access-control-expose-headers') ?? '', /Mcp-Session-Id/);
    assert.equal((await fetch(s.url, { method: 'OPTIONS', headers: { Origin: 'http://evil.example' } })).status, 403);
    const { client: c } = await client(s.url, { token });
    const ok = await c.callTool({ name: 'health_check', arguments: {} });
    assert.notEqual(ok.isError, true, textOf(ok));
    assert.equal(s.journal().length, 1);
    assert.equal((await post({ ...auth, Origin: 'http://localhost:6274' })).status, 503);
  });
});
