// @modelcontextprotocol/server-everything served over Streamable HTTP on 127.0.0.1 only (its own
// launcher binds every interface and cannot pick a free port), one server per session as its launcher
// does. Prints `listening on http://127.0.0.1:PORT/mcp` on stderr. With EVERYTHING_JOURNAL=file, every
// tools/call that reaches the server is appended there as one JSON line, before it runs. With
// EVERYTHING_HEADERS=file, the headers of every HTTP request it gets are appended there as one JSON line.
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createServer } from '@modelcontextprotocol/server-everything/dist/server/index.js';

const journal = process.env.EVERYTHING_JOURNAL;
const headersFile = process.env.EVERYTHING_HEADERS;
const transports = new Map();

const http = createHttpServer(async (req, res) => {
  if (headersFile) appendFileSync(headersFile, `${JSON.stringify({ method: req.method, headers: req.headers })}\n`);
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
  const id = req.headers['mcp-session-id'];
  let transport = typeof id === 'string' ? transports.get(id) : undefined;
  if (transport === undefined) {
    if (id !== undefined || body?.method !== 'initialize') {
      res.writeHead(id === undefined ? 400 : 404).end();
      return;
    }
    const { server, cleanup } = createServer();
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => transports.set(sid, transport),
      onsessionclosed: (sid) => {
        transports.delete(sid);
        cleanup(sid);
      },
    });
    await server.connect(transport);
    const deliver = transport.onmessage;
    transport.onmessage = (message, extra) => {
      if (journal && message.method === 'tools/call')
        appendFileSync(journal, `${JSON.stringify({ tool: message.params?.name, arguments: message.params?.arguments ?? {} })}\n`);
      deliver?.(message, extra);
    };
  }
  await transport.handleRequest(req, res, body);
});
http.listen(0, '127.0.0.1', () => process.stderr.write(`listening on http://127.0.0.1:${http.address().port}/mcp\n`));
