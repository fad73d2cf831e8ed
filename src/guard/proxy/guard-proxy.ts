/**
 * The guard between an MCP client and one upstream server, at the level of JSON-RPC lines: it
 * routes each message. Requests the policy decides (tools/call, resources/read and subscribe) go
 * through the gate; every other client message is rebuilt and framed for the upstream (wire.ts);
 * server messages pass to the client as they came, lists filtered by `hide`. Over 500 lines only
 * because routing both directions is one job; every decision it routes to lives elsewhere.
 */
import { ElicitationApprover } from '../approval/elicitation-approver';
import { argumentsDigest } from '../canonical-json';
import { classifyCall } from '../catalog/classify';
import { catalogBinding, serverInfoName, type CatalogBinding } from '../catalog/identity';
import type { Mode } from '../policy/model';
import { normaliseResourceUri } from '../policy/resource-uri';
import { redactSecretsInText } from '../secrets';
import type { UpstreamOutcome } from '../audit-events';
import { decisionEvent, decisionNotice, type AuditFacts } from './audit-event';
import { Channel, type UpstreamState } from './channel';
import { readClientMessage } from './client-message';
import { Gate } from './gate';
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
  type JsonRpcId,
  type JsonRpcMessage,
} from './jsonrpc';
import { LineSplitter, type OversizeSink } from '../util/line-splitter';
import { filteredList, stringifyOrUndefined } from './list-filter';
import { OwnRequests } from './own-requests';
import { idFromKey, PendingRequests, type PendingRequest, type SessionChange } from './pending';
import { describeSecrets, scanAnswer, type ResultScanConfig, type ResultSecrets, type ScannedAnswer } from './result-scan';
import { classified, readResourceRequest, readToolCall, serverGoneAnswer, type GatedSubject, type UnclassifiedCall } from './subjects';
import { DEFAULT_CALL_TIMEOUT_SECONDS, type GuardProxyOptions } from './options';
import { DEFAULT_SCAN_RESULTS } from '../result-secrets';
import { readToolList, ToolRegistry } from './tool-registry';
import { UpstreamSession } from './upstream-session';
import type { ApprovalScope } from '../approval/approver';
import { listedDefinitions, ToolTrust, type DefinitionNews, type Untrusted } from '../pins/trust';
import { lineForAnyReader, notificationMessage, requestMessage, responseMessage, wireLine } from './wire';

export type { DecisionNotice } from '../audit-events';
export { MAX_QUEUED_WHILE_RESTARTING } from './channel';
export { GUARD_BLOCKED } from './subjects';

export { DEFAULT_CALL_TIMEOUT_SECONDS, type GuardProxyOptions } from './options';
export { MAX_ID_LENGTH } from './client-message';

export class GuardProxy {
  private mode: Mode;
  private readonly channel: Channel;
  private readonly own: OwnRequests;
  private readonly session: UpstreamSession;
  private readonly pending: PendingRequests;
  private readonly gate: Gate;
  private readonly tools: ToolRegistry;
  private readonly trust: ToolTrust;
  private readonly clientLines: LineSplitter;
  private readonly upstreamLines: LineSplitter;
  /** Requests from the upstream to the client not yet answered. */
  private readonly upstreamPending = new Set<string>();
  private readonly maxMessageBytes: number;
  /** Which catalog classes this server's calls; the name-match (the stricter) until the server has said who it is. */
  private catalog: CatalogBinding;
  private serverIdentified = false;
  private readonly resultScan: ResultScanConfig;

