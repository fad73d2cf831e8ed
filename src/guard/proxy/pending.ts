/**
 * Requests forwarded to the upstream and not yet answered, and the one place that settles each:
 * answered, unreadable, unsent, cut off by a server that stopped, timed out, or withdrawn by the
 * client. Tool calls get a result the agent can read; everything else a JSON-RPC error.
 */
import type { UpstreamOutcome } from '../audit-events';
import type { Clock } from '../rate-limiter';
import type { AuditFacts } from './audit-event';
import { MAX_QUEUED_WHILE_RESTARTING, type Channel, type LineMessage } from './channel';
import {
  errorLine,
  idKey,
  isPlainObject,
  notificationLine,
  resultLine,
  UPSTREAM_ERROR,
  type JsonRpcId,
  type JsonRpcMessage,
} from './jsonrpc';
import type { ResultSecrets, ScannedAnswer } from './result-scan';
import { errorResult, type GatedSubject } from './subjects';

/** What a client request changes in the server's session state (replayed to a restarted server). */
export type SessionChange = { readonly level: string } | { readonly subscribe: string } | { readonly unsubscribe: string };

export type ListMethod = 'tools/list' | 'resources/list' | 'resources/templates/list';

export type PendingRequest =
  | { readonly kind: 'gated'; readonly subject: GatedSubject; readonly facts: AuditFacts }
  | { readonly kind: 'initialize' }
  | { readonly kind: 'list'; readonly method: ListMethod }
  | { readonly kind: 'other'; readonly method: string; readonly sets?: SessionChange };

/** What became of a forwarded request. */
export type Fate =
  | { readonly kind: 'answered'; readonly msg: JsonRpcMessage; readonly line: string }
  /** The server's answer could not be passed on (too large, too deep). */
  | { readonly kind: 'unreadable'; readonly why: string }
  /** It could not be sent (server down, restart queue full). */
  | { readonly kind: 'unsent'; readonly why: string }
  /** The server stopped before answering; `neverSent` when it still waited in the restart queue. */
  | { readonly kind: 'stopped'; readonly cause: string; readonly neverSent: boolean; readonly restarting: boolean }
  /** The client cancelled it or went away: it expects no answer. */
  | { readonly kind: 'withdrawn'; readonly neverSent: boolean };

export interface PendingDeps {
  readonly channel: Channel;
  readonly clock: Clock;
  /** 0 waits forever. */
  readonly callTimeoutMs: number;
  readonly log: (message: string) => void;
  readonly record: (subject: GatedSubject, facts: AuditFacts, outcome: UpstreamOutcome, secrets?: ResultSecrets) => void;
  /**
   * An answer the server gave, as the client should get it (lists filtered by `hide`, results
   * searched for secrets), or why it cannot be passed on.
   */
  readonly answerFor: (request: PendingRequest, msg: JsonRpcMessage, line: string) => ScannedAnswer;
  /** The server accepted the request (a result, not an error). */
  readonly onAccepted: (request: PendingRequest, msg: JsonRpcMessage) => void;
}

/** Ids of calls the guard stopped waiting for, remembered so a late answer is dropped. */
const MAX_ABANDONED_IDS = 10_000;

export class PendingRequests {
  private readonly forwarded = new Map<string, PendingRequest>();
  /** Forwarded tool call deadlines, in insertion order (= deadline order: one timer for all). */
  private readonly deadlines = new Map<string, number>();
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** Requests the guard answered itself (timeout, client cancel) whose upstream answer may still come. */
  private readonly abandoned = new Set<string>();

  constructor(private readonly deps: PendingDeps) {}

  get size(): number {
    return this.forwarded.size;
  }

  has(key: string): boolean {
    return this.forwarded.has(key);
  }

  isAbandoned(key: string): boolean {
    return this.abandoned.has(key);
  }

  /**
   * Sends a request upstream and remembers it until settled; false (and settled as unsent) if it cannot go.
   * `msg`: the request as an object, or its `id` and `method` (see LineMessage).
   */
  forward(key: string, request: PendingRequest, line: string, msg?: LineMessage): boolean {
    const { channel } = this.deps;
    this.forwarded.set(key, request);
    if (channel.sendUp(line, key, msg)) {
      if (request.kind === 'gated' && request.subject.kind === 'tool') this.trackDeadline(key);
      return true;
    }
    const why =
      channel.upstreamState === 'down'
        ? `the MCP server is not running (${channel.upstreamGone})`
        : `the MCP server is restarting and ${MAX_QUEUED_WHILE_RESTARTING} messages are already waiting for it`;
    this.settle(key, { kind: 'unsent', why });
    return false;
  }

