import { RawClient, type RawMessage } from './raw-client';
import { waitFor } from './temp';

/**
 * A scripted MCP client over a raw JSON-RPC line (RawClient): it records every message it
 * receives, answers the server's own requests (roots, sampling, elicitation, and the
 * client side of the experimental tasks API) deterministically, and runs each request as an
 * "exchange": the answer plus every message that arrived between sending it and the answer
 * to a `ping` sent right after (a barrier, so notifications a request triggers are collected
 * without fixed sleeps).
 */

export const CLIENT_CAPABILITIES = {
  roots: { listChanged: true },
  sampling: {},
  elicitation: { form: {}, url: {} },
  // Lets the server send task-augmented sampling/elicitation requests (its *-async tools).
  tasks: { requests: { sampling: { createMessage: {} }, elicitation: { create: {} } } },
};

export const CLIENT_ROOTS = [{ uri: 'file:///tmp/transparency-root', name: 'transparency-root' }];

export const SAMPLING_REPLY = {
  role: 'assistant',
  content: { type: 'text', text: 'A fixed reply from the test client.' },
  model: 'transparency-test-model',
  stopReason: 'endTurn',
};

/** A fixed time for the tasks this client creates, so both sides answer byte for byte alike. */
const CLIENT_TASK_TIME = '2025-01-01T00:00:00.000Z';

export interface Exchange {
  readonly response: RawMessage;
  /** Everything else received while the request was open (and up to the barrier). */
  readonly window: RawMessage[];
}

/** A plausible value for a JSON schema (an MCP tool input property or an elicitation field). */
export function sampleFor(schema: any, name = 'value'): unknown {
  if (!schema || typeof schema !== 'object') return 'example';
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (Array.isArray(schema.oneOf) && schema.oneOf[0]?.const !== undefined) return schema.oneOf[0].const;
  if (Array.isArray(schema.anyOf) && schema.anyOf[0]?.const !== undefined) return schema.anyOf[0].const;
  switch (schema.type) {
    case 'string':
      if (schema.format === 'email') return 'tester@example.com';
      if (schema.format === 'uri' || schema.format === 'url') return 'https://example.com/transparency';
      if (schema.format === 'date') return '2000-01-31';
      if (schema.format === 'date-time') return '2000-01-31T12:00:00Z';
      return `sample ${name}`;
    case 'integer':
      return typeof schema.minimum === 'number' ? Math.ceil(schema.minimum) : 3;
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 3;
    case 'boolean':
      return true;
    case 'array': {
      const n = typeof schema.minItems === 'number' ? Math.max(1, schema.minItems) : 1;
      return Array.from({ length: n }, () => sampleFor(schema.items, name));
    }
    case 'object':
      return sampleObject(schema, false);
    default:
      return `sample ${name}`;
  }
}

/** An object for an object schema: its required properties, or all of them with `all`. */
export function sampleObject(schema: any, all: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const required: string[] = Array.isArray(schema?.required) ? schema.required : [];
  for (const [key, prop] of Object.entries<any>(schema?.properties ?? {})) {
    if (all || required.includes(key)) out[key] = sampleFor(prop, key);
  }
  return out;
}

export class ScriptedPeer {
  readonly raw: RawClient;
  private nextId = 1;
  private nextBarrier = 1;
  private nextTask = 1;
  private readonly clientTasks = new Map<string, { task: Record<string, unknown>; result: unknown }>();

  constructor(
    readonly label: string,
    command: string,
    args: string[],
  ) {
    this.raw = new RawClient(command, args);
    this.raw.onRequest = (m) => this.answer(m);
  }

  get received(): RawMessage[] {
    return this.raw.received;
  }

  /** The answer to a request of the server, or undefined when an error was sent instead. */
  private answer(m: RawMessage): unknown {
    const params = m.params ?? {};
    switch (m.method) {
      case 'ping':
        return {};
      case 'roots/list':
        return { roots: CLIENT_ROOTS };
      case 'sampling/createMessage':
        return this.maybeAsTask(params, SAMPLING_REPLY);
      case 'elicitation/create':
        return this.maybeAsTask(
          params,
          params.mode === 'url' ? { action: 'accept' } : { action: 'accept', content: sampleObject(params.requestedSchema, true) },
        );
      case 'tasks/get': {
        const t = this.clientTasks.get(params.taskId);
        if (t) return { ...t.task, status: 'completed' };
        break;
      }
      case 'tasks/result': {
        const t = this.clientTasks.get(params.taskId);
        if (t) return t.result;
        break;
      }
    }
    this.raw.send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: `Method not found: ${m.method}` } });
    return undefined;
  }

  /** A task-augmented request (params.task) is answered with a task that is already done. */
  private maybeAsTask(params: any, result: unknown): unknown {
    if (!params.task) return result;
    const taskId = `client-task-${this.nextTask++}`;
    const task = {
      taskId,
      status: 'working',
      ttl: params.task.ttl ?? 60_000,
      createdAt: CLIENT_TASK_TIME,
      lastUpdatedAt: CLIENT_TASK_TIME,
      pollInterval: 100,
    };
    this.clientTasks.set(taskId, { task, result });
    return { task };
  }

  private async request(method: string, params: unknown, id: string | number, timeoutMs: number): Promise<RawMessage> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.label}: no answer to ${method} (id ${id}) within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.raw.request(method, params, id), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends one request and collects its answer and everything received until a barrier ping is answered. */
  async exchange(method: string, params?: unknown, timeoutMs = 15_000): Promise<Exchange> {
    const start = this.received.length;
    const id = this.nextId++;
    const response = await this.request(method, params, id, timeoutMs);
    const barrier = `barrier-${this.nextBarrier++}`;
    const pong = await this.request('ping', undefined, barrier, timeoutMs);
    const end = this.received.indexOf(pong);
    const window = this.received.slice(start, end).filter((m) => m !== response);
    return { response, window };
  }

  /** initialize (with CLIENT_CAPABILITIES) and notifications/initialized. */
  async initialize(protocolVersion = '2025-11-25', timeoutMs = 15_000): Promise<RawMessage> {
    const answer = await this.request(
      'initialize',
      { protocolVersion, capabilities: CLIENT_CAPABILITIES, clientInfo: { name: 'transparency-test', version: '1.0.0' } },
      'initialize',
      timeoutMs,
    );
    this.raw.notify('notifications/initialized');
    return answer;
  }

  notify(method: string, params?: unknown): void {
    this.raw.notify(method, params);
  }

  waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    return waitFor(`${this.label}: ${what}`, probe, timeoutMs);
  }

  /**
   * Ends stdin, then escalates: server-everything keeps running on its task timers after its
   * stdin closes, so it gets SIGTERM after `graceMs` (the guard forwards its own shutdown).
   */
  async close(graceMs = 1500): Promise<number | null> {
    const child = this.raw.child;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const within = (ms: number) =>
      Promise.race([this.raw.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), ms).unref())]);
    child.stdin.end();
    if (!(await within(graceMs))) {
      child.kill('SIGTERM');
      if (!(await within(graceMs))) child.kill('SIGKILL');
    }
    return this.raw.exited;
  }
}
