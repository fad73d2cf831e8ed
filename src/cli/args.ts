/** The `mcp-guard run` and `mcp-guard serve` command lines: flags read into options, with errors that say what to type instead. */
import { basename } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CATALOG_CHOICES, type CatalogChoice } from '../guard/catalog/identity';
import { isLoopbackHost } from '../guard/http/access';
import { MODES, type Mode } from '../guard/policy/model';
import { DEFAULT_SCAN_RESULTS, SCAN_RESULTS_MODES, type ScanResultsMode } from '../guard/result-secrets';
import { otlpEndpointProblem, resolveOtlpEndpoint, type OtlpEndpoint } from '../guard/otlp/endpoint';
import { parseState, STATE_ENV, StateOptionError, type StateOption } from '../guard/state/state-option';

export class UsageError extends Error {}

export { parseState, STATE_ENV, type StateOption } from '../guard/state/state-option';

export interface RunOptions {
  readonly policy?: string;
  /** --base-policy: the organisation's base policy, under `policy`; a workspace policy cannot loosen it. */
  readonly basePolicy?: string;
  readonly audit?: string;
  readonly auditIncludeArgs: boolean;
  /** Present (true) only with --audit-fail-open. */
  readonly auditFailOpen?: boolean;
  /** --audit-max-bytes: rotate the audit file at this size; 0 never. */
  readonly auditMaxBytes?: number;
  readonly approvalTimeoutSeconds?: number;
  /** --call-timeout: seconds to wait for the server's answer to a tools/call; 0 waits forever. */
  readonly callTimeoutSeconds?: number;
  /** --max-message-bytes: the longest JSON-RPC message accepted from either side. */
  readonly maxMessageBytes?: number;
  /** --max-restarts: restarts of a crashed server within 60 s before it stays down; 0 never restarts. */
  readonly maxRestarts?: number;
  /** --pins: the pins file whose definitions are trusted (none: trust on first use). */
  readonly pins?: string;
  readonly mode: Mode;
  /** --scan-results: secrets in tool results and resource contents are redacted (default), flagged, or not looked for. */
  readonly scanResults: ScanResultsMode;
  /** --catalog: which catalog classes the server's tools (auto: odoo-mcp's when the server is odoo-mcp). */
  readonly catalog: CatalogChoice;
  readonly name: string;
  /** The server command; with --upstream-url, the URL without its query (what logs and the audit name). */
  readonly command: string;
  readonly commandArgs: readonly string[];
  /** --upstream-url: the upstream speaks Streamable HTTP there (then `command` names it, `commandArgs` is empty). */
  readonly upstreamUrl?: string;
  /** --upstream-header (repeatable, with --upstream-url): sent on every request to the upstream, `${NAME}` expanded. Never logged. */
  readonly upstreamHeaders?: Readonly<Record<string, string>>;
  /**
   * --otlp-endpoint (or OTEL_EXPORTER_OTLP_LOGS_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT): every audit event is also
   * sent there as an OpenTelemetry log record over OTLP/HTTP, best effort. Absent: no export, the SDK not loaded.
   */
  readonly otlp?: OtlpEndpoint;
  /** An OTEL_EXPORTER_OTLP_* variable that was set but could not be used (logged at start). */
  readonly otlpProblem?: string;
  /** --state (else MCP_GUARD_STATE, else memory): where `scope: shared` rate limits are counted. */
  readonly state: StateOption;
  /** Present (true) only with --state-fail-open: calls under a shared limit go ahead while the store cannot be reached. */
  readonly stateFailOpen?: boolean;
}

/** `mcp-guard pin`: where to write the pins, and the server to read them from. */
export interface PinOptions {
  readonly pins: string;
  readonly name: string;
  readonly command: string;
  readonly commandArgs: readonly string[];
}

/** `mcp-guard serve`: the `run` options, plus where and how the guard listens for Streamable HTTP. */
export interface ServeOptions extends RunOptions {
  /** --listen HOST:PORT (a bare PORT means 127.0.0.1:PORT); port 0 picks a free one. */
  readonly host: string;
  readonly port: number;
  /** --path: where MCP is served, `/mcp` unless given. */
  readonly path: string;
  /** --token-file: a file holding the bearer token every request must carry; required off loopback. */
  readonly tokenFile?: string;
  /** --allow-origin (repeatable): browser origins let in; a request with any other Origin gets 403. */
  readonly allowOrigins: readonly string[];
  /** --max-sessions: sessions open at once; a new one beyond it gets 503. */
  readonly maxSessions: number;
  /** --session-idle: seconds a session may go without any open HTTP request before it is ended. */
  readonly sessionIdleSeconds: number;
}