  constructor(private readonly opts: GuardProxyOptions) {
    this.mode = opts.mode;
    this.catalog = catalogBinding(opts.catalog?.choice ?? 'auto', undefined, false);
    this.resultScan = { mode: opts.scanResults ?? DEFAULT_SCAN_RESULTS, own: opts.ownSecrets ?? [] };
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.trust = new ToolTrust(opts.trustSource ?? { kind: 'session' });
    this.channel = new Channel(opts);
    this.own = new OwnRequests({ channel: this.channel, timeoutMs: opts.upstreamRequestTimeoutMs ?? 10_000 });
    this.session = new UpstreamSession(this.channel, this.own, opts.log);
    this.pending = new PendingRequests({
      channel: this.channel,
      clock: opts.clock,
      callTimeoutMs: opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_SECONDS * 1000,
      log: opts.log,
      record: (subject, facts, outcome, secrets) => this.record(subject, facts, outcome, secrets),
      answerFor: (request, msg, line) => this.answerFor(request, msg, line),
      onAccepted: (request, msg) => this.onAccepted(request, msg),
    });
    const approvers = [
      ...(opts.approvers ?? []),
      new ElicitationApprover(
        () => isPlainObject(this.session.clientCapabilities['elicitation']),
        (method, params, signal) => this.own.requestClient(method, params, signal),
      ),
    ];
    this.gate = new Gate({
      policy: opts.policy,
      limiter: opts.limiter,
      audit: opts.audit,
      approvers,
      serverName: opts.serverName,
      auditFailOpen: opts.auditFailOpen === true,
      mode: () => this.mode,
      approvalId: () => this.own.nextOwnId('call-'),
      batched: (work) => this.channel.batched(work),
      respond: (line) => this.channel.sendDown(line),
      forward: (subject, facts) => this.forwardGated(subject, facts),
      untrusted: (tool) => this.trust.check(tool),
      trustDefinition: (untrusted, by, scope) => this.trustDefinition(untrusted, by, scope),
      record: (subject, facts, outcome) => this.record(subject, facts, outcome),
    });
    this.clientLines = new LineSplitter((line) => this.onClientLine(line), {
      maxLineBytes: this.maxMessageBytes,
      onOversize: () => this.clientOversize(),
    });
    this.upstreamLines = new LineSplitter((line) => this.onUpstreamLine(line), {
      maxLineBytes: this.maxMessageBytes,
      onOversize: () => this.upstreamOversize(),
    });
    this.tools = new ToolRegistry(async () => {
      await this.own.whenUp();
      const caps = this.session.upstreamCapabilities;
      // A server that declared no tools capability has none to list.
      if (caps !== undefined && !isPlainObject(caps['tools'])) return [];
      const list = await readToolList(
        (cursor) => this.own.requestUpstream('tools/list', cursor === undefined ? undefined : { cursor }),
        opts.onToolsRead,
      );
      this.reportDefinitions(this.trust.observe(list));
      return list;
    });
  }

  /**
   * The server's answer to the client's tools/list: each tool's definition is taken in (the latest
   * listed is what a call is checked against) and the untrusted ones left out; the last page of the
   * client's first list ends trust on first use.
   */
  private listAnswer(method: 'tools/list' | 'resources/list' | 'resources/templates/list', msg: JsonRpcMessage, line: string): string {
    if (method !== 'tools/list') return filteredList(this.opts.policy.state, method, msg, line);
    const result = msg.result;
    if (isPlainObject(result) && Array.isArray(result['tools'])) {
      this.reportDefinitions(this.trust.observe(listedDefinitions(result['tools'])));
      this.trust.clientPageSeen(typeof result['nextCursor'] !== 'string');
    }
    return filteredList(this.opts.policy.state, method, msg, line, (name) => this.trust.check(name) !== undefined);
  }

  /** Each newly untrusted definition: audited once, and logged. */
  private reportDefinitions(news: readonly DefinitionNews[]): void {
    for (const n of news) {
      const what =
        n.change === 'duplicate' ? 'is listed more than once' : n.change === 'new' ? 'is new' : `changed (${n.parts.join(', ')})`;
      this.opts.log(`tool ${n.tool} ${what}: calls to it are held until a person trusts its definition`);
      this.opts.audit.write({
        event: 'tool_definition',
        server: this.opts.serverName,
        tool: n.tool,
        change: n.change,
        against: n.against,
        parts: n.parts,
        fingerprint: n.fingerprint,
        ...(n.trustedFingerprint !== undefined ? { trusted_fingerprint: n.trustedFingerprint } : {}),
      });
    }
  }

