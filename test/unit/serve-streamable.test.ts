import { strict as assert } from 'node:assert';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseParser, sseMessage, type SseEvent } from '../../src/guard/http/sse';
import { StreamableServerSession } from '../../src/guard/http/streamable-server';
import { StreamableHttpClient, type StreamableHttpError } from '../../src/guard/http/streamable-client';
import { asLine, getRefusal, parseBody, postRefusal, protocolVersionRefusal, type WireMessage } from '../../src/guard/http/wire';
import { httpRequest } from '../support/http-request';

const ACCEPT = 'application/json, text/event-stream';

describe('serve: what a Streamable HTTP request must look like (wire.ts)', () => {
  it('406 unless a POST accepts JSON and event streams, 415 unless it carries JSON', () => {
    assert.equal(postRefusal(ACCEPT, 'application/json'), undefined);
    assert.equal(postRefusal('text/event-stream;q=0.9, application/json', 'Application/JSON; charset=utf-8'), undefined);
    assert.equal(postRefusal('*/*', 'application/json'), undefined);
    assert.equal(postRefusal('application/json', 'application/json')?.status, 406);
    assert.equal(postRefusal(undefined, 'application/json')?.status, 406);
    assert.equal(postRefusal('text/event-stream', 'application/json')?.status, 406);
    assert.equal(postRefusal(ACCEPT, 'text/plain')?.status, 415);
    assert.equal(postRefusal(ACCEPT, 'text/plain; a=application/json')?.status, 415);
    assert.equal(postRefusal(ACCEPT, undefined)?.status, 415);
    assert.equal(getRefusal('text/event-stream'), undefined);
    assert.equal(getRefusal('application/json')?.status, 406);
  });

  it('400 for an MCP-Protocol-Version it does not know; none at all is the spec default', () => {
    assert.equal(protocolVersionRefusal(undefined), undefined);
    assert.equal(protocolVersionRefusal('2025-06-18'), undefined);
    assert.equal(protocolVersionRefusal('2025-11-25'), undefined);
    const r = protocolVersionRefusal('1999-01-01');
    assert.equal(r?.status, 400);
    assert.match(r?.message ?? '', /Unsupported protocol version: 1999-01-01/);
    assert.equal(protocolVersionRefusal(['2025-06-18', '2025-06-18'])?.status, 400);
  });

  it('reads requests, notifications, responses and batches; 400 for anything else', () => {
    const one = parseBody('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{}}');
    assert.equal(one.kind, 'ok');
    if (one.kind === 'ok') {
      assert.equal(one.batch, false);
      assert.deepEqual(
        one.messages.map((m) => [m.kind, m.kind === 'request' ? m.id : undefined]),
        [['request', 7]],
      );
    }
    const batch = parseBody('[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":"a","result":{}}]');
    assert.equal(batch.kind, 'ok');
    if (batch.kind === 'ok')
      assert.deepEqual(
        batch.messages.map((m) => m.kind),
        ['notification', 'response'],
      );
    for (const bad of [
      '{',
      '[]',
      '42',
      '{"id":1,"method":"x"}',
      '{"jsonrpc":"2.0","id":{},"method":"x"}',
      '{"jsonrpc":"2.0","id":1}',
      '[{"jsonrpc":"2.0","method":"x"},3]',
    ]) {
      const r = parseBody(bad);
      assert.equal(r.kind, 'refused', bad);
      if (r.kind === 'refused') assert.equal(r.refusal.status, 400, bad);
    }
    const tooMany = JSON.stringify(Array.from({ length: 101 }, () => ({ jsonrpc: '2.0', method: 'x' })));
    assert.equal(parseBody(tooMany).kind, 'refused');
  });

  it('hands the proxy one line per message, whatever line breaks the body had between tokens', () => {
    const body = '{\r\n  "jsonrpc": "2.0",\n  "id": 1,\n  "method": "ping"\n}';
    const parsed = parseBody(body);
    assert.equal(parsed.kind, 'ok');
    if (parsed.kind !== 'ok') return;
    const line = asLine(parsed.messages[0]!, body);
    assert.ok(!/[\r\n]/.test(line));
    assert.deepEqual(JSON.parse(line), JSON.parse(body));
  });
});