  /** The server answered: settles the request, or drops an answer nobody waits for. */
  answered(id: JsonRpcId, msg: JsonRpcMessage, line: string): void {
    const key = idKey(id);
    if (this.forwarded.has(key)) return this.settle(key, { kind: 'answered', msg, line });
    if (this.abandoned.delete(key))
      this.deps.log(`dropped a late answer from the server to request id ${JSON.stringify(id)}: MCP Guard had already answered it`);
    else this.deps.log(`ignored a response from the server to an unknown request id ${JSON.stringify(id)}`);
  }

  /**
   * The client cancelled a request: it expects no answer, and a late one is dropped. Tells whether
   * the server saw it (`sent`: pass the cancellation on), never did (`unsent`), or it was not pending.
   */
  withdraw(key: string): 'sent' | 'unsent' | 'unknown' {
    if (!this.forwarded.has(key)) return 'unknown';
    const neverSent = this.deps.channel.unqueue(key);
    this.settle(key, { kind: 'withdrawn', neverSent });
    if (neverSent) return 'unsent';
    this.abandon(key);
    return 'sent';
  }

  /** The one way a forwarded request ends: the client's answer (if it expects one) and the audit outcome. */
  settle(key: string, fate: Fate): void {
    const request = this.forwarded.get(key);
    if (!request) return;
    this.forwarded.delete(key);
    this.deadlines.delete(key);
    const { channel, record } = this.deps;
    const id = idFromKey(key);
    const gated = request.kind === 'gated' ? request : undefined;
    const call = gated?.subject.kind === 'tool' ? gated.subject : undefined;
    const method = methodOf(request);
    switch (fate.kind) {
      case 'answered': {
        const { msg } = fate;
        const answer = this.deps.answerFor(request, msg, fate.line);
        if (answer.kind === 'unreadable') return this.passOnNothing(request, id, answer.why);
        if ('result' in msg) this.deps.onAccepted(request, msg);
        // The answer keeps the request's id whatever was filtered or redacted in it: `msg` routes it.
        channel.sendDown(answer.line, msg);
        if (gated)
          record(
            gated.subject,
            gated.facts,
            'error' in msg ? 'protocol_error' : call && isPlainObject(msg.result) && msg.result['isError'] === true ? 'isError' : 'ok',
            answer.secrets,
          );
        return;
      }
      case 'unreadable':
        return this.passOnNothing(request, id, fate.why);
      case 'unsent':
        channel.sendDown(
          call
            ? resultLine(call.id, errorResult(`MCP Guard could not send the call to ${call.name}: ${fate.why}. The call did not run.`))
            : errorLine(id, UPSTREAM_ERROR, `MCP Guard could not send ${method}: ${fate.why}`),
        );
        if (gated) record(gated.subject, gated.facts, 'not_forwarded');
        return;
      case 'stopped': {
        const again = fate.restarting ? ' MCP Guard is restarting the server.' : '';
        const text = call
          ? fate.neverSent
            ? `MCP Guard could not send the call to ${call.name}: the MCP server stopped (${fate.cause}). The call did not run.${again}`
            : `MCP Guard: the MCP server stopped before answering the call to ${call.name} (${fate.cause}). ` +
              `The call may or may not have run.${again}`
          : undefined;
        channel.sendDown(
          call && text !== undefined
            ? resultLine(call.id, errorResult(text))
            : errorLine(id, UPSTREAM_ERROR, `The MCP server behind MCP Guard stopped before answering ${method}: ${fate.cause}`),
        );
        if (gated) record(gated.subject, gated.facts, fate.neverSent ? 'not_forwarded' : 'no_response');
        return;
      }
      case 'withdrawn':
        if (gated) record(gated.subject, gated.facts, fate.neverSent ? 'not_forwarded' : 'no_response');
        return;
    }
  }