  /** A person trusted a definition: trusted for the session, and written to the pins file for `pin`. */
  private trustDefinition(untrusted: Untrusted, by: string, scope: ApprovalScope): boolean {
    const change = untrusted.change;
    if (change === undefined || !this.trust.accept(untrusted.tool, change.fingerprint)) return false;
    let pinsUpdated = false;
    const pins = scope === 'pin' ? this.trust.pinsNow() : undefined;
    if (pins !== undefined && this.opts.savePins) {
      const problem = this.opts.savePins(pins);
      if (problem === undefined) pinsUpdated = true;
      else this.opts.log(`could not update the pins file: ${problem}; ${untrusted.tool} is trusted for this session only`);
    }
    this.opts.log(`${by} trusted the definition of ${untrusted.tool}${pinsUpdated ? ' and it was pinned' : ' for this session'}`);
    this.opts.audit.write({
      event: 'tool_trusted',
      server: this.opts.serverName,
      tool: untrusted.tool,
      fingerprint: change.fingerprint,
      by,
      pins_updated: pinsUpdated,
    });
    return true;
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
    return this.pending.size + this.gate.heldCount;
  }

  /** `up`, `restarting` (client requests wait) or `down` (every request gets an error). */
  get upstreamStatus(): UpstreamState {
    return this.channel.upstreamState;
  }

  /** Tool names the upstream listed, as last read by the guard. */
  get knownTools(): readonly string[] {
    return this.tools.names;
  }

  // ---- input -------------------------------------------------------------------------

  onClientData(chunk: string): void {
    this.channel.batched(() => this.clientLines.push(chunk));
  }

  onUpstreamData(chunk: string): void {
    this.channel.batched(() => this.upstreamLines.push(chunk));
  }

  /** One whole message from the upstream on one line, without its line break: as onUpstreamData(`${line}\n`), without copying it. */
  onUpstreamMessageLine(line: string): void {
    this.channel.batched(() => this.upstreamLines.pushLine(line));
  }

  onClientEnd(): void {
    this.channel.batched(() => this.clientLines.end());
  }

  onUpstreamEnd(): void {
    this.channel.batched(() => this.upstreamLines.end());
  }

  // ---- client to upstream ------------------------------------------------------------

  /**
   * One client message its transport already parsed (serve's HTTP body): `line` is its text on one
   * line (no line break), at most `maxMessageBytes` long, and `msg` is JSON.parse of it. The same as
   * onClientData(`${line}\n`), without parsing it a second time.
   */
  onClientParsed(msg: unknown, line: string): void {
    this.channel.batched(() => this.onClientValue(msg, line));
  }

