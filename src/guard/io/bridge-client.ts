/** The guard's end of the editor bridge: connects with the window's token, asks approvals, reports decisions and tools, reconnects. */
import { connect, type Socket } from 'node:net';
import type { ApprovalAnswer, ApprovalRequest, Approver } from '../approval/approver';
import { formatArgumentsForDisplay } from '../approval/describe';
import { redactSecrets } from '../secrets';
import type { DecisionNotice } from '../audit-events';
import type { ToolDefinition } from '../catalog/types';
import type { Mode } from '../policy/model';
import { LineSplitter } from '../util/line-splitter';
import {
  BRIDGE_PROTOCOL_VERSION,
  MAX_BRIDGE_MESSAGE,
  parseEditorMessage,
  type ApprovalAnswerKind,
  type GuardToEditor,
  type ParentProcess,
  type StateMessage,
} from '../bridge/protocol';

/** Arguments larger than this (as JSON) are not sent with a decision: the editor then knows only their hash. */
const MAX_DECISION_ARGS_CHARS = 16 * 1024;
/** Tool definitions larger than this (as JSON) are not sent: the editor then knows only the names. */
export const MAX_TOOL_DEFINITIONS_CHARS = 512 * 1024;

export interface BridgeClientOptions {
  readonly address: string;
  readonly token: string;
  readonly server: string;
  readonly version: string;
  readonly mode: () => Mode;
  readonly onSetMode: (mode: Mode) => void;
  readonly onResetRateLimits: () => void;
  readonly log: (message: string) => void;
  /** The guard's parent process, sent in the hello for the editor to name who asked (shown for terminal guards). */
  readonly parent?: ParentProcess;
  /** Delays between reconnection attempts; the last one repeats. */
  readonly retryDelaysMs?: readonly number[];
}

interface Pending {
  readonly resolve: (answer: ApprovalAnswer) => void;
  readonly allowSession: boolean;
  /** A definition approval: "Trust new definition" may pin it. */
  readonly definition: boolean;
}

/**
 * The guard's end of the editor bridge, and the first approver in its chain. While it is
 * connected, approvals are asked as modal dialogs in VS Code; when the connection drops,
 * pending approvals are declined and the chain falls back to the next approver.
 */
export class EditorBridgeClient implements Approver {
  readonly name = 'editor';
  private socket: Socket | undefined;
  private welcomed = false;
  private closed = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Map<string, Pending>();
  /** Ids that were asked and are no longer pending, so a late answer is reported, not applied. */
  private readonly finished = new Set<string>();
  /** The shared rate-limit store's last reachability, sent again after each welcome. */
  private lastState: StateMessage | undefined;

  constructor(private readonly opts: BridgeClientOptions) {}

  /** Connects; resolves once the editor welcomed the guard, or false when it could not. */
  start(): Promise<boolean> {
    return new Promise((resolve) => this.open(resolve));
  }

