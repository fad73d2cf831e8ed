/** `mcp-guard run`: wires the proxy to its stdio, the upstream (process or URL), the policy file, the audit log and the editor bridge. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EditorBridgeClient } from '../guard/io/bridge-client';
import { BRIDGE_ADDRESS_ENV, BRIDGE_TOKEN_ENV } from '../guard/bridge/protocol';
import { withParent } from '../guard/io/parent-process';
import { VERSION } from '../guard/version';
import type { RunOptions } from './args';
import type { Mode } from '../guard/policy/model';
import { openSharedLimits } from './state';
import { guardedUpstream, log, openAudit, openPins, openPolicy, type UpstreamLink, type UpstreamLinkEvents } from './wiring';
import type * as HttpUpstreamModule from './http-upstream';

/**
 * `--upstream-url`: the Streamable HTTP client (src/cli/http-upstream.ts) lives in its own bundle next to this one
 * (dist/mcp-guard-http-upstream.js), loaded only then, so a guard in front of a process does without it.
 */
function httpConnector(opts: RunOptions): ((events: UpstreamLinkEvents) => UpstreamLink) | undefined {
  if (opts.upstreamUrl === undefined) return undefined;
  const bundle = join(__dirname, 'mcp-guard-http-upstream.js');
  if (!existsSync(bundle)) throw new Error(`--upstream-url is not installed: ${bundle} is missing. Run npm run build, or reinstall.`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a separate bundle, found next to this one at run time
  const http = require(bundle) as typeof HttpUpstreamModule;
  const target = {
    url: new URL(opts.upstreamUrl),
    label: opts.command,
    ...(opts.upstreamHeaders !== undefined ? { headers: opts.upstreamHeaders } : {}),
    ...(opts.maxMessageBytes !== undefined ? { maxMessageBytes: opts.maxMessageBytes } : {}),
  };
  return (events) => http.connectHttpUpstream(target, events, log);
}

/** Runs the guard until the client or the server goes away; resolves with the exit code. */
export function runGuard(opts: RunOptions): Promise<number> {
  const connect = httpConnector(opts);
  const audit = openAudit(opts);
  const { policy, policyFile, basePolicyFile } = openPolicy(opts, audit);
  let bridgeClient: EditorBridgeClient | undefined;
  const shared = openSharedLimits(opts, audit, log, (notice) => bridgeClient?.notifyState(notice));

  const pins = openPins(opts);
  const pinsFile = pins.pinsFile;

  return new Promise<number>((done) => {
    let finished = false;
    const finish = async (code: number, reason: string) => {
      if (finished) return;
      finished = true;
      proxy.shutdown();
      bridge?.close();
      policy.close();
      audit.flush();
      await Promise.all([upstream.stop(), shared.close()]);
      audit.write({ event: 'stop', reason });
      // Bounded: a dead or slow OTLP collector delays the exit by at most OTLP_SHUTDOWN_MS.
      await audit.end();
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
            ...withParent(),
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
    bridgeClient = bridge;
    // The upstream must not inherit the bridge's token: only the guard may talk to the editor.
    delete process.env[BRIDGE_TOKEN_ENV];
    delete process.env[BRIDGE_ADDRESS_ENV];

    const { proxy, upstream } = guardedUpstream({
      opts,
      policy,
      audit,
      toClient: (data) => {
        process.stdout.write(data);
      },
      log,
      approvers: bridge ? [bridge] : [],
      onDecision: (e) => bridge?.notifyDecision(e),
      onToolsRead: (tools) => bridge?.notifyTools(tools),
      trustSource: pins.trustSource,
      shared,
      ...(connect ? { connect } : {}),
      ...(pins.savePins ? { savePins: pins.savePins } : {}),
      // It never came up: a configuration problem, reported as before, by exiting.
      onNeverReady: (cause) => void finish(1, cause),
      finished: () => finished,
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
      ...(basePolicyFile !== undefined ? { base_policy: basePolicyFile } : {}),
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
