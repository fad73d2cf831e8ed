/**
 * `mcp-guard pin --pins FILE -- COMMAND ARGS`: starts the server, reads its tool list as a client
 * would (initialize, notifications/initialized, tools/list page by page), and writes each tool's
 * fingerprint and definition to FILE, saying what changed since the file was last written.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readPinsSource, writePinsFile } from '../guard/io/pins-store';
import { changedParts, PART_LABELS } from '../guard/pins/fingerprint';
import { pinsOf, type PinsFile } from '../guard/pins/pins-file';
import { readToolList } from '../guard/proxy/tool-registry';
import { isPlainObject } from '../guard/util/json';
import { VERSION } from '../guard/version';
import type { PinOptions } from './args';

const ANSWER_TIMEOUT_MS = 30_000;
const PROTOCOL_VERSION = '2025-06-18';

/** What differs between the pins a file had and the new ones, one line per tool. */
export function pinChanges(before: PinsFile | undefined, after: PinsFile): string[] {
  if (before === undefined) return [];
  const lines: string[] = [];
  for (const [name, pin] of after.tools) {
    const old = before.tools.get(name);
    if (old === undefined) lines.push(`  new: ${name}`);
    else if (old.fingerprint !== pin.fingerprint)
      lines.push(
        `  changed: ${name} (${changedParts(old.definition, pin.definition)
          .map((p) => PART_LABELS[p])
          .join(', ')})`,
      );
  }
  for (const name of before.tools.keys()) if (!after.tools.has(name)) lines.push(`  removed: ${name}`);
  return lines;
}

/** A JSON-RPC client over the server's stdio, just enough to list its tools. */
function serverSession(command: string, args: readonly string[]) {
  const child = spawn(command, [...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    shell: process.platform === 'win32',
    windowsHide: true,
  });
  const waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  let exited: string | undefined;
  const failAll = (why: string) => {
    exited = why;
    for (const [, w] of waiting) w.reject(new Error(why));
    waiting.clear();
  };
  child.on('error', (e) => failAll(`the server could not be started: ${e.message}`));
  child.on('exit', (code, signal) => failAll(`the server exited (${signal ?? `code ${code}`}) before answering`));
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      if (!isPlainObject(msg) || typeof msg['id'] !== 'number' || 'method' in msg) continue;
      const w = waiting.get(msg['id']);
      if (!w) continue;
      waiting.delete(msg['id']);
      if ('error' in msg) w.reject(new Error(`the server answered with an error: ${JSON.stringify(msg['error'])}`));
      else w.resolve(msg['result']);
    }
  });
  let nextId = 1;
  const send = (message: Record<string, unknown>) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  return {
    request(method: string, params: Record<string, unknown> | undefined): Promise<unknown> {
      if (exited !== undefined) return Promise.reject(new Error(exited));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`the server did not answer ${method} within ${ANSWER_TIMEOUT_MS / 1000} s`));
        }, ANSWER_TIMEOUT_MS);
        waiting.set(id, {
          resolve: (r) => (clearTimeout(timer), resolve(r)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        send({ id, method, ...(params === undefined ? {} : { params }) });
      });
    },
    notify: (method: string) => send({ method }),
    stop(): Promise<void> {
      if (exited !== undefined) return Promise.resolve();
      return new Promise((done) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
        child.once('exit', () => (clearTimeout(kill), done()));
        child.stdin.end();
        child.kill('SIGTERM');
      });
    },
  };
}

/** Runs `pin`; resolves with the exit code (1 when the server could not be listed or lists a name twice). */
export async function pinCommand(opts: PinOptions, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const file = resolve(opts.pins);
  const server = serverSession(opts.command, opts.commandArgs);
  try {
    await server.request('initialize', {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'mcp-guard-pin', version: VERSION },
    });
    server.notify('notifications/initialized');
    const tools = await readToolList((cursor) => server.request('tools/list', cursor === undefined ? undefined : { cursor }));
    const names = tools.map((t) => t.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) {
      err(`mcp-guard pin: the server lists more than one tool named ${twice}; MCP Guard does not pin an ambiguous tool list.`);
      return 1;
    }
    const previous = existsSync(file) ? readPinsSource(file) : undefined;
    const pins = pinsOf(opts.name, tools);
    writePinsFile(file, pins);
    out(`pinned ${pins.tools.size} tools of ${opts.name} in ${file}`);
    for (const line of pinChanges(previous?.kind === 'pins' ? previous.pins : undefined, pins)) out(line);
    return 0;
  } catch (e) {
    err(`mcp-guard pin: could not read the tool list: ${(e as Error).message}`);
    return 1;
  } finally {
    await server.stop();
  }
}
