import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface RawMessage {
  jsonrpc: '2.0';
  id?: string | number | null;
  method?: string;
  params?: any;
  result?: any;
  error?: { code: number; message: string; data?: unknown };
}

/**
 * A bare newline-delimited JSON-RPC peer over a child's stdio. It sees every message exactly
 * as sent, which the SDK client does not promise (it may drop a late progress notification).
 */
export class RawClient {
  readonly child: ChildProcessWithoutNullStreams;
  readonly received: RawMessage[] = [];
  /** Every line received, exactly as it came (for byte-for-byte comparisons). */
  readonly lines: string[] = [];
  readonly nonJson: string[] = [];
  stderr = '';
  private buffer = '';
  private nextId = 1;
  private readonly waiters = new Map<string | number, (m: RawMessage) => void>();
  onRequest: (m: RawMessage) => unknown = () => undefined;
  readonly exited: Promise<number | null>;

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d: string) => (this.stderr += d));
    this.child.stdout.on('data', (d: string) => this.onData(d));
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) !== -1) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim() === '') continue;
      this.lines.push(line);
      let msg: RawMessage;
      try {
        msg = JSON.parse(line);
      } catch {
        this.nonJson.push(line);
        continue;
      }
      this.received.push(msg);
      if (msg.method !== undefined && msg.id !== undefined && msg.id !== null) {
        const answer = this.onRequest(msg);
        if (answer !== undefined) this.send({ jsonrpc: '2.0', id: msg.id, result: answer });
      } else if (msg.method === undefined && msg.id !== undefined && msg.id !== null) {
        const w = this.waiters.get(msg.id);
        if (w) {
          this.waiters.delete(msg.id);
          w(msg);
        }
      }
    }
  }

  sendLine(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  send(msg: unknown): void {
    this.sendLine(JSON.stringify(msg));
  }

  request(method: string, params?: unknown, id: string | number = this.nextId++): Promise<RawMessage> {
    return new Promise((resolve) => {
      this.waiters.set(id, resolve);
      this.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params?: unknown): void {
    this.send(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
  }

  async initialize(capabilities: Record<string, unknown> = {}): Promise<RawMessage> {
    const answer = await this.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities,
      clientInfo: { name: 'raw-test-client', version: '1.0.0' },
    });
    this.notify('notifications/initialized');
    return answer;
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
