/** How a GuardProxy is wired to its two peers and configured (the `mcp-guard run` flags that reach it). */
import type { Approver } from '../approval/approver';
import type { AuditSink, DecisionNotice } from '../audit-events';
import type { LineMessage } from './channel';
import type { CatalogChoice } from '../catalog/identity';
import type { ToolDefinition } from '../catalog/types';
import type { PolicyState } from '../decider';
import type { Mode } from '../policy/model';
import type { Clock, RateLimiter } from '../rate-limiter';
import type { PinsFile } from '../pins/pins-file';
import type { TrustSource } from '../pins/trust';
import type { OwnSecret, ScanResultsMode } from '../result-secrets';

export interface GuardProxyOptions {
  /** Writes raw text (one or more newline-terminated messages) to the upstream server. */
  readonly toUpstream: (data: string) => void;
  /** Writes raw text to the MCP client. */
  readonly toClient: (data: string) => void;
  /**
   * For a peer that takes one message at a time (an HTTP upstream, serve's client streams): each
   * message's line (no newline) and, when the proxy has it, the message parsed (see LineMessage).
   * Used instead of `toUpstream` / `toClient` when set.
   */
  readonly toUpstreamLine?: (line: string, msg: LineMessage | undefined) => void;
  readonly toClientLine?: (line: string, msg: LineMessage | undefined) => void;
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
  /** `--scan-results`: what happens to secrets in tool results and resource contents (default `redact`). */
  readonly scanResults?: ScanResultsMode;
  /** Credentials the guard was given (its Odoo password or API key), searched for literally in answers. */
  readonly ownSecrets?: readonly OwnSecret[];
  /** Told of every decision, for the editor's status bar. */
  readonly onDecision?: (event: DecisionNotice) => void;
  /** The server's tool list, each time the guard reads it (for the editor's policy language). */
  readonly onToolsRead?: (tools: readonly ToolDefinition[]) => void;
  /**
   * Which catalog classes the server's tools (`--catalog`, default auto: odoo-mcp's own when the
   * server's initialize answer names it, else by annotations that catalog names may only raise),
   * and whether the server command starts odoo-mcp (used by auto when the server gives no name).
   */
  readonly catalog?: { readonly choice: CatalogChoice; readonly commandIsOdooMcp?: boolean };
  /** Which tool definitions are trusted: a pins file (`--pins`) or, by default, the session's first (trust on first use). */
  readonly trustSource?: TrustSource;
  /** Writes the pins after a person trusted a definition with "Trust new definition"; returns what went wrong, if anything. */
  readonly savePins?: (pins: PinsFile) => string | undefined;
  /** Told when the upstream answers an initialize (it is ready: a later exit is a crash). */
  readonly onUpstreamReady?: () => void;
}

/** The default for `--call-timeout`, in seconds. */
export const DEFAULT_CALL_TIMEOUT_SECONDS = 60;
