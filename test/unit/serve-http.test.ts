import { strict as assert } from 'node:assert';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readCappedBody, type BodyResult } from '../../src/guard/http/body';
import { AccessCheck, corsHeaders, isLoopbackHost, preflightHeaders } from '../../src/guard/http/access';
import { SessionRouting } from '../../src/guard/http/routing';
import { IdleWatch, SessionRegistry } from '../../src/guard/http/sessions';
import { sessionAudit } from '../../src/guard/http/session-audit';
import type { AuditEvent, AuditSink } from '../../src/guard/audit-events';

const TOKEN = 'a-token-of-some-length-0123';

describe('serve: who may connect (access.ts)', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])
      assert.ok(isLoopbackHost(h), h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com', 'localhost.example.com', '::2', ''])
      assert.ok(!isLoopbackHost(h), h);
  });

  it('with a token: 401 unless "Bearer <token>" exactly', () => {
    const check = new AccessCheck({ token: TOKEN, allowOrigins: [], loopback: true });
    const host = '127.0.0.1:8080';
    assert.equal(check.refusal({ host, authorization: `Bearer ${TOKEN}` }), undefined);
    assert.equal(check.refusal({ host, authorization: `bearer ${TOKEN}` }), undefined);
    for (const authorization of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      TOKEN,
      `Basic ${TOKEN}`,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(1)}`,
      `Bearer ${TOKEN} extra`,
    ])
      assert.equal(check.refusal({ host, authorization })?.status, 401, String(authorization));
  });

  it('403 for an Origin not allowed, whatever the token; no Origin (not a browser) is fine', () => {
    const check = new AccessCheck({ token: TOKEN, allowOrigins: ['http://localhost:6274'], loopback: true });
    const ok = { host: 'localhost:8080', authorization: `Bearer ${TOKEN}` };
    assert.equal(check.refusal({ ...ok, origin: 'http://localhost:6274' }), undefined);
    for (const origin of ['http://evil.example', 'http://localhost:6275', 'https://localhost:6274', 'null', ''])
      assert.equal(check.refusal({ ...ok, origin })?.status, 403, origin);
    assert.equal(check.refusal({ origin: 'http://evil.example' })?.status, 403);
  });

  it('on loopback, 403 unless the Host names this machine (DNS rebinding)', () => {
    const check = new AccessCheck({ allowOrigins: [], loopback: true });
    for (const host of ['127.0.0.1:1', 'localhost', 'localhost:80', '[::1]:8080', '[::1]'])
      assert.equal(check.refusal({ host }), undefined, host);
    for (const host of [undefined, 'evil.example', 'evil.example:8080', '127.0.0.1.evil.example:80', '[::2]:80'])
      assert.equal(check.refusal({ host })?.status, 403, String(host));
    // The last good Host is remembered: neither a first request without one nor a foreign one between good ones gets through.
    assert.equal(new AccessCheck({ allowOrigins: [], loopback: true }).refusal({})?.status, 403, 'no Host on a fresh check');
    for (const host of ['localhost:1', 'evil.example:1', 'localhost:1', undefined, 'localhost:1', 'LOCALHOST.evil.example'])
      assert.equal(check.refusal({ host })?.status, host === 'localhost:1' ? undefined : 403, String(host));
    // Off loopback the token is the guard (the Host is whatever name the machine is reached by).
    assert.equal(
      new AccessCheck({ token: TOKEN, allowOrigins: [], loopback: false }).refusal({
        host: 'guard.lan:80',
        authorization: `Bearer ${TOKEN}`,
      }),
      undefined,
    );
  });
});

describe('serve: browsers of allowed origins (CORS)', () => {
  it('lets a preflight through without the token, but only from an allowed origin on a loopback Host', () => {
    const check = new AccessCheck({ token: TOKEN, allowOrigins: ['http://localhost:6274'], loopback: true });
    assert.equal(check.refusal({ host: 'localhost:1', origin: 'http://localhost:6274' }, true), undefined);
    assert.equal(check.refusal({ host: 'localhost:1', origin: 'http://localhost:6274' })?.status, 401, 'not outside a preflight');
    assert.equal(check.refusal({ host: 'localhost:1', origin: 'http://evil.example' }, true)?.status, 403);
    assert.equal(check.refusal({ host: 'evil.example', origin: 'http://localhost:6274' }, true)?.status, 403);
  });

  it('names the origin, exposes the session id header and allows the MCP headers', () => {
    assert.deepEqual(corsHeaders(undefined), {});
    assert.equal(corsHeaders('http://localhost:6274')['Access-Control-Allow-Origin'], 'http://localhost:6274');
    assert.match(corsHeaders('http://a.example')['Access-Control-Expose-Headers']!, /Mcp-Session-Id/);
    const pre = preflightHeaders('http://a.example');
    for (const h of ['Authorization', 'Content-Type', 'Mcp-Session-Id', 'Mcp-Protocol-Version', 'Last-Event-ID'])
      assert.ok(pre['Access-Control-Allow-Headers']!.includes(h), h);
    assert.equal(pre['Access-Control-Allow-Methods'], 'GET, POST, DELETE');
  });
});

describe('serve: on which stream a message for the client goes (routing.ts)', () => {
  it('answers close their request; server messages go with the latest open request, progress with its own', () => {
    const r = new SessionRouting();
    assert.deepEqual(r.toClient({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' }), { kind: 'standalone' });
    r.fromClient({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'a', _meta: { progressToken: 'p1' } } });
    r.fromClient({ jsonrpc: '2.0', id: '1', method: 'tools/call', params: { name: 'b' } });
    assert.equal(r.openRequests, 2);
    assert.deepEqual(r.toClient({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'p1', progress: 1 } }), {
      kind: 'related',
      requestId: 1,
    });
    assert.deepEqual(r.toClient({ jsonrpc: '2.0', id: 'guard-call-1', method: 'elicitation/create', params: {} }), {
      kind: 'related',
      requestId: '1',
    });
    assert.deepEqual(r.toClient({ jsonrpc: '2.0', id: '1', result: {} }), { kind: 'response' });
    assert.deepEqual(r.toClient({ jsonrpc: '2.0', id: '1', result: {} }), { kind: 'none' }, 'answered once');
    assert.deepEqual(r.toClient({ jsonrpc: '2.0', method: 'notifications/message', params: {} }), { kind: 'related', requestId: 1 });
    assert.deepEqual(r.toClient({ jsonrpc: '2.0', id: 1, error: { code: 1, message: 'x' } }), { kind: 'response' });
    assert.deepEqual(r.toClient({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'p1', progress: 2 } }), {
      kind: 'standalone',
    });
    assert.deepEqual(r.toClient({ jsonrpc: '2.0', id: null, error: { code: 1, message: 'x' } }), { kind: 'none' });
    assert.equal(r.openRequests, 0);
  });

  it('ignores client notifications and responses', () => {
    const r = new SessionRouting();
    r.fromClient({ jsonrpc: '2.0', method: 'notifications/initialized' });
    r.fromClient({ jsonrpc: '2.0', id: 'guard-call-1', result: { action: 'accept' } });
    assert.equal(r.openRequests, 0);
  });
});

describe('serve: sessions (sessions.ts, session-audit.ts)', () => {
  it('holds at most max sessions, counting those being initialized', async () => {
    const closed: string[] = [];
    const reg = new SessionRegistry<{ close(reason: string): Promise<void> }>(2);
    assert.ok(reg.reserve());
    assert.ok(reg.reserve());
    assert.ok(!reg.reserve(), 'full while two initialize');
    reg.add('a', { close: async (why) => void closed.push(`a ${why}`) });
    reg.release();
    assert.ok(reg.reserve(), 'a refused initialize gives its place back');
    reg.add('b', { close: async (why) => void closed.push(`b ${why}`) });
    assert.equal(reg.size, 2);
    assert.equal(reg.get('c'), undefined);
    reg.remove('a');
    assert.equal(reg.get('a'), undefined);
    await reg.closeAll('stop');
    assert.deepEqual(closed, ['b stop']);
  });

  it('ends a session only after idleMs without an open request', async () => {
    let idle = 0;
    const w = new IdleWatch(60, () => idle++);
    const end = w.begin();
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(idle, 0, 'an open request (the GET stream) is not idle');
    end();
    end();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(idle, 0);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(idle, 1);
    w.stop();
  });

  it('counts idleness from the last request, not from when its timer was set (one timer, re-armed lazily)', async () => {
    let idle = 0;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const w = new IdleWatch(100, () => idle++);
    await sleep(60);
    w.begin()(); // a quick request at ~60 ms: idle no sooner than ~160 ms
    await sleep(60);
    assert.equal(idle, 0, 'the timer set at the start fired at ~100 ms and slept again');
    await sleep(100);
    assert.equal(idle, 1);
    w.stop();
  });

  it("labels each audit line with the session's number and never closes the shared log", () => {
    const lines: [AuditEvent, number | undefined][] = [];
    let closes = 0;
    const shared: AuditSink = {
      write: (e, s) => void lines.push([e, s]),
      flush: () => {},
      close: () => void closes++,
      problem: 'disk full',
    };
    const audit = sessionAudit(shared, 7);
    audit.write({ event: 'mode_change', mode: 'monitor' });
    audit.close();
    assert.deepEqual(lines, [[{ event: 'mode_change', mode: 'monitor' }, 7]]);
    assert.equal(closes, 0);
    assert.equal(audit.problem, 'disk full');
  });
});

describe('serve: capped request bodies (body.ts)', () => {
  /** Sends `chunks` as one request (chunked unless `length` is given) and returns what readCappedBody made of it. */
  async function read(chunks: string[], max: number, length?: number): Promise<BodyResult> {
    let result!: Promise<BodyResult>;
    const server = createServer((req, res) => {
      result = readCappedBody(req, max);
      void result.then(() => res.end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve) => {
        const req = request(
          { host: '127.0.0.1', port, method: 'POST', headers: length === undefined ? {} : { 'Content-Length': length } },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', () => resolve());
        for (const c of chunks) req.write(c);
        req.end();
      });
      return await result;
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }

  it('reads a body up to the cap, refuses one over it whether announced or streamed', async () => {
    assert.deepEqual(await read(['{"a":', '1}'], 10), { kind: 'ok', text: '{"a":1}' });
    assert.deepEqual(await read(['x'.repeat(2000)], 1024, 2000), { kind: 'too-large', bytes: 2000 });
    const streamed = await read(['x'.repeat(600), 'y'.repeat(600)], 1024);
    assert.equal(streamed.kind, 'too-large');
  });
});
