/** The real MCP server as a child process over stdio: started, watched, and stopped with escalating signals. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface UpstreamHandlers {
  onData(chunk: string): void;
  onEnd(): void;
  /** The process is gone (or never started); `cause` is a sentence for people. */
  onExit(cause: string, code: number | null): void;
}

export interface Upstream {
  readonly process: ChildProcess;
  write(data: string): void;
  /** Closes stdin, then escalates to SIGTERM and SIGKILL if the server does not leave. */
  stop(graceMs?: number): Promise<void>;
  /** Kills the process at once (SIGKILL). */
  kill(): void;
}

/**
 * After the process exits, how long its stdout may still deliver what it wrote before
 * dying (an answer written just before `exit`), before the exit is reported anyway (a
 * grandchild may hold the pipe open).
 */
const STDOUT_GRACE_MS = 250;

/**
 * Starts the real MCP server as a child over stdio. It inherits the guard's environment;
 * its stderr is the guard's stderr, so its logs stay visible. The exit is reported once,
 * after the process's stdout has been read to its end (or STDOUT_GRACE_MS after the exit).
 */
export function startUpstream(command: string, args: readonly string[], handlers: UpstreamHandlers): Upstream {
  const child = spawn(command, [...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: process.env,
    // Windows needs a shell to run `uvx`, `npx` and other .cmd shims.
    shell: process.platform === 'win32',
    windowsHide: true,
  });
  let exited = false;
  let reported = false;
  let stdoutEnded = false;
  let pendingExit: { cause: string; code: number | null } | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let exitPromise: Promise<void> | undefined;
  const report = () => {
    if (reported || pendingExit === undefined) return;
    reported = true;
    clearTimeout(graceTimer);
    handlers.onExit(pendingExit.cause, pendingExit.code);
  };
  const exit = (cause: string, code: number | null, waitForStdout: boolean) => {
    if (exited) return;
    exited = true;
    pendingExit = { cause, code };
    if (!waitForStdout || stdoutEnded) return report();
    graceTimer = setTimeout(report, STDOUT_GRACE_MS);
  };
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    if (!reported) handlers.onData(chunk);
  });
  child.stdout!.on('end', () => {
    stdoutEnded = true;
    if (!reported) handlers.onEnd();
    if (exited) report();
  });
  child.stdout!.on('error', () => {
    stdoutEnded = true;
    if (exited) report();
  });
  child.stdin!.on('error', () => {
    // EPIPE when the server dies mid-write: the exit handler reports it.
  });
  child.on('error', (err: NodeJS.ErrnoException) => {
    const cause =
      err.code === 'ENOENT'
        ? `cannot start "${command}": it was not found on PATH. Install it or give the full path to the server's command`
        : `cannot start "${command}": ${err.message}`;
    exit(cause, null, false);
  });
  child.on('exit', (code, signal) => {
    exit(signal ? `the server was killed by ${signal}` : `the server exited with code ${code}`, code, true);
  });
  return {
    process: child,
    write(data: string) {
      if (!exited && child.stdin!.writable) child.stdin!.write(data);
    },
    kill() {
      if (!exited) child.kill('SIGKILL');
    },
    stop(graceMs = 2000) {
      exitPromise ??= new Promise<void>((resolve) => {
        if (exited || child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin!.end();
        const term = setTimeout(() => child.kill('SIGTERM'), graceMs);
        const kill = setTimeout(() => child.kill('SIGKILL'), graceMs * 2);
        child.once('exit', () => {
          clearTimeout(term);
          clearTimeout(kill);
        });
      });
      return exitPromise;
    },
  };
}

/** The default for `--max-restarts`: restarts allowed within RESTART_WINDOW_MS. */
export const DEFAULT_MAX_RESTARTS = 5;
export const RESTART_WINDOW_MS = 60_000;
/** Backoff before a restart: 100 ms, then doubled per recent restart, at most 5 s. */
export const RESTART_BASE_DELAY_MS = 100;
export const RESTART_MAX_DELAY_MS = 5_000;

export interface SupervisorEvents {
  onData(chunk: string): void;
  onEnd(): void;
  /**
   * The current process is gone. `restartInMs` is set when another will be started after
   * that delay; otherwise the supervisor has given up (`everReady` tells whether the
   * server had ever completed a handshake).
   */
  onExit(exit: { cause: string; restartInMs?: number; restartsInWindow: number; everReady: boolean }): void;
  /** A replacement process was started (not called for the first one). */
  onRestarted(pid: number | undefined): void;
}

export interface SupervisorOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** Restarts allowed within `windowMs`; 0 never restarts. */
  readonly maxRestarts?: number;
  readonly windowMs?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Keeps the upstream server running: when a process that had completed its handshake
 * exits, a new one is started after a backoff, at most `maxRestarts` times within a
 * window; then it stays down. A server that dies before it was ever ready is not
 * restarted (that is a configuration problem, not a crash).
 */
export class UpstreamSupervisor {
  private current: Upstream | undefined;
  private generation = 0;
  private stopping = false;
  private everReady = false;
  private readonly restarts: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly maxRestarts: number;
  private readonly windowMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly options: SupervisorOptions,
    private readonly events: SupervisorEvents,
  ) {
    this.maxRestarts = options.maxRestarts ?? DEFAULT_MAX_RESTARTS;
    this.windowMs = options.windowMs ?? RESTART_WINDOW_MS;
    this.baseDelayMs = options.baseDelayMs ?? RESTART_BASE_DELAY_MS;
    this.maxDelayMs = options.maxDelayMs ?? RESTART_MAX_DELAY_MS;
  }

  start(): void {
    this.spawn();
  }

  get pid(): number | undefined {
    return this.current?.process.pid;
  }

  /** The server completed a handshake: from now on an exit is a crash worth a restart. */
  markReady(): void {
    this.everReady = true;
  }

  write(data: string): void {
    this.current?.write(data);
  }

  /** Kills the current process (a replacement that failed its handshake); its exit is handled as any other. */
  killCurrent(): void {
    this.current?.kill();
  }

  /** Stops the server for good: no restart after this. */
  async stop(graceMs?: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.current?.stop(graceMs);
  }

  private spawn(): void {
    const gen = ++this.generation;
    this.current = startUpstream(this.options.command, this.options.args, {
      onData: (chunk) => {
        if (gen === this.generation) this.events.onData(chunk);
      },
      onEnd: () => {
        if (gen === this.generation) this.events.onEnd();
      },
      onExit: (cause) => {
        if (gen === this.generation) this.onExit(cause);
      },
    });
  }

  private onExit(cause: string): void {
    if (this.stopping) return;
    const now = Date.now();
    while (this.restarts.length > 0 && this.restarts[0]! <= now - this.windowMs) this.restarts.shift();
    const recent = this.restarts.length;
    if (!this.everReady || recent >= this.maxRestarts) {
      this.events.onExit({ cause, restartsInWindow: recent, everReady: this.everReady });
      return;
    }
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** recent);
    this.restarts.push(now);
    this.events.onExit({ cause, restartInMs: delay, restartsInWindow: recent + 1, everReady: true });
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.spawn();
      this.events.onRestarted(this.current?.process.pid);
    }, delay);
  }
}
