import { strict as assert } from 'node:assert';
import { request, type IncomingMessage } from 'node:http';
import { SseParser } from '../../src/guard/http/sse';
import { serve, type Served } from '../support/served';
import { httpRequest } from '../support/http-request';

/**
 * `serve`'s own Streamable HTTP server, byte by byte (raw node:http): which answer kind each request
 * gets, and what it refuses. The SDK's client against serve (serve.test.ts) is the conformance check;
 * this pins down the choices the spec leaves to the server.
 */

const servers: Served[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const ACCEPT = 'application/json, text/event-stream';
const MCP = { 'Content-Type': 'application/json', Accept: ACCEPT };

async function initialize(url: string, capabilities: Record<string, unknown> = {}): Promise<Record<string, string>> {
  const init = await httpRequest(
    url,
    'POST',
    MCP,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities, clientInfo: { name: 'raw', version: '1' } },
    }),
  );
  assert.equal(init.status, 200, init.body);
  assert.equal(init.headers['content-type'], 'application/json');
  const sid = init.headers['mcp-session-id'];
  assert.equal(typeof sid, 'string');
  const session = { ...MCP, 'Mcp-Session-Id': sid as string, 'MCP-Protocol-Version': '2025-06-18' };
  const done = await httpRequest(url, 'POST', session, '{"jsonrpc":"2.0","method":"notifications/initialized"}');
  assert.equal(done.status, 202);
  return session;
}

const call = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'health_check', arguments: {} } });

describe('mcp-guard serve: its Streamable HTTP wire (raw HTTP → serve → stand-in)', function () {
  this.timeout(30_000);

  it('answers a call with one JSON body when nothing must stream, a batch with an array', async () => {
    const s = await serve();
    servers.push(s);
    const session = await initialize(s.url);
    const r = await httpRequest(s.url, 'POST', session, call(1));
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    const m = JSON.parse(r.body) as { id: number; result: { isError?: boolean } };
    assert.equal(m.id, 1);
    assert.notEqual(m.result.isError, true);
    const b = await httpRequest(s.url, 'POST', session, `[${call(2)},${JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' })}]`);
    assert.equal(b.headers['content-type'], 'application/json');
    assert.deepEqual((JSON.parse(b.body) as { id: number }[]).map((x) => x.id).sort(), [2, 3]);
    assert.equal(s.journal().length, 2);
  });

  it('answers with an event stream when an approval must be asked by elicitation mid-call, the result last', async () => {
    const s = await serve({
      policy: 'version: 1\ntools:\n  health_check:\n    action: require_approval\n    reason: ask first\n    approval_timeout: 10\n',
    });
    servers.push(s);
    const session = await initialize(s.url, { elicitation: {} });
    const seen: { id?: unknown; method?: string; result?: { isError?: boolean } }[] = [];
    const contentType = await new Promise<string | undefined>((resolve, reject) => {
      const req = request(s.url, { method: 'POST', headers: session }, (res) => {
        const parser = new SseParser((e) => {
          const m = JSON.parse(e.data) as (typeof seen)[number];
          seen.push(m);
          if (m.method === 'elicitation/create') {
            // The answer goes in a POST of its own: 202, and the call goes on.
            void httpRequest(
              s.url,
              'POST',
              session,
              JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { action: 'accept', content: { confirm: true } } }),
            ).then((a) => assert.equal(a.status, 202));
          }
        });
        res.setEncoding('utf8');
        res.on('data', (c: string) => parser.push(c));
        res.on('end', () => resolve(res.headers['content-type']));
      });
      req.on('error', reject);
      req.end(call(7));
    });
    assert.equal(contentType, 'text/event-stream');
    assert.deepEqual(
      seen.map((m) => m.method ?? m.id),
      ['elicitation/create', 7],
    );
    assert.notEqual(seen[1]!.result?.isError, true);
    assert.equal(s.journal().length, 1);
  });

  it('refuses what is not Streamable HTTP: 406 Accept, 415 Content-Type, 400 for bad JSON, non-JSON-RPC, an unknown protocol version, a second initialize', async () => {
    const s = await serve();
    servers.push(s);
    const session = await initialize(s.url);
    const status = async (headers: Record<string, string>, body: string, method = 'POST') =>
      (await httpRequest(s.url, method, headers, body)).status;
    assert.equal(await status({ ...session, Accept: 'application/json' }, call(1)), 406);
    assert.equal(await status({ ...session, 'Content-Type': 'text/plain' }, call(1)), 415);
    assert.equal(await status(session, '{"jsonrpc":'), 400);
    assert.equal(await status(session, '{"id":1,"method":"tools/list"}'), 400);
    assert.equal(await status(session, '[]'), 400);
    assert.equal(await status({ ...session, 'MCP-Protocol-Version': '1999-01-01' }, call(1)), 400);
    const again = JSON.stringify({
      jsonrpc: '2.0',
      id: 9,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    });
    assert.equal(await status(session, again), 400);
    // Without a session id, only an initialize (alone) is let in.
    assert.equal(await status(MCP, call(1)), 400);
    assert.equal(await status(MCP, `[${again},${call(1)}]`), 400);
    assert.equal(await status({ ...session, Accept: 'application/json' }, '', 'GET'), 406);
    assert.equal(s.journal().length, 0);
    // The session still works.
    assert.equal((await httpRequest(s.url, 'POST', session, call(2))).status, 200);
  });

  it('opens the GET stream (one per session: 409), resumes nothing for Last-Event-ID, and DELETE ends it all', async () => {
    const s = await serve();
    servers.push(s);
    const session = await initialize(s.url);
    const { Accept: _a, 'Content-Type': _c, ...plain } = session;
    const stream = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(s.url, { method: 'GET', headers: { ...plain, Accept: 'text/event-stream', 'Last-Event-ID': 'x-1' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    assert.equal(stream.statusCode, 200);
    assert.equal(stream.headers['content-type'], 'text/event-stream');
    const ended = new Promise((r) => stream.on('close', r));
    stream.resume();
    assert.equal((await httpRequest(s.url, 'GET', { ...plain, Accept: 'text/event-stream' })).status, 409);
    assert.match(s.stderr(), /session 1: a GET asked to resume a stream: no events are stored/);
    assert.equal((await httpRequest(s.url, 'DELETE', plain)).status, 200);
    await ended;
    assert.equal((await httpRequest(s.url, 'POST', session, call(1))).status, 404);
    assert.equal((await httpRequest(s.url, 'GET', { ...plain, Accept: 'text/event-stream' })).status, 404);
  });
});
