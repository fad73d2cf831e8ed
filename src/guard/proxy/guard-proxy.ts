import { randomBytes } from 'node:crypto';
import { askApproval, type ApprovalRequest, type ApprovalResult, type Approver } from '../approval/approver';
import { redactSecrets, redactSecretsInText } from '../secrets';
import { ElicitationApprover } from '../approval/elicitation-approver';
import type { AuditDecision, AuditSink, UpstreamOutcome } from '../audit-log';
import { argumentsDigest, canonicalJson } from '../canonical-json';
import { classifyTool, type Classification } from '../catalog/classify';
import type { ToolDefinition } from '../catalog/types';
import { decide, decideResource, isLockdownSafe, rateLimitedReason, type PolicyState, type ResourceDecision, type Verdict } from '../decider';
import type { Mode } from '../policy/model';
import { normaliseResourceUri } from '../policy/resource-uri';
import type { Clock, RateLimiter } from '../rate-limiter';
import { denialText, type BlockKind } from './denial';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  INVALID_PARAMS,
  INVALID_REQUEST,
  MAX_JSON_DEPTH,
  PARSE_ERROR,
  TopLevelIdScanner,
  UPSTREAM_ERROR,
  errorLine,
  idKey,
  isPlainObject,
  isValidId,
  mayNestDeeperThan,
  nestsDeeperThan,
  notificationLine,
  requestLine,
  resultLine,
  type JsonRpcId,
  type JsonRpcMessage,
} from './jsonrpc';
import { LineSplitter, type OversizeSink } from './line-splitter';
import { findPrototypeKey, mayHavePrototypeKey } from './prototype-keys';
import { notificationMessage, requestMessage, responseMessage, wireLine } from './wire';
import { ToolRegistry, type ListedTool } from './tool-registry';

/** What of a listed tool the editor's policy language uses: name, title, description, input schema, annotations. */
function toolDefinition(t: Record<string, unknown> & { name: string }): ToolDefinition {
  return {
    name: t.name,
    ...(typeof t['title'] === 'string' ? { title: t['title'] } : {}),
    ...(typeof t['description'] === 'string' ? { description: t['description'] } : {}),
    ...(isPlainObject(t['inputSchema']) ? { inputSchema: t['inputSchema'] as ToolDefinition['inputSchema'] } : {}),
    ...(isPlainObject(t['annotations']) ? { annotations: t['annotations'] as ToolDefinition['annotations'] } : {}),
  };
}

/** What the proxy tells its host about each decided call (the CLI forwards it to the editor). */
export interface DecisionNotice {
  readonly tool: string;
  readonly decision: AuditDecision;
  readonly rule: string;
  readonly reason: string;
  readonly auditProblem?: string;
  /** As in the audit event. */
  readonly argsSha256: string;
  /** The call's arguments as received (not redacted: the receiver redacts what it passes on). */
  readonly args: Readonly<Record<string, unknown>>;
}

export interface GuardProxyOptions {
  /** Writes raw text (one or more newline-terminated messages) to the upstream server. */
  readonly toUpstream: (data: string) => void;
  /** Writes raw text to the MCP client. */
  readonly toClient: (data: string) => void;
  readonly policy: { readonly state: PolicyState };
  readonly audit: AuditSink;
  readonly limiter: RateLimiter;
  readonly clock: Clock;
  readonly mode: Mode;
  /** Approvers tried before MCP elicitation (the editor bridge, when present). */
  readonly approvers?: readonly Approver[];
  readonly serverName: string;
  readonly auditIncludeArgs?: boolean;
  readonly log: (message: string) => void;
  /** How long the guard waits for its own requests to the upstream (tools/list). */
  readonly upstreamRequestTimeoutMs?: number;
  /**
   * Seconds (as ms) the guard waits for the upstream's answer to a forwarded tools/call
   * before answering the client itself and cancelling the call upstream; 0 waits forever.
   */
  readonly callTimeoutMs?: number;
  /** The longest message accepted from either side, in UTF-8 bytes (`--max-message-bytes`). */
  readonly maxMessageBytes?: number;
  /** Forward calls that are not Read / low risk even while the audit log cannot be written. */
  readonly auditFailOpen?: boolean;
  /** Told of every decision, for the editor's status bar. */
  readonly onDecision?: (event: DecisionNotice) => void;
  /** Told whenever the guard has read the upstream's tool list. */
  /** The server's tool list, each time the guard reads it (for the editor's policy language). */
  readonly onToolsRead?: (tools: readonly ToolDefinition[]) => void;
  /** Told when the upstream answers an initialize (it is ready: a later exit is a crash). */
  readonly onUpstreamReady?: () => void;
}

/** The default for `--call-timeout`, in seconds. */
export const DEFAULT_CALL_TIMEOUT_SECONDS = 60;
/** Client messages held while the upstream restarts; more are refused. */
export const MAX_QUEUED_WHILE_RESTARTING = 1000;
/** Ids of calls the guard stopped waiting for, remembered so a late answer is dropped. */
const MAX_ABANDONED_IDS = 10_000;
/** Resource subscriptions kept for replay, and resources allowed for the session (each URI at most MAX_URI_LENGTH). */
const MAX_REMEMBERED_SUBSCRIPTIONS = 256;
/** Longer string ids are refused: ids are kept while requests are open, and no client needs more. */
export const MAX_ID_LENGTH = 1024;

type UpstreamState = 'up' | 'restarting' | 'down';

interface QueuedLine {
  readonly key: string | undefined;
  /** Cleared when the request is withdrawn (timed out, cancelled) before it could be sent. */
  line: string | undefined;
}

type Kind = 'initialize' | 'tools/list' | 'tools/call' | 'resource' | 'resources/list' | 'resources/templates/list' | 'other';

/** Resource methods decided by the policy before they are forwarded. */
type ResourceMethod = 'resources/read' | 'resources/subscribe';

/** JSON-RPC error code of a resource request MCP Guard blocked. */
export const GUARD_BLOCKED = -32001;

/** The fixed classification of a gated resource request: reads, no risk class of their own. */
const RESOURCE_CLASSIFICATION: Classification = { category: 'Read', risk: 'low', reason: 'Reads one resource by URI.', source: 'catalog' };

interface CallContext {
  readonly id: JsonRpcId;
  readonly key: string;
  readonly tool: string;
  readonly args: Record<string, unknown>;
  /** The exact text that goes upstream if the call is allowed: the decision is made on it. */
  readonly line: string;
  readonly receivedAt: number;
  classification?: Classification;
  /** Set for a gated resources/read or resources/subscribe (then `tool` is the method and `args` is `{ uri }`). */
  readonly resource?: { readonly method: ResourceMethod; readonly uri: string };
}

interface AuditFacts {
  readonly decision: AuditDecision;
  readonly would?: 'allowed' | 'denied' | 'require_approval' | 'rate_limited';
  readonly rule: string;
  readonly reason: string;
  readonly entries: readonly string[];
  readonly approver?: string;
}

interface ForwardedRequest {
  readonly kind: Kind;
  readonly method: string;
  readonly call?: CallContext;
  readonly audit?: AuditFacts;
  /** Session state the request sets once the server accepts it (replayed to a restarted server). */
  readonly sets?: SessionChange;
}

/** What a client request changes in the server's session state. */
type SessionChange = { readonly level: string } | { readonly subscribe: string } | { readonly unsubscribe: string };

interface HeldCall {
  readonly call: CallContext;
  readonly abort: AbortController;
}

interface GuardRequest {
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
}

class RemoteError extends Error {}

/**
 * The guard between an MCP client and one upstream server, at the level of JSON-RPC lines.
 * Messages pass through byte for byte, except `tools/call`, `resources/read` and `resources/subscribe` (decided by the policy before it
 * is forwarded), `tools/list` answers (hidden tools removed) and the guard's own requests.
 */