export const DEFAULT_MAX_SESSIONS = 16;
export const DEFAULT_SESSION_IDLE_SECONDS = 1800;
export const DEFAULT_SERVE_PATH = '/mcp';

export const USAGE = `Usage:
  mcp-guard run [--policy FILE] [--base-policy FILE] [--audit FILE] [--audit-include-args] [--mode enforce|monitor|lockdown]
                [--approval-timeout SECONDS] [--name NAME] [--call-timeout SECONDS]
                [--max-message-bytes N] [--max-restarts N] [--audit-max-bytes N] [--audit-fail-open]
                [--catalog auto|odoo-mcp|none] [--scan-results off|flag|redact] [--pins FILE]
                [--otlp-endpoint URL]
                [--state memory|redis://HOST:PORT[/DB]] [--state-fail-open]
                (-- COMMAND [ARGS...] | --upstream-url URL [--upstream-header "NAME: VALUE"]...)
      Start COMMAND (an MCP server over stdio) behind the guard; serve MCP on stdin/stdout. With --upstream-url,
      the server is reached over Streamable HTTP at URL instead; each --upstream-header goes on every request
      to it, \${VAR} in VALUE replaced by the guard's environment variable VAR (keep tokens out of the command
      line: --upstream-header "Authorization: Bearer \${ODOO_MCP_TOKEN}").
      --catalog: auto (default) applies the odoo-mcp catalog when the server's initialize answer names
      odoo-mcp; odoo-mcp forces it; none treats the server as another one (catalog names only raise classes).
      With --pins, only tools whose definition matches its pin in FILE are listed and callable.
      --state (or MCP_GUARD_STATE): where rate limits with scope: shared are counted; memory (default) is this
      process, redis://HOST:PORT/DB one budget for every guard using that Redis with the same --name. While it
      cannot be reached, calls under a shared limit are denied; --state-fail-open lets them through.
      With --base-policy, the organisation's base policy applies under --policy: each call gets the
      stricter of the two answers, both rate limits count, and a missing or invalid base blocks every call.
      --otlp-endpoint: also send every audit event as an OpenTelemetry log record over OTLP/HTTP to the
      collector at URL (/v1/logs appended; also OTEL_EXPORTER_OTLP_LOGS_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT,
      headers from OTEL_EXPORTER_OTLP_HEADERS), batched and best effort: it never delays or changes a decision.
  mcp-guard pin --pins FILE [--name NAME] -- COMMAND [ARGS...]
      Start COMMAND, read its tool list, and write each tool's fingerprint and definition to FILE
      (JSON, to commit beside the policy); prints what changed since FILE was last written.
  mcp-guard serve --listen [HOST:]PORT [--path /mcp] [--token-file FILE] [--allow-origin ORIGIN]...
                  [--max-sessions N] [--session-idle SECONDS] [the run flags]
                  (-- COMMAND [ARGS...] | --upstream-url URL [--upstream-header "NAME: VALUE"]...)
      Serve MCP over Streamable HTTP at http://HOST:PORT/PATH (HOST defaults to 127.0.0.1; port 0 picks
      a free one). Each MCP session gets its own COMMAND process, rate limits and approvals. A HOST off
      loopback needs --token-file; then every request needs "Authorization: Bearer TOKEN".
      GET /healthz answers with the number of sessions and whether the policy is valid. With --upstream-url,
      the server is itself reached over Streamable HTTP at URL, one session of it per guard session.
  mcp-guard validate [--base-policy FILE] FILE...
      Check policy files; print FILE:LINE:COL: error|warning|info: message; exit 1 on any error.
      With --base-policy, also warn of entries the base policy makes stricter (they have no effect).
  mcp-guard explain --policy FILE [--base-policy FILE] [--mode MODE] [--json] TOOL ['{"arg": ...}']
  mcp-guard explain --policy FILE [--base-policy FILE] [--json] --resource URI
      Tell what the policy does with that call and why: the decision, the entries that applied,
      those whose conditions failed, and the fallback used. With --base-policy, the base layer's
      answer, the policy's answer and the effective (stricter) decision.
  mcp-guard test [--base-policy FILE] FILE...
      Run each policy file's tests: list (calls with the decision they must get); print
      FILE:LINE:COL: pass|FAIL: call TOOL ARGS → actual (expected EXPECT) and a summary;
      exit 1 when a test fails or the policy is invalid. With --base-policy, tests expect the effective
      decision of the base policy and the file together.
  mcp-guard demo [--policy FILE] [--interactive]
      Run the guard in front of a bundled stand-in Odoo server (sample data, no network) and play a short
      agent session, showing each decision; --interactive lets you type the calls and answer approvals.
  mcp-guard --version | --help`;