  /** The server's answer could not be passed on: the client gets an error instead, and the call is audited as such. */
  private passOnNothing(request: PendingRequest, id: JsonRpcId, why: string): void {
    const gated = request.kind === 'gated' ? request : undefined;
    const call = gated?.subject.kind === 'tool' ? gated.subject : undefined;
    this.deps.channel.sendDown(
      call
        ? resultLine(call.id, errorResult(`MCP Guard dropped the MCP server's answer to ${call.name}: ${why}. The call may have run.`))
        : errorLine(id, UPSTREAM_ERROR, `MCP Guard dropped the MCP server's answer to ${methodOf(request)}: ${why}`),
    );
    if (gated) this.deps.record(gated.subject, gated.facts, 'protocol_error');
  }

  /** The server stopped: every request it will now never answer is settled at once. */
  upstreamStopped(cause: string, restarting: boolean): void {
    for (const key of [...this.forwarded.keys()]) {
      this.settle(key, { kind: 'stopped', cause, neverSent: this.deps.channel.isQueued(key), restarting });
    }
    this.deadlines.clear();
    // The new process never saw these ids: nothing late can come for them.
    this.abandoned.clear();
  }

  /** The client is gone: what will never be answered is audited; nobody is told. */
  shutdown(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    for (const key of [...this.forwarded.keys()]) this.settle(key, { kind: 'withdrawn', neverSent: this.deps.channel.isQueued(key) });
    this.deadlines.clear();
  }

  /** Remembers a forwarded request the guard stopped waiting for: its late answer is dropped. */
  private abandon(key: string): void {
    if (this.abandoned.size >= MAX_ABANDONED_IDS) {
      const oldest = this.abandoned.values().next().value;
      if (oldest !== undefined) this.abandoned.delete(oldest);
    }
    this.abandoned.add(key);
  }

  // ---- per-call timeout (--call-timeout) ---------------------------------------------------

  private trackDeadline(key: string): void {
    const { callTimeoutMs, clock } = this.deps;
    if (callTimeoutMs <= 0) return;
    this.deadlines.set(key, clock() + callTimeoutMs);
    if (this.deadlineTimer === undefined) this.armDeadlineTimer(callTimeoutMs);
  }

  private armDeadlineTimer(delayMs: number): void {
    this.deadlineTimer = setTimeout(() => this.onDeadline(), Math.max(1, Math.ceil(delayMs)));
    this.deadlineTimer.unref();
  }

  private onDeadline(): void {
    this.deadlineTimer = undefined;
    const now = this.deps.clock();
    const expired: string[] = [];
    for (const [key, at] of this.deadlines) {
      if (at > now) {
        this.armDeadlineTimer(at - now);
        break;
      }
      expired.push(key);
    }
    if (expired.length > 0) this.deps.channel.batched(() => expired.forEach((key) => this.timeOut(key)));
  }

  /** No answer in time: the client gets an error result, the upstream a cancellation. */
  private timeOut(key: string): void {
    this.deadlines.delete(key);
    const request = this.forwarded.get(key);
    if (request?.kind !== 'gated' || request.subject.kind !== 'tool') return;
    this.forwarded.delete(key);
    const { channel, record } = this.deps;
    const call = request.subject;
    const seconds = this.deps.callTimeoutMs / 1000;
    if (channel.unqueue(key)) {
      channel.sendDown(
        resultLine(
          call.id,
          errorResult(
            `MCP Guard could not send the call to ${call.name} within ${seconds} s ` +
              `(--call-timeout): the MCP server is restarting. The call did not run.`,
          ),
        ),
      );
      record(call, request.facts, 'not_forwarded');
      return;
    }
    this.abandon(key);
    channel.sendUp(notificationLine('notifications/cancelled', { requestId: call.id, reason: `MCP Guard: no answer within ${seconds} s` }));
    channel.sendDown(
      resultLine(
        call.id,
        errorResult(
          `MCP Guard stopped waiting for the answer to ${call.name}: the MCP server did not answer within ${seconds} s (--call-timeout). ` +
            'MCP Guard asked the server to cancel the call; it may or may not have run.',
        ),
      ),
    );
    record(call, request.facts, 'timeout');
  }
}

function methodOf(request: PendingRequest): string {
  switch (request.kind) {
    case 'gated':
      return request.subject.kind === 'tool' ? 'tools/call' : request.subject.method;
    case 'initialize':
      return 'initialize';
    default:
      return request.method;
  }
}

export function idFromKey(key: string): JsonRpcId {
  return key[0] === 'n' ? Number(key.slice(1)) : key.slice(1);
}
