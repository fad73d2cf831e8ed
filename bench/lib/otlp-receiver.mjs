// The OTLP benchmark's collector: a minimal OTLP/HTTP logs receiver in its own process (so decoding the guard's
// batches costs the benchmark client nothing). It parses each JSON request, counts its log records and answers 200.
// GET /count answers {"records": N, "requests": M}. Prints `listening on http://127.0.0.1:PORT` on stderr.
import { createServer } from 'node:http';

let records = 0;
let requests = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ records, requests }));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rl of body.resourceLogs ?? []) for (const sl of rl.scopeLogs ?? []) records += (sl.logRecords ?? []).length;
      requests++;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    } catch {
      res.writeHead(400);
      res.end();
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stderr.write(`listening on http://127.0.0.1:${server.address().port}\n`));
