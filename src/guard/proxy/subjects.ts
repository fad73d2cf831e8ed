/**
 * The requests the policy decides before they are forwarded — a tool call, a resource read or
 * subscribe — as one `GatedSubject`: how each is read from its message (and refused when it
 * cannot be decided), decided, keyed for "allow for this session", and answered when blocked.
 */
import { classifyTool, type Classification } from '../catalog/classify';
import { decide, decideResource, type Decision, type PolicyState } from '../decider';
import type { Mode } from '../policy/model';
import { normaliseResourceUri } from '../policy/resource-uri';
import type { RateLimiter } from '../rate-limiter';
import { redactSecretsInText } from '../secrets';
import type { AuditFacts } from './audit-event';
import { denialText, type BlockKind } from './denial';
import { errorLine, isPlainObject, MAX_JSON_DEPTH, resultLine, UPSTREAM_ERROR, type JsonRpcId, type JsonRpcMessage } from './jsonrpc';
import { findPrototypeKey, mayHavePrototypeKey } from './prototype-keys';
import { requestMessage, wireLine } from './wire';

/** Resource methods decided by the policy before they are forwarded. */
export type ResourceMethod = 'resources/read' | 'resources/subscribe';

/** JSON-RPC error code of a resource request MCP Guard blocked. */
export const GUARD_BLOCKED = -32001;

/** The fixed classification of a gated resource request: reads, no risk class of their own. */
export const RESOURCE_CLASSIFICATION: Classification = {
  category: 'Read',
  risk: 'low',
  reason: 'Reads one resource by URI.',
  source: 'catalog',
};

interface SubjectBase {
  readonly id: JsonRpcId;
  readonly key: string;
  /** The tool called, or a resource request's method: what the audit log calls `tool`. */
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** The exact text that goes upstream if the request is allowed: the decision is made on it. */
  readonly line: string;
  readonly receivedAt: number;
  readonly classification: Classification;
}

export interface ToolCall extends SubjectBase {
  readonly kind: 'tool';
}

export interface ResourceRequest extends SubjectBase {
  readonly kind: 'resource';
  readonly method: ResourceMethod;
  /** Normalised (see resource-uri.ts); `args` is `{ uri }` with the same text. */
  readonly uri: string;
}

export type GatedSubject = ToolCall | ResourceRequest;

/** A tool call before the server's tool list has told what the tool is. */
export type UnclassifiedCall = Omit<ToolCall, 'classification'>;

/** What reading a request gave: a subject to decide, a refusal before any rule (audited), or bad params (not audited). */
export type Reading<S> =
  | { readonly kind: 'subject'; readonly subject: S }
  | { readonly kind: 'refused'; readonly subject: GatedSubject; readonly block: BlockKind; readonly facts: AuditFacts }
  | { readonly kind: 'invalid'; readonly message: string };

export function readToolCall(
  id: JsonRpcId,
  key: string,
  msg: JsonRpcMessage,
  text: string,
  tooDeep: boolean,
  now: number,
): Reading<UnclassifiedCall> {
  const params = msg.params;
  if (!isPlainObject(params) || typeof params['name'] !== 'string' || params['name'] === '') {
    return { kind: 'invalid', message: 'Invalid params: tools/call needs params.name, the tool name as a string' };
  }
  // Absent arguments are none; any other non-object (null included) is refused.
  const args = params['arguments'] === undefined ? {} : params['arguments'];
  if (!isPlainObject(args)) return { kind: 'invalid', message: 'Invalid params: tools/call arguments must be a JSON object' };
  const name = params['name'];
  if (tooDeep) {
    // Nothing recursive may touch it (re-serialising it would overflow the stack), and what
    // the guard cannot inspect it does not forward.
    return {
      kind: 'refused',
      subject: { kind: 'tool', id, key, name, args, line: '', receivedAt: now, classification: classifyTool(name) },
      block: 'malformed',
      facts: {
        decision: 'denied',
        rule: 'arguments',
        reason: `The call nests deeper than ${MAX_JSON_DEPTH} levels; MCP Guard does not forward what it cannot inspect.`,
        entries: [],
      },
    };
  }
  // Rebuilt from the parsed message, so what is decided is exactly what is sent.
  const call: UnclassifiedCall = {
    kind: 'tool',
    id,
    key,
    name,
    args,
    line: wireLine(requestMessage(id, 'tools/call', params)),
    receivedAt: now,
  };
  // Such a key can only be in the text as itself or behind a \u escape, so most calls skip the walk.
  const protoKey = mayHavePrototypeKey(text) ? findPrototypeKey(args) : undefined;
  if (protoKey !== undefined) {
    return {
      kind: 'refused',
      subject: classified(call, classifyTool(name)),
      block: 'malformed',
      facts: {
        decision: 'denied',
        rule: 'arguments',
        reason:
          `The arguments contain the key ${JSON.stringify(protoKey.key)} (at ${protoKey.path}). ` +
          `A server that copies arguments into plain objects ` +
          "would read it as the object's prototype, which the policy's conditions cannot see, so MCP Guard does not forward it.",
        entries: [],
      },
    };
  }
  return { kind: 'subject', subject: call };
}

