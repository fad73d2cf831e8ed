/** `mcp-guard run`: wires the proxy to its stdio, the upstream process, the policy file, the audit log and the editor bridge. */
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { commandStartsOdooMcp } from '../guard/catalog/identity';
import { JsonlAuditLog, NO_AUDIT, type AuditSink } from '../guard/io/audit-log';
import { PolicySource } from '../guard/io/policy-source';
import { DEFAULT_CALL_TIMEOUT_SECONDS, GuardProxy } from '../guard/proxy/guard-proxy';
import { RateLimiter, monotonicClock } from '../guard/rate-limiter';
import { DEFAULT_MAX_RESTARTS, RESTART_WINDOW_MS, UpstreamSupervisor } from '../guard/io/upstream';
import { EditorBridgeClient } from '../guard/io/bridge-client';
import { readPinsSource, writePinsFile } from '../guard/io/pins-store';
import type { TrustSource } from '../guard/pins/trust';
import { BRIDGE_ADDRESS_ENV, BRIDGE_TOKEN_ENV } from '../guard/bridge/protocol';
import { VERSION } from '../guard/version';
import { ownSecretsFromEnv } from '../guard/result-secrets';
import type { RunOptions } from './args';
import type { Mode } from '../guard/policy/model';

const LOG_FILE = process.env['MCP_GUARD_LOG_FILE'];

/** Logs go to stderr (VS Code shows them in the server's output) and, if asked, to a file too. */
function log(message: string): void {
  process.stderr.write(`[mcp-guard] ${message}\n`);
  if (LOG_FILE) {
    try {
      appendFileSync(LOG_FILE, `${new Date().toISOString()} [${process.pid}] ${message}\n`);
    } catch {
      // A log file that cannot be written must not stop the guard.
    }
  }
}

