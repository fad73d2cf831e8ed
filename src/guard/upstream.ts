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
}

/**
 * Starts the real MCP server as a child over stdio. It inherits the guard's environment;
 * its stderr is the guard's stderr, so its logs stay visible.
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
  let exitPromise: Promise<void> | undefined;
  const exit = (cause: string, code: number | null) => {
    if (exited) return;
    exited = true;
    handlers.onExit(cause, code);
  };
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => handlers.onData(chunk));
  child.stdout!.on('end', () => handlers.onEnd());
  child.stdin!.on('error', () => {
    // EPIPE when the server dies mid-write: the exit handler reports it.
  });
  child.on('error', (err: NodeJS.ErrnoException) => {
    const cause =
      err.code === 'ENOENT'
        ? `cannot start "${command}": it was not found on PATH. Install it or give the full path to the server's command`
        : `cannot start "${command}": ${err.message}`;
    exit(cause, null);
  });
  child.on('exit', (code, signal) => {
    exit(signal ? `the server was killed by ${signal}` : `the server exited with code ${code}`, code);
  });
  return {
    process: child,
    write(data: string) {
      if (!exited && child.stdin!.writable) child.stdin!.write(data);
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
