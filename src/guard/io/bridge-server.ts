/** The editor's end of the bridge: a private socket that only guards presenting this window's token may use. */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ToolDefinition } from '../catalog/types';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Mode } from '../policy/model';
import { LineSplitter } from '../util/line-splitter';
import {
  MAX_BRIDGE_MESSAGE,
  parentFromHello,
  parseGuardMessage,
  type ApprovalRequestMessage,
  type BridgeOrigin,
  type ParentProcess,
  type DecisionMessage,
  type StateMessage,
  type EditorToGuard,
} from '../bridge/protocol';

/** One guard process connected to this editor window. */
export interface GuardConnection {
  readonly id: number;
  readonly server: string;
  readonly pid: number;
  readonly version: string;
  /** Which token it presented: the server definitions' (`editor`) or the integrated terminals' (`terminal`). */
  readonly origin: BridgeOrigin;
  /** Its parent process as the guard reported it (display only); kept for terminal guards only. */
  readonly parent?: ParentProcess;
  send(message: EditorToGuard): void;
}

export interface BridgeServerHandlers {
  currentMode(): Mode;
  onConnect?(conn: GuardConnection): void;
  onDisconnect?(conn: GuardConnection): void;
  onApprovalRequest(conn: GuardConnection, request: ApprovalRequestMessage): void;
  onApprovalWithdrawn?(conn: GuardConnection, id: string, why: 'timeout' | 'cancelled'): void;
  onAnswerRejected?(conn: GuardConnection, id: string, why: 'expired' | 'unknown'): void;
  onDecision?(conn: GuardConnection, decision: DecisionMessage): void;
  /** A guard read its server's tool list: the names, and the definitions when they fit in a message. */
  onTools?(conn: GuardConnection, server: string, names: readonly string[], tools?: readonly ToolDefinition[]): void;
  /** The guard's store of shared rate limits became reachable or unreachable. */
  onState?(conn: GuardConnection, state: StateMessage): void;
}

const HELLO_TIMEOUT_MS = 5000;

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The extension's end of the editor bridge: a Unix socket in a directory only this user can
 * enter (a named pipe on Windows), and random tokens per window, one of which every guard must
 * present first. Anything else is disconnected. `token` goes to the guarded server definitions,
 * `terminalToken` to the window's integrated terminals: a connection's origin is the token it
 * presented, so a terminal guard cannot pass for one of the editor's own.
 */
export class BridgeServer {
  readonly token = randomBytes(32).toString('hex');
  readonly terminalToken = randomBytes(32).toString('hex');
  readonly address: string;
  private readonly dir: string | undefined;
  private readonly server: Server;
  private readonly live = new Set<GuardConnection>();
  private readonly sockets = new Set<Socket>();
  private nextId = 1;

  private constructor(private readonly handlers: BridgeServerHandlers) {
    if (process.platform === 'win32') {
      this.address = `\\\\.\\pipe\\mcp-guard-${randomBytes(12).toString('hex')}`;
    } else {
      this.dir = mkdtempSync(join(tmpdir(), 'mcp-guard-'));
      chmodSync(this.dir, 0o700);
      this.address = join(this.dir, 'bridge.sock');
    }
    this.server = createServer((socket) => this.accept(socket));
  }

  static start(handlers: BridgeServerHandlers): Promise<BridgeServer> {
    const bridge = new BridgeServer(handlers);
    return new Promise((resolve, reject) => {
      bridge.server.once('error', reject);
      bridge.server.listen(bridge.address, () => {
        bridge.server.off('error', reject);
        resolve(bridge);
      });
    });
  }

  get connections(): readonly GuardConnection[] {
    return [...this.live];
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setEncoding('utf8');
    let conn: GuardConnection | undefined;
    const helloTimer = setTimeout(() => socket.destroy(), HELLO_TIMEOUT_MS);
    const send = (message: EditorToGuard) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
    };
    // Over the limit, the line is dropped as it streams (never buffered) and the socket closed.
    const lines = new LineSplitter(
      (line) => {
        if (socket.destroyed) return;
        const msg = parseGuardMessage(line);
        if (!conn) {
          // The first message must be a hello with this window's token; nothing else is read.
          const origin: BridgeOrigin | undefined =
            msg?.type !== 'hello'
              ? undefined
              : sameToken(msg.token, this.token)
                ? 'editor'
                : sameToken(msg.token, this.terminalToken)
                  ? 'terminal'
                  : undefined;
          if (!msg || msg.type !== 'hello' || origin === undefined) {
            socket.destroy();
            return;
          }
          clearTimeout(helloTimer);
          const parent = origin === 'terminal' ? parentFromHello(msg.parent) : undefined;
          conn = {
            id: this.nextId++,
            server: msg.server,
            pid: msg.pid,
            version: msg.version,
            origin,
            ...(parent ? { parent } : {}),
            send,
          };
          this.live.add(conn);
          send({ type: 'welcome', mode: this.handlers.currentMode() });
          this.handlers.onConnect?.(conn);
          return;
        }
        if (!msg) return;
        switch (msg.type) {
          case 'approval_request':
            return this.handlers.onApprovalRequest(conn, msg);
          case 'approval_withdrawn':
            return this.handlers.onApprovalWithdrawn?.(conn, msg.id, msg.why);
          case 'answer_rejected':
            return this.handlers.onAnswerRejected?.(conn, msg.id, msg.why);
          case 'decision':
            return this.handlers.onDecision?.(conn, msg);
          case 'tools':
            return this.handlers.onTools?.(conn, msg.server, msg.names, msg.tools);
          case 'state':
            return this.handlers.onState?.(conn, msg);
          case 'hello':
            return;
        }
      },
      { maxLineBytes: MAX_BRIDGE_MESSAGE, onOversize: () => ({ feed: () => socket.destroy(), end: () => socket.destroy() }) },
    );
    socket.on('data', (chunk: string) => {
      if (!socket.destroyed) lines.push(chunk);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(helloTimer);
      this.sockets.delete(socket);
      if (conn && this.live.delete(conn)) this.handlers.onDisconnect?.(conn);
    });
  }

  broadcast(message: EditorToGuard): void {
    for (const conn of this.live) conn.send(message);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
