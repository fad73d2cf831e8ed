/** The window's side of every running guard: the bridge server, approvals, decisions, reported tools, mode changes. */
import * as vscode from 'vscode';
import { BridgeServer, type GuardConnection } from '../guard/io/bridge-server';
import type { ApprovalAnswerKind, ApprovalRequestMessage, DecisionMessage, StateMessage } from '../guard/bridge/protocol';
import type { ToolDefinition } from '../guard/catalog/types';
import type { Mode } from '../guard/policy/model';
import { ApprovalQueue } from './approval-queue';
import { answerForChoice, approvalDialog, type Asker } from './approval-text';
import { BLOCKED_DECISIONS } from './status-text';

/** How many calls' arguments the window remembers (the audit view shows the last 500 decisions). */
const RECENT_ARGUMENTS = 500;

/**
 * The window's side of every running guard: serves the bridge, shows approvals one at a time,
 * and keeps the counts the status bar shows.
 */
export class GuardHub implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  readonly toolsChanged = new vscode.EventEmitter<void>();
  /** A running guard reported the tools its server lists. */
  readonly onDidReportTools = this.toolsChanged.event;
  blocked = 0;
  /** Secrets guards found in results this session: replaced before the agent saw them, or passed on (`flag`). */
  readonly secrets = { redacted: 0, flagged: 0 };
  lastDecision: DecisionMessage | undefined;
  /** The text of the last approval dialog shown (for the `mcpGuard.state` command the tests read). */
  lastApproval: { readonly message: string; readonly detail: string } | undefined;
  /** Set while a guard reports that its audit log cannot be written. */
  auditProblem: string | undefined;
  /** Guards whose store of shared rate limits cannot be reached, by connection. */
  private readonly unreachableStores = new Map<number, StateMessage>();
  /** Tool names each running guard reported, by server name. */
  readonly reportedTools = new Map<string, readonly string[]>();
  /** Tool definitions (schemas, annotations) each running guard reported, when they fitted in a message. */
  readonly reportedDefinitions = new Map<string, readonly ToolDefinition[]>();
  private readonly queue: ApprovalQueue;
  /** Arguments of recent decisions, by tool and argument hash, for turning audit rows into rules. */
  private readonly recentArgs = new Map<string, Readonly<Record<string, unknown>>>();

  private constructor(
    readonly bridge: BridgeServer,
    private readonly log: vscode.LogOutputChannel,
    queue: (hub: GuardHub) => ApprovalQueue,
  ) {
    this.queue = queue(this);
  }

  static async start(mode: () => Mode, log: vscode.LogOutputChannel): Promise<GuardHub> {
    // eslint-disable-next-line prefer-const -- the callbacks below read it (as undefined) until it is assigned
    let hub: GuardHub | undefined;
    const bridge = await BridgeServer.start({
      currentMode: mode,
      onConnect: (conn) => {
        const from =
          conn.origin === 'terminal'
            ? `, from a terminal${conn.parent ? `: parent pid ${conn.parent.pid}${conn.parent.command ? ` (${conn.parent.command})` : ''}` : ''}`
            : '';
        log.info(`guard for "${conn.server}" connected (pid ${conn.pid}, MCP Guard ${conn.version}${from})`);
        hub?.changed.fire();
      },
      onDisconnect: (conn) => {
        log.info(`guard for "${conn.server}" disconnected (pid ${conn.pid})`);
        hub?.queue.withdrawWhere((item) => item.key.startsWith(`${conn.id}:`));
        hub?.unreachableStores.delete(conn.id);
        hub?.changed.fire();
      },
      onApprovalRequest: (conn, req) => hub?.enqueue(conn, req),
      onApprovalWithdrawn: (conn, id, why) => {
        log.info(`approval for ${id} on "${conn.server}" withdrawn (${why})`);
        hub?.queue.withdraw(`${conn.id}:${id}`);
      },
      onAnswerRejected: (conn, _id, why) => {
        if (why === 'expired') {
          void vscode.window.showWarningMessage(
            `MCP Guard: that approval for "${conn.server}" had already expired, so the call was denied. Ask the agent to try again.`,
          );
        }
      },
      onDecision: (conn, d) => hub?.record(d, conn.origin === 'editor'),
      onState: (conn, s) => hub?.recordState(conn.id, s),
      onTools: (conn, server, names, tools) => {
        // A terminal's guard is any process there: its list must not replace what the editor's guards report.
        if (conn.origin === 'terminal') return;
        hub?.reportedTools.set(server, names);
        if (tools) hub?.reportedDefinitions.set(server, tools);
        else hub?.reportedDefinitions.delete(server);
        hub?.toolsChanged.fire();
      },
    });
    hub = new GuardHub(bridge, log, (h) => new ApprovalQueue((req, pos, total, asker) => h.showApproval(req, pos, total, asker)));
    return hub;
  }

  get guardCount(): number {
    return this.bridge.connections.length;
  }

  private enqueue(conn: GuardConnection, req: ApprovalRequestMessage): void {
    this.log.info(`approval asked: ${req.tool} on "${conn.server}" (${req.category}, ${req.risk}; rule ${req.rule})`);
    const asker: Asker = { origin: conn.origin, pid: conn.pid, ...(conn.parent ? { parent: conn.parent } : {}) };
    this.queue.enqueue({
      key: `${conn.id}:${req.id}`,
      request: req,
      asker,
      answer: (answer: ApprovalAnswerKind) => {
        this.log.info(`approval answered: ${req.tool} on "${conn.server}": ${answer}`);
        conn.send({ type: 'approval_answer', id: req.id, answer });
      },
    });
  }

  private async showApproval(req: ApprovalRequestMessage, position: number, total: number, asker?: Asker): Promise<ApprovalAnswerKind> {
    const dialog = approvalDialog(req, position, total, asker);
    this.lastApproval = { message: dialog.message, detail: dialog.detail };
    const choice = await vscode.window.showWarningMessage(dialog.message, { modal: true, detail: dialog.detail }, ...dialog.buttons);
    return answerForChoice(choice);
  }

  /** The arguments of a recent call, when a running guard reported them. */
  argumentsOf(tool: string, argsSha256: string): Readonly<Record<string, unknown>> | undefined {
    return this.recentArgs.get(`${tool}\n${argsSha256}`);
  }

  /** `ownArgs`: the guard is one of the editor's, writing the audit log the audit view reads, so its arguments may become rules. */
  private record(d: DecisionMessage, ownArgs: boolean): void {
    if (ownArgs && d.argsSha256 && d.arguments) {
      const key = `${d.tool}\n${d.argsSha256}`;
      this.recentArgs.delete(key);
      this.recentArgs.set(key, d.arguments);
      if (this.recentArgs.size > RECENT_ARGUMENTS) this.recentArgs.delete(this.recentArgs.keys().next().value!);
    }
    if (BLOCKED_DECISIONS.has(d.decision)) this.blocked++;
    if (d.resultSecrets) {
      this.secrets[d.resultSecrets.action] += d.resultSecrets.count;
      const what = `${d.resultSecrets.count} secret${d.resultSecrets.count === 1 ? '' : 's'} (${d.resultSecrets.kinds.join(', ')})`;
      this.log.warn(`${d.server}: ${d.resultSecrets.action} ${what} in the answer to ${d.tool}`);
    }
    this.lastDecision = d;
    if (d.auditProblem !== this.auditProblem) {
      this.auditProblem = d.auditProblem;
      if (d.auditProblem) {
        this.log.error(`audit log problem on "${d.server}": ${d.auditProblem}`);
        void vscode.window.showWarningMessage(
          `MCP Guard cannot write its audit log for "${d.server}": ${d.auditProblem}. Until it can, only Read / low-risk tools go through.`,
        );
      }
    }
    const line = `${d.server}: ${d.tool} ${d.decision} by ${d.rule}`;
    if (BLOCKED_DECISIONS.has(d.decision)) this.log.warn(line);
    else this.log.info(line);
    this.changed.fire();
  }

  /** A store of shared rate limits that a running guard cannot reach (the first one), for the status bar. */
  get unreachableStore(): StateMessage | undefined {
    return this.unreachableStores.values().next().value;
  }

  private recordState(connId: number, s: StateMessage): void {
    const was = this.unreachableStores.has(connId);
    if (s.reachable) {
      this.unreachableStores.delete(connId);
      if (was) this.log.info(`${s.server}: the shared rate-limit store ${s.store} is reachable again`);
    } else {
      this.unreachableStores.set(connId, s);
      if (!was) this.log.warn(`${s.server}: the shared rate-limit store ${s.store} cannot be reached (${s.cause ?? 'unknown'})`);
    }
    this.changed.fire();
  }

  setMode(mode: Mode): void {
    this.bridge.broadcast({ type: 'set_mode', mode });
  }

  resetRateLimits(): void {
    this.bridge.broadcast({ type: 'reset_rate_limits' });
  }

  dispose(): void {
    void this.bridge.close();
    this.changed.dispose();
    this.toolsChanged.dispose();
  }
}