  private onClientLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.opts.log(`ignored a client message that is not JSON (${line.length} bytes)`);
      this.channel.sendDown(errorLine(null, PARSE_ERROR, 'Parse error: the message is not valid JSON'));
      return;
    }
    this.onClientValue(msg, line);
  }

  private onClientValue(msg: unknown, line: string): void {
    // Only a long line can nest deep enough to matter, so small messages skip the walk.
    const deep = mayNestDeeperThan(line.length, MAX_JSON_DEPTH) && nestsDeeperThan(msg, MAX_JSON_DEPTH + (Array.isArray(msg) ? 1 : 0));
    if (Array.isArray(msg)) {
      // JSON-RPC batches (MCP 2025-03-26): each element is handled as if sent alone, so
      // a tools/call inside a batch is decided like any other.
      if (msg.length === 0) this.channel.sendDown(errorLine(null, INVALID_REQUEST, 'Invalid request: empty batch'));
      // The batch's own text stands for each element's: it is only searched for suspicious keys.
      for (const m of msg) this.onClientMessage(m, line, deep && nestsDeeperThan(m, MAX_JSON_DEPTH));
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
    const m = readClientMessage(raw, tooDeep);
    switch (m.kind) {
      case 'request':
        return this.onClientRequest(m.id, m.method, m.msg, text, tooDeep);
      case 'notification':
        return this.onClientNotification(m.method, m.msg);
      case 'response':
        return this.onClientResponse(m.id, m.msg, tooDeep);
      case 'refused':
        return this.channel.sendDown(m.answer);
      case 'dropped':
        return this.opts.log(m.why);
    }
  }

  /**
   * A response from the client means something only as the answer to a request the guard or the
   * current upstream sent (elicitation, sampling, roots), once; anything else is dropped.
   */
  private onClientResponse(id: JsonRpcId, msg: JsonRpcMessage, tooDeep: boolean): void {
    const key = idKey(id);
    if (this.own.answeredByClient(key, msg)) return;
    // An answer to a request of a server process that has since died must not reach its replacement.
    if (!this.upstreamPending.delete(key)) {
      this.opts.log(`dropped a response from the client to an unknown request id ${JSON.stringify(id)}`);
      return;
    }
    if (tooDeep) return this.opts.log(`dropped a response from the client nested deeper than ${MAX_JSON_DEPTH} levels`);
    this.channel.sendUp(wireLine(responseMessage(id, msg)));
  }

  private onClientNotification(method: string, msg: JsonRpcMessage): void {
    if (method === 'tools/call') {
      // A call without an id is no request: it is never decided, so it is never forwarded.
      this.opts.log('dropped a tools/call without an id (a notification cannot be decided or answered)');
      return;
    }
    if (method === 'notifications/cancelled' && isPlainObject(msg.params) && isValidId(msg.params['requestId'])) {
      const key = idKey(msg.params['requestId']);
      // The upstream never saw a held request: stop asking and answer nothing, as the spec asks.
      if (this.gate.cancel(key)) return;
      if (this.pending.withdraw(key) === 'unsent') return;
    }
    const notification = notificationMessage(method, msg.params);
    this.channel.sendUp(wireLine(notification), undefined, notification);
    if (method === 'notifications/initialized') {
      this.session.clientInitialized();
      void this.tools.refresh();
    }
  }

  private onClientRequest(id: JsonRpcId, method: string, msg: JsonRpcMessage, text: string, tooDeep: boolean): void {
    const key = idKey(id);
    const refusal = this.refusal(key, id, method, tooDeep);
    if (refusal !== undefined) return this.channel.sendDown(refusal);
    switch (method) {
      case 'tools/call': {
        const reading = readToolCall(id, key, msg, text, tooDeep, this.opts.clock());
        if (reading.kind === 'invalid') return this.channel.sendDown(errorLine(id, INVALID_PARAMS, reading.message));
        if (reading.kind === 'refused') return this.gate.block(reading.subject, reading.block, reading.facts);
        return this.onToolCall(reading.subject);
      }
      case 'resources/read':
      case 'resources/subscribe': {
        const reading = readResourceRequest(id, key, method, msg, this.opts.clock());
        if (reading.kind === 'invalid') return this.channel.sendDown(errorLine(id, INVALID_PARAMS, reading.message));
        if (reading.kind === 'refused') return this.gate.block(reading.subject, reading.block, reading.facts);
        return this.gate.admit(reading.subject);
      }
      case 'initialize':
        this.session.clientInitialize(msg.params);
        return this.forwardRequest(key, id, method, msg.params, { kind: 'initialize' });
      case 'tools/list':
      case 'resources/list':
      case 'resources/templates/list':
        return this.forwardRequest(key, id, method, msg.params, { kind: 'list', method });
      case 'logging/setLevel': {
        const level = isPlainObject(msg.params) ? msg.params['level'] : undefined;
        return this.forwardRequest(key, id, method, msg.params, {
          kind: 'other',
          method,
          ...(typeof level === 'string' ? { sets: { level } } : {}),
        });
      }
      case 'resources/unsubscribe': {
        const p = isPlainObject(msg.params) ? msg.params : {};
        if (typeof p['uri'] !== 'string') return this.forwardRequest(key, id, method, msg.params, { kind: 'other', method });
        // Spelled as the subscribe was (normalised), so the remembered subscription goes too.
        const normal = normaliseResourceUri(p['uri']);
        const uri = normal.ok ? normal.uri : p['uri'];
        return this.forwardRequest(key, id, method, normal.ok ? { ...p, uri } : msg.params, {
          kind: 'other',
          method,
          sets: { unsubscribe: uri },
        });
      }
      default:
        return this.forwardRequest(key, id, method, msg.params, { kind: 'other', method });
    }
  }

  /** Why a request cannot be taken at all (its id, the server's state, the session's), as the answer line. */
  private refusal(key: string, id: JsonRpcId, method: string, tooDeep: boolean): string | undefined {
    if (this.pending.has(key) || this.gate.isHeld(key)) {
      return errorLine(
        id,
        INVALID_REQUEST,
        `Invalid request: id ${JSON.stringify(id)} is already in use by a request that has not been answered`,
      );
    }
    if (this.pending.isAbandoned(key)) {
      return errorLine(
        id,
        INVALID_REQUEST,
        `Invalid request: id ${JSON.stringify(id)} belongs to a call that was cancelled or timed out, ` +
          `and the server may still answer it; use a new id`,
      );
    }
    const gone = this.channel.upstreamGone;
    if (gone !== undefined) return errorLine(id, UPSTREAM_ERROR, `The MCP server behind MCP Guard is not running: ${gone}`);
    if (tooDeep && method !== 'tools/call') {
      return errorLine(
        id,
        INVALID_REQUEST,
        `Invalid request: the message nests deeper than ${MAX_JSON_DEPTH} levels, more than MCP Guard accepts`,
      );
    }
    if ((method === 'tools/call' || method === 'resources/read' || method === 'resources/subscribe') && !this.session.initializeSeen) {
      const what = method === 'tools/call' ? 'tool call' : 'resource request';
      return errorLine(
        id,
        INVALID_REQUEST,
        `Invalid request: ${method} before initialize. MCP Guard forwards no ${what} before the session is initialized`,
      );
    }
    return undefined;
  }

  private forwardRequest(key: string, id: JsonRpcId, method: string, params: unknown, request: PendingRequest): void {
    const message = requestMessage(id, method, params);
    this.pending.forward(key, request, wireLine(message), message);
  }

  /** A tool call is decided once the server's tool list says what the tool is (at once, when it is known). */
  private onToolCall(call: UnclassifiedCall): void {
    const lookup = this.tools.peek(call.name);
    if (lookup) return this.classifyAndAdmit(call, lookup);
    const hold = this.gate.hold(call.key);
    void this.tools.lookup(call.name).then((found) => {
      if (!this.gate.release(call.key, hold) || hold.signal.aborted) return;
      this.channel.batched(() => this.classifyAndAdmit(call, found));
    });
  }

  private classifyAndAdmit(call: UnclassifiedCall, lookup: NonNullable<ReturnType<ToolRegistry['peek']>>): void {
    if (lookup.kind !== 'listed') {
      const reason =
        lookup.kind === 'unavailable'
          ? `MCP Guard could not read the server's tool list (${lookup.error}), so it cannot vouch for ${call.name}.`
          : `The server does not offer a tool named ${call.name}.`;
      return this.gate.block(classified(call, classifyCall(call.name, undefined, call.args, this.catalog.use)), 'unknown_tool', {
        decision: 'denied',
        rule: 'tools/list',
        reason,
        entries: [],
      });
    }
    // Classified by what the server listed last (a client's list may be newer than the guard's own read).
    const annotations = this.trust.latestAnnotations(call.name) ?? lookup.annotations;
    this.gate.admit(classified(call, classifyCall(call.name, annotations, call.args, this.catalog.use)));
  }

  /** An allowed (or approved, or monitored) request goes upstream; it is audited when it is settled. */
  private forwardGated(subject: GatedSubject, facts: AuditFacts): void {
    const gone = this.channel.upstreamGone;
    if (gone !== undefined) {
      this.channel.sendDown(serverGoneAnswer(subject, gone));
      this.record(subject, facts, 'not_forwarded');
      return;
    }
    const method = subject.kind === 'tool' ? 'tools/call' : subject.method;
    this.pending.forward(subject.key, { kind: 'gated', subject, facts }, subject.line, { id: subject.id, method });
  }

  /** What the client gets for a server's answer: lists filtered by `hide`, decided requests' answers searched for secrets. */
  private answerFor(request: PendingRequest, msg: JsonRpcMessage, line: string): ScannedAnswer {
    if (request.kind === 'list') return { kind: 'pass', line: this.listAnswer(request.method, msg, line) };
    if (request.kind !== 'gated') return { kind: 'pass', line };
    const answer = scanAnswer(this.resultScan, msg, line);
    if (answer.kind === 'pass' && answer.secrets)
      this.opts.log(`${answer.secrets.action} ${describeSecrets(answer.secrets)} in the answer to ${request.subject.name}`);
    return answer;
  }

  private record(subject: GatedSubject, facts: AuditFacts, outcome: UpstreamOutcome, secrets?: ResultSecrets): void {
    const { audit } = this.opts;
    const digest = argumentsDigest(subject.args);
    this.opts.onDecision?.(decisionNotice(subject, facts, digest, audit.problem, secrets));
    audit.write(
      decisionEvent(subject, facts, outcome, digest, secrets, {
        serverName: this.opts.serverName,
        mode: this.mode,
        includeArgs: this.opts.auditIncludeArgs === true,
        now: this.opts.clock(),
        auditProblem: audit.problem,
      }),
    );
  }

  /** The server's initialize answer says who it is, and so which catalog classes its tools. */
  private identifyServer(result: unknown): void {
    const setting = this.opts.catalog;
    const binding = catalogBinding(setting?.choice ?? 'auto', serverInfoName(result), setting?.commandIsOdooMcp === true);
    // Said once, and again only if a restarted server answers otherwise.
    if (!this.serverIdentified || binding.use.kind !== this.catalog.use.kind || binding.why !== this.catalog.why) {
      this.opts.log(
        binding.use.kind === 'own'
          ? `classing tools with the odoo-mcp catalog: ${binding.why}`
          : `classing tools by their annotations (odoo-mcp catalog names may only raise them): ${binding.why}`,
      );
    }
    this.catalog = binding;
    this.serverIdentified = true;
  }

  /** The server accepted a request: remember what it set up for a restarted server. */
  private onAccepted(request: PendingRequest, msg: JsonRpcMessage): void {
    let change: SessionChange | undefined;
    if (request.kind === 'initialize') {
      this.session.serverInitialized(msg.result);
      this.identifyServer(msg.result);
      this.opts.onUpstreamReady?.();
    } else if (request.kind === 'other') change = request.sets;
    else if (request.kind === 'gated' && request.subject.kind === 'resource' && request.subject.method === 'resources/subscribe')
      change = { subscribe: request.subject.uri };
    if (change) this.session.accepted(change);
  }

  // ---- upstream to client ------------------------------------------------------------

  private onUpstreamLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      // Never pass a line the client could mistake for a result.
      this.opts.log(
        `ignored a line from the server that is not JSON: ${JSON.stringify(redactSecretsInText(line.slice(0, 4096)).slice(0, 120))}`,
      );
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
    // JSON allows a raw \r between tokens and NEL, LS, PS inside strings; only \n splits here.
    const framed = lineForAnyReader(msg, line, stringifyOrUndefined);
    if (framed === undefined) this.onUnreadableUpstreamMessage(msg);
    else this.onUpstreamMessage(msg, framed);
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
    if (this.own.failUpstream(key, why)) return;
    this.pending.settle(key, { kind: 'unreadable', why });
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
      this.channel.sendDown(line, msg);
      return;
    }
    if (!isValidId(msg.id) || !('result' in msg || 'error' in msg)) {
      this.opts.log('ignored a message from the server that is neither a request, a notification nor a response');
      return;
    }
    if (this.own.answeredByUpstream(idKey(msg.id), msg)) return;
    this.pending.answered(msg.id, msg, line);
  }

  private clientOversize(): OversizeSink {
    const scanner = new TopLevelIdScanner();
    return {
      feed: (text) => scanner.feed(text),
      end: (bytes) => {
        let id = scanner.id();
        // Never answer for a request that is still in flight: it gets its own answer.
        if (id !== null && (this.pending.has(idKey(id)) || this.gate.isHeld(idKey(id)))) id = null;
        this.opts.log(
          `discarded a client message of ${bytes} bytes: over the limit of ${this.maxMessageBytes} bytes (--max-message-bytes)`,
        );
        this.channel.sendDown(
          errorLine(
            id,
            INVALID_REQUEST,
            `Invalid request: the message is ${bytes} bytes, ` +
              `over MCP Guard's limit of ${this.maxMessageBytes} bytes (--max-message-bytes); it was discarded`,
          ),
        );
      },
    };
  }

  private upstreamOversize(): OversizeSink {
    const scanner = new TopLevelIdScanner();
    return {
      feed: (text) => scanner.feed(text),
      end: (bytes) => {
        this.opts.log(
          `discarded a message from the server of ${bytes} bytes: over the limit of ${this.maxMessageBytes} bytes (--max-message-bytes)`,
        );
        const id = scanner.id();
        if (id !== null && !scanner.hasMethod)
          this.failForwarded(id, `it was ${bytes} bytes, over the limit of ${this.maxMessageBytes} bytes (--max-message-bytes)`);
      },
    };
  }

  // ---- lifecycle ---------------------------------------------------------------------

  /**
   * The upstream process is gone: every request it will now never answer gets an answer
   * from the guard at once (a call that was sent "may or may not have run"; one still
   * waiting in the restart queue "did not run"). With `restarting`, client requests wait
   * for the replacement (see `upstreamRestarted`); without, the upstream is down for good
   * and every later request gets an error naming `cause`.
   */
  upstreamExited(cause: string, restarting = false): void {
    this.channel.batched(() => {
      // A line the dead process left half-written is not joined to the next process's output.
      this.upstreamLines.end();
      this.pending.upstreamStopped(cause, restarting);
      this.channel.upstreamStopped(cause, restarting);
      this.own.upstreamStopped(cause, restarting);
      // What the dead process asked the client can no longer be answered.
      for (const key of this.upstreamPending) {
        this.channel.sendDown(
          notificationLine('notifications/cancelled', { requestId: idFromKey(key), reason: `the MCP server stopped (${cause})` }),
        );
      }
      this.upstreamPending.clear();
      this.tools.markStale();
    });
  }

  /**
   * A replacement upstream process was started: the guard initializes it with the client's
   * own initialize params (the answer is the guard's, not passed on) and its
   * notifications/initialized, then sends what waited and re-reads the tool list. Rejects
   * when the handshake fails; the caller then kills the process.
   */
  async upstreamRestarted(): Promise<void> {
    if (this.channel.upstreamState !== 'restarting') return;
    if (!(await this.session.handshake())) return;
    this.channel.batched(() => this.channel.upstreamBack());
    this.own.upstreamBack();
    void this.tools.refresh();
  }

  /** The client is gone: audit what will never be answered and stop waiting on approvals. */
  shutdown(): void {
    this.gate.abortAll();
    this.pending.shutdown();
    this.channel.dropQueue();
  }
}
