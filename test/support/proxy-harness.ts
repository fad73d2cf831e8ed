import type { AuditEvent, AuditSink } from '../../src/guard/io/audit-log';
import { policyFromText } from '../../src/guard/io/policy-source';
import type { Mode } from '../../src/guard/policy/model';
import { GuardProxy, type GuardProxyOptions } from '../../src/guard/proxy/guard-proxy';
import { RateLimiter, monotonicClock } from '../../src/guard/rate-limiter';

export interface FakeTool {
  name: string;
  annotations?: Record<string, unknown>;
}

export interface HarnessOptions {
  policy?: string;
  mode?: Mode;
  tools?: FakeTool[];
  /** The fake upstream's answer to a tools/call (a result object), or `undefined` to never answer. */
  answerCall?: (msg: any) => unknown;
  proxy?: Partial<GuardProxyOptions>;
  /** The fake upstream's serverInfo in its initialize answer (`null`: none); `{ name: 'fake', version: '1' }` by default. */
  serverInfo?: Record<string, unknown> | null;
}

/** An audit sink that keeps events in memory and can be told it is broken. */
export class MemoryAudit implements AuditSink {
  readonly events: AuditEvent[] = [];
  problem: string | undefined;
  write(event: AuditEvent): void {
    this.events.push(event);
  }
  flush(): void {}
  close(): void {}
  get decisions(): any[] {
    return this.events.filter((e) => e.event === 'decision');
  }
}

export const DEFAULT_TOOLS: FakeTool[] = [
  { name: 'read_a', annotations: { readOnlyHint: true } },
  { name: 'read_b', annotations: { readOnlyHint: true } },
  { name: 'write_a' },
  { name: 'secret_tool', annotations: { readOnlyHint: true } },
];

/**
 * A GuardProxy in process, between a fake client (messages in via `send`, out in `toClient`)
 * and a fake upstream that records every message it gets and answers asynchronously.
 */
export class ProxyHarness {
  readonly proxy: GuardProxy;
  readonly audit = new MemoryAudit();
  /** Every message the upstream received, parsed (unparseable lines as `{ unparseable: line }`). */
  readonly upstream: any[] = [];
  /** Everything written to the upstream, as written. */
  upstreamText = '';
  /** Every message the client received, parsed. */
  readonly toClient: any[] = [];
  /** Everything written to the client, as written. */
  clientText = '';
  readonly logs: string[] = [];
  tools: FakeTool[];
  /** While false, the fake upstream answers nothing (messages are still recorded). */
  upstreamAnswers = true;
  private readonly answerCall: (msg: any) => unknown;

  constructor(readonly options: HarnessOptions = {}) {
    this.tools = options.tools ?? DEFAULT_TOOLS;
    this.answerCall = options.answerCall ?? ((msg) => ({ content: [{ type: 'text', text: `ran ${msg.params.name}` }], isError: false }));
    const state = policyFromText('policy.yaml', options.policy ?? 'version: 1\n').state;
    this.proxy = new GuardProxy({
      toUpstream: (data) => this.onUpstreamData(data),
      toClient: (data) => {
        this.clientText += data;
        for (const line of data.split('\n')) if (line !== '') this.toClient.push(JSON.parse(line));
      },
      policy: { state },
      audit: this.audit,
      limiter: new RateLimiter(monotonicClock),
      clock: monotonicClock,
      mode: options.mode ?? 'enforce',
      serverName: 'fake',
      log: (m) => this.logs.push(m),
      upstreamRequestTimeoutMs: 2000,
      ...options.proxy,
    });
  }

  private onUpstreamData(data: string): void {
    this.upstreamText += data;
    for (const line of data.split('\n')) {
      if (line === '') continue;
      let msg: any;
      try {
        msg = JSON.parse(line);
      } catch {
        this.upstream.push({ unparseable: line });
        continue;
      }
      this.upstream.push(msg);
      if (!this.upstreamAnswers) continue;
      const answer = this.answerFor(msg);
      if (answer !== undefined) setImmediate(() => this.fromUpstream(answer));
    }
  }

  private answerFor(msg: any): unknown {
    if (msg.method === 'initialize') {
      return {
        jsonrpc: '2.0',
        id: msg.id,
        result: {
          protocolVersion: msg.params?.protocolVersion ?? '2025-06-18',
          capabilities: { tools: {} },
          ...(this.options.serverInfo === null ? {} : { serverInfo: this.options.serverInfo ?? { name: 'fake', version: '1' } }),
        },
      };
    }
    if (msg.method === 'tools/list')
      return { jsonrpc: '2.0', id: msg.id, result: { tools: this.tools.map((t) => ({ inputSchema: { type: 'object' }, ...t })) } };
    if (msg.method === 'tools/call') {
      const result = this.answerCall(msg);
      return result === undefined ? undefined : { jsonrpc: '2.0', id: msg.id, result };
    }
    if (msg.method !== undefined && msg.id !== undefined) return { jsonrpc: '2.0', id: msg.id, result: {} };
    return undefined;
  }

  /** Sends a message (or raw text, newline added) from the client. */
  send(msg: unknown): void {
    this.proxy.onClientData(`${typeof msg === 'string' ? msg : JSON.stringify(msg)}\n`);
  }

  /** Sends a message (or raw text) from the upstream. */
  fromUpstream(msg: unknown): void {
    this.proxy.onUpstreamData(`${typeof msg === 'string' ? msg : JSON.stringify(msg)}\n`);
  }

  /** Lets queued I/O callbacks and promise chains run. */
  async settle(turns = 10): Promise<void> {
    for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
  }

  async initialize(
    params: Record<string, unknown> = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'harness', version: '1' } },
  ): Promise<void> {
    this.send({ jsonrpc: '2.0', id: 'init', method: 'initialize', params });
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await this.settle();
  }

  answersTo(id: unknown): any[] {
    return this.toClient.filter((m) => m.id === id && m.method === undefined);
  }

  async answerTo(id: unknown, timeoutMs = 2000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.answersTo(id)[0];
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no answer to ${JSON.stringify(id)}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** tools/call messages the upstream received. */
  get forwardedCalls(): any[] {
    return this.upstream.filter((m) => m.method === 'tools/call');
  }

  call(id: unknown, name: string, args: unknown = {}): void {
    this.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
  }
}

export function textOfResult(m: any): string {
  return (m?.result?.content ?? []).map((c: { text?: string }) => c.text ?? '').join('\n');
}
