/**
 * What `mcp-guard run` and `mcp-guard serve` share: the log, the audit log, the policy source, and one
 * guarded upstream (a GuardProxy in front of a supervised server process). `run` builds one guarded
 * upstream for its stdio; `serve` builds one per HTTP session, so every session goes through the same gate.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Approver } from '../guard/approval/approver';
import type { AuditEvent, AuditSink, DecisionNotice } from '../guard/audit-events';
import type { ToolDefinition } from '../guard/catalog/types';
import { JsonlAuditLog, NO_AUDIT } from '../guard/io/audit-log';
import { LayeredPolicySource, PolicySource, type PolicyHolder } from '../guard/io/policy-source';
import { DEFAULT_MAX_RESTARTS, RESTART_WINDOW_MS, UpstreamSupervisor } from '../guard/io/upstream';
import { DEFAULT_CALL_TIMEOUT_SECONDS, GuardProxy } from '../guard/proxy/guard-proxy';
import type { LineMessage } from '../guard/proxy/channel';
import { RateLimiter, monotonicClock, type SharedLimits } from '../guard/rate-limiter';
import type { RunOptions as GuardOptions } from './args';
import { commandStartsOdooMcp } from '../guard/catalog/identity';
import type { PinsFile } from '../guard/pins/pins-file';
import type { TrustSource } from '../guard/pins/trust';
import { readPinsSource, writePinsFile } from '../guard/io/pins-store';
import { ownSecretsFromEnv, ownSecretsFromHeaders } from '../guard/result-secrets';
import { endpointLabel, type OtlpEndpoint } from '../guard/otlp/endpoint';
import { VERSION } from '../guard/version';
import type * as OtlpModule from './otlp-audit';

const LOG_FILE = process.env['MCP_GUARD_LOG_FILE'];

/** Logs go to stderr (VS Code shows them in the server's output) and, if asked, to a file too. */
export function log(message: string): void {
  process.stderr.write(`[mcp-guard] ${message}\n`);
  if (LOG_FILE) {
    try {
      appendFileSync(LOG_FILE, `${new Date().toISOString()} [${process.pid}] ${message}\n`);
    } catch {
      // A log file that cannot be written must not stop the guard.
    }
  }
}

/** The audit as `run` and `serve` write it: the --audit file (if any) and the OTLP export (if an endpoint is set). */
export interface GuardAudit extends AuditSink {
  /** Sends what the OTLP export still holds (waiting at most OTLP_SHUTDOWN_MS), reports what was lost, closes the file. */
  end(): Promise<void>;
}

/** How long a stopping guard waits for the collector: a dead or slow one must not hold up its exit. */
export const OTLP_SHUTDOWN_MS = 1500;

/** The audit file of --audit (or none), reporting trouble writing it on the log. */
function openAuditFile(opts: GuardOptions): AuditSink {
  if (opts.audit === undefined) return NO_AUDIT;
  const consequence = opts.auditFailOpen
    ? 'calls go ahead unaudited (--audit-fail-open)'
    : 'only Read / low-risk tools are let through until it can (--audit-fail-open lets every call through)';
  return new JsonlAuditLog(resolve(opts.audit), {
    ...(opts.auditMaxBytes !== undefined ? { maxBytes: opts.auditMaxBytes } : {}),
    onProblem: (problem, lost) => {
      if (problem !== undefined) log(`the audit log cannot be written: ${problem}; ${consequence}`);
      else log(`the audit log can be written again${lost > 0 ? `; ${lost} audit lines were lost meanwhile` : ''}`);
    },
    onError: (e) => log(e.message),
  });
}

/**
 * The OpenTelemetry SDK and its exporter live in their own bundle next to this one (dist/mcp-guard-otlp.js),
 * loaded only when an endpoint is set: a guard without one neither loads nor pays for them.
 */