describe('serve: Server-Sent Events (sse.ts)', () => {
  it('reads events across chunks, with CRLF, CR or LF, comments, multi-line data and ids', () => {
    const events: SseEvent[] = [];
    const p = new SseParser((e) => events.push(e));
    const stream = ': hello\r\nevent: message\r\nid: 1\r\ndata: {"a":\r\ndata: 1}\r\n\r\nretry: 2500\rdata: x\r\rdata: y\n\n';
    for (let i = 0; i < stream.length; i += 3) p.push(stream.slice(i, i + 3));
    assert.deepEqual(events, [
      { event: 'message', data: '{"a":\n1}', id: '1' },
      { event: 'message', data: 'x' },
      { event: 'message', data: 'y' },
    ]);
    assert.equal(p.lastEventId, '1');
    assert.equal(p.retryMs, 2500);
  });

  it('writes one message event per JSON text, on one data line', () => {
    assert.equal(sseMessage('{"a":1}'), 'event: message\ndata: {"a":1}\n\n');
    assert.equal(sseMessage('{"a":\r1}'), 'event: message\ndata: {"a": 1}\n\n');
  });
});

/** One StreamableServerSession behind a node:http server; `onPost` sees every POST's messages. */
async function sessionServer(
  options: Partial<ConstructorParameters<typeof StreamableServerSession>[0]>,
  onPost: (messages: readonly WireMessage[], wire: StreamableServerSession) => void,
): Promise<{ url: string; wire: StreamableServerSession; server: Server; logged: string[] }> {
  const logged: string[] = [];
  const wire = new StreamableServerSession({ sessionId: 'sid-1', log: (m) => logged.push(m), ...options });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET') return wire.get(req, res);
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      const parsed = parseBody(text);
      if (parsed.kind !== 'ok') return void res.writeHead(400).end();
      wire.post(res, parsed.messages, parsed.batch, () => onPost(parsed.messages, wire));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, wire, server, logged };
}

const req = (id: number | string, method = 'tools/call') => JSON.stringify({ jsonrpc: '2.0', id, method });
const answer = (id: number | string) => JSON.stringify({ jsonrpc: '2.0', id, result: { ok: id } });
const H = { 'Content-Type': 'application/json', Accept: ACCEPT };