export class GuardProxy {
  private mode: Mode;
  private clientCapabilities: Record<string, unknown> = {};
  private upstreamCapabilities: Record<string, unknown> | undefined;
  private readonly forwarded = new Map<string, ForwardedRequest>();
  private readonly held = new Map<string, HeldCall>();
  private readonly ownToClient = new Map<string, GuardRequest>();
  private readonly ownToUpstream = new Map<string, GuardRequest>();
  private readonly idPrefix = `mcp-guard-${randomBytes(4).toString('hex')}-`;
  private nextOwnId = 1;
  private readonly tools: ToolRegistry;
  private readonly approvers: readonly Approver[];
  private readonly clientLines: LineSplitter;
  private readonly upstreamLines: LineSplitter;
  private upBatch: string[] | undefined;
  private downBatch: string[] | undefined;
  private upstreamGone: string | undefined;
  private upstreamState: UpstreamState = 'up';
  /** Client lines held while the upstream restarts, sent in order once it is back. */
  private queue: QueuedLine[] = [];
  private readonly queuedByKey = new Map<string, QueuedLine>();
  private readonly upWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Forwarded tools/call deadlines, in insertion order (= deadline order: one timeout for all). */
  private readonly deadlines = new Map<string, number>();
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** Calls the guard answered itself (timeout, client cancel) whose upstream answer may still come. */
  private readonly abandoned = new Set<string>();
  /** Requests from the upstream to the client not yet answered. */
  private readonly upstreamPending = new Set<string>();
  /** The logging level and resource subscriptions the server accepted: replayed after a restart. */
  private loggingLevel: string | undefined;
  private readonly subscriptions = new Set<string>();
  /** The client's initialize params and whether it sent notifications/initialized: replayed after a restart. */
  private initializeParams: Record<string, unknown> | undefined;
  private initializeSeen = false;
  private initializedSent = false;
  private readonly callTimeoutMs: number;
  private readonly maxMessageBytes: number;
  /** Tools a person allowed "for this session": later approvals for them are not asked again. */
  private readonly sessionAllowed = new Set<string>();
  /** `METHOD URI` pairs a person allowed "for this session" (kept apart from tool names). */
  private readonly sessionAllowedResources = new Set<string>();

  constructor(private readonly opts: GuardProxyOptions) {
    this.mode = opts.mode;
    this.callTimeoutMs = opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_SECONDS * 1000;
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.clientLines = new LineSplitter((line) => this.onClientLine(line), {
      maxLineBytes: this.maxMessageBytes,
      onOversize: () => this.clientOversize(),
    });
    this.upstreamLines = new LineSplitter((line) => this.onUpstreamLine(line), {
      maxLineBytes: this.maxMessageBytes,
      onOversize: () => this.upstreamOversize(),
    });
    this.tools = new ToolRegistry(() => this.fetchUpstreamTools());
    this.approvers = [
      ...(opts.approvers ?? []),
      new ElicitationApprover(
        () => isPlainObject(this.clientCapabilities['elicitation']),
        (method, params, signal) => this.requestClient(method, params, signal),
      ),
    ];
  }

  get currentMode(): Mode {
    return this.mode;
  }

  setMode(mode: Mode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    this.opts.audit.write({ event: 'mode_change', mode });
  }

  /** Forgets every rate-limit count, as if the session had just started. */
  resetRateLimits(): void {
    this.opts.limiter.reset();
  }

  /** Requests the guard has sent upstream or is still deciding on, not yet answered. */
  get inFlight(): number {
    return this.forwarded.size + this.held.size;
  }

  /** `up`, `restarting` (client requests wait) or `down` (every request gets an error). */
  get upstreamStatus(): UpstreamState {
    return this.upstreamState;
  }

  /** Tool names the upstream listed, as last read by the guard. */
  get knownTools(): readonly string[] {
    return this.tools.names;
  }

  // ---- input -------------------------------------------------------------------------

  onClientData(chunk: string): void {
    this.batched(() => this.clientLines.push(chunk));
  }

  onUpstreamData(chunk: string): void {
    this.batched(() => this.upstreamLines.push(chunk));
  }

  /** Collects everything one chunk produces into one write per direction. */
  private batched(work: () => void): void {
    this.upBatch = [];
    this.downBatch = [];
    try {
      work();
    } finally {
      const up = this.upBatch;
      const down = this.downBatch;
      this.upBatch = undefined;
      this.downBatch = undefined;
      // Decisions reach the log before their answers reach the client.
      this.opts.audit.flush();
      if (up.length > 0) this.opts.toUpstream(up.join(''));
      if (down.length > 0) this.opts.toClient(down.join(''));
    }
  }

  /**
   * Sends a line upstream, or holds it while the upstream restarts (false when it cannot:
   * the upstream is down for good, or too much is already waiting).
   */
  private sendUp(line: string, key?: string): boolean {
    if (this.upstreamState === 'up') {
      this.sendUpNow(line);
      return true;
    }
    if (this.upstreamState === 'down' || this.queue.length >= MAX_QUEUED_WHILE_RESTARTING) return false;
    const queued: QueuedLine = { key, line };
    this.queue.push(queued);
    if (key !== undefined) this.queuedByKey.set(key, queued);
    return true;
  }

  /** Sends a line upstream now, past the restart queue (the guard's own handshake). */
  private sendUpNow(line: string): void {
    if (this.upBatch) this.upBatch.push(line, '\n');
    else this.opts.toUpstream(`${line}\n`);
  }

  /** Takes a request out of the restart queue; true if it was there (so it was never sent). */
  private unqueue(key: string): boolean {
    const queued = this.queuedByKey.get(key);
    if (!queued) return false;
    this.queuedByKey.delete(key);
    queued.line = undefined;
    return true;
  }

  private sendDown(line: string): void {
    if (this.downBatch) this.downBatch.push(line, '\n');
    else this.opts.toClient(`${line}\n`);
  }

  // ---- client to upstream ------------------------------------------------------------

