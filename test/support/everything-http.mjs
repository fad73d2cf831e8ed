// @modelcontextprotocol/server-everything served over Streamable HTTP on 127.0.0.1 only (its own
// launcher binds every interface and cannot pick a free port), one server per session as its launcher
// does. Prints `listening on http://127.0.0.1:PORT/mcp` on stderr. With EVERYTHING_JOURNAL=file, every
// tools/call that reaches the server is appended there as one JSON line, before it runs. With
// EVERYTHING_HEADERS=file, the headers of every HTTP request it gets are appended there as one JSON line.
// With EVERYTHING_TLS_CERT and EVERYTHING_TLS_KEY (PEM files), it serves HTTPS (`listening on https://…`).
import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createServer } from '@modelcontextprotocol/server-everything/dist/server/index.js';

const journal = process.env.EVERYTHING_JOURNAL;
const headersFile = process.env.EVERYTHING_HEADERS;
const transports = new Map();

const tls =
  process.env.EVERYTHING_TLS_CERT && process.env.EVERYTHING_TLS_KEY
    ? { cert: readFileSync(process.env.EVERYTHING_TLS_CERT), key: readFileSync(process.env.EVERYTHING_TLS_KEY) }
    : undefined;

const handler = async (req, res) => {
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
};
const http = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
http.listen(0, '127.0.0.1', () => process.stderr.write(`listening on ${tls ? 'https' : 'http'}://127.0.0.1:${http.address().port}/mcp\n`));