/** `uvx odoo-mcp` for `uvx odoo-mcp`; `node server.js` for `/usr/bin/node /x/server.js`. */
function defaultName(command: string, args: readonly string[]): string {
  const words = [command, ...args.slice(0, 2)].map((w) => basename(w));
  const name = words.join(' ');
  return name.length > 60 ? `${name.slice(0, 57)}...` : name;
}

function numberOption(text: string | undefined, flag: string, what: string, ok: (n: number) => boolean): number | undefined {
  if (text === undefined) return undefined;
  const n = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(n) || !ok(n)) throw new UsageError(`${flag} must be ${what}, not ${JSON.stringify(text)}`);
  return n;
}

function nonEmpty(text: string, flag: string): string {
  if (text.trim() === '') throw new UsageError(`${flag} needs a file name`);
  return text;
}

/** Parses `pin` options; everything after `--` is the server command, untouched. */
export function parsePinArgs(argv: readonly string[]): PinOptions {
  const dash = argv.indexOf('--');
  if (dash === -1 || dash === argv.length - 1)
    throw new UsageError('pin needs the server command after --, e.g. mcp-guard pin --pins odoo.pins.json -- uvx odoo-mcp');
  const { values, positionals } = parseArgs({
    args: argv.slice(0, dash) as string[],
    options: { pins: { type: 'string' }, name: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')} before --`);
  if (values.pins === undefined) throw new UsageError('pin needs --pins FILE, the pins file to write');
  const [command, ...commandArgs] = argv.slice(dash + 1);
  return { pins: nonEmpty(values.pins, '--pins'), name: values.name ?? defaultName(command!, commandArgs), command: command!, commandArgs };
}

const GUARD_FLAGS = {
  policy: { type: 'string' },
  'base-policy': { type: 'string' },
  audit: { type: 'string' },
  'audit-include-args': { type: 'boolean', default: false },
  'audit-fail-open': { type: 'boolean', default: false },
  'audit-max-bytes': { type: 'string' },
  'approval-timeout': { type: 'string' },
  'call-timeout': { type: 'string' },
  'max-message-bytes': { type: 'string' },
  'max-restarts': { type: 'string' },
  mode: { type: 'string', default: 'enforce' },
  catalog: { type: 'string', default: 'auto' },
  'scan-results': { type: 'string', default: DEFAULT_SCAN_RESULTS },
  name: { type: 'string' },
  pins: { type: 'string' },
  'upstream-url': { type: 'string' },
  'upstream-header': { type: 'string', multiple: true },
  'otlp-endpoint': { type: 'string' },
  state: { type: 'string' },
  'state-fail-open': { type: 'boolean', default: false },
} as const;

const SERVE_FLAGS = {
  ...GUARD_FLAGS,
  listen: { type: 'string' },
  path: { type: 'string' },
  'token-file': { type: 'string' },
  'allow-origin': { type: 'string', multiple: true },
  'max-sessions': { type: 'string' },
  'session-idle': { type: 'string' },
} as const;

type FlagValues = { readonly [flag: string]: string | boolean | string[] | undefined };

/** Splits at `--`: the flags before it (read with `flags`), the upstream command after it, untouched. */
function splitCommand(
  argv: readonly string[],
  flags: NonNullable<ParseArgsConfig['options']>,
  missing: string,
): { values: FlagValues; command: string; commandArgs: string[] } {
  const dash = argv.indexOf('--');
  if (dash === -1 || dash === argv.length - 1) throw new UsageError(missing);
  const { values, positionals } = parseArgs({
    args: argv.slice(0, dash) as string[],
    options: flags,
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')} before --`);
  const [command, ...commandArgs] = argv.slice(dash + 1);
  return { values: values as FlagValues, command: command!, commandArgs };
}

/** --state, else MCP_GUARD_STATE, else memory; a bad value is a usage error that says what to write. */
function stateOption(flag: string | undefined, env: string | undefined): StateOption {
  try {
    if (flag !== undefined) return parseState(flag);
    if (env !== undefined && env !== '') return parseState(env, STATE_ENV);
    return { kind: 'memory' };
  } catch (e) {
    if (e instanceof StateOptionError) throw new UsageError(e.message);
    throw e;
  }
}

/** The options `run` and `serve` share, from their parsed flags. */
function guardOptions({ values, command, commandArgs, upstreamUrl, upstreamHeaders }: Upstream, env: NodeJS.ProcessEnv): RunOptions {
  const text = (flag: string) => values[flag] as string | undefined;
  const mode = values['mode'] as string;
  if (!(MODES as readonly string[]).includes(mode))
    throw new UsageError(`--mode must be enforce, monitor or lockdown, not ${JSON.stringify(mode)}`);
  const catalog = values['catalog'] as string;
  if (!(CATALOG_CHOICES as readonly string[]).includes(catalog))
    throw new UsageError(`--catalog must be auto, odoo-mcp or none, not ${JSON.stringify(catalog)}`);
  const scanResults = values['scan-results'] as string;
  if (!(SCAN_RESULTS_MODES as readonly string[]).includes(scanResults))
    throw new UsageError(`--scan-results must be off, flag or redact, not ${JSON.stringify(scanResults)}`);
  const timeoutText = text('approval-timeout');
  const approvalTimeoutSeconds = timeoutText === undefined ? undefined : Number(timeoutText);
  if (approvalTimeoutSeconds !== undefined && !(Number.isFinite(approvalTimeoutSeconds) && approvalTimeoutSeconds > 0)) {
    throw new UsageError(`--approval-timeout must be a number of seconds greater than 0, not ${JSON.stringify(timeoutText)}`);
  }
  const callTimeoutSeconds = numberOption(text('call-timeout'), '--call-timeout', 'a number of seconds, 0 or more', (n) => n >= 0);
  const maxMessageBytes = numberOption(
    text('max-message-bytes'),
    '--max-message-bytes',
    'a whole number of bytes, at least 1024',
    (n) => Number.isInteger(n) && n >= 1024,
  );
  const maxRestarts = numberOption(
    text('max-restarts'),
    '--max-restarts',
    'a whole number, 0 or more',
    (n) => Number.isInteger(n) && n >= 0,
  );
  const auditMaxBytes = numberOption(
    text('audit-max-bytes'),
    '--audit-max-bytes',
    'a whole number of bytes, 0 (never rotate) or at least 1024',
    (n) => Number.isInteger(n) && (n === 0 || n >= 1024),
  );
  const stateText = text('state');
  const state = stateOption(stateText, env[STATE_ENV]);
  const policy = text('policy');
  const basePolicy = text('base-policy');
  const audit = text('audit');
  const otlpFlag = text('otlp-endpoint');
  const otlpFlagProblem = otlpFlag === undefined ? undefined : otlpEndpointProblem(otlpFlag);
  // Not echoed when it holds a password.
  if (otlpFlagProblem !== undefined)
    throw new UsageError(
      `--otlp-endpoint ${otlpFlagProblem}${/password/.test(otlpFlagProblem) ? '' : `, not ${JSON.stringify(otlpFlag)}`}`,
    );
  const otlp = resolveOtlpEndpoint(otlpFlag, env);
  return {
    ...(policy !== undefined ? { policy } : {}),
    ...(basePolicy !== undefined ? { basePolicy: nonEmpty(basePolicy, '--base-policy') } : {}),
    ...(audit !== undefined ? { audit } : {}),
    auditIncludeArgs: values['audit-include-args'] === true,
    ...(values['audit-fail-open'] === true ? { auditFailOpen: true } : {}),
    ...(auditMaxBytes !== undefined ? { auditMaxBytes } : {}),
    ...(approvalTimeoutSeconds !== undefined ? { approvalTimeoutSeconds } : {}),
    ...(callTimeoutSeconds !== undefined ? { callTimeoutSeconds } : {}),
    ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}),
    ...(maxRestarts !== undefined ? { maxRestarts } : {}),
    ...(text('pins') !== undefined ? { pins: nonEmpty(text('pins')!, '--pins') } : {}),
    mode: mode as Mode,
    catalog: catalog as CatalogChoice,
    scanResults: scanResults as ScanResultsMode,
    name: text('name') ?? (upstreamUrl !== undefined ? new URL(upstreamUrl).host : defaultName(command, commandArgs)),
    command,
    commandArgs,
    ...(upstreamUrl !== undefined ? { upstreamUrl } : {}),
    ...(upstreamHeaders !== undefined ? { upstreamHeaders } : {}),
    ...(otlp.endpoint !== undefined ? { otlp: otlp.endpoint } : {}),
    ...(otlp.problem !== undefined ? { otlpProblem: otlp.problem } : {}),
    state,
    ...(values['state-fail-open'] === true ? { stateFailOpen: true } : {}),
  };
}

/** Parses `run` options; everything after `--` is the upstream command, untouched (or --upstream-url names it). */
export function parseRunArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): RunOptions {
  return guardOptions(
    splitUpstream(
      argv,
      GUARD_FLAGS,
      'run needs the server command after --, e.g. mcp-guard run --policy policy.yaml -- uvx odoo-mcp (or --upstream-url URL)',
      env,
    ),
    env,
  );
}

/** `HOST:PORT`, `[IPv6]:PORT` or a bare `PORT` (on 127.0.0.1). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  const host = m ? (m[1] ?? m[2] ?? '') : '';
  if (!m || !Number.isInteger(port) || port > 65535 || (m[0] !== m[3] && host === ''))
    throw new UsageError(`--listen must be HOST:PORT, [IPv6]:PORT or PORT (e.g. 127.0.0.1:8080), not ${JSON.stringify(text)}`);
  return { host: host === '' ? '127.0.0.1' : host, port };
}

/** A browser origin as browsers send it (`scheme://host[:port]`, no path), for exact comparison. */
function parseOrigin(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== text.replace(/\/$/, ''))
    throw new UsageError(
      `--allow-origin must be an origin such as http://localhost:6274 (scheme, host, port; no path), not ${JSON.stringify(text)}`,
    );
  return url.origin;
}

/** An RFC 7230 token: what a header name may be. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Headers the HTTP client itself sets for the session and the protocol: an --upstream-header must not replace them. */
const RESERVED_HEADERS = new Set([
  'accept',
  'connection',
  'content-length',
  'content-type',
  // undici, the HTTP client, refuses these: the connection is its business.
  'expect',
  'host',
  'keep-alive',
  'last-event-id',
  'mcp-protocol-version',
  'mcp-session-id',
  'transfer-encoding',
  'upgrade',
]);

/**
 * `--upstream-header "Name: value"`: the name a token, `${NAME}` in the value replaced by that environment
 * variable of the guard (so a token need not be on the command line), no line breaks or other control
 * characters. Errors name the header and the variable, never the value.
 */
export function parseUpstreamHeader(text: string, env: NodeJS.ProcessEnv): [string, string] {
  const colon = text.indexOf(':');
  const name = colon === -1 ? text : text.slice(0, colon);
  // Not even a bad name is echoed: without its colon, the text may be all value.
  if (colon === -1 || !HEADER_NAME.test(name))
    throw new UsageError(
      `--upstream-header must be "Name: value", the name made of letters, digits and !#$%&'*+.^_\`|~- ` +
        `(e.g. "Authorization: Bearer \${TOKEN}")`,
    );
  if (RESERVED_HEADERS.has(name.toLowerCase())) throw new UsageError(`--upstream-header ${name}: MCP Guard sets that header itself`);
  const value = text
    .slice(colon + 1)
    .replace(/^[ \t]+|[ \t]+$/g, '')
    .replace(/\$\{([^}]*)\}/g, (_, variable: string) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable))
        throw new UsageError(`--upstream-header ${name}: \${${variable}} is not an environment variable reference; write \${NAME}`);
      const found = env[variable];
      if (found === undefined) throw new UsageError(`--upstream-header ${name}: the environment variable ${variable} is not set`);
      return found;
    });
  // A line break would start another header (header injection); other control characters are not allowed either.
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value))
    throw new UsageError(`--upstream-header ${name}: the value must not hold a line break or another control character`);
  return [name, value];
}

