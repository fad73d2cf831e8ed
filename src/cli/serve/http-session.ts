/**
 * One MCP session of `mcp-guard serve`: the lean Streamable HTTP server of guard/http (wire.ts checked
 * the request, streamable-server.ts picks the HTTP answer that carries each message back) on the client
 * side, and on the other side the same GuardProxy and supervised upstream as `mcp-guard run`. The
 * proxy is fed one line per message; what it writes back is routed to this session's streams only.
 * Everything the session owns (proxy, rate limits, approvals, process) ends with it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditSink } from '../../guard/audit-events';
import { SessionRouting } from '../../guard/http/routing';
import { sessionAudit } from '../../guard/http/session-audit';
import { IdleWatch } from '../../guard/http/sessions';
import { StreamableServerSession } from '../../guard/http/streamable-server';
import { asLine, type WireMessage } from '../../guard/http/wire';
import type { PolicyHolder } from '../../guard/io/policy-source';
import type { LineMessage } from '../../guard/proxy/channel';
import { isPlainObject, isValidId } from '../../guard/proxy/jsonrpc';
import { forEachLine } from '../../guard/util/line-splitter';
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
  /** The client's initialize was accepted: this session's id was drawn. */
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
  private wire: StreamableServerSession | undefined;
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
    this.guarded = guardedUpstream({
      opts: o.opts,
      policy: o.policy,
      audit: this.audit,
      toClient: (data) => this.toClient(data),
      toClientLine: (line, msg) => this.toClientLine(line, msg),
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

  /**
   * The POST of the client's initialize (checked: alone in its body, headers acceptable): the session
   * gets its id, and only then is its server process started, so a refused request costs no process.
   */
  initialize(res: ServerResponse, message: WireMessage, body: string): void {
    // 122 random bits from the CSPRNG: a session id cannot be guessed, only learnt from its client.
    const id = randomUUID();
    this.sessionId = id;
    this.wire = new StreamableServerSession({ sessionId: id, log: this.log });
    this.o.onInitialized(id, this);
    this.start();
    this.post(res, [message], false, body);
  }

  /** A POST of this session (its messages checked by wire.ts); `body` is the whole body when it held one message. */
  post(res: ServerResponse, messages: readonly WireMessage[], batch: boolean, body: string | undefined): void {
    const wire = this.wire;
    if (wire === undefined || this.closed) return void res.writeHead(404).end();
    this.watch(res);
    wire.post(res, messages, batch, () => {
      for (const m of messages) {
        if (m.kind === 'request') this.routing.fromClient(m.message);
        // The whole body (capped like a line) is handed over parsed; a batch's elements as lines, for the proxy's own cap.
        if (body !== undefined) this.guarded.proxy.onClientParsed(m.message, asLine(m, body));
        else this.guarded.proxy.onClientData(`${asLine(m, undefined)}\n`);
      }
    });
  }

  /** GET: the session's standalone stream. */
  get(req: IncomingMessage, res: ServerResponse): void {
    if (this.wire === undefined || this.closed) return void res.writeHead(404).end();
    this.watch(res);
    this.wire.get(req, res);
  }

  /** The session has an open HTTP request until `res` closes: it is not idle meanwhile. */
  private watch(res: ServerResponse): void {
    const end = this.idle.begin();
    res.on('close', end);
  }

  /** Starts this session's own server process. */
  private start(): void {
    this.guarded.upstream.start();
    this.audit.write({ event: 'session', state: 'started', session: this.label });
    const pid = this.guarded.upstream.pid;
    this.log(pid === undefined ? 'started' : `started (server pid ${pid})`);
  }

  /** Ends the session: held approvals and pending calls are answered, its streams closed, the process stopped. */
  async close(reason: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Out of the registry first: from now on its id gets 404, while the process is being stopped.
    this.o.onClosed(this);
    this.idle.stop();
    this.guarded.proxy.shutdown();
    this.wire?.close();
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

  /** The proxy's lines for the client (outside a batch, when it wrote text), each sent on the stream the routing picks. */
  private toClient(data: string): void {
    forEachLine(data, (line) => this.toClientLine(line, undefined));
  }

  /** One message for the client; `msg` is what the proxy knows of it (the line is parsed for routing only without it). */
  private toClientLine(line: string, msg: LineMessage | undefined): void {
    const wire = this.wire;
    if (this.closed || wire === undefined) return;
    let message: unknown = msg;
    if (message === undefined) {
      try {
        message = JSON.parse(line);
      } catch {
        this.log('dropped a line for the client that is not JSON');
        return;
      }
    }
    const route = this.routing.toClient(message);
    let sent: boolean;
    if (route.kind === 'response') sent = isPlainObject(message) && isValidId(message['id']) && wire.respond(message['id'], line);
    else if (route.kind === 'related') sent = wire.sendRelated(route.requestId, line);
    else if (route.kind === 'standalone') sent = wire.sendStandalone(line);
    else {
      this.log(`dropped a message for the client that answers none of its open requests: ${line.slice(0, 200)}`);
      return;
    }
    if (!sent && route.kind === 'response')
      this.log('could not send an answer to the client: its request is no longer open (the client went away)');
  }
}
