import { resolve } from 'node:path';
import { JsonlAuditLog, NO_AUDIT, type AuditSink } from '../guard/audit-log';
import { PolicySource } from '../guard/policy-source';
import { GuardProxy } from '../guard/proxy/guard-proxy';
import { RateLimiter, monotonicClock } from '../guard/rate-limiter';
import { startUpstream } from '../guard/upstream';
import { VERSION } from '../guard/version';
import type { RunOptions } from './args';

function log(message: string): void {
  process.stderr.write(`[mcp-guard] ${message}\n`);
}

/** Runs the guard until the client or the server goes away; resolves with the exit code. */
export function runGuard(opts: RunOptions): Promise<number> {
  let audit: AuditSink = NO_AUDIT;
  if (opts.audit !== undefined) {
    try {
      audit = new JsonlAuditLog(resolve(opts.audit), (e) => log(`cannot write the audit log ${opts.audit}: ${e.message}`));
    } catch (e) {
      log(`cannot open the audit log ${opts.audit}: ${(e as Error).message}. Fix the path or leave out --audit.`);
      return Promise.resolve(1);
    }
  }

  const policyFile = opts.policy === undefined ? undefined : resolve(opts.policy);
  const policy = new PolicySource(policyFile, {
    onReload({ applied, problems }) {
      for (const p of problems) log(p);
      log(applied ? `policy reloaded from ${policyFile}` : `policy change rejected: the last valid policy stays in force`);
      const errors = problems.filter((p) => p.includes(': error: '));
      audit.write({ event: 'policy_reload', ok: applied, ...(applied ? {} : { error: errors.join('; ') }) });
    },
  });
  for (const p of policy.initialProblems) log(p);
  if (policy.state.kind === 'invalid') log('the policy is invalid: every tool call will be blocked until the file is fixed');
  if (policyFile === undefined) log('no --policy given: the built-in risk defaults apply (critical denied, high needs approval)');
  policy.watch();

  return new Promise<number>((done) => {
    let finished = false;
    const finish = async (code: number, reason: string) => {
      if (finished) return;
      finished = true;
      proxy.shutdown();
      policy.close();
      await upstream.stop();
      audit.write({ event: 'stop', reason });
      audit.close();
      done(code);
    };

    const upstream = startUpstream(opts.command, opts.commandArgs, {
      onData: (chunk) => proxy.onUpstreamData(chunk),
      onEnd: () => proxy.onUpstreamEnd(),
      onExit: (cause) => {
        if (finished) return;
        log(cause);
        proxy.upstreamExited(cause);
        void finish(1, cause);
      },
    });

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
      auditIncludeArgs: opts.auditIncludeArgs,
      log,
    });

    audit.write({
      event: 'start',
      version: VERSION,
      mode: opts.mode,
      policy: policyFile ?? null,
      upstream: opts.command,
      pid: process.pid,
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