/** The upstream URL as logs and the audit show it: no query or fragment (they may carry a key). */
export function upstreamLabel(url: URL): string {
  return `${url.origin}${url.pathname}${url.search !== '' ? '?…' : ''}`;
}

interface Upstream {
  readonly values: FlagValues;
  readonly command: string;
  readonly commandArgs: string[];
  readonly upstreamUrl?: string;
  readonly upstreamHeaders?: Record<string, string>;
}

/** `-- COMMAND ARGS` or `--upstream-url URL [--upstream-header H]...`: the flags and the upstream they name. */
function splitUpstream(
  argv: readonly string[],
  flags: NonNullable<ParseArgsConfig['options']>,
  missing: string,
  env: NodeJS.ProcessEnv,
): Upstream {
  const dash = argv.indexOf('--');
  const before = dash === -1 ? argv : argv.slice(0, dash);
  const viaUrl = before.some((a) => a === '--upstream-url' || a.startsWith('--upstream-url='));
  if (!viaUrl) {
    const split = splitCommand(argv, flags, missing);
    if (split.values['upstream-header'] !== undefined) throw new UsageError('--upstream-header goes with --upstream-url URL');
    return split;
  }
  if (dash !== -1) throw new UsageError('give either --upstream-url URL or the server command after --, not both');
  const { values } = splitCommand([...before, '--', '-'], flags, '');
  const text = values['upstream-url'] as string;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new UsageError(`--upstream-url must be an http:// or https:// URL of an MCP server, not ${JSON.stringify(text)}`);
  // Credentials in the URL would end up in logs and audit lines: --upstream-header carries them.
  if (url.username !== '' || url.password !== '')
    throw new UsageError('--upstream-url must not hold a user name or password; send them with --upstream-header');
  const headers: Record<string, string> = {};
  for (const h of (values['upstream-header'] as string[] | undefined) ?? []) {
    const [name, value] = parseUpstreamHeader(h, env);
    if (Object.keys(headers).some((n) => n.toLowerCase() === name.toLowerCase()))
      throw new UsageError(`--upstream-header ${name} is given twice`);
    headers[name] = value;
  }
  return {
    values,
    command: upstreamLabel(url),
    commandArgs: [],
    upstreamUrl: url.href,
    ...(Object.keys(headers).length > 0 ? { upstreamHeaders: headers } : {}),
  };
}

