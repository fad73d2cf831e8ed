/**
 * An audit event as an OpenTelemetry log record: its event name, severity, a one-line body, and every field
 * of the audit line as an attribute, under the MCP and GenAI semantic-convention names where they exist
 * (`gen_ai.tool.name`, `mcp.method.name`, `mcp.session.id`, `gen_ai.operation.name`, `error.type`, ...) and
 * `mcp_guard.*` for MCP Guard's own. A record carries what the audit line carries, no more: argument values
 * only when the line has them (`--audit-include-args`), otherwise their SHA-256. Pure: no SDK here.
 */
import type { AuditEvent, DecisionEvent, UpstreamOutcome } from '../audit-events';

/** What an OTLP attribute may hold (the SDK's AnyValue, without bytes). */
export type OtlpValue = string | number | boolean | null | readonly OtlpValue[] | { readonly [key: string]: OtlpValue };
export type OtlpAttributes = Record<string, OtlpValue>;

/** OpenTelemetry severity numbers (logs data model). */
export const SEVERITY = { INFO: 9, WARN: 13, ERROR: 17 } as const;
export type SeverityText = keyof typeof SEVERITY;

export interface OtlpRecordParts {
  /** The audit event's kind: `decision`, `start`, `stop`, ... */
  readonly eventName: string;
  readonly severityText: SeverityText;
  readonly severityNumber: number;
  readonly body: string;
  readonly attributes: OtlpAttributes;
}

export interface OtlpRecordContext {
  /** This guard process's `service.instance.id`. */
  readonly instanceId: string;
  /** `run` serves one MCP session over stdio (`pipe`); `serve` many over HTTP (`tcp`). */
  readonly transport: 'pipe' | 'tcp';
}

/** Our own attributes' namespace. */
export const NS = 'mcp_guard';

const RESOURCE_METHODS = new Set(['resources/read', 'resources/subscribe']);

/**
 * `mcp.session.id`: never the Mcp-Session-Id header (a credential for the session, kept out of files), but an
 * id that is unique per MCP session all the same: the guard's instance id for `run` (one session per process),
 * with the session's number for `serve`.
 */
export function sessionId(ctx: OtlpRecordContext, session: number | undefined): string | undefined {
  if (ctx.transport === 'pipe') return ctx.instanceId;
  return session === undefined ? undefined : `${ctx.instanceId}/${session}`;
}

/** `error.type` for a forwarded call that did not end well (the semantic conventions' `tool_error` for isError). */
export function errorType(outcome: UpstreamOutcome): string | undefined {
  switch (outcome) {
    case 'isError':
      return 'tool_error';
    case 'protocol_error':
    case 'timeout':
    case 'no_response':
      return outcome;
    default:
      return undefined;
  }
}

const DENIALS = new Set(['denied', 'declined', 'rate_limited']);

/** Denials (denied, declined, rate limited) WARN; failed calls and guard troubles ERROR; the rest INFO. */
export function severityOf(event: AuditEvent): SeverityText {
  switch (event.event) {
    case 'decision':
      if (DENIALS.has(event.decision)) return 'WARN';
      return errorType(event.outcome) !== undefined ? 'ERROR' : 'INFO';
    case 'policy_reload':
      return event.ok ? 'INFO' : 'ERROR';
    case 'upstream':
      return event.state === 'down' ? 'ERROR' : event.state === 'exited' ? 'WARN' : 'INFO';
    case 'tool_definition':
    case 'otlp_dropped':
      return 'WARN';
    case 'state_store':
      return event.state === 'unreachable' ? 'ERROR' : 'INFO';
    default:
      return 'INFO';
  }
}

function bodyOf(event: AuditEvent): string {
  switch (event.event) {
    case 'decision':
      return `${event.decision} ${event.tool} on ${event.server} by ${event.rule}: ${event.reason}`;
    case 'start':
      return `MCP Guard ${event.version} started in ${event.mode} mode in front of ${event.upstream}`;
    case 'stop':
      return `MCP Guard stopped: ${event.reason}`;
    case 'policy_reload':
      return event.ok ? 'policy reloaded' : `policy change rejected: ${event.error ?? ''}`;
    case 'mode_change':
      return `mode set to ${event.mode}`;
    case 'tool_definition':
      return `${event.change} definition of ${event.tool} on ${event.server} (against ${event.against})`;
    case 'tool_trusted':
      return `${event.by} trusted the definition of ${event.tool} on ${event.server}`;
    case 'upstream':
      return `server ${event.state}${event.cause !== undefined ? `: ${event.cause}` : ''}`;
    case 'session':
      return `session ${event.session} ${event.state}${event.reason !== undefined ? `: ${event.reason}` : ''}`;
    case 'otlp_dropped':
      return `${event.dropped} audit records dropped by the OTLP export (${event.total} in all): ${event.cause}`;
    case 'state_store':
      return `the shared rate-limit store ${event.store} is ${event.state}${event.cause !== undefined ? `: ${event.cause}` : ''}`;
  }
}

/** Plain values as they are; objects flattened to dotted names; arrays kept (of scalars) or as JSON text. */
function put(attributes: OtlpAttributes, name: string, value: unknown): void {
  if (value === undefined) return;
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    attributes[name] = value;
  } else if (Array.isArray(value)) {
    attributes[name] = value.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      ? (value as OtlpValue[])
      : JSON.stringify(value);
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) put(attributes, `${name}.${k}`, v);
  }
}

/** A decision's semantic-convention attributes: what was called, how it went, and its arguments only if the line has them. */
function decisionAttributes(event: DecisionEvent, attributes: OtlpAttributes): void {
  const resource = RESOURCE_METHODS.has(event.tool);
  attributes['mcp.method.name'] = resource ? event.tool : 'tools/call';
  if (!resource) {
    attributes['gen_ai.operation.name'] = 'execute_tool';
    attributes['gen_ai.tool.name'] = event.tool;
  }
  const error = errorType(event.outcome);
  if (error !== undefined) attributes['error.type'] = error;
  if (event.arguments === undefined) return;
  if (resource) {
    const uri = (event.arguments as { uri?: unknown } | null)?.uri;
    if (typeof uri === 'string') attributes['mcp.resource.uri'] = uri;
  } else {
    // Structured, as the conventions ask where the signal allows it (log attributes do); already redacted.
    attributes['gen_ai.tool.call.arguments'] = event.arguments as OtlpValue;
  }
}

/** The log record for one audit event. */
export function auditRecord(event: AuditEvent, ctx: OtlpRecordContext): OtlpRecordParts {
  const attributes: OtlpAttributes = {};
  const fields = event as unknown as Record<string, unknown>;
  const session = typeof fields['session'] === 'number' ? fields['session'] : undefined;
  const mcpSession = sessionId(ctx, session);
  if (mcpSession !== undefined) attributes['mcp.session.id'] = mcpSession;
  attributes['network.transport'] = ctx.transport;
  if (event.event === 'decision') decisionAttributes(event, attributes);
  else if (typeof fields['tool'] === 'string') attributes['gen_ai.tool.name'] = fields['tool'];
  for (const [key, value] of Object.entries(fields)) {
    // `event` is the record's event name; `tool` is gen_ai.tool.name; `arguments` went to their conventional names above.
    if (key === 'event' || key === 'tool' || key === 'arguments') continue;
    put(attributes, `${NS}.${key}`, value);
  }
  const severityText = severityOf(event);
  return { eventName: event.event, severityText, severityNumber: SEVERITY[severityText], body: bodyOf(event), attributes };
}
