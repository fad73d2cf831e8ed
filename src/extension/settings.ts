/** The extension's settings, as plain data: read by `config-reader.ts`, used by pure modules. */
import { DEFAULT_SCAN_RESULTS, SCAN_RESULTS_MODES, type ScanResultsMode } from '../guard/result-secrets';

export interface GuardedServerConfig {
  /** Shown as "NAME (guarded)" among MCP servers. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** A policy file for this server only; otherwise the workspace or user policy. */
  readonly policyFile?: string;
  /** Ask for and pass the Odoo connection settings and secret. */
  readonly odoo: boolean;
  /** The bundled demo stand-in ("MCP Guard: Try the Demo Server", `demo.ts`); never read from settings. */
  readonly demo?: boolean;
}

export interface OdooSettings {
  readonly url: string;
  readonly db: string;
  readonly username: string;
}

export interface ExtensionSettings {
  readonly servers: readonly GuardedServerConfig[];
  readonly policyFile: string;
  readonly approvalTimeoutSeconds: number;
  readonly auditEnabled: boolean;
  readonly auditIncludeArguments: boolean;
  /** `mcpGuard.scanResults`: the guards' `--scan-results`. */
  readonly scanResults: ScanResultsMode;
  readonly odoo: OdooSettings;
}

/** `mcpGuard.scanResults` as set, or `redact` (with a problem named) when it is not one of the three. */
export function parseScanResults(raw: unknown): { mode: ScanResultsMode; problem?: string } {
  if (raw === undefined || raw === null) return { mode: DEFAULT_SCAN_RESULTS };
  if (typeof raw === 'string' && (SCAN_RESULTS_MODES as readonly string[]).includes(raw)) return { mode: raw as ScanResultsMode };
  return {
    mode: DEFAULT_SCAN_RESULTS,
    problem: `mcpGuard.scanResults must be "off", "flag" or "redact", not ${JSON.stringify(raw)}; results are redacted`,
  };
}

export const DEFAULT_SERVERS: readonly GuardedServerConfig[] = [{ name: 'Odoo', command: 'uvx', args: ['odoo-mcp'], env: {}, odoo: true }];

function asStringRecord(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Turns the raw `mcpGuard.servers` value into valid entries, skipping (and naming) bad ones. */
export function parseServers(raw: unknown): { servers: GuardedServerConfig[]; problems: string[] } {
  if (raw === undefined || raw === null) return { servers: [...DEFAULT_SERVERS], problems: [] };
  if (!Array.isArray(raw)) return { servers: [], problems: ['mcpGuard.servers must be a list of servers'] };
  const servers: GuardedServerConfig[] = [];
  const problems: string[] = [];
  const names = new Set<string>();
  raw.forEach((entry: unknown, i) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const name = typeof e['name'] === 'string' ? e['name'].trim() : '';
    const command = typeof e['command'] === 'string' ? e['command'].trim() : '';
    if (!name || !command) {
      problems.push(`mcpGuard.servers[${i}] needs a name and a command`);
      return;
    }
    if (names.has(name)) {
      problems.push(`mcpGuard.servers[${i}]: the name ${name} is used twice; the second is ignored`);
      return;
    }
    names.add(name);
    const args = Array.isArray(e['args']) ? e['args'].filter((a): a is string => typeof a === 'string') : [];
    servers.push({
      name,
      command,
      args,
      env: asStringRecord(e['env']),
      ...(typeof e['policyFile'] === 'string' && e['policyFile'].trim() ? { policyFile: e['policyFile'].trim() } : {}),
      odoo: typeof e['odoo'] === 'boolean' ? e['odoo'] : /odoo/i.test(`${command} ${args.join(' ')}`),
    });
  });
  return { servers, problems };
}
