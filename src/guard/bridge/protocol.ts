/** The editor bridge protocol: the messages a guard and the editor window exchange, and their validation. */
import { isPlainObject } from '../util/json';
import type { RiskClass, ToolCategory, ToolDefinition } from '../catalog/types';
import { MODES, type Mode } from '../policy/model';
import type { DefinitionChange } from '../pins/trust';
import type { ResultSecretsNote } from '../audit-events';

/**
 * The editor bridge: a local socket between the VS Code extension (server side) and each
 * guard process (client side). Newline-delimited JSON; the guard's first message must be a
 * `hello` with the window's token, or the extension drops the connection.
 */
export const BRIDGE_PROTOCOL_VERSION = 1;

/** Where the guard finds the bridge: set by the extension in each server definition's environment. */
export const BRIDGE_ADDRESS_ENV = 'MCP_GUARD_BRIDGE';
export const BRIDGE_TOKEN_ENV = 'MCP_GUARD_BRIDGE_TOKEN';

/**
 * Who a connected guard was started by, decided by which of the window's tokens its hello carried
 * (never by anything the guard claims): `editor` for the guarded server definitions VS Code starts,
 * `terminal` for a guard started in one of the window's integrated terminals, which get their own
 * token through the terminals' environment.
 */
export type BridgeOrigin = 'editor' | 'terminal';

/**
 * The process that started a guard, as the guard reports it in its hello: for display in the approval
 * dialog only (a hostile process can claim anything), so it is validated and cut short.
 */
export interface ParentProcess {
  readonly pid: number;
  /** Its command line (Linux: /proc/<ppid>/cmdline), when the guard could read it. */
  readonly command?: string;
}

/** The longest command line a hello may carry for display; longer ones are cut. */
export const MAX_PARENT_COMMAND_CHARS = 300;

/** A command line fit for one line of a dialog: control characters become spaces, runs of space one, long ones cut with "…". */
export function displayCommand(command: string, max = MAX_PARENT_COMMAND_CHARS): string {
  const flat = command
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The hello's `parent`, validated and made fit for display; undefined when absent or malformed. */
export function parentFromHello(v: unknown): ParentProcess | undefined {
  if (!isPlainObject(v)) return undefined;
  const pid = v['pid'];
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  const command = typeof v['command'] === 'string' ? displayCommand(v['command'].slice(0, 64 * 1024)) : undefined;
  return command ? { pid, command } : { pid };
}

/** The largest message either side accepts; a longer line closes the connection. */
export const MAX_BRIDGE_MESSAGE = 1024 * 1024;

/** `trust_definition`: "Trust new definition" for a definition approval (trusted, and pinned when the guard has a pins file). */
export type ApprovalAnswerKind = 'allow_once' | 'allow_session' | 'trust_definition' | 'deny';

export interface ApprovalRequestMessage {
  readonly type: 'approval_request';
  readonly id: string;
  readonly server: string;
  readonly tool: string;
  readonly category: ToolCategory;
  readonly risk: RiskClass;
  readonly riskReason: string;
  readonly rule: string;
  readonly reason: string;
  /** The arguments as a person should read them: indented, secrets hidden, long values cut. */
  readonly argsText: string;
  readonly timeoutMs: number;
  /** Whether "Allow for this session" may be offered (never for critical tools, nor for a definition). */
  readonly allowSession: boolean;
  /**
   * Present when the question is whether to trust a tool's changed or new definition: what changed
   * (old and new description, schema changes), for the dialog to show with "Trust new definition".
   */
  readonly definitionChange?: DefinitionChange;
}

export interface DecisionMessage {
  readonly type: 'decision';
  readonly server: string;
  readonly tool: string;
  readonly decision: string;
  readonly rule: string;
  readonly reason: string;
  readonly time: string;
  /** Set while the guard cannot write its audit log (why); non-read calls are then blocked unless --audit-fail-open. */
  readonly auditProblem?: string;
  /** The audit event's `args_sha256`: how the editor finds this call's row in the audit log. */
  readonly argsSha256?: string;
  /**
   * The call's arguments with secrets redacted (absent when their JSON is over 16 KB), so the
   * editor can offer them as conditions when it turns the call into a rule. The bridge is a
   * private socket of the user's own editor window; the audit file still holds only the hash.
   */
  readonly arguments?: Readonly<Record<string, unknown>>;
  /** Secrets found in the server's answer (`--scan-results`): kinds and count, never a secret. */
  readonly resultSecrets?: ResultSecretsNote;
}

/**
 * The store of shared rate limits (`--state redis://…`) became reachable or unreachable: while it is not,
 * calls under a shared limit are denied (or, with `failOpen`, go ahead uncounted). Sent on each change and
 * again after every welcome.
 */
export interface StateMessage {
  readonly type: 'state';
  readonly server: string;
  readonly store: string;
  readonly reachable: boolean;
  readonly failOpen: boolean;
  readonly cause?: string;
}

export type GuardToEditor =
  | {
      readonly type: 'hello';
      readonly token: string;
      readonly protocol: number;
      readonly server: string;
      readonly pid: number;
      readonly mode: Mode;
      readonly version: string;
      /** The guard's parent process (pid, and command line where it can be read): shown when the guard runs in a terminal. */
      readonly parent?: ParentProcess;
    }
  | ApprovalRequestMessage
  | { readonly type: 'approval_withdrawn'; readonly id: string; readonly why: 'timeout' | 'cancelled' }
  | { readonly type: 'answer_rejected'; readonly id: string; readonly why: 'expired' | 'unknown' }
  | DecisionMessage
  | StateMessage
  /** The server's tools: their names, and their definitions (schemas, annotations) when those fit in MAX_TOOL_DEFINITIONS_CHARS. */
  | { readonly type: 'tools'; readonly server: string; readonly names: readonly string[]; readonly tools?: readonly ToolDefinition[] };

export type EditorToGuard =
  | { readonly type: 'welcome'; readonly mode: Mode }
  | { readonly type: 'approval_answer'; readonly id: string; readonly answer: ApprovalAnswerKind }
  | { readonly type: 'set_mode'; readonly mode: Mode }
  | { readonly type: 'reset_rate_limits' };

function isMode(v: unknown): v is Mode {
  return typeof v === 'string' && (MODES as readonly string[]).includes(v);
}

/** Validates what the extension sends; anything unexpected is `undefined` and ignored. */
export function parseEditorMessage(line: string): EditorToGuard | undefined {
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isPlainObject(m)) return undefined;
  switch (m['type']) {
    case 'welcome':
      return isMode(m['mode']) ? { type: 'welcome', mode: m['mode'] } : undefined;
    case 'set_mode':
      return isMode(m['mode']) ? { type: 'set_mode', mode: m['mode'] } : undefined;
    case 'reset_rate_limits':
      return { type: 'reset_rate_limits' };
    case 'approval_answer': {
      const answer = m['answer'];
      if (
        typeof m['id'] !== 'string' ||
        (answer !== 'allow_once' && answer !== 'allow_session' && answer !== 'trust_definition' && answer !== 'deny')
      )
        return undefined;
      return { type: 'approval_answer', id: m['id'], answer };
    }
    default:
      return undefined;
  }
}

