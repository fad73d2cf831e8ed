import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonLines } from './jsonl';
import { GUARD, STANDIN } from './paths';
import { RawClient, type RawMessage } from './raw-client';
import { tempDir, waitFor } from './temp';

/** A real guard process (dist/mcp-guard.js) in front of a real server, driven by a raw JSON-RPC client. */
export interface RawGuard {
  readonly client: RawClient;
  readonly dir: string;
  readonly policyPath: string;
  readonly auditPath: string;
  readonly journalPath: string;
  /** The stand-in's journal: one line per tools/call it really executed (with its pid). */
  journal(): any[];
  audit(): any[];
  decisions(): any[];
  /** The guard's own pid (for /proc). */
  readonly pid: number;
  /** Waits for the response with this id. */
  response(id: string | number, timeoutMs?: number): Promise<RawMessage>;
  /** Sends a request and waits for its response, failing after `timeoutMs`. */
  call(method: string, params: unknown, id: string | number, timeoutMs?: number): Promise<RawMessage>;
  close(): Promise<void>;
}

export interface RawGuardOptions {
  /** Policy text (default `version: 1`); `null` runs without --policy. */
  policy?: string | null;
  /** Extra guard flags before `--`. */
  guardArgs?: string[];
  /** Extra environment for the guard (and so the server), or a function of the test's directory. */
  env?: Record<string, string> | ((dir: string) => Record<string, string>);
  /** The server command and args (default: node + the stand-in), or a function of the test's directory. */
  upstream?: string[] | ((dir: string) => string[]);
  /** No --audit flag (the test passes its own). */
  noAudit?: boolean;
}

export { readJsonLines };

export function startRawGuard(options: RawGuardOptions = {}): RawGuard {
  const { dir, cleanup } = tempDir('mcp-guard-fault-');
  const policyPath = join(dir, 'policy.yaml');
  const auditPath = join(dir, 'audit.jsonl');
  const journalPath = join(dir, 'journal.jsonl');
  if (options.policy !== null) writeFileSync(policyPath, options.policy ?? 'version: 1\n');
  const args = [
    GUARD,
    'run',
    ...(options.policy === null ? [] : ['--policy', policyPath]),
    ...(options.noAudit ? [] : ['--audit', auditPath]),
    ...(options.guardArgs ?? []),
    '--',
    ...(typeof options.upstream === 'function' ? options.upstream(dir) : (options.upstream ?? [process.execPath, STANDIN])),
  ];
  const client = new RawClient(process.execPath, args, {
    ...process.env,
    STANDIN_JOURNAL: journalPath,
    SCRIPTED_JOURNAL: journalPath,
    ...(typeof options.env === 'function' ? options.env(dir) : options.env),
  });
  const response = (id: string | number, timeoutMs = 10_000) =>
    waitFor(
      `the response to ${JSON.stringify(id)}`,
      () => client.received.find((m) => m.id === id && m.method === undefined),
      timeoutMs,
      5,
    );
  return {
    client,
    dir,
    policyPath,
    auditPath,
    journalPath,
    pid: client.child.pid!,
    journal: () => readJsonLines(journalPath),
    audit: () => readJsonLines(auditPath),
    decisions: () => readJsonLines(auditPath).filter((e) => e.event === 'decision'),
    response,
    call: (method, params, id, timeoutMs) => {
      client.send({ jsonrpc: '2.0', id, method, params });
      return response(id, timeoutMs);
    },
    close: async () => {
      await client.close();
      cleanup();
    },
  };
}

/** The text of a tools/call result's content. */
export function resultText(m: RawMessage): string {
  return ((m.result?.content ?? []) as { text?: string }[]).map((c) => c.text ?? '').join('\n');
}

/** VmRSS / VmHWM of a live process, in bytes. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/**
 * A small scripted MCP server (real process, plain JSON-RPC lines) for what the stand-in
 * cannot show: it journals every message it receives, raw line included, to $SCRIPTED_JOURNAL;
 * `slow` answers after $SCRIPTED_DELAY_MS and ignores cancellation (so a late answer comes);
 * `crash` exits at once; `echo` answers with its arguments; `hidden_one` exists to be hidden.
 */
export const SCRIPTED_SERVER = `
const fs = require('fs');
const journal = process.env.SCRIPTED_JOURNAL;
const delay = Number(process.env.SCRIPTED_DELAY_MS || '1000');
let buf = '';
const send = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const tool = (name, readOnly) => ({ name, inputSchema: { type: 'object' }, annotations: { readOnlyHint: readOnly } });
function handle(line) {
  const m = JSON.parse(line);
  fs.appendFileSync(journal, JSON.stringify({ pid: process.pid, raw: line, msg: m }) + '\\n');
  if (m.method === 'initialize') {
    send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'scripted', version: '1.0.0' } } });
  } else if (m.method === 'tools/list') {
    send({ jsonrpc: '2.0', id: m.id, result: { tools: [tool('slow', true), tool('echo', true), tool('crash', true), tool('hidden_one', true), tool('write_thing', false)] } });
  } else if (m.method === 'tools/call') {
    const name = m.params.name;
    if (name === 'crash') process.exit(1);
    const answer = () => send({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'ran ' + name + ' ' + JSON.stringify(m.params.arguments) }] } });
    if (name === 'slow') setTimeout(answer, delay);
    else answer();
  } else if (m.method !== undefined && m.id !== undefined) {
    send({ jsonrpc: '2.0', id: m.id, result: {} });
  }
}
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    if (line.trim() !== '') handle(line);
  }
});
process.stdin.on('end', () => process.exit(0));
`;

/** Writes the scripted server into `dir` and returns the upstream command for it. */
export function scriptedServer(dir: string): string[] {
  const path = join(dir, 'scripted-server.js');
  writeFileSync(path, SCRIPTED_SERVER);
  return [process.execPath, path];
}
