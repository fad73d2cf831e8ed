// A diagnostic for the serve benchmark, not a guard: the least any HTTP guard must do per call, on
// node:http like `mcp-guard serve`, so a run can tell what is inherent from what is the guard's own
// overhead. Per POST it reads and parses the body; for a tools/call it looks the tool up in a one-entry
// policy, re-serialises the request (a guard forwards what it read, not the client's bytes), digests
// the arguments (SHA-256 of their canonical JSON), then parses the answer, checks its text for secret
// markers and appends one decision line (about the size of the guard's) to the audit file with one
// write before answering. Other requests (GET, DELETE) are piped through. No sessions, no approvals,
// no limits, no pins: it is a floor, not a product.
//
//   BENCH_GUARD=bench/lib/essential-guard.mjs node dist-test/bench/serve-bench.js
//
// Takes the guard's flags it needs (--upstream-url URL, --audit FILE) and ignores the rest; prints
// `[mcp-guard] listening on http://127.0.0.1:PORT/mcp` as the guard does.
import { hash } from 'node:crypto';
import { openSync, writeSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';

const args = process.argv.slice(2);
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const upstream = new URL(flag('--upstream-url'));
const audit = openSync(flag('--audit') ?? '/dev/null', 'a');
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const policy = new Map([['health_check', { rule: 'tools.health_check', reason: 'The policy entry tools.health_check says allow.' }]]);
const canonical = (v) => JSON.stringify(v, v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).sort() : undefined);
const SECRET = /AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|eyJ[\w-]{10,}\.[\w-]{10,}\./;

function relay(req, res) {
  const out = request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: upstream.pathname, headers: req.headers, agent },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  req.pipe(out);
}

function decisionLine(tool, entry, digest, started, outcome) {
  const body = JSON.stringify({
    event: 'decision',
    server: upstream.host,
    tool,
    category: 'Write',
    risk: 'medium',
    class_source: 'annotations',
    class_reason: 'Not in the catalog and the server does not mark it read-only, so it may change data.',
    decision: 'allowed',
    rule: entry.rule,
    reason: entry.reason,
    entries: [tool],
    mode: 'enforce',
    args_sha256: digest,
    latency_ms: Math.round((performance.now() - started) * 1000) / 1000,
    outcome,
  });
  return `{"time":"${new Date().toISOString()}",${body.slice(1, -1)},"session":1}\n`;
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') return relay(req, res);
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    const msg = JSON.parse(text);
    let forward = text;
    let call;
    if (msg.method === 'tools/call') {
      const entry = policy.get(msg.params?.name);
      if (entry === undefined) {
        const denial = JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32600, message: 'denied' } });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(denial) });
        return void res.end(denial);
      }
      call = { entry, started: performance.now(), digest: hash('sha256', canonical(msg.params.arguments ?? {}), 'hex') };
      forward = JSON.stringify({ jsonrpc: '2.0', id: msg.id, method: msg.method, params: msg.params });
    }
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    for (const h of ['mcp-session-id', 'mcp-protocol-version']) if (req.headers[h] !== undefined) headers[h] = req.headers[h];
    const out = request(
      { hostname: upstream.hostname, port: upstream.port, path: upstream.pathname, method: 'POST', headers, agent },
      (up) => {
        const answer = [];
        up.on('data', (c) => answer.push(c));
        up.on('end', () => {
          const body = Buffer.concat(answer).toString('utf8');
          if (call !== undefined && body !== '') {
            const parsed = JSON.parse(body);
            const texts = (parsed.result?.content ?? []).filter((c) => typeof c.text === 'string');
            const outcome = texts.some((c) => SECRET.test(c.text)) ? 'flagged' : 'ok';
            writeSync(audit, decisionLine(msg.params.name, call.entry, call.digest, call.started, outcome));
          }
          const h = { 'Content-Type': up.headers['content-type'] ?? 'application/json', 'Content-Length': Buffer.byteLength(body) };
          if (up.headers['mcp-session-id'] !== undefined) h['mcp-session-id'] = up.headers['mcp-session-id'];
          res.writeHead(up.statusCode ?? 502, h);
          res.end(body);
        });
      },
    );
    out.end(forward);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stderr.write(`[mcp-guard] listening on http://127.0.0.1:${server.address().port}/mcp\n`));
process.on('SIGTERM', () => process.exit(0));
