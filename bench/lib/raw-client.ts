/**
 * A raw JSON-RPC client over a child's stdio (newline-delimited JSON, as MCP's stdio transport
 * frames messages). No SDK: the benchmark should measure the server and the guard, not a
 * client library. Responses are matched by id; every response is checked, and any JSON-RPC
 * error or `isError` result is counted as a failure (a failed call makes the figures invalid).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const PROTOCOL_VERSION = '2025-06-18';

interface Pending {
  readonly sentAt: bigint;
  readonly onResponse: (msg: Record<string, unknown>, rttNs: number) => void;
}

export interface Failure {
  readonly id: unknown;
  readonly what: string;
}

const MAX_STDERR = 64 * 1024;
const MAX_FAILURES_KEPT = 20;

export class RawClient {
  readonly child: ChildProcess;
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private stderrText = '';
  private exitInfo: string | undefined;
  /** tools/call responses checked so far, and how many of them failed. */
  calls = 0;
  failures = 0;
  readonly failureSamples: Failure[] = [];
  /** Server-to-client messages that were not responses to our requests (notifications etc.). */
  unsolicited = 0;

  constructor(
    readonly label: string,
    command: string,
    args: readonly string[],
    cwd: string,
  ) {
    this.child = spawn(command, [...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      if (this.stderrText.length < MAX_STDERR) this.stderrText += chunk.slice(0, MAX_STDERR - this.stderrText.length);
    });
    this.child.stdin!.on('error', () => {
      /* EPIPE if the child dies; reported through exit */
    });
    this.child.on('exit', (code, signal) => {
      this.exitInfo = signal ? `killed by ${signal}` : `exited with code ${code}`;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.onResponse({ id, error: { code: -1, message: `${this.label} ${this.exitInfo}` } }, 0);
      }
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get exited(): string | undefined {
    return this.exitInfo;
  }

  private onData(chunk: string): void {
    const now = process.hrtime.bigint();
    let start: number;
    let nl = chunk.indexOf('\n');
    if (nl === -1) {
      this.buffer += chunk;
      return;
    }
    let line = this.buffer + chunk.slice(0, nl);
    this.buffer = '';
    for (;;) {
      if (line.trim() !== '') this.onLine(line, now);
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
      if (nl === -1) break;
      line = chunk.slice(start, nl);
    }
    this.buffer = chunk.slice(start);
  }

  private onLine(line: string, now: bigint): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.unsolicited++;
      return;
    }
    const id = msg['id'];
    if (typeof id !== 'number' || !('result' in msg || 'error' in msg)) {
      this.unsolicited++;
      return;
    }
    const p = this.pending.get(id);
    if (!p) {
      this.unsolicited++;
      return;
    }
    this.pending.delete(id);
    p.onResponse(msg, Number(now - p.sentAt));
  }

  private send(text: string): void {
    this.child.stdin!.write(text);
  }

  notify(method: string, params?: Record<string, unknown>): void {
    this.send(`${JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}) })}\n`);
  }

  /** Sends one request; the callback gets the response and the round-trip time in ns. */
  requestRaw(method: string, params: Record<string, unknown> | undefined, onResponse: Pending['onResponse']): void {
    const id = this.nextId++;
    const text = `${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })}\n`;
    this.pending.set(id, { sentAt: process.hrtime.bigint(), onResponse });
    this.send(text);
  }

  request(method: string, params?: Record<string, unknown>, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label}: no answer to ${method} within ${timeoutMs} ms`)), timeoutMs);
      this.requestRaw(method, params, (msg) => {
        clearTimeout(timer);
        if ('error' in msg) reject(new Error(`${this.label}: ${method} failed: ${JSON.stringify(msg['error'])}`));
        else resolve(msg['result'] as Record<string, unknown>);
      });
    });
  }

  /** MCP handshake: initialize, wait for the answer, then notifications/initialized. */
  async initialize(settleMs: number): Promise<Record<string, unknown>> {
    const result = await this.request('initialize', {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'mcp-guard-bench', version: '0.0.0' },
    });
    this.notify('notifications/initialized');
    await sleep(settleMs);
    return result;
  }

  /** Records a tools/call response; true when it is a successful result. */
  private check(msg: Record<string, unknown>): boolean {
    this.calls++;
    let what: string | undefined;
    if ('error' in msg) what = `JSON-RPC error ${JSON.stringify(msg['error'])}`;
    else {
      const result = msg['result'] as Record<string, unknown> | undefined;
      if (!result || typeof result !== 'object') what = 'result is not an object';
      else if (result['isError'] === true) what = `isError: ${JSON.stringify(result['content']).slice(0, 300)}`;
    }
    if (what === undefined) return true;
    this.failures++;
    if (this.failureSamples.length < MAX_FAILURES_KEPT) this.failureSamples.push({ id: msg['id'], what });
    return false;
  }

  /**
   * `count` sequential tools/call round trips: the next call is sent from the handler of the
   * previous response. Returns the round-trip times in milliseconds.
   */
  sequential(tool: string, args: Record<string, unknown>, count: number, timeoutMs = 60_000): Promise<Float64Array> {
    const samples = new Float64Array(count);
    const params = { name: tool, arguments: args };
    return new Promise((resolve, reject) => {
      let done = 0;
      const timer = setTimeout(
        () => reject(new Error(`${this.label}: sequential block timed out after ${done}/${count} calls`)),
        timeoutMs,
      );
      const onResponse = (msg: Record<string, unknown>, rttNs: number) => {
        this.check(msg);
        samples[done++] = rttNs / 1e6;
        if (this.exitInfo !== undefined) {
          clearTimeout(timer);
          reject(new Error(`${this.label} ${this.exitInfo}`));
          return;
        }
        if (done < count) this.requestRaw('tools/call', params, onResponse);
        else {
          clearTimeout(timer);
          resolve(samples);
        }
      };
      this.requestRaw('tools/call', params, onResponse);
    });
  }

  /**
   * `count` tools/call requests with exactly `depth` in flight: a new one is sent on each
   * response. Returns the wall time in milliseconds from the first send to the last answer.
   */
  pipelined(tool: string, args: Record<string, unknown>, count: number, depth: number, timeoutMs = 120_000): Promise<number> {
    const params = { name: tool, arguments: args };
    return new Promise((resolve, reject) => {
      let sent = 0;
      let done = 0;
      const timer = setTimeout(() => reject(new Error(`${this.label}: pipelined block timed out after ${done}/${count} calls`)), timeoutMs);
      const start = process.hrtime.bigint();
      const onResponse = (msg: Record<string, unknown>) => {
        this.check(msg);
        done++;
        if (this.exitInfo !== undefined) {
          clearTimeout(timer);
          reject(new Error(`${this.label} ${this.exitInfo}`));
          return;
        }
        if (sent < count) {
          sent++;
          this.requestRaw('tools/call', params, onResponse);
        } else if (done === count) {
          clearTimeout(timer);
          resolve(Number(process.hrtime.bigint() - start) / 1e6);
        }
      };
      const first = Math.min(depth, count);
      for (let i = 0; i < first; i++) {
        sent++;
        this.requestRaw('tools/call', params, onResponse);
      }
    });
  }

  /** Ends the session: closes stdin, waits for the child to leave, then SIGKILLs it. */
  async close(graceMs = 3000): Promise<void> {
    if (this.exitInfo !== undefined || this.child.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timedOut = await Promise.race([gone.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut && this.exitInfo === undefined) {
      this.child.kill('SIGKILL');
      await Promise.race([gone, sleep(1000)]);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Fields of /proc/PID/status in kB (VmHWM = peak RSS, VmRSS = current RSS); undefined off Linux. */
export function procStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (user + system, all threads) a process has used so far, in ms; undefined off Linux. */
export function procCpuMs(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Direct children of a process (Linux), e.g. the upstream server the guard started. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}
