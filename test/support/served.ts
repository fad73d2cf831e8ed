import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { readJsonLines } from './jsonl';
import { GUARD, STANDIN } from './paths';
import { tempDir, waitFor } from './temp';

export interface ServedOptions {
  /** Policy text; `null` runs without --policy. */
  policy?: string | null;
  /** Extra `serve` flags (before `--`). */
  serveArgs?: string[];
  env?: Record<string, string>;
  /** Without `--listen 127.0.0.1:0` (a test of --listen itself gives its own). */
  noListen?: boolean;
  /** The upstream command; the stand-in unless given. */
  command?: string[];
  /** `--upstream-url URL` instead of a command. */
  upstreamUrl?: string;
}

/** A real `mcp-guard serve` process in front of the stand-in, listening on 127.0.0.1 only. */
export interface Served {
  readonly url: string;
  readonly proc: ChildProcess;
  readonly dir: string;
  stderr(): string;
  /** Every tools/call any stand-in process of any session really executed. */
  journal(): { seq: number; tool: string; arguments: Record<string, unknown> }[];
  audit(): any[];
  decisions(): any[];
  /** The pid of session N's server process, from the guard's log. */
  upstreamPid(session: number): number | undefined;
  stop(): Promise<number | null>;
}

export async function serve(options: ServedOptions = {}): Promise<Served> {
  const { dir, cleanup } = tempDir();
  const policyPath = join(dir, 'policy.yaml');
  const auditPath = join(dir, 'audit.jsonl');
  const journalPath = join(dir, 'journal.jsonl');
  if (options.policy !== null) writeFileSync(policyPath, options.policy ?? 'version: 1\n');
  const args = [
    GUARD,
    'serve',
    ...(options.noListen ? [] : ['--listen', '127.0.0.1:0']),
    ...(options.policy === null ? [] : ['--policy', policyPath]),
    '--audit',
    auditPath,
    ...(options.serveArgs ?? []),
    ...(options.upstreamUrl !== undefined
      ? ['--upstream-url', options.upstreamUrl]
      : ['--', ...(options.command ?? [process.execPath, STANDIN])]),
  ];
  const proc = spawn(process.execPath, args, {
    env: { ...(process.env as Record<string, string>), STANDIN_JOURNAL: journalPath, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  let url: string;
  try {
    url = await waitFor(
      'the listening line',
      () => /\[mcp-guard\] listening on (http:\/\/\S+)/.exec(stderr)?.[1] ?? (proc.exitCode !== null && 'exited'),
      10_000,
    );
  } catch (e) {
    proc.kill('SIGKILL');
    cleanup();
    throw new Error(`${(e as Error).message}\n${stderr}`, { cause: e });
  }
  if (url === 'exited') {
    cleanup();
    throw new Error(`serve exited with ${proc.exitCode}:\n${stderr}`);
  }
  return {
    url,
    proc,
    dir,
    stderr: () => stderr,
    journal: () => readJsonLines(journalPath),
    audit: () => readJsonLines(auditPath),
    decisions: () => readJsonLines(auditPath).filter((e) => e.event === 'decision'),
    upstreamPid: (n) => {
      const m = new RegExp(`session ${n}: started \\(server pid (\\d+)\\)`).exec(stderr);
      return m ? Number(m[1]) : undefined;
    },
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const code = await exited;
      cleanup();
      return code;
    },
  };
}

export interface HttpClientOptions {
  capabilities?: ClientCapabilities;
  setup?: (client: Client) => void;
  token?: string;
}

/** An SDK client over the SDK's Streamable HTTP client transport. */
export async function connectHttp(
  url: string,
  options: HttpClientOptions = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    ...(options.token ? { requestInit: { headers: { Authorization: `Bearer ${options.token}` } } } : {}),
  });
  const client = new Client({ name: 'e2e-http-client', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
  options.setup?.(client);
  await client.connect(transport);
  return { client, transport };
}

/** True while a process with that pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * @modelcontextprotocol/server-everything over Streamable HTTP on 127.0.0.1 (test/support/everything-http.mjs),
 * journalling every tools/call it gets and the headers of every HTTP request.
 */
export async function everythingOverHttp(options: { tls?: { cert: string; key: string } } = {}): Promise<{
  url: string;
  journal(): { tool: string; arguments: unknown }[];
  requests(): { method: string; headers: Record<string, string> }[];
  stop(): Promise<void>;
}> {
  const { dir, cleanup } = tempDir();
  const journalPath = join(dir, 'journal.jsonl');
  const headersPath = join(dir, 'headers.jsonl');
  const proc = spawn(process.execPath, [join(__dirname, 'everything-http.mjs')], {
    env: {
      ...(process.env as Record<string, string>),
      EVERYTHING_JOURNAL: journalPath,
      EVERYTHING_HEADERS: headersPath,
      ...(options.tls ? { EVERYTHING_TLS_CERT: options.tls.cert, EVERYTHING_TLS_KEY: options.tls.key } : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const url = await waitFor('server-everything to listen', () => /listening on (https?:\/\/\S+)/.exec(stderr)?.[1], 10_000);
  return {
    url,
    journal: () => readJsonLines(journalPath),
    requests: () => readJsonLines(headersPath),
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
      cleanup();
    },
  };
}