/** Parses `serve` options: the `run` flags, where to listen, who may connect; the upstream command after `--`. */
export function parseServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const upstream = splitUpstream(
    argv,
    SERVE_FLAGS,
    'serve needs the server command after --, e.g. mcp-guard serve --listen 127.0.0.1:8080 --policy policy.yaml -- uvx odoo-mcp',
    env,
  );
  const { values } = upstream;
  const listen = values['listen'] as string | undefined;
  if (listen === undefined) throw new UsageError('serve needs --listen HOST:PORT, e.g. --listen 127.0.0.1:8080');
  const { host, port } = parseListen(listen);
  const tokenFile = values['token-file'] as string | undefined;
  if (!isLoopbackHost(host) && tokenFile === undefined)
    throw new UsageError(
      `--listen ${listen} is reachable from other machines: give --token-file FILE (a secret every request must send ` +
        `as "Authorization: Bearer ...") or listen on 127.0.0.1`,
    );
  const path = (values['path'] as string | undefined) ?? DEFAULT_SERVE_PATH;
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(path) || path === '/healthz')
    throw new UsageError(`--path must be a URL path starting with / (not /healthz), not ${JSON.stringify(path)}`);
  const maxSessions =
    numberOption(
      values['max-sessions'] as string | undefined,
      '--max-sessions',
      'a whole number, at least 1',
      (n) => Number.isInteger(n) && n >= 1,
    ) ?? DEFAULT_MAX_SESSIONS;
  const sessionIdleSeconds =
    numberOption(values['session-idle'] as string | undefined, '--session-idle', 'a number of seconds greater than 0', (n) => n > 0) ??
    DEFAULT_SESSION_IDLE_SECONDS;
  return {
    ...guardOptions(upstream, env),
    host,
    port,
    path,
    ...(tokenFile !== undefined ? { tokenFile } : {}),
    allowOrigins: ((values['allow-origin'] as string[] | undefined) ?? []).map(parseOrigin),
    maxSessions,
    sessionIdleSeconds,
  };
}
