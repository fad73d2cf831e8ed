/**
 * A real Redis server for one test file: Debian's `redis-server` (installed by scripts/test-deps.mjs when
 * missing) on a free loopback port, in a temporary directory, with no persistence; stopped (and started
 * again on the same port, for the tests of an unreachable store) by the test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { tempDir } from './temp';

export const REDIS_SERVER = process.env.MCP_GUARD_REDIS_SERVER ?? 'redis-server';

/** A port nothing listens on right now: bound on 127.0.0.1 with port 0, then closed. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends one inline command and resolves with the first line of the answer (or rejects when nothing answers). */
export function redisCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${command} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (d: string) => {
      data += d;
      if (data.includes('\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(data.split('\r\n')[0]!);
      }
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export function redisAvailable(): boolean {
  return spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' }).status === 0;
}

export class RedisServer {
  private process: ChildProcess | undefined;
  private output = '';
  private readonly temp = tempDir('mcp-guard-redis-');

  private constructor(readonly port: number) {}

  /** `redis://127.0.0.1:PORT/0`, as `--state` takes it. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.startAgain();
    return server;
  }

  /** Starts the server (again, on the same port) and waits until it answers PING. */
  async startAgain(): Promise<void> {
    if (this.process) return;
    const child = spawn(
      REDIS_SERVER,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.temp.dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.process = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString('utf8')));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}):\n${this.output}`);
      const answer = await redisCommand(this.port, 'PING', 500).catch(() => undefined);
      if (answer === '+PONG') return;
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on port ${this.port}:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops the server (SIGKILL: its clients see the connection drop at once) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
  }

  /** Sends one command and resolves with the first line of its answer. */
  command(command: string): Promise<string> {
    return redisCommand(this.port, command);
  }

  async close(): Promise<void> {
    await this.stop();
    this.temp.cleanup();
  }
}
