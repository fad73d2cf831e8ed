/** The launch line of a guarded server: the guard under VS Code's Node, its flags, environment and a version that changes when they do. */
import { createHash } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { BRIDGE_ADDRESS_ENV, BRIDGE_TOKEN_ENV } from '../guard/bridge/protocol';
import type { Mode } from '../guard/policy/model';
import type { ScanResultsMode } from '../guard/result-secrets';
import type { GuardedServerConfig } from './settings';
import { headerForGuard } from './header-secrets';

export interface LaunchContext {
  /** The Node runtime VS Code gives extensions (`process.execPath`; Electron in desktop VS Code). */
  readonly nodePath: string;
  /** The bundled `dist/mcp-guard.js`. */
  readonly guardScript: string;
  readonly policyPath: string | undefined;
  /** `mcpGuard.basePolicyFile`: the organisation's base policy (`--base-policy`), under every server's policy. */
  readonly basePolicyPath?: string | undefined;
  /** The server's pins file, resolved (see `pinsPathFor`). */
  readonly pinsPath?: string | undefined;
  readonly auditPath: string | undefined;
  readonly auditIncludeArguments: boolean;
  /** `mcpGuard.audit.otlpEndpoint`: the guard's `--otlp-endpoint` (audit events also as OTLP/HTTP log records). */
  readonly otlpEndpoint?: string | undefined;
  readonly approvalTimeoutSeconds: number;
  /** `mcpGuard.scanResults`; left out, the guard's default (`redact`) applies. */
  readonly scanResults?: ScanResultsMode;
  /** `mcpGuard.state`: where `scope: shared` rate limits are counted (`--state`); left out or `memory`, the guard's default. */
  readonly state?: string;
  readonly mode: Mode;
  readonly bridge: { readonly address: string; readonly token: string } | undefined;
  readonly extensionVersion: string;
}

export interface GuardLaunch {
  readonly label: string;
  readonly command: string;
  readonly args: string[];
  readonly env: Record<string, string>;
  /** Changes whenever what is launched changes, so VS Code offers to restart the server. */
  readonly version: string;
}

/**
 * A server's `pinsFile` as the guard gets it: absolute as is, relative to the workspace folder. Without
 * a folder a relative path is passed as written: the guard then fails closed on a file it cannot find,
 * rather than the server running without the pins it was configured with.
 */
export function pinsPathFor(server: GuardedServerConfig, workspaceFolder: string | undefined): string | undefined {
  if (server.pinsFile === undefined) return undefined;
  return isAbsolute(server.pinsFile) || workspaceFolder === undefined ? server.pinsFile : join(workspaceFolder, server.pinsFile);
}

export function guardedLabel(server: GuardedServerConfig): string {
  return `${server.name} (guarded)`;
}

/**
 * How the guard reaches the server: its command after `--`, or (a remote server) `--upstream-url` with one
 * `--upstream-header` per header, `${env:NAME}` turned into the guard's `${NAME}` (read from its environment), and
 * `${secret:NAME}` into the variable the extension fills from secret storage when the server starts.
 */
function upstreamArgs(server: GuardedServerConfig): string[] {
  if (server.url === undefined) return ['--', server.command, ...server.args];
  return [
    `--upstream-url=${server.url}`,
    ...Object.entries(server.headers ?? {}).map(
      ([name, value]) => `--upstream-header=${name}: ${headerForGuard(value).replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, '$${$1}')}`,
    ),
  ];
}

/**
 * What VS Code runs for one guarded server: our bundled guard under VS Code's own Node, with
 * the policy, the audit log and the real server's command after `--` (or its URL).
 */
export function buildGuardLaunch(server: GuardedServerConfig, ctx: LaunchContext): GuardLaunch {
  const args = [
    ctx.guardScript,
    'run',
    ...(ctx.policyPath ? ['--policy', ctx.policyPath] : []),
    ...(ctx.basePolicyPath ? ['--base-policy', ctx.basePolicyPath] : []),
    ...(ctx.auditPath ? ['--audit', ctx.auditPath] : []),
    ...(ctx.auditPath && ctx.auditIncludeArguments ? ['--audit-include-args'] : []),
    ...(ctx.otlpEndpoint ? [`--otlp-endpoint=${ctx.otlpEndpoint}`] : []),
    ...(ctx.pinsPath ? ['--pins', ctx.pinsPath] : []),
    '--approval-timeout',
    String(ctx.approvalTimeoutSeconds),
    ...(ctx.scanResults !== undefined ? ['--scan-results', ctx.scanResults] : []),
    // One token, so a value that starts with "-" cannot be read as another option.
    ...(ctx.state !== undefined && ctx.state !== 'memory' ? [`--state=${ctx.state}`] : []),
    '--mode',
    ctx.mode,
    // One token, so a name that starts with "-" cannot be read as another option.
    `--name=${server.name}`,
    ...(server.catalog ? [`--catalog=${server.catalog}`] : []),
    ...upstreamArgs(server),
  ];
  const { [BRIDGE_ADDRESS_ENV]: _address, [BRIDGE_TOKEN_ENV]: _token, ...serverEnv } = server.env;
  const env: Record<string, string> = {
    // Only the extension may point a guard at a bridge.
    ...serverEnv,
    // In desktop VS Code execPath is Electron: this makes it behave as plain Node.
    ELECTRON_RUN_AS_NODE: '1',
    ...(ctx.bridge ? { [BRIDGE_ADDRESS_ENV]: ctx.bridge.address, [BRIDGE_TOKEN_ENV]: ctx.bridge.token } : {}),
  };
  // The mode and the bridge are live (changed over the bridge), so they do not force a restart.
  const fingerprint = JSON.stringify({
    v: ctx.extensionVersion,
    server,
    policy: ctx.policyPath,
    ...(ctx.basePolicyPath ? { base: ctx.basePolicyPath } : {}),
    pins: ctx.pinsPath,
    audit: ctx.auditPath,
    args: ctx.auditIncludeArguments,
    otlp: ctx.otlpEndpoint,
    timeout: ctx.approvalTimeoutSeconds,
    scan: ctx.scanResults,
    state: ctx.state,
  });
  return {
    label: guardedLabel(server),
    command: ctx.nodePath,
    args,
    env,
    version: `${ctx.extensionVersion}+${createHash('sha256').update(fingerprint).digest('hex').slice(0, 12)}`,
  };
}