  private onClientLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.opts.log(`ignored a client message that is not JSON (${line.length} bytes)`);
      this.sendDown(errorLine(null, PARSE_ERROR, 'Parse error: the message is not valid JSON'));
      return;
    }
    // Only a long line can nest deep enough to matter, so small messages skip the walk.
    const deep = mayNestDeeperThan(line.length, MAX_JSON_DEPTH) && nestsDeeperThan(msg, MAX_JSON_DEPTH + (Array.isArray(msg) ? 1 : 0));
    if (Array.isArray(msg)) {
      // JSON-RPC batches (MCP 2025-03-26): each element is handled as if sent alone, so
      // a tools/call inside a batch is decided like any other.
      if (msg.length === 0) this.sendDown(errorLine(null, INVALID_REQUEST, 'Invalid request: empty batch'));
      for (const m of msg) {
        // The batch's own text stands for each element's: it is only searched for suspicious keys.
        this.onClientMessage(m, line, deep && nestsDeeperThan(m, MAX_JSON_DEPTH));
      }
      return;
    }
    this.onClientMessage(msg, line, deep);
  }

  /**
   * One client message. Nothing goes upstream as the client wrote it: each message is rebuilt from
   * its JSON-RPC fields as parsed and framed by `wireLine`, so the upstream reads exactly the
   * messages the guard read, whatever its line reader (see wire.ts). `text` is the raw line it came
   * in (a batch's whole line), used only to skip work for messages that cannot need it.
   */
  private onClientMessage(raw: unknown, text: string, tooDeep: boolean): void {
    if (!isPlainObject(raw)) {
      this.sendDown(errorLine(null, INVALID_REQUEST, 'Invalid request: a message must be a JSON object'));
      return;
    }
    const msg = raw as JsonRpcMessage;
    const { method } = msg;
    if (typeof method === 'string') {
      if ('result' in msg || 'error' in msg) {
        // Another reader could take it for a response: it is neither, so it goes nowhere.
        if (isValidId(msg.id)) this.sendDown(errorLine(msg.id, INVALID_REQUEST, 'Invalid request: a message with a method cannot carry a result or an error'));
        else this.opts.log(`dropped a client message with both a method and a result or error`);
        return;
      }
      if (!('id' in msg)) {
        if (tooDeep) return this.opts.log(`dropped a client notification ${JSON.stringify(method.slice(0, 80))} nested deeper than ${MAX_JSON_DEPTH} levels`);
        return this.onClientNotification(method, msg);
      }
      if (!isValidId(msg.id)) {
        this.sendDown(errorLine(null, INVALID_REQUEST, 'Invalid request: id must be a string or a number'));
        return;
      }
      if (typeof msg.id === 'string' && msg.id.length > MAX_ID_LENGTH) {
        this.sendDown(errorLine(null, INVALID_REQUEST, `Invalid request: the id is ${msg.id.length} characters long, over MCP Guard's limit of ${MAX_ID_LENGTH}`));
        return;
      }
      return this.onClientRequest(msg.id, method, msg, text, tooDeep);
    }
    if ('result' in msg || 'error' in msg) return this.onClientResponse(msg, tooDeep);
    this.sendDown(errorLine(isValidId(msg.id) ? msg.id : null, INVALID_REQUEST, 'Invalid request: no method, result or error'));
  }

  /**
   * A response from the client means something only as the answer to a request the guard or the
   * current upstream sent (elicitation, sampling, roots); anything else is dropped, never forwarded.
   */
  private onClientResponse(msg: JsonRpcMessage, tooDeep: boolean): void {
    if (!isValidId(msg.id)) {
      this.opts.log(`dropped a response from the client without a request id (${JSON.stringify(msg.id ?? null)}): it answers nothing the server asked`);
      return;
    }
    if ('result' in msg && 'error' in msg) {
      this.opts.log(`dropped a response from the client to request id ${JSON.stringify(msg.id)} with both a result and an error`);
      return;
    }
    const key = idKey(msg.id);
    const own = this.ownToClient.get(key);
    if (own) {
      this.ownToClient.delete(key);
      if ('error' in msg) own.reject(new RemoteError(describeRpcError(msg.error)));
      else own.resolve(msg.result);
      return;
    }
    // Only answers to what the (current) upstream asked go up, each once: an answer to a request
    // of a server process that has since died must not reach its replacement.
    if (!this.upstreamPending.delete(key)) {
      this.opts.log(`dropped a response from the client to an unknown request id ${JSON.stringify(msg.id)}`);
      return;
    }
    if (tooDeep) return this.opts.log(`dropped a response from the client nested deeper than ${MAX_JSON_DEPTH} levels`);
    this.sendUp(wireLine(responseMessage(msg.id, msg)));
  }

  private onClientNotification(method: string, msg: JsonRpcMessage): void {
    if (method === 'tools/call') {
      // A call without an id is no request: it is never decided, so it is never forwarded.
      this.opts.log('dropped a tools/call without an id (a notification cannot be decided or answered)');
      return;
    }
    if (method === 'notifications/cancelled' && isPlainObject(msg.params) && isValidId(msg.params['requestId'])) {
      const key = idKey(msg.params['requestId']);
      const held = this.held.get(key);
      if (held) {
        // The upstream never saw this call: stop asking and answer nothing, as the spec asks.
        held.abort.abort(new Error('cancelled'));
        return;
      }
      const request = this.forwarded.get(key);
      if (request) {
        // The client expects no answer: the request is done, and a late one is dropped.
        this.forwarded.delete(key);
        this.deadlines.delete(key);
        const neverSent = this.unqueue(key);
        if (request.kind === 'tools/call' || request.kind === 'resource') this.audit(request.call!, request.audit!, neverSent ? 'not_forwarded' : 'no_response');
        if (neverSent) return;
        this.abandon(key);
      }
    }
    this.sendUp(wireLine(notificationMessage(method, msg.params)));
    if (method === 'notifications/initialized') {
      this.initializedSent = true;
      void this.tools.refresh();
    }
  }

  private onClientRequest(id: JsonRpcId, method: string, msg: JsonRpcMessage, text: string, tooDeep: boolean): void {
    const key = idKey(id);
    if (this.forwarded.has(key) || this.held.has(key)) {
      this.sendDown(errorLine(id, INVALID_REQUEST, `Invalid request: id ${JSON.stringify(id)} is already in use by a request that has not been answered`));
      return;
    }
    if (this.abandoned.has(key)) {
      this.sendDown(
        errorLine(id, INVALID_REQUEST, `Invalid request: id ${JSON.stringify(id)} belongs to a call that was cancelled or timed out, and the server may still answer it; use a new id`),
      );
      return;
    }
    if (this.upstreamGone !== undefined) {
      this.sendDown(errorLine(id, UPSTREAM_ERROR, `The MCP server behind MCP Guard is not running: ${this.upstreamGone}`));
      return;
    }
    if (tooDeep && method !== 'tools/call') {
      this.sendDown(errorLine(id, INVALID_REQUEST, `Invalid request: the message nests deeper than ${MAX_JSON_DEPTH} levels, more than MCP Guard accepts`));
      return;
    }
    switch (method) {
      case 'tools/call':
        if (!this.initializeSeen) {
          this.sendDown(errorLine(id, INVALID_REQUEST, 'Invalid request: tools/call before initialize. MCP Guard forwards no tool call before the session is initialized'));
          return;
        }
        return this.onToolsCall(id, key, msg, text, tooDeep);
      case 'initialize':
        if (isPlainObject(msg.params) && isPlainObject(msg.params['capabilities'])) {
          this.clientCapabilities = msg.params['capabilities'];
        }
        this.initializeSeen = true;
        this.initializeParams = isPlainObject(msg.params) ? msg.params : {};
        this.forward(key, { kind: 'initialize', method }, wireLine(requestMessage(id, method, msg.params)));
        return;
      case 'tools/list':
        this.forward(key, { kind: 'tools/list', method }, wireLine(requestMessage(id, method, msg.params)));
        return;
      case 'resources/read':
      case 'resources/subscribe':
        if (!this.initializeSeen) {
          this.sendDown(errorLine(id, INVALID_REQUEST, `Invalid request: ${method} before initialize. MCP Guard forwards no resource request before the session is initialized`));
          return;
        }
        return this.onResourceRequest(id, key, method, msg);
      case 'resources/list':
      case 'resources/templates/list':
        this.forward(key, { kind: method, method }, wireLine(requestMessage(id, method, msg.params)));
        return;
      default: {
        let params = msg.params;
        const p = isPlainObject(params) ? params : {};
        let sets: SessionChange | undefined;
        if (method === 'logging/setLevel' && typeof p['level'] === 'string') sets = { level: p['level'] };
        else if (method === 'resources/unsubscribe' && typeof p['uri'] === 'string') {
          // Spelled as the subscribe was (normalised), so the remembered subscription goes too.
          const normal = normaliseResourceUri(p['uri']);
          if (normal.ok) params = { ...p, uri: normal.uri };
          sets = { unsubscribe: normal.ok ? normal.uri : p['uri'] };
        }
        this.forward(key, { kind: 'other', method, ...(sets ? { sets } : {}) }, wireLine(requestMessage(id, method, params)));
      }
    }
  }

  /** Sends a request upstream and remembers it until answered; false (and answered with an error) if it cannot go. */
  private forward(key: string, request: ForwardedRequest, line: string): boolean {
    this.forwarded.set(key, request);
    if (this.sendUp(line, key)) return true;
    this.forwarded.delete(key);
    const why =
      this.upstreamState === 'down'
        ? `the MCP server is not running (${this.upstreamGone})`
        : `the MCP server is restarting and ${MAX_QUEUED_WHILE_RESTARTING} messages are already waiting for it`;
    if (request.kind === 'tools/call') {
      const call = request.call!;
      this.sendDown(resultLine(call.id, errorResult(`MCP Guard could not send the call to ${call.tool}: ${why}. The call did not run.`)));
      this.audit(call, request.audit!, 'not_forwarded');
    } else if (request.kind === 'resource') {
      this.sendDown(errorLine(idFromKey(key), UPSTREAM_ERROR, `MCP Guard could not send ${request.method}: ${why}`));
      this.audit(request.call!, request.audit!, 'not_forwarded');
    } else {
      this.sendDown(errorLine(idFromKey(key), UPSTREAM_ERROR, `MCP Guard could not send ${request.method}: ${why}`));
    }
    return false;
  }

  /** Remembers a forwarded request the guard stopped waiting for: its late answer is dropped. */
  private abandon(key: string): void {
    if (this.abandoned.size >= MAX_ABANDONED_IDS) {
      const oldest = this.abandoned.values().next().value;
      if (oldest !== undefined) this.abandoned.delete(oldest);
    }
    this.abandoned.add(key);
  }

  // ---- tools/call --------------------------------------------------------------------

  private onToolsCall(id: JsonRpcId, key: string, msg: JsonRpcMessage, text: string, tooDeep: boolean): void {
    const params = msg.params;
    if (!isPlainObject(params) || typeof params['name'] !== 'string' || params['name'] === '') {
      this.sendDown(errorLine(id, INVALID_PARAMS, 'Invalid params: tools/call needs params.name, the tool name as a string'));
      return;
    }
    // Absent arguments are none; any other non-object (null included) is refused.
    const args = params['arguments'] === undefined ? {} : params['arguments'];
    if (!isPlainObject(args)) {
      this.sendDown(errorLine(id, INVALID_PARAMS, 'Invalid params: tools/call arguments must be a JSON object'));
      return;
    }
    if (tooDeep) {
      // Nothing recursive may touch it (re-serialising it would overflow the stack), and what
      // the guard cannot inspect it does not forward.
      const call: CallContext = { id, key, tool: params['name'], args, line: '', receivedAt: this.opts.clock(), classification: classifyTool(params['name']) };
      return this.block(call, 'malformed', {
        decision: 'denied',
        rule: 'arguments',
        reason: `The call nests deeper than ${MAX_JSON_DEPTH} levels; MCP Guard does not forward what it cannot inspect.`,
        entries: [],
      });
    }
    const call: CallContext = {
      id,
      key,
      tool: params['name'],
      args,
      // Rebuilt from the parsed message, so what is decided is exactly what is sent.
      line: wireLine(requestMessage(id, 'tools/call', params)),
      receivedAt: this.opts.clock(),
    };
    // Such a key can only be in the text as itself or behind a \u escape, so most calls skip the walk.
    const protoKey = mayHavePrototypeKey(text) ? findPrototypeKey(args) : undefined;
    if (protoKey !== undefined) {
      call.classification = classifyTool(call.tool);
      return this.block(call, 'malformed', {
        decision: 'denied',
        rule: 'arguments',
        reason:
          `The arguments contain the key ${JSON.stringify(protoKey.key)} (at ${protoKey.path}). A server that copies arguments into plain objects ` +
          "would read it as the object's prototype, which the policy's conditions cannot see, so MCP Guard does not forward it.",
        entries: [],
      });
    }
    const lookup = this.tools.peek(call.tool);
    if (lookup) return this.decideCall(call, lookup);
    const held: HeldCall = { call, abort: new AbortController() };
    this.held.set(key, held);
    void this.tools.lookup(call.tool).then((found) => {
      if (this.held.get(key) !== held) return;
      if (held.abort.signal.aborted) {
        this.held.delete(key);
        return;
      }
      this.held.delete(key);
      this.batched(() => this.decideCall(call, found));
    });
  }

  private decideCall(call: CallContext, lookup: NonNullable<ReturnType<ToolRegistry['peek']>>): void {
    if (lookup.kind === 'unavailable') {
      call.classification = classifyTool(call.tool);
      return this.block(call, 'unknown_tool', {
        decision: 'denied',
        rule: 'tools/list',
        reason: `MCP Guard could not read the server's tool list (${lookup.error}), so it cannot vouch for ${call.tool}.`,
        entries: [],
      });
    }
    if (lookup.kind === 'unlisted') {
      call.classification = classifyTool(call.tool);
      return this.block(call, 'unknown_tool', {
        decision: 'denied',
        rule: 'tools/list',
        reason: `The server does not offer a tool named ${call.tool}.`,
        entries: [],
      });
    }
    const cls = classifyTool(call.tool, lookup.annotations);
    call.classification = cls;
    const verdict = decide(this.opts.policy.state, this.mode, { tool: call.tool, args: call.args, classification: cls }, this.opts.limiter);
    const entries = verdict.policy ? verdict.policy.applicable.map((e) => e.key) : [];

    if (verdict.kind === 'allow' || verdict.kind === 'require_approval' || this.mode === 'monitor') {
      const unaudited = this.auditGate(call);
      if (unaudited !== undefined) return this.block(call, 'audit_unwritable', { decision: 'denied', rule: 'audit', reason: unaudited, entries });
    }
    if (this.mode === 'monitor') {
      const would = WOULD[verdict.kind];
      if (verdict.kind === 'allow' || verdict.kind === 'require_approval') this.opts.limiter.tryConsume(verdict.limits);
      return this.forwardCall(call, { decision: 'monitored', would, rule: verdict.rule, reason: verdict.reason, entries });
    }
    switch (verdict.kind) {
      case 'deny':
        return this.block(call, verdict.rule === 'policy' ? 'invalid_policy' : 'denied', { decision: 'denied', rule: verdict.rule, reason: verdict.reason, entries });
      case 'rate_limited':
        return this.block(call, 'rate_limited', { decision: 'rate_limited', rule: verdict.rule, reason: verdict.reason, entries });
      case 'allow': {
        this.opts.limiter.tryConsume(verdict.limits);
        return this.forwardCall(call, { decision: 'allowed', rule: verdict.rule, reason: verdict.reason, entries });
      }
      case 'require_approval':
        return this.approveCall(call, verdict, entries);
    }
  }

  private approveCall(call: CallContext, verdict: Extract<Verdict, { kind: 'require_approval' }>, entries: readonly string[]): void {
    const cls = call.classification!;
    if (this.sessionAllowed.has(call.tool) && cls.risk !== 'critical') {
      return this.afterApproval(call, verdict, entries, { outcome: 'approved', by: 'session', scope: 'once' });
    }
    this.holdForApproval(call, { tool: call.tool, category: cls.category, risk: cls.risk, riskReason: cls.reason }, verdict, (result) =>
      this.afterApproval(call, verdict, entries, result),
    );
  }

  /**
   * Holds a request (it is not forwarded) while the approver chain is asked; `then` runs with the
   * answer unless the request was withdrawn meanwhile (cancelled by the client, guard stopping).
   */
  private holdForApproval(
    call: CallContext,
    subject: Pick<ApprovalRequest, 'tool' | 'category' | 'risk' | 'riskReason'>,
    verdict: { readonly rule: string; readonly reason: string; readonly timeoutMs: number },
    then: (result: ApprovalResult) => void,
  ): void {
    const held: HeldCall = { call, abort: new AbortController() };
    this.held.set(call.key, held);
    void askApproval(
      this.approvers,
      {
        callId: `${this.idPrefix}call-${this.nextOwnId++}`,
        server: this.opts.serverName,
        ...subject,
        rule: verdict.rule,
        reason: verdict.reason,
        args: call.args,
        timeoutMs: verdict.timeoutMs,
      },
      held.abort.signal,
    ).then((result) => {
      if (this.held.get(call.key) !== held) return;
      this.held.delete(call.key);
      this.batched(() => then(result));
    });
  }

  private afterApproval(
    call: CallContext,
    verdict: Extract<Verdict, { kind: 'require_approval' }>,
    entries: readonly string[],
    result: ApprovalResult,
  ): void {
    const facts = { rule: verdict.rule, entries, approver: result.by };
    switch (result.outcome) {
      case 'approved': {
        // The audit log may have failed while the person was deciding.
        const unaudited = this.auditGate(call);
        if (unaudited !== undefined) return this.block(call, 'audit_unwritable', { ...facts, decision: 'denied', rule: 'audit', reason: unaudited });
        // Quota may have run out while the person was deciding.
        const quota = this.opts.limiter.tryConsume(verdict.limits);
        if (!quota.ok) return this.block(call, 'rate_limited', { ...facts, decision: 'rate_limited', rule: quota.key, reason: rateLimitedReason(quota) });
        if (result.scope === 'session' && call.classification?.risk !== 'critical') this.sessionAllowed.add(call.tool);
        return this.forwardCall(call, { ...facts, decision: 'approved', reason: verdict.reason });
      }
      case 'cancelled':
        // The client withdrew the call; it expects no answer.
        return this.audit(call, { ...facts, decision: 'declined', reason: result.detail }, 'not_forwarded');
      case 'no_approver':
        return this.block(call, 'no_approver', { ...facts, decision: 'denied', reason: `${verdict.reason} ${result.detail}` });
      case 'timeout':
        return this.block(call, 'timeout', { ...facts, decision: 'declined', reason: `${verdict.reason} ${result.detail}` });
      case 'declined':
        return this.block(call, 'declined', { ...facts, decision: 'declined', reason: `${verdict.reason} ${result.detail}` });
    }
  }

  /**
   * Why a call that is not Read / low risk may not go ahead now: the audit log cannot be
   * written (and the guard does not run with --audit-fail-open). Undefined when it may.
   */
  private auditGate(call: CallContext): string | undefined {
    if (this.opts.auditFailOpen) return undefined;
    const problem = this.opts.audit.problem;
    if (problem === undefined || isLockdownSafe(call.classification ?? classifyTool(call.tool))) return undefined;
    return `MCP Guard cannot write its audit log (${problem}), so it lets only Read / low-risk tools through until the log can be written again.`;
  }

  private forwardCall(call: CallContext, facts: AuditFacts): void {
    if (this.upstreamGone !== undefined) {
      this.sendDown(resultLine(call.id, errorResult(`MCP Guard could not send the call to ${call.tool}: the MCP server is not running (${this.upstreamGone}).`)));
      this.audit(call, facts, 'not_forwarded');
      return;
    }
    if (this.forward(call.key, { kind: 'tools/call', method: 'tools/call', call, audit: facts }, call.line)) this.trackDeadline(call.key);
  }

  // ---- resources/read and resources/subscribe -----------------------------------------

  private onResourceRequest(id: JsonRpcId, key: string, method: ResourceMethod, msg: JsonRpcMessage): void {
    const params = msg.params;
    if (!isPlainObject(params) || typeof params['uri'] !== 'string' || params['uri'] === '') {
      this.sendDown(errorLine(id, INVALID_PARAMS, `Invalid params: ${method} needs params.uri, the resource URI as a string`));
      return;
    }
    const normal = normaliseResourceUri(params['uri']);
    const uri = normal.ok ? normal.uri : params['uri'];
    const call: CallContext = {
      id,
      key,
      tool: method,
      args: { uri },
      // The URI decided on is the URI sent: the normalised one, as the server would read it anyway.
      line: wireLine(requestMessage(id, method, { ...params, uri })),
      receivedAt: this.opts.clock(),
      classification: RESOURCE_CLASSIFICATION,
      resource: { method, uri },
    };
    if (!normal.ok) {
      return this.blockResource(call, {
        decision: 'denied',
        rule: 'uri',
        reason: `MCP Guard reads resource URIs as a URL parser does and refuses what it cannot read unambiguously: ${normal.reason}.`,
        entries: [],
      });
    }
    const verdict = decideResource(this.opts.policy.state, this.mode, uri, this.opts.limiter);
    const entries = verdict.policy ? verdict.policy.applicable.map((e) => e.key) : [];
    if (this.mode === 'monitor') {
      if (verdict.kind === 'allow' || verdict.kind === 'require_approval') this.opts.limiter.tryConsume(verdict.limits);
      return this.forwardResource(call, { decision: 'monitored', would: WOULD[verdict.kind], rule: verdict.rule, reason: verdict.reason, entries });
    }
    switch (verdict.kind) {
      case 'deny':
        return this.blockResource(call, { decision: 'denied', rule: verdict.rule, reason: verdict.reason, entries });
      case 'rate_limited':
        return this.blockResource(call, { decision: 'rate_limited', rule: verdict.rule, reason: verdict.reason, entries });
      case 'allow':
        this.opts.limiter.tryConsume(verdict.limits);
        return this.forwardResource(call, { decision: 'allowed', rule: verdict.rule, reason: verdict.reason, entries });
      case 'require_approval':
        return this.approveResource(call, verdict, entries);
    }
  }

  private approveResource(call: CallContext, verdict: Extract<ResourceDecision, { kind: 'require_approval' }>, entries: readonly string[]): void {
    const { method, uri } = call.resource!;
    // "Allow for this session" covers this method on this exact URI, nothing wider.
    const sessionKey = `${method} ${uri}`;
    const facts = { rule: verdict.rule, entries };
    if (this.sessionAllowedResources.has(sessionKey)) {
      const quota = this.opts.limiter.tryConsume(verdict.limits);
      if (!quota.ok) return this.blockResource(call, { ...facts, decision: 'rate_limited', rule: quota.key, reason: rateLimitedReason(quota), approver: 'session' });
      return this.forwardResource(call, { ...facts, decision: 'approved', reason: verdict.reason, approver: 'session' });
    }
    const subject = { tool: method, category: RESOURCE_CLASSIFICATION.category, risk: RESOURCE_CLASSIFICATION.risk, riskReason: RESOURCE_CLASSIFICATION.reason };
    this.holdForApproval(call, subject, verdict, (result) => {
      const by = { ...facts, approver: result.by };
      switch (result.outcome) {
        case 'approved': {
          const quota = this.opts.limiter.tryConsume(verdict.limits);
          if (!quota.ok) return this.blockResource(call, { ...by, decision: 'rate_limited', rule: quota.key, reason: rateLimitedReason(quota) });
          if (result.scope === 'session' && this.sessionAllowedResources.size < MAX_REMEMBERED_SUBSCRIPTIONS) this.sessionAllowedResources.add(sessionKey);
          return this.forwardResource(call, { ...by, decision: 'approved', reason: verdict.reason });
        }
        case 'cancelled':
          return this.audit(call, { ...by, decision: 'declined', reason: result.detail }, 'not_forwarded');
        case 'no_approver':
          return this.blockResource(call, { ...by, decision: 'denied', reason: `${verdict.reason} ${result.detail}` });
        case 'timeout':
        case 'declined':
          return this.blockResource(call, { ...by, decision: 'declined', reason: `${verdict.reason} ${result.detail}` });
      }
    });
  }

  private forwardResource(call: CallContext, facts: AuditFacts): void {
    if (this.upstreamGone !== undefined) {
      this.sendDown(errorLine(call.id, UPSTREAM_ERROR, `The MCP server behind MCP Guard is not running: ${this.upstreamGone}`));
      this.audit(call, facts, 'not_forwarded');
      return;
    }
    this.forward(call.key, { kind: 'resource', method: call.tool, call, audit: facts }, call.line);
  }

  /** A blocked resource request gets a JSON-RPC error (resources/read has no isError result). */
  private blockResource(call: CallContext, facts: AuditFacts): void {
    const { method, uri } = call.resource!;
    const verb = method === 'resources/read' ? 'reading' : 'subscribing to';
    const message = `MCP Guard blocked ${verb} ${redactSecretsInText(uri)} by rule ${facts.rule}: ${facts.reason}`;
    this.sendDown(errorLine(call.id, GUARD_BLOCKED, message, { guard: 'mcp-guard', decision: facts.decision, rule: facts.rule }));
    this.audit(call, facts, 'not_forwarded');
  }

  // ---- per-call timeout ----------------------------------------------------------------

  private trackDeadline(key: string): void {
    if (this.callTimeoutMs <= 0) return;
    this.deadlines.set(key, this.opts.clock() + this.callTimeoutMs);
    if (this.deadlineTimer === undefined) this.armDeadlineTimer(this.callTimeoutMs);
  }

  private armDeadlineTimer(delayMs: number): void {
    this.deadlineTimer = setTimeout(() => this.onDeadline(), Math.max(1, Math.ceil(delayMs)));
    this.deadlineTimer.unref();
  }

  private onDeadline(): void {
    this.deadlineTimer = undefined;
    const now = this.opts.clock();
    const expired: string[] = [];
    for (const [key, at] of this.deadlines) {
      if (at > now) {
        this.armDeadlineTimer(at - now);
        break;
      }
      expired.push(key);
    }
    if (expired.length > 0) this.batched(() => expired.forEach((key) => this.timeOut(key)));
  }

  /** No answer in time: the client gets an error result, the upstream a cancellation. */
  private timeOut(key: string): void {
    this.deadlines.delete(key);
    const request = this.forwarded.get(key);
    if (!request || request.kind !== 'tools/call') return;
    this.forwarded.delete(key);
    const call = request.call!;
    const seconds = this.callTimeoutMs / 1000;
    if (this.unqueue(key)) {
      this.sendDown(
        resultLine(call.id, errorResult(`MCP Guard could not send the call to ${call.tool} within ${seconds} s (--call-timeout): the MCP server is restarting. The call did not run.`)),
      );
      this.audit(call, request.audit!, 'not_forwarded');
      return;
    }
    this.abandon(key);
    this.sendUp(notificationLine('notifications/cancelled', { requestId: call.id, reason: `MCP Guard: no answer within ${seconds} s` }));
    this.sendDown(
      resultLine(
        call.id,
        errorResult(
          `MCP Guard stopped waiting for the answer to ${call.tool}: the MCP server did not answer within ${seconds} s (--call-timeout). ` +
            'MCP Guard asked the server to cancel the call; it may or may not have run.',
        ),
      ),
    );
    this.audit(call, request.audit!, 'timeout');
  }

  private block(call: CallContext, kind: BlockKind, facts: AuditFacts): void {
    this.sendDown(resultLine(call.id, errorResult(denialText(kind, call.tool, call.classification, facts.rule, facts.reason))));
    this.audit(call, facts, 'not_forwarded');
  }

  private audit(call: CallContext, facts: AuditFacts, outcome: UpstreamOutcome): void {
    const cls = call.classification ?? classifyTool(call.tool);
    const auditProblem = this.opts.audit.problem;
    const digest = argumentsDigest(call.args);
    this.opts.onDecision?.({
      tool: call.tool,
      decision: facts.decision,
      rule: facts.rule,
      reason: facts.reason,
      ...(auditProblem !== undefined ? { auditProblem } : {}),
      argsSha256: digest,
      args: call.args,
    });
    this.opts.audit.write({
      event: 'decision',
      server: this.opts.serverName,
      tool: call.tool,
      category: cls.category,
      risk: cls.risk,
      decision: facts.decision,
      ...(facts.would ? { would: facts.would } : {}),
      rule: facts.rule,
      reason: facts.reason,
      entries: facts.entries,
      mode: this.mode,
      ...(facts.approver ? { approver: facts.approver } : {}),
      args_sha256: digest,
      ...(this.opts.auditIncludeArgs ? { arguments: redactSecrets(call.args) } : {}),
      latency_ms: Math.round((this.opts.clock() - call.receivedAt) * 1000) / 1000,
      outcome,
    });
  }

  // ---- upstream to client ------------------------------------------------------------

  private onUpstreamLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      // Never pass a line the client could mistake for a result.
      // Redacted before cutting, so a cut cannot leave half a token unrecognised.
      this.opts.log(`ignored a line from the server that is not JSON: ${JSON.stringify(redactSecretsInText(line.slice(0, 4096)).slice(0, 120))}`);
      return;
    }
    if (Array.isArray(msg)) {
      for (const m of msg) {
        const text = stringifyOrUndefined(m);
        if (text === undefined) this.onUnreadableUpstreamMessage(m);
        else this.onUpstreamMessage(m, text);
      }
      return;
    }
    this.onUpstreamMessage(msg, line);
  }

  /** A batch element from the upstream too deep to re-serialise: dropped, and its request answered. */
  private onUnreadableUpstreamMessage(m: unknown): void {
    this.opts.log(`dropped a message from the server nested too deep to pass on`);
    const id = isPlainObject(m) && !('method' in m) && isValidId(m['id']) ? m['id'] : undefined;
    if (id !== undefined) this.failForwarded(id, 'its answer was nested too deep to pass on');
  }

  /** The upstream's answer to a request cannot be passed on: the client gets an error instead. */
  private failForwarded(id: JsonRpcId, why: string): void {
    const key = idKey(id);
    const own = this.ownToUpstream.get(key);
    if (own) {
      this.ownToUpstream.delete(key);
      own.reject(new Error(`the server's answer could not be read: ${why}`));
      return;
    }
    const request = this.forwarded.get(key);
    if (!request) return;
    this.forwarded.delete(key);
    this.deadlines.delete(key);
    if (request.kind === 'tools/call') {
      const call = request.call!;
      this.sendDown(resultLine(call.id, errorResult(`MCP Guard dropped the MCP server's answer to ${call.tool}: ${why}. The call may have run.`)));
      this.audit(call, request.audit!, 'protocol_error');
    } else {
      this.sendDown(errorLine(id, UPSTREAM_ERROR, `MCP Guard dropped the MCP server's answer to ${request.method}: ${why}`));
      if (request.kind === 'resource') this.audit(request.call!, request.audit!, 'protocol_error');
    }
  }

  private clientOversize(): OversizeSink {
    const scanner = new TopLevelIdScanner();
    return {
      feed: (text) => scanner.feed(text),
      end: (bytes) => {
        let id = scanner.id();
        // Never answer for a request that is still in flight: it gets its own answer.
        if (id !== null && (this.forwarded.has(idKey(id)) || this.held.has(idKey(id)))) id = null;
        this.opts.log(`discarded a client message of ${bytes} bytes: over the limit of ${this.maxMessageBytes} bytes (--max-message-bytes)`);
        this.sendDown(
          errorLine(id, INVALID_REQUEST, `Invalid request: the message is ${bytes} bytes, over MCP Guard's limit of ${this.maxMessageBytes} bytes (--max-message-bytes); it was discarded`),
        );
      },
    };
  }

  private upstreamOversize(): OversizeSink {
    const scanner = new TopLevelIdScanner();
    return {
      feed: (text) => scanner.feed(text),
      end: (bytes) => {
        this.opts.log(`discarded a message from the server of ${bytes} bytes: over the limit of ${this.maxMessageBytes} bytes (--max-message-bytes)`);
        const id = scanner.id();
        if (id !== null && !scanner.hasMethod) this.failForwarded(id, `it was ${bytes} bytes, over the limit of ${this.maxMessageBytes} bytes (--max-message-bytes)`);
      },
    };
  }

  private onUpstreamMessage(raw: unknown, line: string): void {
    if (!isPlainObject(raw)) {
      this.opts.log('ignored a message from the server that is not a JSON object');
      return;
    }
    const msg = raw as JsonRpcMessage;
    if (typeof msg.method === 'string') {
      if (msg.method === 'notifications/tools/list_changed') this.tools.markStale();
      else if ('id' in msg && isValidId(msg.id)) this.upstreamPending.add(idKey(msg.id));
      this.sendDown(line);
      return;
    }
    if (!isValidId(msg.id) || !('result' in msg || 'error' in msg)) {
      this.opts.log('ignored a message from the server that is neither a request, a notification nor a response');
      return;
    }
    const key = idKey(msg.id);
    const own = this.ownToUpstream.get(key);
    if (own) {
      this.ownToUpstream.delete(key);
      if ('error' in msg) own.reject(new RemoteError(describeRpcError(msg.error)));
      else own.resolve(msg.result);
      return;
    }
    const request = this.forwarded.get(key);
    if (!request) {
      if (this.abandoned.delete(key)) this.opts.log(`dropped a late answer from the server to request id ${JSON.stringify(msg.id)}: MCP Guard had already answered it`);
      else this.opts.log(`ignored a response from the server to an unknown request id ${JSON.stringify(msg.id)}`);
      return;
    }
    this.forwarded.delete(key);
    if (request.kind === 'tools/call') this.deadlines.delete(key);
    if ('result' in msg) this.remember(request);
    switch (request.kind) {
      case 'tools/call': {
        const result = msg.result;
        const outcome: UpstreamOutcome = 'error' in msg ? 'protocol_error' : isPlainObject(result) && result['isError'] === true ? 'isError' : 'ok';
        this.sendDown(line);
        this.audit(request.call!, request.audit!, outcome);
        return;
      }
      case 'tools/list':
        this.sendDown(this.withoutHiddenTools(msg, line));
        return;
      case 'resource':
        this.sendDown(line);
        this.audit(request.call!, request.audit!, 'error' in msg ? 'protocol_error' : 'ok');
        return;
      case 'resources/list':
        this.sendDown(this.withoutHiddenResources(msg, line, 'resources', 'uri'));
        return;
      case 'resources/templates/list':
        this.sendDown(this.withoutHiddenResources(msg, line, 'resourceTemplates', 'uriTemplate'));
        return;
      case 'initialize':
        if (isPlainObject(msg.result) && isPlainObject(msg.result['capabilities'])) this.upstreamCapabilities = msg.result['capabilities'];
        this.sendDown(line);
        if ('result' in msg) this.opts.onUpstreamReady?.();
        return;
      case 'other':
        this.sendDown(line);
        return;
    }
  }

  private withoutHiddenTools(msg: JsonRpcMessage, line: string): string {
    const state = this.opts.policy.state;
    if (state.kind !== 'valid' || state.index.policy.hide.length === 0) return line;
    const result = msg.result;
    if (!isPlainObject(result) || !Array.isArray(result['tools'])) return line;
    const tools = result['tools'] as unknown[];
    const visible = tools.filter((t) => !(isPlainObject(t) && typeof t['name'] === 'string' && state.index.isHidden(t['name'])));
    // Re-serialised even when nothing was removed: the client must read exactly the list the
    // guard filtered (duplicate keys could make another parser read a different one). Fails
    // closed: a list that cannot be re-serialised is not passed on.
    return (
      stringifyOrUndefined({ ...msg, result: { ...result, tools: visible } }) ??
      errorLine(msg.id as JsonRpcId, UPSTREAM_ERROR, 'MCP Guard could not pass on the tool list: it is nested too deep to filter')
    );
  }

  /**
   * A resources/list (`uri`) or resources/templates/list (`uriTemplate`) answer without the items
   * a `hide` glob matches; for templates the glob is matched against the template text itself.
   */
  private withoutHiddenResources(msg: JsonRpcMessage, line: string, field: 'resources' | 'resourceTemplates', uriField: 'uri' | 'uriTemplate'): string {
    const state = this.opts.policy.state;
    if (state.kind !== 'valid' || state.index.policy.hide.length === 0) return line;
    const result = msg.result;
    if (!isPlainObject(result) || !Array.isArray(result[field])) return line;
    const items = result[field] as unknown[];
    const visible = items.filter((r) => !(isPlainObject(r) && typeof r[uriField] === 'string' && state.index.isHidden(r[uriField])));
    return (
      stringifyOrUndefined({ ...msg, result: { ...result, [field]: visible } }) ??
      errorLine(msg.id as JsonRpcId, UPSTREAM_ERROR, `MCP Guard could not pass on the ${field === 'resources' ? 'resource' : 'resource template'} list: it is nested too deep to filter`)
    );
  }

  // ---- the guard's own requests -------------------------------------------------------

  private ownId(): string {
    return `${this.idPrefix}${this.nextOwnId++}`;
  }

  private requestClient(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const id = this.ownId();
    const key = idKey(id);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.ownToClient.delete(key)) return;
        this.opts.toClient(`${notificationLine('notifications/cancelled', { requestId: id, reason: 'MCP Guard stopped waiting for an answer' })}\n`);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.ownToClient.set(key, {
        resolve: (r) => {
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      this.sendDown(requestLine(id, method, params));
    });
  }

  private requestUpstream(method: string, params: Record<string, unknown> | undefined, direct = false): Promise<unknown> {
    const id = this.ownId();
    const key = idKey(id);
    const timeoutMs = this.opts.upstreamRequestTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      if (this.upstreamGone !== undefined) return reject(new Error(`the server is not running (${this.upstreamGone})`));
      const timer = setTimeout(() => {
        if (this.ownToUpstream.delete(key)) {
          const cancel = notificationLine('notifications/cancelled', { requestId: id, reason: 'timeout' });
          if (direct) this.sendUpNow(cancel);
          else this.sendUp(cancel);
          reject(new Error(`the server did not answer ${method} within ${timeoutMs / 1000} s`));
        }
      }, timeoutMs);
      this.ownToUpstream.set(key, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const line = requestLine(id, method, params);
      if (direct) this.sendUpNow(line);
      else if (!this.sendUp(line)) {
        this.ownToUpstream.delete(key);
        clearTimeout(timer);
        reject(new Error(`the server is not running (${this.upstreamGone ?? 'restarting'})`));
      }
    });
  }

  /** Resolves when the upstream is up (at once, usually); rejects when it is down or does not come back in time. */
  private whenUp(): Promise<void> {
    if (this.upstreamState === 'up') return Promise.resolve();
    if (this.upstreamState === 'down') return Promise.reject(new Error(`the server is not running (${this.upstreamGone})`));
    const timeoutMs = this.opts.upstreamRequestTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.upWaiters.indexOf(waiter);
        if (i !== -1) this.upWaiters.splice(i, 1);
        reject(new Error(`the server is restarting and was not back within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.upWaiters.push(waiter);
    });
  }

  private async fetchUpstreamTools(): Promise<ListedTool[]> {
    await this.whenUp();
    if (this.upstreamCapabilities !== undefined && !isPlainObject(this.upstreamCapabilities['tools'])) return [];
    const tools: ListedTool[] = [];
    const definitions: ToolDefinition[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await this.requestUpstream('tools/list', cursor === undefined ? undefined : { cursor });
      if (!isPlainObject(result) || !Array.isArray(result['tools'])) throw new Error('the server answered tools/list without a tools array');
      for (const t of result['tools']) {
        if (isPlainObject(t) && typeof t['name'] === 'string') {
          tools.push({ name: t['name'], ...(isPlainObject(t['annotations']) ? { annotations: t['annotations'] } : {}) });
          if (this.opts.onToolsRead) definitions.push(toolDefinition(t as Record<string, unknown> & { name: string }));
        }
      }
      cursor = typeof result['nextCursor'] === 'string' ? result['nextCursor'] : undefined;
      if (cursor === undefined) {
        this.opts.onToolsRead?.(definitions);
        return tools;
      }
    }
    throw new Error('the server kept paging tools/list past 100 pages');
  }

  // ---- lifecycle ---------------------------------------------------------------------

  onClientEnd(): void {
    this.batched(() => this.clientLines.end());
  }

  onUpstreamEnd(): void {
    this.batched(() => this.upstreamLines.end());
  }

  /**
   * The upstream process is gone: every request it will now never answer gets an answer
   * from the guard at once (a call that was sent "may or may not have run"; one still
   * waiting in the restart queue "did not run"). With `restarting`, client requests wait
   * for the replacement (see `upstreamRestarted`); without, the upstream is down for good
   * and every later request gets an error naming `cause`.
   */
  upstreamExited(cause: string, restarting = false): void {
    this.batched(() => {
      // A line the dead process left half-written is not joined to the next process's output.
      this.upstreamLines.end();
      this.upstreamState = restarting ? 'restarting' : 'down';
      if (!restarting) this.upstreamGone = cause;
      const again = restarting ? ' MCP Guard is restarting the server.' : '';
      for (const [key, request] of this.forwarded) {
        this.forwarded.delete(key);
        const neverSent = this.queuedByKey.has(key);
        if (request.kind === 'tools/call') {
          const call = request.call!;
          const text = neverSent
            ? `MCP Guard could not send the call to ${call.tool}: the MCP server stopped (${cause}). The call did not run.${again}`
            : `MCP Guard: the MCP server stopped before answering the call to ${call.tool} (${cause}). The call may or may not have run.${again}`;
          this.sendDown(resultLine(call.id, errorResult(text)));
          this.audit(call, request.audit!, neverSent ? 'not_forwarded' : 'no_response');
        } else {
          this.sendDown(errorLine(idFromKey(key), UPSTREAM_ERROR, `The MCP server behind MCP Guard stopped before answering ${request.method}: ${cause}`));
          if (request.kind === 'resource') this.audit(request.call!, request.audit!, neverSent ? 'not_forwarded' : 'no_response');
        }
      }
      this.queue = [];
      this.queuedByKey.clear();
      this.deadlines.clear();
      // The new process never saw these ids: nothing late can come for them.
      this.abandoned.clear();
      for (const [, own] of this.ownToUpstream) own.reject(new Error(`the server stopped (${cause})`));
      this.ownToUpstream.clear();
      // What the dead process asked the client can no longer be answered.
      for (const key of this.upstreamPending) {
        this.sendDown(notificationLine('notifications/cancelled', { requestId: idFromKey(key), reason: `the MCP server stopped (${cause})` }));
      }
      this.upstreamPending.clear();
      this.tools.markStale();
      if (!restarting) for (const w of this.upWaiters.splice(0)) w.reject(new Error(`the server is not running (${cause})`));
    });
  }

  /**
   * A replacement upstream process was started: the guard initializes it with the client's
   * own initialize params (the answer is the guard's, not passed on) and its
   * notifications/initialized, then sends what waited and re-reads the tool list. Rejects
   * when the handshake fails; the caller then kills the process.
   */
  async upstreamRestarted(): Promise<void> {
    if (this.upstreamState !== 'restarting') return;
    if (this.initializeParams !== undefined) {
      const result = await this.requestUpstream('initialize', this.initializeParams, true);
      if (!isPlainObject(result)) throw new Error('the server answered initialize without a result object');
      const capabilities = isPlainObject(result['capabilities']) ? result['capabilities'] : {};
      if (this.upstreamCapabilities !== undefined && canonicalJson(capabilities) !== canonicalJson(this.upstreamCapabilities)) {
        this.opts.log('the restarted server declares other capabilities than the first one; the client still knows the first ones');
      }
      this.upstreamCapabilities = capabilities;
      if (this.upstreamState !== 'restarting') return;
      if (this.initializedSent) {
        this.sendUpNow(notificationLine('notifications/initialized'));
        this.replaySession();
      }
    }
    this.batched(() => {
      this.upstreamState = 'up';
      const queued = this.queue;
      this.queue = [];
      this.queuedByKey.clear();
      for (const q of queued) if (q.line !== undefined) this.sendUpNow(q.line);
    });
    for (const w of this.upWaiters.splice(0)) w.resolve();
    void this.tools.refresh();
  }

  /** Keeps the session state a request set once the server accepted it. */
  private remember(request: ForwardedRequest): void {
    const sets = request.sets ?? (request.kind === 'resource' && request.method === 'resources/subscribe' ? { subscribe: String(request.call!.args['uri']) } : undefined);
    if (!sets) return;
    if ('level' in sets) this.loggingLevel = sets.level;
    else if ('subscribe' in sets) {
      // URIs are at most MAX_URI_LENGTH characters, so this bounds the memory they take.
      if (this.subscriptions.size < MAX_REMEMBERED_SUBSCRIPTIONS || this.subscriptions.has(sets.subscribe)) this.subscriptions.add(sets.subscribe);
      else this.opts.log(`not remembering the subscription beyond the first ${MAX_REMEMBERED_SUBSCRIPTIONS}: a restarted server will not get it again`);
    }
    else this.subscriptions.delete(sets.unsubscribe);
  }

  /**
   * Gives a restarted server the session state the first one had: the logging level and resource
   * subscriptions the client set. Sent before the requests that waited, so they see it; answers
   * are the guard's own (failures are logged, not passed on).
   */
  private replaySession(): void {
    const replay: [string, Record<string, unknown>][] = [];
    if (this.loggingLevel !== undefined) replay.push(['logging/setLevel', { level: this.loggingLevel }]);
    for (const uri of this.subscriptions) replay.push(['resources/subscribe', { uri }]);
    for (const [method, params] of replay) {
      this.requestUpstream(method, params, true).catch((e: Error) => this.opts.log(redactSecretsInText(`the restarted server refused ${method} ${JSON.stringify(params)}: ${e.message}`)));
    }
    if (replay.length > 0) this.opts.log(redactSecretsInText(`replayed to the restarted server: ${replay.map(([m, p]) => `${m} ${JSON.stringify(p)}`).join(', ')}`));
  }

  /** The client is gone: audit what will never be answered and stop waiting on approvals. */
  shutdown(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    for (const [, held] of this.held) held.abort.abort(new Error('shutdown'));
    for (const [key, request] of this.forwarded) {
      this.forwarded.delete(key);
      if (request.kind === 'tools/call' || request.kind === 'resource') this.audit(request.call!, request.audit!, this.queuedByKey.has(key) ? 'not_forwarded' : 'no_response');
    }
    this.queue = [];
    this.queuedByKey.clear();
    this.deadlines.clear();
  }
}

/** JSON text of a value, or undefined when it nests too deep for JSON.stringify. */
function stringifyOrUndefined(value: unknown): string | undefined {
  if (nestsDeeperThan(value, MAX_JSON_DEPTH * 2)) return undefined;
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

const WOULD = {
  allow: 'allowed',
  deny: 'denied',
  require_approval: 'require_approval',
  rate_limited: 'rate_limited',
} as const;

function errorResult(text: string): { content: { type: 'text'; text: string }[]; isError: true } {
  return { content: [{ type: 'text', text }], isError: true };
}

function describeRpcError(error: unknown): string {
  if (isPlainObject(error) && typeof error['message'] === 'string') return error['message'];
  return 'unknown error';
}

function idFromKey(key: string): JsonRpcId {
  return key[0] === 'n' ? Number(key.slice(1)) : key.slice(1);
}