describe('serve: which HTTP answer carries a message back (streamable-server.ts)', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('answers a request with one JSON body when nothing else must go first, a batch with an array', async () => {
    const s = await sessionServer({}, (messages, wire) => {
      for (const m of [...messages].reverse()) if (m.kind === 'request') setImmediate(() => wire.respond(m.id, answer(m.id)));
    });
    servers.push(s.server);
    const one = await httpRequest(s.url, 'POST', H, req(1));
    assert.equal(one.status, 200);
    assert.equal(one.headers['content-type'], 'application/json');
    assert.equal(one.headers['mcp-session-id'], 'sid-1');
    assert.deepEqual(JSON.parse(one.body), { jsonrpc: '2.0', id: 1, result: { ok: 1 } });
    const batch = await httpRequest(s.url, 'POST', H, `[${req(2)},{"jsonrpc":"2.0","method":"notifications/x"},${req('3')}]`);
    assert.equal(batch.headers['content-type'], 'application/json');
    assert.deepEqual((JSON.parse(batch.body) as { id: unknown }[]).map((m) => m.id).sort(), [2, '3']);
  });

  it('turns the answer into an event stream when a message related to the request must go first (an approval elicitation)', async () => {
    const s = await sessionServer({}, (messages, wire) => {
      const m = messages[0]!;
      if (m.kind !== 'request') return;
      wire.sendRelated(m.id, JSON.stringify({ jsonrpc: '2.0', id: 'guard-1', method: 'elicitation/create', params: {} }));
      setTimeout(() => wire.respond(m.id, answer(m.id)), 20);
    });
    servers.push(s.server);
    const r = await httpRequest(s.url, 'POST', H, req(5));
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/event-stream');
    assert.equal(r.headers['mcp-session-id'], 'sid-1');
    const events: SseEvent[] = [];
    new SseParser((e) => events.push(e)).push(r.body);
    assert.deepEqual(
      events.map((e) => JSON.parse(e.data) as { id: unknown; method?: string }).map((m) => [m.id, m.method]),
      [
        ['guard-1', 'elicitation/create'],
        [5, undefined],
      ],
    );
    assert.ok(
      events.every((e) => e.id === undefined),
      'no event ids: nothing to resume',
    );
  });

  it('answers 202 to notifications and responses only', async () => {
    let delivered = 0;
    const s = await sessionServer({}, () => delivered++);
    servers.push(s.server);
    const r = await httpRequest(s.url, 'POST', H, '{"jsonrpc":"2.0","method":"notifications/initialized"}');
    assert.equal(r.status, 202);
    assert.equal(r.body, '');
    assert.equal(delivered, 1);
  });

  it('turns a request unanswered after upgradeAfterMs into a stream with keep-alive comments', async () => {
    const s = await sessionServer({ upgradeAfterMs: 30, keepAliveMs: 20 }, (messages, wire) => {
      const m = messages[0]!;
      if (m.kind === 'request') setTimeout(() => wire.respond(m.id, answer(m.id)), 120);
    });
    servers.push(s.server);
    const r = await httpRequest(s.url, 'POST', H, req(9));
    assert.equal(r.headers['content-type'], 'text/event-stream');
    assert.match(r.body, /^: keepalive\n\n/m);
    assert.match(r.body, /data: \{"jsonrpc":"2.0","id":9,"result":\{"ok":9\}\}/);
  });

  it('upgrades each held request at its own time; one answered in time stays JSON (one timer for all)', async () => {
    const started = Date.now();
    const s = await sessionServer({ upgradeAfterMs: 80, keepAliveMs: 0 }, (messages, wire) => {
      const m = messages[0]!;
      if (m.kind !== 'request') return;
      // 1: answered in time; 2 and 3: answered late, so each must have become a stream.
      const delay = m.id === 1 ? 20 : 200;
      setTimeout(() => wire.respond(m.id, answer(m.id)), delay);
    });
    servers.push(s.server);
    const headersAt: Record<number, number> = {};
    const post = (id: number) =>
      new Promise<{ type: string | undefined; at: number }>((resolve) => {
        const r = request(s.url, { method: 'POST', headers: H }, (res) => {
          headersAt[id] = Date.now() - started;
          res.resume();
          res.on('end', () => resolve({ type: res.headers['content-type'], at: headersAt[id]! }));
        });
        r.end(req(id));
      });
    const first = post(1);
    const second = post(2);
    await new Promise((r) => setTimeout(r, 50));
    const third = post(3);
    const [a, b, c] = await Promise.all([first, second, third]);
    assert.equal(a.type, 'application/json');
    assert.equal(b.type, 'text/event-stream');
    assert.equal(c.type, 'text/event-stream');
    // The third came 50 ms after the second: its stream opened later, not with the second's.
    assert.ok(c.at - b.at >= 30, `second upgraded at ${b.at} ms, third at ${c.at} ms`);
    assert.ok(b.at >= 75, `second upgraded at ${b.at} ms`);
  });

  it('opens one GET stream per session (409 for a second), sends messages tied to no request there, replays nothing for Last-Event-ID', async () => {
    const s = await sessionServer({}, () => {});
    servers.push(s.server);
    const chunks: string[] = [];
    const opened = new Promise<IncomingMessage>((resolve) => {
      request(s.url, { headers: { Accept: 'text/event-stream', 'Last-Event-ID': '42' } }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => chunks.push(c));
        resolve(res);
      }).end();
    });
    const res = await opened;
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    assert.match(s.logged.join('\n'), /no events are stored, a fresh stream is opened/);
    const second = await httpRequest(s.url, 'GET', { Accept: 'text/event-stream' });
    assert.equal(second.status, 409);
    assert.equal(s.wire.sendStandalone('{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}'), true);
    // A related message whose request is no longer open goes there too.
    assert.equal(s.wire.sendRelated(77, '{"jsonrpc":"2.0","method":"notifications/message","params":{}}'), true);
    const ended = new Promise((r) => res.on('end', r));
    s.wire.close();
    await ended;
    assert.deepEqual(
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => (JSON.parse(l.slice(6)) as { method: string }).method),
      ['notifications/tools/list_changed', 'notifications/message'],
    );
    assert.equal(s.wire.sendStandalone('{}'), false);
  });

  it('ends a POST whose request id the client reused in a later POST, which gets the answer', async () => {
    let posts = 0;
    const s = await sessionServer({}, (messages, wire) => {
      const m = messages[0]!;
      if (m.kind === 'request' && ++posts === 2) setImmediate(() => wire.respond(m.id, answer(m.id)));
    });
    servers.push(s.server);
    const first = httpRequest(s.url, 'POST', H, req(4));
    await new Promise((r) => setTimeout(r, 50));
    const second = await httpRequest(s.url, 'POST', H, req(4));
    assert.deepEqual(JSON.parse(second.body), { jsonrpc: '2.0', id: 4, result: { ok: 4 } });
    const r = await first;
    assert.equal(r.headers['content-type'], 'text/event-stream');
    assert.equal(r.body, '');
  });

  it('does not answer a request whose client went away, and forgets it', async () => {
    let wireRef: StreamableServerSession | undefined;
    let seen!: () => void;
    const arrived = new Promise<void>((r) => (seen = r));
    const s = await sessionServer({}, (_m, wire) => {
      wireRef = wire;
      seen();
    });
    servers.push(s.server);
    const r = request(s.url, { method: 'POST', headers: H });
    r.on('error', () => {});
    r.end(req(11));
    await arrived;
    r.destroy();
    await new Promise((x) => setTimeout(x, 50));
    assert.equal(wireRef!.respond(11, answer(11)), false);
  });
});

