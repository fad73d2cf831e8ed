/**
 * One MCP session of `mcp-guard serve`: the SDK's Streamable HTTP server transport on the client side
 * (it speaks the wire: POST with SSE answers, the GET stream, Mcp-Session-Id, DELETE), and on the
 * other side the same GuardProxy and supervised upstream process as `mcp-guard run`. The proxy is fed
 * one line per message the transport parsed; what it writes back is routed to this session's streams
 * only. Everything the session owns (proxy, rate limits, approvals, process) ends with it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { AuditSink } from '../../guard/audit-events';
import { SessionRouting } from '../../guard/http/routing';
import { sessionAudit } from '../../guard/http/session-audit';
import { IdleWatch } from '../../guard/http/sessions';
import type { PolicyHolder } from '../../guard/io/policy-source';
import type { Mode } from '../../guard/policy/model';
import type { SharedLimits } from '../../guard/rate-limiter';
import type { RunOptions } from '../args';
import { guardedUpstream, type GuardedUpstream, type GuardedUpstreamWiring, type PinsWiring } from '../wiring';

export interface HttpSessionOptions {
  readonly opts: RunOptions;
  /** The pins every session enforces (`--pins`), read once when serve starts. */
  readonly pins: PinsWiring;
  readonly policy: PolicyHolder;
  /** The server's audit log, shared by every session. */
  readonly audit: AuditSink;
  /** Where `scope: shared` rate limits are counted: one store for every session of this process. */
  readonly shared: SharedLimits;
  /** The session's number, for logs and audit lines (the id itself is a secret). */
  readonly label: number;
  readonly idleMs: number;
  readonly log: (message: string) => void;
  /** The client's initialize was accepted: the transport chose this id. */
  readonly onInitialized: (id: string, session: HttpSession) => void;
  /** The session ended (DELETE, idle, shutdown, or its initialize was refused). */
  readonly onClosed: (session: HttpSession) => void;
  /** The editor bridge, when serve was started where VS Code handed it one (an integrated terminal): its approver and reports. */
  readonly editor?: Pick<GuardedUpstreamWiring, 'approvers' | 'onDecision' | 'onToolsRead'>;
  /** `--upstream-url`: the session's upstream is a session of that server, not a process of its own. */
  readonly connect?: GuardedUpstreamWiring['connect'];
}

export class HttpSession {
  readonly label: number;
  private readonly transport: StreamableHTTPServerTransport;
  private readonly routing = new SessionRouting();
  private readonly guarded: GuardedUpstream;
  private readonly idle: IdleWatch;
  private readonly audit: AuditSink;
  private readonly log: (message: string) => void;
  private sessionId: string | undefined;
  private closed = false;

  constructor(private readonly o: HttpSessionOptions) {
    this.label = o.label;
    this.log = (message) => o.log(`session ${o.label}: ${message}`);
    this.audit = sessionAudit(o.audit, o.label);
    this.transport = new StreamableHTTPServerTransport({
      // 122 random bits from the CSPRNG: a session id cannot be guessed, only learnt from its client.
      sessionIdGenerator: () => randomUUID(),
      // Called once the transport accepted the initialize, before the proxy sees it: only then is a
      // server process started, so a refused initialize costs no process.
      onsessioninitialized: (id) => {
        this.sessionId = id;
        o.onInitialized(id, this);
        this.start();
      },
      onsessionclosed: () => {
        // The transport closes itself after answering the DELETE; the rest of the session goes here.
        void this.close('the client ended the session');
      },
    });
    this.transport.onmessage = (message) => {
      this.routing.fromClient(message);
      // JSON.stringify escapes every line break inside strings: one message is one line for the proxy.
      this.guarded.proxy.onClientData(`${JSON.stringify(message)}\n`);
    };
    this.transport.onerror = (e) => this.log(`refused a request: ${e.message}`);
    this.guarded = guardedUpstream({
      opts: o.opts,
      policy: o.policy,
      audit: this.audit,
      toClient: (data) => this.toClient(data),
      log: this.log,
      // The server never came up: the initialize got the error; once it is out, the session (and its place) goes.
      onNeverReady: (cause) => this.closeWhenAnswered(`the server did not start: ${cause}`),
      finished: () => this.closed,
      ...(o.connect ? { connect: o.connect } : {}),
      ...(o.editor ?? {}),
      trustSource: o.pins.trustSource,
      shared: o.shared,
      ...(o.pins.savePins ? { savePins: o.pins.savePins } : {}),
    });
    this.idle = new IdleWatch(o.idleMs, () => void this.close(`idle for ${o.idleMs / 1000} s`));
  }

  get id(): string | undefined {
    return this.sessionId;
  }

  /** A mode change from VS Code, for this session's gate. */
  setMode(mode: Mode): void {
    this.guarded.proxy.setMode(mode);
  }

  resetRateLimits(): void {
    this.guarded.proxy.resetRateLimits();
  }

  /** Starts this session's own server process. */
  private start(): void {
    this.guarded.upstream.start();
    this.audit.write({ event: 'session', state: 'started', session: this.label });
    const pid = this.guarded.upstream.pid;
    this.log(pid === undefined ? 'started' : `started (server pid ${pid})`);
  }

  /** One HTTP request of this session (the body already read and parsed, for POST). */
  async handle(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const end = this.idle.begin();
    res.on('close', end);
    try {
      await this.transport.handleRequest(req, res, body);
    } catch (e) {
      end();
      throw e;
    }
  }

  /** Ends the session: held approvals and pending calls are answered, the transport's streams closed, the process stopped. */
  async close(reason: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Out of the registry first: from now on its id gets 404, while the process is being stopped.
    this.o.onClosed(this);
    this.idle.stop();
    this.guarded.proxy.shutdown();
    await this.transport.close().catch(() => {});
    await this.guarded.upstream.stop();
    this.audit.write({ event: 'session', state: 'ended', session: this.label, reason });
    this.log(`ended: ${reason}`);
  }

  /** Closes the session once the proxy has answered everything it holds (at most 2 s from now). */
  private closeWhenAnswered(reason: string): void {
    const deadline = Date.now() + 2000;
    const check = () => {
      if (this.guarded.proxy.inFlight === 0 || Date.now() > deadline) void this.close(reason);
      else setTimeout(check, 10);
    };
    setTimeout(check, 10);
  }

  /** The proxy's lines for the client, each sent on the stream the routing picks. */
  private toClient(data: string): void {
    if (this.closed) return;
    for (const line of data.split('\n')) {
      if (line === '') continue;
      let message: JSONRPCMessage;
      try {
        message = JSON.parse(line) as JSONRPCMessage;
      } catch {
        this.log('dropped a line for the client that is not JSON');
        continue;
      }
      const route = this.routing.toClient(message);
      if (route.kind === 'none') {
        this.log(`dropped a message for the client that answers none of its open requests: ${line.slice(0, 200)}`);
        continue;
      }
      const options = route.kind === 'related' ? { relatedRequestId: route.requestId } : undefined;
      this.transport.send(message, options).catch((e: Error) => this.log(`could not send a message to the client: ${e.message}`));
    }
  }
}