/** Runs the guard until the client or the server goes away; resolves with the exit code. */
export function runGuard(opts: RunOptions): Promise<number> {
  let audit: AuditSink = NO_AUDIT;
  if (opts.audit !== undefined) {
    const consequence = opts.auditFailOpen
      ? 'calls go ahead unaudited (--audit-fail-open)'
      : 'only Read / low-risk tools are let through until it can (--audit-fail-open lets every call through)';
    audit = new JsonlAuditLog(resolve(opts.audit), {
      ...(opts.auditMaxBytes !== undefined ? { maxBytes: opts.auditMaxBytes } : {}),
      onProblem: (problem, lost) => {
        if (problem !== undefined) log(`the audit log cannot be written: ${problem}; ${consequence}`);
        else log(`the audit log can be written again${lost > 0 ? `; ${lost} audit lines were lost meanwhile` : ''}`);
      },
      onError: (e) => log(e.message),
    });
  }

  const policyFile = opts.policy === undefined ? undefined : resolve(opts.policy);
  const parseOptions = opts.approvalTimeoutSeconds === undefined ? {} : { defaultApprovalTimeoutSeconds: opts.approvalTimeoutSeconds };
  const policy = new PolicySource(
    policyFile,
    {
      onReload({ applied, problems }) {
        for (const p of problems) log(p);
        log(applied ? `policy reloaded from ${policyFile}` : `policy change rejected: the last valid policy stays in force`);
        const errors = problems.filter((p) => p.includes(': error: '));
        audit.write({ event: 'policy_reload', ok: applied, ...(applied ? {} : { error: errors.join('; ') }) });
      },
    },
    parseOptions,
  );
  for (const p of policy.initialProblems) log(p);
  if (policy.state.kind === 'invalid') log('the policy is invalid: every tool call will be blocked until the file is fixed');
  if (policyFile === undefined) log('no --policy given: the built-in risk defaults apply (critical denied, high needs approval)');
  policy.watch();

  const pinsFile = opts.pins === undefined ? undefined : resolve(opts.pins);
  const trustSource: TrustSource = pinsFile === undefined ? { kind: 'session' } : readPinsSource(pinsFile);
  if (trustSource.kind === 'unreadable')
    log(`the pins file ${pinsFile} cannot be used (${trustSource.error}): every tool is blocked until it is fixed`);
  else if (trustSource.kind === 'pins') log(`${trustSource.pins.tools.size} tool definitions pinned in ${pinsFile}`);

  return new Promise<number>((done) => {
    let finished = false;
    const finish = async (code: number, reason: string) => {
      if (finished) return;
      finished = true;
      proxy.shutdown();
      bridge?.close();
      policy.close();
      audit.flush();
      await upstream.stop();
      audit.write({ event: 'stop', reason });
      audit.close();
      done(code);
    };
    // Whatever happens, decisions already made reach the log.
    process.on('exit', () => audit.close());
    process.on('uncaughtException', (error) => {
      log(`internal error: ${error.stack ?? error.message}`);
      try {
        proxy.shutdown();
      } catch {
        // Already failing; the log is what matters now.
      }
      audit.write({ event: 'stop', reason: `internal error: ${error.message}` });
      audit.close();
      upstream.killCurrent();
      process.exit(70);
    });

    const bridgeAddress = process.env[BRIDGE_ADDRESS_ENV];
    const bridgeToken = process.env[BRIDGE_TOKEN_ENV];
    const bridge: EditorBridgeClient | undefined =
      bridgeAddress && bridgeToken
        ? new EditorBridgeClient({
            address: bridgeAddress,
            token: bridgeToken,
            server: opts.name,
            version: VERSION,
            mode: (): Mode => proxy.currentMode,
            onSetMode: (mode) => {
              log(`mode set to ${mode} from VS Code`);
              proxy.setMode(mode);
            },
            onResetRateLimits: () => {
              log('rate limits reset from VS Code');
              proxy.resetRateLimits();
            },
            log,
          })
        : undefined;
    // The upstream must not inherit the bridge's token: only the guard may talk to the editor.
    delete process.env[BRIDGE_TOKEN_ENV];
    delete process.env[BRIDGE_ADDRESS_ENV];

    const maxRestarts = opts.maxRestarts ?? DEFAULT_MAX_RESTARTS;
    const upstream = new UpstreamSupervisor(
      { command: opts.command, args: opts.commandArgs, maxRestarts },
      {
        onData: (chunk) => proxy.onUpstreamData(chunk),
        onEnd: () => proxy.onUpstreamEnd(),
        onExit: ({ cause, restartInMs, restartsInWindow, everReady }) => {
          if (finished) return;
          if (!everReady) {
            // It never came up: a configuration problem, reported as before, by exiting.
            log(cause);
            proxy.upstreamExited(cause);
            void finish(1, cause);
            return;
          }
          if (restartInMs !== undefined) {
            log(
              `${cause}; restarting it in ${restartInMs} ms ` +
                `(restart ${restartsInWindow} of at most ${maxRestarts} within ${RESTART_WINDOW_MS / 1000} s)`,
            );
            audit.write({ event: 'upstream', state: 'exited', cause });
            proxy.upstreamExited(cause, true);
            return;
          }
          const down =
            maxRestarts === 0
              ? `${cause} (restarts are off: --max-restarts 0)`
              : `${cause}; MCP Guard restarted it ${restartsInWindow} times within ${RESTART_WINDOW_MS / 1000} s and gave up`;
          log(`${down}. Every request now gets an error; restart the server from the client to try again.`);
          audit.write({ event: 'upstream', state: 'down', cause: down });
          proxy.upstreamExited(down);
        },
        onRestarted: (pid) => {
          proxy.upstreamRestarted().then(
            () => {
              if (finished) return;
              upstream.markReady();
              log(`the server is running again (pid ${pid})`);
              audit.write({ event: 'upstream', state: 'restarted', ...(pid !== undefined ? { pid } : {}) });
            },
            (e: Error) => {
              if (finished) return;
              log(`the restarted server failed the handshake: ${e.message}`);
              upstream.killCurrent();
            },
          );
        },
      },
    );

    const proxy = new GuardProxy({
      toUpstream: (data) => upstream.write(data),
      toClient: (data) => {
        process.stdout.write(data);
      },
      policy,
      audit,
      limiter: new RateLimiter(monotonicClock),
      clock: monotonicClock,
      mode: opts.mode,
      serverName: opts.name,
      catalog: { choice: opts.catalog, commandIsOdooMcp: commandStartsOdooMcp(opts.command, opts.commandArgs) },
      auditIncludeArgs: opts.auditIncludeArgs,
      auditFailOpen: opts.auditFailOpen === true,
      scanResults: opts.scanResults,
      // The credentials it passes on to the server: an answer that repeats one is searched for it (never logged).
      ownSecrets: ownSecretsFromEnv(process.env),
      callTimeoutMs: (opts.callTimeoutSeconds ?? DEFAULT_CALL_TIMEOUT_SECONDS) * 1000,
      ...(opts.maxMessageBytes !== undefined ? { maxMessageBytes: opts.maxMessageBytes } : {}),
      log,
      approvers: bridge ? [bridge] : [],
      onDecision: (e) => bridge?.notifyDecision(e),
      onToolsRead: (tools) => bridge?.notifyTools(tools),
      onUpstreamReady: () => upstream.markReady(),
      trustSource,
      ...(pinsFile !== undefined
        ? {
            savePins: (pins) => {
              try {
                writePinsFile(pinsFile, pins);
                return undefined;
              } catch (e) {
                return (e as Error).message;
              }
            },
          }
        : {}),
    });
    upstream.start();
    if (bridge) {
      void bridge
        .start()
        .then((ok) =>
          log(ok ? 'connected to VS Code for approvals' : 'VS Code is not reachable yet; approvals use MCP elicitation until it is'),
        );
    }

    audit.write({
      event: 'start',
      version: VERSION,
      mode: opts.mode,
      policy: policyFile ?? null,
      upstream: opts.command,
      pid: process.pid,
      ...(pinsFile !== undefined ? { pins: pinsFile } : {}),
    });
    log(`guarding "${opts.name}" in ${opts.mode} mode (MCP Guard ${VERSION})`);

    process.stdout.on('error', () => void finish(0, 'the client closed its end'));
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => proxy.onClientData(chunk));
    process.stdin.on('end', () => {
      proxy.onClientEnd();
      // Give answers already on their way a moment to arrive before stopping the server.
      const deadline = Date.now() + 2000;
      const drain = () => {
        if (proxy.inFlight === 0 || Date.now() > deadline) void finish(0, 'the client closed the connection');
        else setTimeout(drain, 10);
      };
      drain();
    });
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => void finish(0, `received ${signal}`));
    }
  });
}
