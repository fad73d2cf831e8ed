import { randomBytes } from 'node:crypto';
import { askApproval, type ApprovalResult, type Approver } from '../approval/approver';
import { redactSecrets } from '../approval/describe';
import { ElicitationApprover } from '../approval/elicitation-approver';
import type { AuditDecision, AuditSink, UpstreamOutcome } from '../audit-log';
import { argumentsDigest } from '../canonical-json';
import { classifyTool, type Classification } from '../catalog/classify';
import { decide, rateLimitedReason, type PolicyState, type Verdict } from '../decider';
import type { Mode } from '../policy/model';
import type { Clock, RateLimiter } from '../rate-limiter';
import { denialText, type BlockKind } from './denial';
import {
  INVALID_PARAMS,
  INVALID_REQUEST,
  PARSE_ERROR,
  UPSTREAM_ERROR,
  errorLine,
  idKey,
  isPlainObject,
  isValidId,
  notificationLine,
  requestLine,
  resultLine,
  type JsonRpcId,
  type JsonRpcMessage,
} from './jsonrpc';
import { LineSplitter } from './line-splitter';
import { ToolRegistry, type ListedTool } from './tool-registry';

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
  /** Told of every decision, for the editor's status bar. */
  readonly onDecision?: (event: { tool: string; decision: AuditDecision; rule: string; reason: string }) => void;
  /** Told whenever the guard has read the upstream's tool list. */
  readonly onToolsRead?: (names: readonly string[]) => void;
}

type Kind = 'initialize' | 'tools/list' | 'tools/call' | 'other';