function loadOtlp(): typeof OtlpModule | undefined {
  const bundle = join(__dirname, 'mcp-guard-otlp.js');
  if (!existsSync(bundle)) {
    log(`the OTLP export is not installed (${bundle} is missing): audit events are not sent. Run npm run build, or reinstall.`);
    return undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a separate bundle, found next to this one at run time
  return require(bundle) as typeof OtlpModule;
}

/** The OTLP export, reporting its losses on the log and (through `write`) in the audit; undefined if the SDK fails to start. */
function startOtlp(
  module: typeof OtlpModule,
  endpoint: OtlpEndpoint,
  transport: 'pipe' | 'tcp',
  write: (event: AuditEvent) => void,
): OtlpModule.OtlpAudit | undefined {
  let otlp: OtlpModule.OtlpAudit;
  try {
    otlp = module.startOtlpAudit({
      url: endpoint.url,
      serviceVersion: VERSION,
      transport,
      onDropped: ({ dropped, total, cause }) => {
        log(`OTLP: ${dropped} audit records dropped (${cause})${total !== dropped ? `; ${total} since the guard started` : ''}`);
        write({ event: 'otlp_dropped', dropped, total, cause });
      },
    });
  } catch (e) {
    log(`the OTLP export cannot start (${(e as Error).message}): audit events are not sent to ${endpointLabel(endpoint.url)}`);
    return undefined;
  }
  const protocol = process.env['OTEL_EXPORTER_OTLP_LOGS_PROTOCOL'] ?? process.env['OTEL_EXPORTER_OTLP_PROTOCOL'];
  const note =
    protocol !== undefined && protocol !== 'http/json' ? ` (OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not used: always http/json)` : '';
  log(`audit events also go to ${endpointLabel(endpoint.url)} (OTLP/HTTP, from ${endpoint.source}), best effort${note}`);
  return otlp;
}

/**
 * The audit log of --audit (or none) and, with --otlp-endpoint (or the OTEL_EXPORTER_OTLP_* variables), the same
 * events as OpenTelemetry log records. Only the file's trouble is the audit's `problem` (which blocks non-read
 * calls): the remote export is best effort, its losses counted and reported, never a reason to refuse a call.
 */
export function openAudit(opts: GuardOptions, transport: 'pipe' | 'tcp' = 'pipe'): GuardAudit {
  const file = openAuditFile(opts);
  if (opts.otlpProblem !== undefined) log(opts.otlpProblem);
  const otlpModule = opts.otlp === undefined ? undefined : loadOtlp();
  const otlp =
    opts.otlp === undefined || otlpModule === undefined ? undefined : startOtlp(otlpModule, opts.otlp, transport, (e) => audit.write(e));
  let closed = false;
  const audit: GuardAudit = {
    write: (event, session) => {
      file.write(event, session);
      otlp?.write(session === undefined || 'session' in event ? event : ({ ...event, session } as unknown as AuditEvent), Date.now());
    },
    flush: () => file.flush(),
    close: () => {
      if (closed) return;
      otlp?.abandon();
      closed = true;
      file.close();
    },
    get problem() {
      return file.problem;
    },
    end: async () => {
      if (closed) return;
      await otlp?.shutdown(OTLP_SHUTDOWN_MS);
      audit.close();
    },
  };
  return audit;
}

/**
 * The --policy file, watched and reloaded (reloads audited); undefined file = the built-in defaults. With
 * --base-policy, the organisation's base policy too, under it (see guard/policy/base.ts), watched the same
 * way; a base that is missing or invalid at start blocks every call.
 */
export function openPolicy(
  opts: GuardOptions,
  audit: AuditSink,
): { policy: PolicyHolder; policyFile: string | undefined; basePolicyFile: string | undefined } {
  const policyFile = opts.policy === undefined ? undefined : resolve(opts.policy);
  const basePolicyFile = opts.basePolicy === undefined ? undefined : resolve(opts.basePolicy);
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
  if (basePolicyFile === undefined) {
    policy.watch();
    return { policy, policyFile, basePolicyFile };
  }
  const base = new PolicySource(
    basePolicyFile,
    {
      onReload({ applied, problems }) {
        for (const p of problems) log(p);
        log(
          applied
            ? `base policy reloaded from ${basePolicyFile}`
            : `base policy change rejected: the last valid base policy stays in force`,
        );
        const errors = problems.filter((p) => p.includes(': error: '));
        audit.write({ event: 'policy_reload', layer: 'base', ok: applied, ...(applied ? {} : { error: errors.join('; ') }) });
      },
    },
    parseOptions,
    undefined,
    'base',
  );
  for (const p of base.initialProblems) log(p);
  if (base.state.kind === 'invalid')
    log(`the base policy ${basePolicyFile} is missing or invalid: every tool call will be blocked until it is fixed`);
  else log(`the organisation's base policy ${basePolicyFile} applies under the policy: the stricter answer of the two decides`);
  const layered = new LayeredPolicySource(policy, base);
  layered.watch();
  return { policy: layered, policyFile, basePolicyFile };
}

/** The pins `run` and `serve` enforce: read once at start; a person's "Trust new definition" rewrites the file. */
export interface PinsWiring {
  readonly pinsFile?: string;
  readonly trustSource: TrustSource;
  readonly savePins?: (pins: PinsFile) => string | undefined;
}

export function openPins(opts: GuardOptions): PinsWiring {
  const pinsFile = opts.pins === undefined ? undefined : resolve(opts.pins);
  if (pinsFile === undefined) return { trustSource: { kind: 'session' } };
  const trustSource = readPinsSource(pinsFile);
  if (trustSource.kind === 'unreadable')
    log(`the pins file ${pinsFile} cannot be used (${trustSource.error}): every tool is blocked until it is fixed`);
  else if (trustSource.kind === 'pins') log(`${trustSource.pins.tools.size} tool definitions pinned in ${pinsFile}`);
  return {
    pinsFile,
    trustSource,
    savePins: (pins) => {
      try {
        writePinsFile(pinsFile, pins);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  };
}

export interface GuardedUpstreamWiring {
  readonly opts: GuardOptions;
  readonly policy: PolicyHolder;
  readonly audit: AuditSink;
  /** Where the proxy's lines for the client go (stdout for `run`, the session's HTTP streams for `serve`). */
  readonly toClient: (data: string) => void;
  /** Instead of `toClient`: each message for the client alone, with what the proxy knows of it (serve). */
  readonly toClientLine?: (line: string, msg: LineMessage | undefined) => void;
  readonly log: (message: string) => void;
  readonly approvers?: readonly Approver[];
  readonly onDecision?: (e: DecisionNotice) => void;
  readonly onToolsRead?: (tools: readonly ToolDefinition[]) => void;
  /** The server died before it ever answered an initialize: a configuration problem, not a crash. */
  readonly onNeverReady: (cause: string) => void;
  /** True once the owner is shutting down: exits are then expected, not reported. */
  readonly finished: () => boolean;
  /** An upstream that is not a process (`serve --upstream-url`); the supervised COMMAND process when absent. */
  readonly connect?: (events: UpstreamLinkEvents) => UpstreamLink;
  /** Which tool definitions are trusted: the pins file's (`--pins`), else the session's first. */
  readonly trustSource?: TrustSource;
  /** Writes the pins file after a person trusted a new definition; returns what went wrong, if anything. */
  readonly savePins?: (pins: PinsFile) => string | undefined;
  /** Where `scope: shared` limits are counted, one per process (`--state`); without it they count per session. */
  readonly shared?: SharedLimits;
}

/** What the proxy needs of its upstream, process or not. */
export interface UpstreamLink {
  start(): void;
  write(data: string): void;
  /** One message (its line, no newline), with what the proxy knows of it: for a link that sends each message on its own. */
  writeLine?(line: string, msg: LineMessage | undefined): void;
  stop(): Promise<void>;
  markReady(): void;
  killCurrent(): void;
  readonly pid: number | undefined;
}

export interface UpstreamLinkEvents {
  /** Newline-terminated messages from the server. */
  onData(chunk: string): void;
  /** One whole message from the server, on one line without its line break (an HTTP upstream's): as onData(`${line}\n`), uncopied. */
  onLine(line: string): void;
  /** The server cannot be reached any more: every request now gets an error naming `cause`. */
  onDown(cause: string): void;
}

export interface GuardedUpstream {
  readonly proxy: GuardProxy;
  readonly upstream: UpstreamLink;
}

/**
 * A GuardProxy (with its own rate-limit budget) in front of a supervised upstream process, wired both
 * ways: crashes restart the server within --max-restarts, and the proxy learns of every exit (or, with
 * `connect`, in front of an upstream that is no process: `serve --upstream-url`). Call
 * `upstream.start()` once the caller is ready for the server's output.
 */
export function guardedUpstream(w: GuardedUpstreamWiring): GuardedUpstream {
  const { opts, audit } = w;
  const maxRestarts = opts.maxRestarts ?? DEFAULT_MAX_RESTARTS;
  // The proxy only calls `upstream` once messages flow, after both exist.
  const proxy: GuardProxy = new GuardProxy({
    toUpstream: (data) => upstream.write(data),
    toClient: w.toClient,
    ...(w.toClientLine ? { toClientLine: w.toClientLine } : {}),
    // An HTTP upstream posts each message on its own: it gets them one by one, without parsing them again.
    ...(w.connect
      ? {
          toUpstreamLine: (line: string, msg: LineMessage | undefined) =>
            upstream.writeLine ? upstream.writeLine(line, msg) : upstream.write(`${line}\n`),
        }
      : {}),
    policy: w.policy,
    audit,
    limiter: new RateLimiter(monotonicClock, w.shared),
    clock: monotonicClock,
    mode: opts.mode,
    serverName: opts.name,
    catalog: { choice: opts.catalog, commandIsOdooMcp: commandStartsOdooMcp(opts.command, opts.commandArgs) },
    auditIncludeArgs: opts.auditIncludeArgs,
    auditFailOpen: opts.auditFailOpen === true,
    scanResults: opts.scanResults,
    // The credentials it passes on to the server: an answer that repeats one is searched for it (never logged).
    // So are the credentials it sends an HTTP upstream (--upstream-header).
    ownSecrets: [...ownSecretsFromHeaders(opts.upstreamHeaders ?? {}), ...ownSecretsFromEnv(process.env)].sort(
      (a, b) => b.value.length - a.value.length,
    ),
    ...(w.trustSource ? { trustSource: w.trustSource } : {}),
    ...(w.savePins ? { savePins: w.savePins } : {}),
    callTimeoutMs: (opts.callTimeoutSeconds ?? DEFAULT_CALL_TIMEOUT_SECONDS) * 1000,
    ...(opts.maxMessageBytes !== undefined ? { maxMessageBytes: opts.maxMessageBytes } : {}),
    log: w.log,
    approvers: w.approvers ?? [],
    ...(w.onDecision ? { onDecision: w.onDecision } : {}),
    ...(w.onToolsRead ? { onToolsRead: w.onToolsRead } : {}),
    onUpstreamReady: () => upstream.markReady(),
  });
  const upstream: UpstreamLink = w.connect
    ? w.connect({
        onData: (chunk) => proxy.onUpstreamData(chunk),
        onLine: (line) => proxy.onUpstreamMessageLine(line),
        onDown: (cause) => {
          if (w.finished()) return;
          w.log(`${cause}. Every request now gets an error; start a new session to try again.`);
          audit.write({ event: 'upstream', state: 'down', cause });
          proxy.upstreamExited(cause);
        },
      })
    : new UpstreamSupervisor(
        { command: opts.command, args: opts.commandArgs, maxRestarts },
        {
          onData: (chunk) => proxy.onUpstreamData(chunk),
          onEnd: () => proxy.onUpstreamEnd(),
          onExit: ({ cause, restartInMs, restartsInWindow, everReady }) => {
            if (w.finished()) return;
            if (!everReady) {
              w.log(cause);
              proxy.upstreamExited(cause);
              w.onNeverReady(cause);
              return;
            }
            if (restartInMs !== undefined) {
              w.log(
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
            w.log(`${down}. Every request now gets an error; restart the server from the client to try again.`);
            audit.write({ event: 'upstream', state: 'down', cause: down });
            proxy.upstreamExited(down);
          },
          onRestarted: (pid) => {
            proxy.upstreamRestarted().then(
              () => {
                if (w.finished()) return;
                upstream.markReady();
                w.log(`the server is running again (pid ${pid})`);
                audit.write({ event: 'upstream', state: 'restarted', ...(pid !== undefined ? { pid } : {}) });
              },
              (e: Error) => {
                if (w.finished()) return;
                w.log(`the restarted server failed the handshake: ${e.message}`);
                upstream.killCurrent();
              },
            );
          },
        },
      );
  return { proxy, upstream };
}
