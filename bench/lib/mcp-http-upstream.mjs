// The serve benchmark's upstream: a minimal MCP server over Streamable HTTP (node:http only, JSON
// answers, no SSE), so that what the benchmark sees is the cost of what stands in front of it.
// Sessions by Mcp-Session-Id; one tool, health_check, answered at once. GET /stats answers
// { calls, sessions } (every tools/call received, the sessions open). Prints
// `listening on http://127.0.0.1:PORT/mcp` on stderr.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const sessions = new Set();
let calls = 0;
const TOOL = { name: 'health_check', description: 'Says ok.', inputSchema: { type: 'object', properties: {} } };

function json(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function answer(message) {
  const { id, method, params } = message;
  switch (method) {
    case 'initialize':
      return {
        protocolVersion: params?.protocolVersion ?? '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'bench-http-upstream', version: '1.0.0' },
      };
    case 'ping':
      return {};
    case 'tools/list':
      return { tools: [TOOL] };
    case 'tools/call':
      calls++;
      return { content: [{ type: 'text', text: `ok ${id}` }] };
    default:
      return undefined;
  }
}

const server = createServer((req, res) => {
  if (req.url === '/stats') return json(res, 200, { calls, sessions: sessions.size });
  const sid = req.headers['mcp-session-id'];
  if (req.method === 'GET') return json(res, 405, { error: 'no stream' }, { Allow: 'POST, DELETE' });
  if (req.method === 'DELETE') {
    sessions.delete(sid);
    res.writeHead(200).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    let headers = {};
    if (message.method === 'initialize') {
      const id = randomUUID();
      sessions.add(id);
      headers = { 'Mcp-Session-Id': id };
    } else if (!sessions.has(sid))
      return json(res, 404, { jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } });
    if (message.id === undefined) return void res.writeHead(202).end();
    if (message.method === undefined) return void res.writeHead(202).end();
    const result = answer(message);
    json(
      res,
      200,
      result === undefined
        ? { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: `Method not found: ${message.method}` } }
        : { jsonrpc: '2.0', id: message.id, result },
      headers,
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stderr.write(`listening on http://127.0.0.1:${server.address().port}/mcp\n`));