// Field by field, not `{ ...call, classification }`: objects from a spread site are pretenured once
// a few of them live long (the calls held at start-up while the tool list loads), and from then on
// every call's subject is allocated in the old generation (+20 MB of peak memory under load, measured).
export function classified(call: UnclassifiedCall, classification: Classification): ToolCall {
  return {
    kind: 'tool',
    id: call.id,
    key: call.key,
    name: call.name,
    args: call.args,
    line: call.line,
    receivedAt: call.receivedAt,
    classification,
  };
}

export function readResourceRequest(
  id: JsonRpcId,
  key: string,
  method: ResourceMethod,
  msg: JsonRpcMessage,
  now: number,
): Reading<ResourceRequest> {
  const params = msg.params;
  if (!isPlainObject(params) || typeof params['uri'] !== 'string' || params['uri'] === '') {
    return { kind: 'invalid', message: `Invalid params: ${method} needs params.uri, the resource URI as a string` };
  }
  const normal = normaliseResourceUri(params['uri']);
  const uri = normal.ok ? normal.uri : params['uri'];
  const request: ResourceRequest = {
    kind: 'resource',
    id,
    key,
    name: method,
    method,
    uri,
    args: { uri },
    // The URI decided on is the URI sent: the normalised one, as the server would read it anyway.
    line: wireLine(requestMessage(id, method, { ...params, uri })),
    receivedAt: now,
    classification: RESOURCE_CLASSIFICATION,
  };
  if (!normal.ok) {
    return {
      kind: 'refused',
      subject: request,
      block: 'malformed',
      facts: {
        decision: 'denied',
        rule: 'uri',
        reason: `MCP Guard reads resource URIs as a URL parser does and refuses what it cannot read unambiguously: ${normal.reason}.`,
        entries: [],
      },
    };
  }
  return { kind: 'subject', subject: request };
}

/** The decision for any subject, before approval; the policy part names the entries that applied. */
export function decideSubject(
  subject: GatedSubject,
  state: PolicyState,
  mode: Mode,
  limiter: RateLimiter,
): Decision<{ readonly applicable: readonly { readonly key: string }[] }> {
  return subject.kind === 'tool'
    ? decide(state, mode, { tool: subject.name, args: subject.args, classification: subject.classification }, limiter)
    : decideResource(state, mode, subject.uri, limiter);
}

/**
 * What "Allow for this session" covers: a tool by name, and for a tool the catalog classes by an
 * argument only that argument's case (approving execute_method with method=search_read does not
 * let method=write through); a resource method on that exact URI, nothing wider.
 */
export function sessionKey(subject: GatedSubject): string {
  if (subject.kind !== 'tool') return `${subject.method} ${subject.uri}`;
  const by = subject.classification.argument;
  return by === undefined ? `tool ${subject.name}` : `tool ${subject.name} ${by}`;
}

/**
 * The client's answer to a blocked request: a tool result with `isError` the agent can read, or
 * for a resource request a JSON-RPC error (a resources/read result has no `isError`).
 */
export function blockedAnswer(subject: GatedSubject, kind: BlockKind, facts: AuditFacts): string {
  if (subject.kind === 'tool')
    return resultLine(subject.id, errorResult(denialText(kind, subject.name, subject.classification, facts.rule, facts.reason)));
  const verb = subject.method === 'resources/read' ? 'reading' : 'subscribing to';
  const message = `MCP Guard blocked ${verb} ${redactSecretsInText(subject.uri)} by rule ${facts.rule}: ${facts.reason}`;
  return errorLine(subject.id, GUARD_BLOCKED, message, { guard: 'mcp-guard', decision: facts.decision, rule: facts.rule });
}

/** The client's answer to an allowed request that cannot go because the server is down for good. */
export function serverGoneAnswer(subject: GatedSubject, gone: string): string {
  return subject.kind === 'tool'
    ? resultLine(subject.id, errorResult(`MCP Guard could not send the call to ${subject.name}: the MCP server is not running (${gone}).`))
    : errorLine(subject.id, UPSTREAM_ERROR, `The MCP server behind MCP Guard is not running: ${gone}`);
}

export function errorResult(text: string): { content: { type: 'text'; text: string }[]; isError: true } {
  return { content: [{ type: 'text', text }], isError: true };
}
