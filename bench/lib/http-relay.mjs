// The serve benchmark's reference hop: a bare HTTP relay that forwards each request and its answer
// as bytes (method, path, headers, body streamed both ways; nothing parsed), over kept-alive
// connections. argv: UPSTREAM_ORIGIN (http://127.0.0.1:PORT). Prints `listening on http://127.0.0.1:PORT`.
import { Agent, createServer, request } from 'node:http';

const upstream = new URL(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const server = createServer((req, res) => {
  const out = request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  out.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(out);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stderr.write(`listening on http://127.0.0.1:${server.address().port}\n`));
// Exits cleanly on SIGTERM, so a --cpu-prof profile (BENCH_RELAY_NODE_ARGS) is written.
process.on('SIGTERM', () => process.exit(0));