interface CallContext {
  readonly id: JsonRpcId;
  readonly key: string;
  readonly tool: string;
  readonly args: Record<string, unknown>;
  /** The exact text that goes upstream if the call is allowed: the decision is made on it. */
  readonly line: string;
  readonly receivedAt: number;
  classification?: Classification;
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
}

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
 * Messages pass through byte for byte, except `tools/call` (decided by the policy before it
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
  private readonly clientLines = new LineSplitter((line) => this.onClientLine(line));
  private readonly upstreamLines = new LineSplitter((line) => this.onUpstreamLine(line));
  private upBatch: string[] | undefined;
  private downBatch: string[] | undefined;
  private upstreamGone: string | undefined;
  /** Tools a person allowed "for this session": later approvals for them are not asked again. */
  private readonly sessionAllowed = new Set<string>();

  constructor(private readonly opts: GuardProxyOptions) {
    this.mode = opts.mode;
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

  private sendUp(line: string): void {
    if (this.upstreamGone !== undefined) return;
    if (this.upBatch) this.upBatch.push(line, '\n');
    else this.opts.toUpstream(`${line}\n`);
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
    if (Array.isArray(msg)) {
      // JSON-RPC batches (MCP 2025-03-26): each element is handled as if sent alone, so
      // a tools/call inside a batch is decided like any other.
      if (msg.length === 0) this.sendDown(errorLine(null, INVALID_REQUEST, 'Invalid request: empty batch'));
      for (const m of msg) this.onClientMessage(m, JSON.stringify(m));
      return;
    }
    this.onClientMessage(msg, line);
  }

  private onClientMessage(raw: unknown, line: string): void {
    if (!isPlainObject(raw)) {
      this.sendDown(errorLine(null, INVALID_REQUEST, 'Invalid request: a message must be a JSON object'));
      return;
    }
    const msg = raw as JsonRpcMessage;
    const { method } = msg;
    if (typeof method === 'string') {
      if (!('id' in msg)) return this.onClientNotification(method, msg, line);
      if (!isValidId(msg.id)) {
        this.sendDown(errorLine(null, INVALID_REQUEST, 'Invalid request: id must be a string or a number'));
        return;
      }
      return this.onClientRequest(msg.id, method, msg, line);
    }
    if ('id' in msg && ('result' in msg || 'error' in msg)) {
      if (isValidId(msg.id)) {
        const own = this.ownToClient.get(idKey(msg.id));
        if (own) {
          this.ownToClient.delete(idKey(msg.id));
          if ('error' in msg) own.reject(new RemoteError(describeRpcError(msg.error)));
          else own.resolve(msg.result);
          return;
        }
      }
      this.sendUp(line);
      return;
    }
    this.sendDown(errorLine(isValidId(msg.id) ? msg.id : null, INVALID_REQUEST, 'Invalid request: no method, result or error'));
  }

  private onClientNotification(method: string, msg: JsonRpcMessage, line: string): void {
    if (method === 'notifications/cancelled' && isPlainObject(msg.params) && isValidId(msg.params['requestId'])) {
      const held = this.held.get(idKey(msg.params['requestId']));
      if (held) {
        // The upstream never saw this call: stop asking and answer nothing, as the spec asks.
        held.abort.abort(new Error('cancelled'));
        return;
      }
    }
    this.sendUp(line);
    if (method === 'notifications/initialized') void this.tools.refresh();
  }

  private onClientRequest(id: JsonRpcId, method: string, msg: JsonRpcMessage, line: string): void {
    const key = idKey(id);
    if (this.forwarded.has(key) || this.held.has(key)) {
      this.sendDown(errorLine(id, INVALID_REQUEST, `Invalid request: id ${JSON.stringify(id)} is already in use by a request that has not been answered`));
      return;
    }
    if (this.upstreamGone !== undefined) {
      this.sendDown(errorLine(id, UPSTREAM_ERROR, `The MCP server behind MCP Guard is not running: ${this.upstreamGone}`));
      return;
    }
    switch (method) {
      case 'tools/call':
        return this.onToolsCall(id, key, msg);
      case 'initialize':
        if (isPlainObject(msg.params) && isPlainObject(msg.params['capabilities'])) {
          this.clientCapabilities = msg.params['capabilities'];
        }
        this.forward(key, { kind: 'initialize', method }, line);
        return;
      case 'tools/list':
        this.forward(key, { kind: 'tools/list', method }, line);
        return;
      default:
        this.forward(key, { kind: 'other', method }, line);
    }
  }

  private forward(key: string, request: ForwardedRequest, line: string): void {
    this.forwarded.set(key, request);
    this.sendUp(line);
  }

  // ---- tools/call --------------------------------------------------------------------

  private onToolsCall(id: JsonRpcId, key: string, msg: JsonRpcMessage): void {
    const params = msg.params;
    if (!isPlainObject(params) || typeof params['name'] !== 'string' || params['name'] === '') {
      this.sendDown(errorLine(id, INVALID_PARAMS, 'Invalid params: tools/call needs params.name, the tool name as a string'));
      return;
    }
    const args = params['arguments'] ?? {};
    if (!isPlainObject(args)) {
      this.sendDown(errorLine(id, INVALID_PARAMS, 'Invalid params: tools/call arguments must be a JSON object'));
      return;
    }
    const call: CallContext = {
      id,
      key,
      tool: params['name'],
      args,
      // Re-serialised from the parsed message, so what is decided is exactly what is sent.
      line: JSON.stringify(msg),
      receivedAt: this.opts.clock(),
    };
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
    const held: HeldCall = { call, abort: new AbortController() };
    this.held.set(call.key, held);
    void askApproval(
      this.approvers,
      {
        callId: `${this.idPrefix}call-${this.nextOwnId++}`,
        server: this.opts.serverName,
        tool: call.tool,
        category: cls.category,
        risk: cls.risk,
        riskReason: cls.reason,
        rule: verdict.rule,
        reason: verdict.reason,
        args: call.args,
        timeoutMs: verdict.timeoutMs,
      },
      held.abort.signal,
    ).then((result) => {
      if (this.held.get(call.key) !== held) return;
      this.held.delete(call.key);
      this.batched(() => this.afterApproval(call, verdict, entries, result));
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

  private forwardCall(call: CallContext, facts: AuditFacts): void {
    if (this.upstreamGone !== undefined) {
      this.sendDown(resultLine(call.id, errorResult(`MCP Guard could not send the call to ${call.tool}: the MCP server is not running (${this.upstreamGone}).`)));
      this.audit(call, facts, 'no_response');
      return;
    }
    this.forward(call.key, { kind: 'tools/call', method: 'tools/call', call, audit: facts }, call.line);
  }

  private block(call: CallContext, kind: BlockKind, facts: AuditFacts): void {
    this.sendDown(resultLine(call.id, errorResult(denialText(kind, call.tool, call.classification, facts.rule, facts.reason))));
    this.audit(call, facts, 'not_forwarded');
  }

  private audit(call: CallContext, facts: AuditFacts, outcome: UpstreamOutcome): void {
    const cls = call.classification ?? classifyTool(call.tool);
    this.opts.onDecision?.({ tool: call.tool, decision: facts.decision, rule: facts.rule, reason: facts.reason });
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
      args_sha256: argumentsDigest(call.args),
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
      this.opts.log(`ignored a line from the server that is not JSON: ${JSON.stringify(line.slice(0, 120))}`);
      return;
    }
    if (Array.isArray(msg)) {
      for (const m of msg) this.onUpstreamMessage(m, JSON.stringify(m));
      return;
    }
    this.onUpstreamMessage(msg, line);
  }

  private onUpstreamMessage(raw: unknown, line: string): void {
    if (!isPlainObject(raw)) {
      this.opts.log('ignored a message from the server that is not a JSON object');
      return;
    }
    const msg = raw as JsonRpcMessage;
    if (typeof msg.method === 'string') {
      if (msg.method === 'notifications/tools/list_changed') this.tools.markStale();
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
      this.opts.log(`ignored a response from the server to an unknown request id ${JSON.stringify(msg.id)}`);
      return;
    }
    this.forwarded.delete(key);
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
      case 'initialize':
        if (isPlainObject(msg.result) && isPlainObject(msg.result['capabilities'])) this.upstreamCapabilities = msg.result['capabilities'];
        this.sendDown(line);
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
    if (visible.length === tools.length) return line;
    return JSON.stringify({ ...msg, result: { ...result, tools: visible } });
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

  private requestUpstream(method: string, params: Record<string, unknown> | undefined): Promise<unknown> {
    const id = this.ownId();
    const key = idKey(id);
    const timeoutMs = this.opts.upstreamRequestTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      if (this.upstreamGone !== undefined) return reject(new Error(`the server is not running (${this.upstreamGone})`));
      const timer = setTimeout(() => {
        if (this.ownToUpstream.delete(key)) {
          this.sendUp(notificationLine('notifications/cancelled', { requestId: id, reason: 'timeout' }));
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
      this.sendUp(requestLine(id, method, params));
    });
  }

  private async fetchUpstreamTools(): Promise<ListedTool[]> {
    if (this.upstreamCapabilities !== undefined && !isPlainObject(this.upstreamCapabilities['tools'])) return [];
    const tools: ListedTool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await this.requestUpstream('tools/list', cursor === undefined ? undefined : { cursor });
      if (!isPlainObject(result) || !Array.isArray(result['tools'])) throw new Error('the server answered tools/list without a tools array');
      for (const t of result['tools']) {
        if (isPlainObject(t) && typeof t['name'] === 'string') {
          tools.push({ name: t['name'], ...(isPlainObject(t['annotations']) ? { annotations: t['annotations'] } : {}) });
        }
      }
      cursor = typeof result['nextCursor'] === 'string' ? result['nextCursor'] : undefined;
      if (cursor === undefined) {
        this.opts.onToolsRead?.(tools.map((t) => t.name));
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
   * The upstream is gone: every request it will now never answer gets an answer from the
   * guard, and calls still waiting for a decision are refused.
   */
  upstreamExited(cause: string): void {
    this.upstreamGone = cause;
    this.batched(() => {
      for (const [key, request] of this.forwarded) {
        this.forwarded.delete(key);
        if (request.kind === 'tools/call') {
          const call = request.call!;
          this.sendDown(resultLine(call.id, errorResult(`MCP Guard: the MCP server stopped before answering the call to ${call.tool} (${cause}). The call may or may not have run.`)));
          this.audit(call, request.audit!, 'no_response');
        } else {
          this.sendDown(errorLine(idFromKey(key), UPSTREAM_ERROR, `The MCP server behind MCP Guard stopped before answering ${request.method}: ${cause}`));
        }
      }
      for (const [, own] of this.ownToUpstream) own.reject(new Error(`the server stopped (${cause})`));
      this.ownToUpstream.clear();
    });
  }

  /** The client is gone: audit what will never be answered and stop waiting on approvals. */
  shutdown(): void {
    for (const [, held] of this.held) held.abort.abort(new Error('shutdown'));
    for (const [key, request] of this.forwarded) {
      this.forwarded.delete(key);
      if (request.kind === 'tools/call') this.audit(request.call!, request.audit!, 'no_response');
    }
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