const isStrings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isOptionalString = (v: unknown): boolean => v === undefined || typeof v === 'string';

function isDefinitionChange(v: unknown): v is DefinitionChange {
  return (
    isPlainObject(v) &&
    (v['kind'] === 'changed' || v['kind'] === 'new') &&
    (v['against'] === 'pins' || v['against'] === 'session') &&
    isStrings(v['parts']) &&
    isStrings(v['schemaChanges']) &&
    typeof v['fingerprint'] === 'string' &&
    isOptionalString(v['pinsFile']) &&
    isOptionalString(v['oldDescription']) &&
    isOptionalString(v['newDescription'])
  );
}

function isResultSecrets(v: unknown): v is ResultSecretsNote {
  return (
    isPlainObject(v) &&
    (v['action'] === 'redacted' || v['action'] === 'flagged') &&
    typeof v['count'] === 'number' &&
    Number.isSafeInteger(v['count']) &&
    v['count'] >= 0 &&
    Array.isArray(v['kinds']) &&
    (v['kinds'] as unknown[]).every((k) => typeof k === 'string')
  );
}

/** Validates what a guard sends, so a hostile local process cannot crash the extension. */
export function parseGuardMessage(line: string): GuardToEditor | undefined {
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isPlainObject(m) || typeof m['type'] !== 'string') return undefined;
  const str = (k: string) => typeof m[k] === 'string';
  switch (m['type']) {
    case 'hello':
      return str('token') &&
        str('server') &&
        typeof m['pid'] === 'number' &&
        isMode(m['mode']) &&
        str('version') &&
        typeof m['protocol'] === 'number'
        ? (m as unknown as GuardToEditor)
        : undefined;
    case 'approval_request':
      return ['id', 'server', 'tool', 'category', 'risk', 'riskReason', 'rule', 'reason', 'argsText'].every(str) &&
        typeof m['timeoutMs'] === 'number' &&
        typeof m['allowSession'] === 'boolean' &&
        (m['definitionChange'] === undefined || isDefinitionChange(m['definitionChange']))
        ? (m as unknown as GuardToEditor)
        : undefined;
    case 'approval_withdrawn':
      return str('id') && (m['why'] === 'timeout' || m['why'] === 'cancelled') ? (m as unknown as GuardToEditor) : undefined;
    case 'answer_rejected':
      return str('id') && (m['why'] === 'expired' || m['why'] === 'unknown') ? (m as unknown as GuardToEditor) : undefined;
    case 'decision':
      return ['server', 'tool', 'decision', 'rule', 'reason', 'time'].every(str) &&
        (m['argsSha256'] === undefined || str('argsSha256')) &&
        (m['arguments'] === undefined || isPlainObject(m['arguments'])) &&
        (m['resultSecrets'] === undefined || isResultSecrets(m['resultSecrets']))
        ? (m as unknown as GuardToEditor)
        : undefined;
    case 'state':
      return str('server') &&
        str('store') &&
        typeof m['reachable'] === 'boolean' &&
        typeof m['failOpen'] === 'boolean' &&
        (m['cause'] === undefined || str('cause'))
        ? (m as unknown as GuardToEditor)
        : undefined;
    case 'tools':
      return str('server') &&
        Array.isArray(m['names']) &&
        (m['names'] as unknown[]).every((n) => typeof n === 'string') &&
        (m['tools'] === undefined ||
          (Array.isArray(m['tools']) && (m['tools'] as unknown[]).every((t) => isPlainObject(t) && typeof t['name'] === 'string')))
        ? (m as unknown as GuardToEditor)
        : undefined;
    default:
      return undefined;
  }
}
