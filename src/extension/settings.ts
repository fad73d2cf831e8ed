/** The extension's settings, as plain data: read by `config-reader.ts`, used by pure modules. */
import { CATALOG_CHOICES, type CatalogChoice } from '../guard/catalog/identity';
import { DEFAULT_SCAN_RESULTS, SCAN_RESULTS_MODES, type ScanResultsMode } from '../guard/result-secrets';

export interface GuardedServerConfig {
  /** Shown as "NAME (guarded)" among MCP servers. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** A policy file for this server only; otherwise the workspace or user policy. */
  readonly policyFile?: string;
  /**
   * The pins file of this server's tool definitions (`mcp-guard run --pins`): only pinned definitions are
   * trusted, and "Trust new definition" writes to it. Without it, definitions are trusted on first use.
   */
  readonly pinsFile?: string;
  /** Ask for and pass the Odoo connection settings and secret. */
  readonly odoo: boolean;
  /** Which catalog classes its tools (`--catalog`); absent is `auto`. */
  readonly catalog?: Exclude<CatalogChoice, 'auto'>;
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

/**
 * A server's `catalog` setting. A value that is not one of the choices is named as a problem and
 * read as `none`, the stricter: the catalog then only raises the classes the server's annotations give.
 */
function catalogOf(raw: unknown, i: number, problems: string[]): { catalog?: Exclude<CatalogChoice, 'auto'> } {
  if (raw === undefined || raw === 'auto') return {};
  if (raw === 'odoo-mcp' || raw === 'none') return { catalog: raw };
  problems.push(
    `mcpGuard.servers[${i}].catalog must be ${CATALOG_CHOICES.map((c) => JSON.stringify(c)).join(', ')}, ` +
      `not ${JSON.stringify(raw)}; "none" is used until it is fixed`,
  );
  return { catalog: 'none' };
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
      ...(typeof e['pinsFile'] === 'string' && e['pinsFile'].trim() ? { pinsFile: e['pinsFile'].trim() } : {}),
      odoo: typeof e['odoo'] === 'boolean' ? e['odoo'] : /odoo/i.test(`${command} ${args.join(' ')}`),
      ...catalogOf(e['catalog'], i, problems),
    });
  });
  return { servers, problems };
}