  private open(settled?: (ok: boolean) => void): void {
    if (this.closed) return settled?.(false);
    const socket = connect(this.opts.address);
    this.socket = socket;
    socket.setEncoding('utf8');
    // Over the limit, the line is dropped as it streams (never buffered) and the bridge left.
    const tooLong = () => {
      if (socket.destroyed) return;
      this.opts.log('the editor bridge sent an oversized message; disconnecting');
      socket.destroy();
    };
    const lines = new LineSplitter(
      (line) => {
        if (!socket.destroyed) this.onLine(line, settled);
      },
      { maxLineBytes: MAX_BRIDGE_MESSAGE, onOversize: () => ({ feed: tooLong, end: tooLong }) },
    );
    socket.on('connect', () => {
      this.send({
        type: 'hello',
        token: this.opts.token,
        protocol: BRIDGE_PROTOCOL_VERSION,
        server: this.opts.server,
        pid: process.pid,
        mode: this.opts.mode(),
        version: this.opts.version,
        ...(this.opts.parent ? { parent: this.opts.parent } : {}),
      });
    });
    socket.on('data', (chunk: string) => {
      if (!socket.destroyed) lines.push(chunk);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      const wasUp = this.welcomed;
      this.welcomed = false;
      if (this.socket === socket) this.socket = undefined;
      this.failPending('the editor bridge closed before an answer');
      settled?.(false);
      settled = undefined;
      if (wasUp) this.opts.log('lost the editor bridge; approvals fall back to MCP elicitation until it is back');
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delays = this.opts.retryDelaysMs ?? [500, 1000, 2000, 5000, 10000];
    const delay = delays[Math.min(this.attempt, delays.length - 1)]!;
    this.attempt++;
    this.retryTimer = setTimeout(() => this.open(), delay);
    this.retryTimer.unref();
  }

  private onLine(line: string, settled?: (ok: boolean) => void): void {
    const msg = parseEditorMessage(line);
    if (!msg) return;
    switch (msg.type) {
      case 'welcome':
        this.welcomed = true;
        this.attempt = 0;
        if (msg.mode !== this.opts.mode()) this.opts.onSetMode(msg.mode);
        if (this.lastState) this.send(this.lastState);
        settled?.(true);
        return;
      case 'set_mode':
        if (this.welcomed) this.opts.onSetMode(msg.mode);
        return;
      case 'reset_rate_limits':
        if (this.welcomed) this.opts.onResetRateLimits();
        return;
      case 'approval_answer':
        return this.onAnswer(msg.id, msg.answer);
    }
  }

  private onAnswer(id: string, answer: ApprovalAnswerKind): void {
    const pending = this.pending.get(id);
    if (!pending || !this.welcomed) {
      this.send({ type: 'answer_rejected', id, why: this.finished.has(id) ? 'expired' : 'unknown' });
      return;
    }
    this.pending.delete(id);
    this.remember(id);
    if (answer === 'deny') pending.resolve({ outcome: 'declined', by: this.name, detail: 'The user denied it in VS Code.' });
    else
      pending.resolve({
        outcome: 'approved',
        by: this.name,
        // Only what was offered: "Trust new definition" for a definition, "for this session" where allowed.
        scope:
          answer === 'trust_definition' && pending.definition
            ? 'pin'
            : answer === 'allow_session' && pending.allowSession
              ? 'session'
              : 'once',
      });
  }

  private remember(id: string): void {
    this.finished.add(id);
    if (this.finished.size > 10_000) this.finished.delete(this.finished.values().next().value!);
  }

  private failPending(detail: string): void {
    for (const [id, p] of this.pending) {
      this.remember(id);
      p.resolve({ outcome: 'declined', by: this.name, detail: `${detail}; denied.` });
    }
    this.pending.clear();
  }

  private send(message: GuardToEditor): boolean {
    return this.sendLine(JSON.stringify(message));
  }

  /**
   * Sends `message` with `key: value` added when the value's JSON fits in `maxChars`, and without
   * it otherwise; each part is serialised once.
   */
  private sendWithOptional(message: GuardToEditor, key: string, value: unknown, maxChars: number): boolean {
    const base = JSON.stringify(message);
    const extra = JSON.stringify(value);
    return this.sendLine(extra !== undefined && extra.length <= maxChars ? `${base.slice(0, -1)},${JSON.stringify(key)}:${extra}}` : base);
  }

  private sendLine(line: string): boolean {
    const socket = this.socket;
    if (!socket || socket.destroyed) return false;
    socket.write(`${line}\n`);
    return true;
  }

  isAvailable(): boolean {
    return this.welcomed && this.socket !== undefined && !this.socket.destroyed;
  }

  request(req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer> {
    if (!this.isAvailable()) return Promise.resolve({ outcome: 'unavailable', by: this.name, detail: 'not connected' });
    return new Promise<ApprovalAnswer>((resolve) => {
      const definition = req.definitionChange !== undefined;
      const allowSession = req.risk !== 'critical' && !definition;
      this.pending.set(req.callId, { resolve, allowSession, definition });
      signal.addEventListener(
        'abort',
        () => {
          if (!this.pending.delete(req.callId)) return;
          this.remember(req.callId);
          const why = (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError' ? 'timeout' : 'cancelled';
          this.send({ type: 'approval_withdrawn', id: req.callId, why });
          resolve({ outcome: 'declined', by: this.name, detail: why === 'timeout' ? 'No answer in time.' : 'The call was cancelled.' });
        },
        { once: true },
      );
      this.send({
        type: 'approval_request',
        id: req.callId,
        server: req.server,
        tool: req.tool,
        category: req.category,
        risk: req.risk,
        riskReason: req.riskReason,
        rule: req.rule,
        reason: req.reason,
        argsText: formatArgumentsForDisplay(req.args),
        timeoutMs: req.timeoutMs,
        allowSession,
        ...(req.definitionChange ? { definitionChange: req.definitionChange } : {}),
      });
    });
  }

  notifyDecision(event: DecisionNotice): void {
    if (!this.isAvailable()) return;
    const { args, ...rest } = event;
    this.sendWithOptional(
      { type: 'decision', server: this.opts.server, time: new Date().toISOString(), ...rest },
      'arguments',
      redactSecrets(args),
      MAX_DECISION_ARGS_CHARS,
    );
  }

  /** The shared rate-limit store's reachability changed (`--state redis://…`), for the status bar. */
  notifyState(notice: { readonly store: string; readonly reachable: boolean; readonly failOpen: boolean; readonly cause?: string }): void {
    this.lastState = { type: 'state', server: this.opts.server, ...notice };
    if (this.isAvailable()) this.send(this.lastState);
  }

  notifyTools(tools: readonly ToolDefinition[]): void {
    if (!this.isAvailable()) return;
    const names = tools.map((t) => t.name);
    // Definitions only when they fit: a server with huge schemas still gets its names checked.
    this.sendWithOptional({ type: 'tools', server: this.opts.server, names }, 'tools', tools, MAX_TOOL_DEFINITIONS_CHARS);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.failPending('the guard is stopping');
    this.socket?.destroy();
  }
}