/** A scripted upstream: `handle` answers each request. */
async function upstream(handle: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<{ url: URL; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handle(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`), server };
}

/** The client's answer cap in these tests (the guard passes --max-message-bytes). */
const CAP = 1 << 20;

describe('serve --upstream-url: the Streamable HTTP client (streamable-client.ts)', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('reads JSON and SSE answers, keeps the session id and sends it with the protocol version and its headers', async () => {
    const seen: IncomingMessage['headers'][] = [];
    const u = await upstream((req, body, res) => {
      seen.push(req.headers);
      const m = JSON.parse(body) as { id?: number; method: string };
      if (m.id === undefined) return void res.writeHead(202).end();
      if (m.method === 'initialize') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Mcp-Session-Id': 'up-1' });
        return void res.end(`{\n"jsonrpc":"2.0","id":${m.id},"result":{}}`);
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(': comment\n\n');
      res.write(sseMessage('{"jsonrpc":"2.0","method":"notifications/progress","params":{}}'));
      res.end(sseMessage(`{"jsonrpc":"2.0","id":${m.id},"result":{"x":1}}`));
    });
    servers.push(u.server);
    const got: string[] = [];
    const c = new StreamableHttpClient({
      maxBodyBytes: CAP,
      url: u.url,
      headers: { 'X-Token': 't' },
      onMessage: (j) => got.push(j),
      onError: () => {},
    });
    await c.post('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}', 1);
    assert.equal(c.sessionId, 'up-1');
    c.protocolVersion = '2025-06-18';
    await c.post('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    await c.post('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{}}', 2);
    assert.deepEqual(got, [
      '{ "jsonrpc":"2.0","id":1,"result":{}}',
      '{"jsonrpc":"2.0","method":"notifications/progress","params":{}}',
      '{"jsonrpc":"2.0","id":2,"result":{"x":1}}',
    ]);
    assert.equal(seen[0]!['mcp-session-id'], undefined);
    assert.equal(seen[0]!.accept, ACCEPT);
    assert.equal(seen[1]!['mcp-session-id'], 'up-1');
    assert.equal(seen[2]!['mcp-protocol-version'], '2025-06-18');
    assert.ok(seen.every((h) => h['x-token'] === 't' && h['content-type'] === 'application/json'));
    // One write per request: the body's length is known, no chunked encoding.
    assert.ok(seen.every((h) => h['content-length'] !== undefined && h['transfer-encoding'] === undefined));
    c.close();
  });

  it('fails a request with the HTTP status (404: the session is gone) or when the stream ends unanswered', async () => {
    const u = await upstream((_req, body, res) => {
      if (body.includes('"gone"')) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        return void res.end('{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}');
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.end(sseMessage('{"jsonrpc":"2.0","method":"notifications/message","params":{}}'));
    });
    servers.push(u.server);
    const c = new StreamableHttpClient({ maxBodyBytes: CAP, url: u.url, onMessage: () => {}, onError: () => {} });
    await assert.rejects(c.post('{"jsonrpc":"2.0","id":"gone","method":"x"}', 'gone'), (e: StreamableHttpError) => e.code === 404);
    await assert.rejects(c.post('{"jsonrpc":"2.0","id":3,"method":"x"}', 3), /ended its event stream before answering/);
    c.close();
  });

  it('follows a 307/308 to the same origin with the same method and body; refuses another origin and a loop', async () => {
    const other = await upstream((_req, _body, res) => void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'));
    servers.push(other.server);
    const bodies: string[] = [];
    const u = await upstream((req, body, res) => {
      bodies.push(`${req.method} ${req.url} ${body}`);
      if (req.url === '/mcp') return void res.writeHead(307, { Location: '/moved' }).end();
      if (req.url === '/moved')
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"jsonrpc":"2.0","id":1,"result":{}}');
      if (req.url === '/away') return void res.writeHead(308, { Location: other.url.href }).end();
      res.writeHead(307, { Location: req.url === '/loop1' ? '/loop2' : '/loop1' }).end();
    });
    servers.push(u.server);
    const got: string[] = [];
    const c = new StreamableHttpClient({ maxBodyBytes: CAP, url: u.url, onMessage: (j) => got.push(j), onError: () => {} });
    await c.post('{"jsonrpc":"2.0","id":1,"method":"x"}', 1);
    assert.deepEqual(got, ['{"jsonrpc":"2.0","id":1,"result":{}}']);
    assert.deepEqual(bodies, ['POST /mcp {"jsonrpc":"2.0","id":1,"method":"x"}', 'POST /moved {"jsonrpc":"2.0","id":1,"method":"x"}']);
    c.close();
    const away = new StreamableHttpClient({ maxBodyBytes: CAP, url: new URL('/away', u.url), onMessage: () => {}, onError: () => {} });
    await assert.rejects(
      away.post('{"jsonrpc":"2.0","id":2,"method":"x"}', 2),
      /redirected to http:\/\/127\.0\.0\.1:\d+\/mcp: not followed/,
    );
    away.close();
    const loop = new StreamableHttpClient({ maxBodyBytes: CAP, url: new URL('/loop1', u.url), onMessage: () => {}, onError: () => {} });
    bodies.length = 0;
    await assert.rejects(loop.post('{"jsonrpc":"2.0","id":3,"method":"x"}', 3), /not followed \(another origin, or too many\)/);
    assert.equal(bodies.length, 4, 'the first request and three redirects, no more');
    loop.close();
  });

  it('hands each message of a JSON batch answer on; after the server closed its kept-alive connection, the next request reaches it once', async () => {
    let posts = 0;
    const u = await upstream((_req, _body, res) => {
      posts++;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('[{"jsonrpc":"2.0","method":"notifications/progress","params":{}},{"jsonrpc":"2.0","id":5,"result":{}}]');
    });
    servers.push(u.server);
    const got: string[] = [];
    const c = new StreamableHttpClient({ maxBodyBytes: CAP, url: u.url, onMessage: (j) => got.push(j), onError: () => {} });
    await c.post('{"jsonrpc":"2.0","id":5,"method":"x"}', 5);
    assert.deepEqual(got, ['{"jsonrpc":"2.0","method":"notifications/progress","params":{}}', '{"jsonrpc":"2.0","id":5,"result":{}}']);
    // The server drops its idle kept-alive connections; the next request finds its socket closed.
    u.server.closeIdleConnections();
    await new Promise((r) => setTimeout(r, 50));
    await c.post('{"jsonrpc":"2.0","id":6,"method":"x"}', 6);
    assert.equal(posts, 2, 'each request reached the server once');
    c.close();
  });

  it('reads no answer past its cap (--max-message-bytes): a JSON body or an SSE event over it fails the request', async () => {
    const big = 'x'.repeat(64 * 1024);
    let sent = 0;
    const u = await upstream((_req, body, res) => {
      if (body.includes('"json"')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        // Streamed without end: the client must stop reading on its own, not wait for the whole body.
        const more = () => {
          while (sent < 64 && res.write(`${big}`)) sent++;
          if (sent < 64) res.once('drain', more);
        };
        res.write('{"jsonrpc":"2.0","id":"json","result":{"text":"');
        return more();
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(`data: ${big}`);
    });
    servers.push(u.server);
    const errors: string[] = [];
    const got: string[] = [];
    const c = new StreamableHttpClient({
      maxBodyBytes: 16 * 1024,
      url: u.url,
      onMessage: (j) => got.push(j),
      onError: (e) => errors.push(e.message),
    });
    await assert.rejects(
      c.post('{"jsonrpc":"2.0","id":"json","method":"x"}', 'json'),
      /over 16384 bytes \(--max-message-bytes\): not read/,
    );
    assert.ok(sent < 64, `the server was still writing when the client let go (${sent} of 64 chunks)`);
    await assert.rejects(c.post('{"jsonrpc":"2.0","id":"sse","method":"x"}', 'sse'), /ended its event stream before answering/);
    assert.deepEqual(got, []);
    assert.match(errors.join('\n'), /an event of the server's stream is over 16384 bytes \(--max-message-bytes\): the stream was cut off/);
    c.close();
  });

  it('resumes a POST stream that had event ids with a GET carrying Last-Event-ID', async () => {
    const gets: (string | undefined)[] = [];
    const u = await upstream((req, _body, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      if (req.method === 'GET') {
        gets.push(req.headers['last-event-id'] as string | undefined);
        return void res.end(`id: e2\ndata: {"jsonrpc":"2.0","id":4,"result":{}}\n\n`);
      }
      res.end('id: e1\nretry: 10\ndata: \n\n');
    });
    servers.push(u.server);
    const got: string[] = [];
    const c = new StreamableHttpClient({ maxBodyBytes: CAP, url: u.url, onMessage: (j) => got.push(j), onError: () => {} });
    await c.post('{"jsonrpc":"2.0","id":4,"method":"x"}', 4);
    assert.deepEqual(gets, ['e1']);
    assert.deepEqual(got, ['{"jsonrpc":"2.0","id":4,"result":{}}']);
    c.close();
  });

  it('opens the GET stream (405: the server has none) and ends the session with DELETE', async () => {
    const methods: string[] = [];
    let getStatus = 405;
    const u = await upstream((req, _body, res) => {
      methods.push(req.method!);
      if (req.method === 'GET') {
        if (getStatus === 405) return void res.writeHead(405).end();
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        return void res.write(sseMessage('{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}'));
      }
      res.writeHead(200, { 'Mcp-Session-Id': 's' }).end();
    });
    servers.push(u.server);
    const got: string[] = [];
    const c = new StreamableHttpClient({ maxBodyBytes: CAP, url: u.url, onMessage: (j) => got.push(j), onError: () => {} });
    c.sessionId = 's';
    c.openGetStream();
    await new Promise((r) => setTimeout(r, 50));
    const d = new StreamableHttpClient({ maxBodyBytes: CAP, url: u.url, onMessage: (j) => got.push(j), onError: () => {} });
    getStatus = 200;
    d.sessionId = 's';
    d.openGetStream();
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(got, ['{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}']);
    await c.terminate();
    assert.equal(c.sessionId, undefined);
    assert.deepEqual(methods, ['GET', 'GET', 'DELETE']);
    c.close();
    d.close();
  });
});
