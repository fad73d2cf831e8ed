/**
 * The reference client: the MCP TypeScript SDK's `Client` over `StdioClientTransport`, i.e. what
 * an MCP host built on the SDK does per tool call (request bookkeeping, a per-request timeout,
 * schema validation of the result). Every result is checked: a rejected call (JSON-RPC error,
 * timeout, closed connection) or an `isError` result counts as a failure.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Failure } from './raw-client';
import type { BenchClient } from './section';

const MAX_STDERR = 64 * 1024;
const MAX_FAILURES_KEPT = 20;

function stringEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

export class SdkBenchClient implements BenchClient {
  readonly client: Client;
  readonly transport: StdioClientTransport;
  calls = 0;
  failures = 0;
  readonly failureSamples: Failure[] = [];
  private stderrText = '';
  private closedInfo: string | undefined;

  constructor(
    readonly label: string,
    command: string,
    args: readonly string[],
    cwd: string,
  ) {
    this.transport = new StdioClientTransport({ command, args: [...args], cwd, env: stringEnv(), stderr: 'pipe' });
    this.transport.stderr?.on('data', (d: Buffer) => {
      if (this.stderrText.length < MAX_STDERR) this.stderrText += d.toString('utf8').slice(0, MAX_STDERR - this.stderrText.length);
    });
    this.client = new Client({ name: 'mcp-guard-bench', version: '0.0.0' }, { capabilities: {} });
    this.client.onclose = () => {
      this.closedInfo ??= 'connection closed';
    };
  }

  /** Spawns the process, runs the MCP handshake, then tools/list (as a host does); returns the tool names. */
  async connect(): Promise<string[]> {
    await this.client.connect(this.transport);
    const { tools } = await this.client.listTools();
    return tools.map((t) => t.name);
  }

  get pid(): number | undefined {
    return this.transport.pid ?? undefined;
  }

  get stderr(): string {
    return this.stderrText;
  }

  private fail(what: string): void {
    this.failures++;
    if (this.failureSamples.length < MAX_FAILURES_KEPT) this.failureSamples.push({ id: this.calls, what });
  }

  /** One checked tools/call. */
  private async call(params: { name: string; arguments: Record<string, unknown> }): Promise<void> {
    try {
      const result = await this.client.callTool(params);
      this.calls++;
      if ((result as { isError?: unknown }).isError === true) {
        this.fail(`isError: ${JSON.stringify((result as { content?: unknown }).content).slice(0, 300)}`);
      }
    } catch (e) {
      this.calls++;
      this.fail(`rejected: ${(e as Error).message}`);
    }
  }

  private checkOpen(): void {
    if (this.closedInfo !== undefined) throw new Error(`${this.label}: ${this.closedInfo}`);
  }

  /** `count` sequential `client.callTool` round trips; returns the round-trip times in ms. */
  async sequential(tool: string, args: Record<string, unknown>, count: number): Promise<Float64Array> {
    const samples = new Float64Array(count);
    const params = { name: tool, arguments: args };
    for (let i = 0; i < count; i++) {
      const t0 = process.hrtime.bigint();
      await this.call(params);
      samples[i] = Number(process.hrtime.bigint() - t0) / 1e6;
      this.checkOpen();
    }
    return samples;
  }

  /**
   * `count` calls with exactly `depth` in flight from this one client: `depth` loops, each
   * starting its next call when its previous one resolves. Returns the wall time in ms.
   */
  async pipelined(tool: string, args: Record<string, unknown>, count: number, depth: number): Promise<number> {
    const params = { name: tool, arguments: args };
    let sent = 0;
    const start = process.hrtime.bigint();
    const lane = async () => {
      while (sent < count) {
        sent++;
        await this.call(params);
        this.checkOpen();
      }
    };
    await Promise.all(Array.from({ length: Math.min(depth, count) }, lane));
    return Number(process.hrtime.bigint() - start) / 1e6;
  }

  async close(): Promise<void> {
    this.closedInfo ??= 'closed by the benchmark';
    await this.client.close().catch(() => {});
  }
}
