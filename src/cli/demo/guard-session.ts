/** One real guard (`mcp-guard run`) in front of the demo stand-in, driven by the MCP SDK's client as an agent's would be. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { type CallToolResult, ElicitRequestSchema, type ElicitResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { DecisionEvent } from '../../guard/audit-events';
import type { Mode } from '../../guard/policy/model';
import { VERSION } from '../../guard/version';
import type { AuditTail } from './audit-tail';
import { DEMO_SERVER_NAME, DemoError, type DemoFiles } from './setup';

export interface SessionOptions {
  readonly files: DemoFiles;
  readonly policy: string;
  readonly mode: Mode;
  readonly audit: AuditTail;
  /** Asks the person about a call that needs approval; given, the client declares `elicitation` and the guard asks through it. */
  readonly ask?: (message: string) => Promise<boolean>;
  /** How long one call may take (approvals included). */
  readonly callTimeoutMs: number;
}

/** What became of one tool call: what the agent got back, and the guard's decision from its audit log. */
export interface CallOutcome {
  readonly tool: string;
  readonly args: Record<string, unknown>;
  readonly result?: CallToolResult;
  /** A JSON-RPC error instead of a result. */
  readonly error?: string;
  readonly decision?: DecisionEvent;
}

const START_TIMEOUT_MS = 15_000;
const STDERR_KEPT = 40;

/**
 * The guard's environment: the demo's own, minus what could point it elsewhere: an editor window
 * (MCP_GUARD_BRIDGE*), a log file, or the test knobs of the stand-in (STANDIN_*, ODOO_*).
 */
function guardEnv(journal: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(STANDIN_|ODOO_|MCP_GUARD_)/.test(k)) env[k] = v;
  }
  env['STANDIN_DEMO'] = '1';
  env['STANDIN_JOURNAL'] = journal;
  return env;
}

/** The answer to the guard's approval form (or any yes/no form): every boolean field set to the person's answer. */
function formAnswer(schema: { properties?: Record<string, { type?: string }> }, yes: boolean): ElicitResult {
  if (!yes) return { action: 'decline' };
  const content: Record<string, boolean> = {};
  for (const [name, prop] of Object.entries(schema.properties ?? {})) if (prop.type === 'boolean') content[name] = true;
  return { action: 'accept', content };
}

export class GuardSession {
  private readonly stderrLines: string[] = [];
  private closed = false;
  /** The guard's stdio closed: it exited. */
  private gone = false;

  private constructor(
    private readonly options: SessionOptions,
    private readonly client: Client,
  ) {}

  /** The command line the session runs, as a person would type it. */
  static commandLine(options: Pick<SessionOptions, 'files' | 'policy' | 'mode'>): string {
    const { files, policy, mode } = options;
    const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
    return [
      'mcp-guard run',
      `--name ${quote(DEMO_SERVER_NAME)}`,
      `--policy ${quote(policy)}`,
      `--audit ${quote(files.audit)}`,
      ...(mode === 'enforce' ? [] : [`--mode ${mode}`]),
      '--',
      `node ${quote(files.standin)}`,
    ].join(' ');
  }

  static async start(options: SessionOptions): Promise<GuardSession> {
    const { files } = options;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        files.guard,
        'run',
        '--name',
        DEMO_SERVER_NAME,
        '--policy',
        options.policy,
        '--audit',
        files.audit,
        '--mode',
        options.mode,
        '--',
        process.execPath,
        files.standin,
      ],
      env: guardEnv(files.journal),
      stderr: 'pipe',
    });
    const client = new Client(
      { name: 'mcp-guard-demo', version: VERSION },
      { capabilities: options.ask !== undefined ? { elicitation: {} } : {} },
    );
    const session = new GuardSession(options, client);
    client.onclose = () => {
      session.gone = true;
    };
    transport.stderr?.on('data', (d: Buffer) => session.keepStderr(d.toString('utf8')));
    const ask = options.ask;
    if (ask !== undefined) {
      client.setRequestHandler(ElicitRequestSchema, async (req) => {
        const params = req.params as { message: string; requestedSchema?: { properties?: Record<string, { type?: string }> } };
        return formAnswer(params.requestedSchema ?? {}, await ask(params.message));
      });
    }
    try {
      await client.connect(transport, { timeout: START_TIMEOUT_MS });
    } catch (e) {
      await session.close();
      throw session.failure(`the guard did not start (${(e as Error).message})`);
    }
    return session;
  }

  private keepStderr(text: string): void {
    for (const line of text.split('\n')) if (line.trim() !== '') this.stderrLines.push(line);
    if (this.stderrLines.length > STDERR_KEPT) this.stderrLines.splice(0, this.stderrLines.length - STDERR_KEPT);
  }

  /** An error that shows what the guard said on stderr, since that is where it explains itself. */
  failure(what: string): DemoError {
    const log =
      this.stderrLines.length > 0 ? `\nThe guard's log (stderr), last lines:\n${this.stderrLines.map((l) => `  ${l}`).join('\n')}` : '';
    return new DemoError(`${what}.${log}`);
  }

  /** serverInfo and instructions of the server behind the guard (passed through unchanged). */
  get server(): { name: string; title?: string; instructions?: string } {
    const info = this.client.getServerVersion();
    return {
      name: info?.name ?? '?',
      ...(info?.title !== undefined ? { title: info.title } : {}),
      instructions: this.client.getInstructions(),
    };
  }

  async listTools(): Promise<Tool[]> {
    try {
      return (await this.client.listTools(undefined, { timeout: this.options.callTimeoutMs })).tools;
    } catch (e) {
      throw this.failure(`tools/list failed: ${(e as Error).message}`);
    }
  }

  /** Calls a tool as an agent would; a JSON-RPC error is an outcome too (the guard answers some that way). */
  async call(tool: string, args: Record<string, unknown>): Promise<CallOutcome> {
    let result: CallToolResult | undefined;
    let error: string | undefined;
    try {
      result = (await this.client.callTool({ name: tool, arguments: args }, undefined, {
        timeout: this.options.callTimeoutMs,
      })) as CallToolResult;
    } catch (e) {
      if (this.closed || this.gone) throw this.failure(`the guard stopped during ${tool}: ${(e as Error).message}`);
      error = (e as Error).message;
    }
    const decision = await this.options.audit.next();
    if (decision !== undefined && decision.tool !== tool) {
      throw this.failure(`the audit log's next decision is for ${decision.tool}, not ${tool}`);
    }
    return {
      tool,
      args,
      ...(result !== undefined ? { result } : {}),
      ...(error !== undefined ? { error } : {}),
      ...(decision ? { decision } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Closing stdin ends the guard, which stops the stand-in and writes its `stop` event.
    await this.client.close().catch(() => undefined);
  }
}
