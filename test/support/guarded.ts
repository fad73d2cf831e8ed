import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { readJsonLines } from './jsonl';
import { GUARD, STANDIN } from './paths';
import { tempDir } from './temp';

export interface JournalLine {
  seq: number;
  tool: string;
  arguments: Record<string, unknown>;
}

export interface Session {
  readonly client: Client;
  readonly dir: string;
  readonly policyPath: string;
  readonly auditPath: string;
  readonly journalPath: string;
  stderr(): string;
  /** Every tools/call the stand-in really executed. */
  journal(): JournalLine[];
  /** Audit events, parsed. */
  audit(): any[];
  decisions(): any[];
  writePolicy(text: string): void;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Policy text; `null` runs without --policy. */
  policy?: string | null;
  mode?: 'enforce' | 'monitor' | 'lockdown';
  env?: Record<string, string>;
  capabilities?: ClientCapabilities;
  /** Runs the stand-in directly, without the guard, for comparisons. */
  direct?: boolean;
  guardArgs?: string[];
  setup?: (client: Client) => void;
}

/** An SDK client connected to the stand-in through a real guard process (or directly). */
export async function connect(options: SessionOptions = {}): Promise<Session> {
  const { dir, cleanup } = tempDir();
  const policyPath = join(dir, 'policy.yaml');
  const auditPath = join(dir, 'audit.jsonl');
  const journalPath = join(dir, 'journal.jsonl');
  if (options.policy !== null) writeFileSync(policyPath, options.policy ?? 'version: 1\n');
  const guardArgs = [
    GUARD,
    'run',
    ...(options.policy === null ? [] : ['--policy', policyPath]),
    '--audit',
    auditPath,
    '--mode',
    options.mode ?? 'enforce',
    ...(options.guardArgs ?? []),
    '--',
    process.execPath,
    STANDIN,
  ];
  const env = { ...(process.env as Record<string, string>), STANDIN_JOURNAL: journalPath, ...options.env };
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: options.direct ? [STANDIN] : guardArgs,
    env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const client = new Client({ name: 'e2e-client', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
  options.setup?.(client);
  await client.connect(transport);
  return {
    client,
    dir,
    policyPath,
    auditPath,
    journalPath,
    stderr: () => stderr,
    journal: () => readJsonLines(journalPath),
    audit: () => readJsonLines(auditPath),
    decisions: () => readJsonLines(auditPath).filter((e) => e.event === 'decision'),
    writePolicy: (text: string) => writeFileSync(policyPath, text),
    close: async () => {
      await client.close().catch(() => {});
      cleanup();
    },
  };
}

/** The text of a CallToolResult's first content item. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}

/** The stand-in's JSON payload (`{"success": ...}`) of a result. */
export function payloadOf(result: unknown): any {
  const r = result as { structuredContent?: unknown };
  return r.structuredContent ?? JSON.parse(textOf(result));
}
