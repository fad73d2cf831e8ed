/** The extension's settings, as plain data: read by `config-reader.ts`, used by pure modules. */
import { CATALOG_CHOICES, type CatalogChoice } from '../guard/catalog/identity';
import { DEFAULT_SCAN_RESULTS, SCAN_RESULTS_MODES, type ScanResultsMode } from '../guard/result-secrets';
import { otlpEndpointProblem } from '../guard/otlp/endpoint';
import { parseState, StateOptionError } from '../guard/state/state-option';

export interface GuardedServerConfig {
  /** Shown as "NAME (guarded)" among MCP servers. */
  readonly name: string;
  /** The server's command; empty when it is reached at `url` instead. */
  readonly command: string;
  readonly args: readonly string[];
  /** A server reached over Streamable HTTP (`mcp-guard run --upstream-url`), instead of `command`. */
  readonly url?: string;
  /**
   * With `url`: headers sent on every request to it (`--upstream-header`). A value may hold `${env:NAME}`,
   * which the guard replaces with that variable of its environment (VS Code's, plus `env`).
   */
  readonly headers?: Readonly<Record<string, string>>;
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
  /** `mcpGuard.audit.otlpEndpoint` (user settings only): the guards' `--otlp-endpoint`; absent, none is passed. */
  readonly auditOtlpEndpoint?: string;
  /** `mcpGuard.state`: the guards' `--state`, where `scope: shared` rate limits are counted; `memory` by default. */
  readonly state: string;
  readonly odoo: OdooSettings;
  /**
   * `mcpGuard.basePolicyFile`: the organisation's base policy (the guards' `--base-policy`), read from
   * the user or machine value only (see `basePolicyFileFrom`); absent when not set.
   */
  readonly basePolicyFile?: string;
}

/** What `WorkspaceConfiguration.inspect` gives for one setting (the parts read here). */
export interface InspectedSetting<T> {
  readonly defaultValue?: T;
  readonly globalValue?: T;
  readonly workspaceValue?: T;
  readonly workspaceFolderValue?: T;
}

/**
 * `mcpGuard.basePolicyFile` from its inspected values: the user / machine (global) value only. The
 * setting is machine-scoped, so VS Code does not apply a workspace value; a value written in a
 * workspace's or folder's settings anyway is ignored here too, so a repository can neither set the
 * base policy nor clear it. A blank or non-string value means none; `~/` is the home folder.
 */
export function basePolicyFileFrom(inspected: InspectedSetting<unknown> | undefined, home?: string): string | undefined {
  const raw = inspected?.globalValue;
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const path = raw.trim();
  return home !== undefined && path.startsWith('~/') ? `${home}${path.slice(1)}` : path;
}

/**
 * `mcpGuard.state` as set (trimmed), or `memory`. A value the guard would refuse is named as a problem but
 * still passed on: the guard then refuses to start, rather than shared budgets quietly becoming per process.
 */
export function parseStateSetting(raw: unknown): { state: string; problem?: string } {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return { state: 'memory' };
  const text = typeof raw === 'string' ? raw.trim() : JSON.stringify(raw);
  try {
    parseState(text, 'mcpGuard.state');
    return { state: text };
  } catch (e) {
    if (e instanceof StateOptionError)
      return { state: text, problem: `${e.message}; the guarded servers will not start until it is fixed` };
    throw e;
  }
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

/**
 * `mcpGuard.audit.otlpEndpoint` as set: empty is none; a value that is not an http(s) URL (or holds a password)
 * is named as a problem and not passed, so a typo does not stop every guard from starting.
 */
export function parseOtlpEndpoint(raw: unknown): { endpoint?: string; problem?: string } {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return {};
  const problem = typeof raw === 'string' ? otlpEndpointProblem(raw.trim()) : 'must be a URL';
  if (problem === undefined) return { endpoint: (raw as string).trim() };
  return { problem: `mcpGuard.audit.otlpEndpoint ${problem}; audit events are not sent to a collector until it is fixed` };
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

/** An RFC 7230 token: what a header name may be. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A remote server's `url`: http(s), no user name or password (they would show in logs; `headers` carry them). */
export function urlProblem(url: string): string | undefined {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
    return 'url must be an http:// or https:// URL of an MCP server';
  if (parsed.username !== '' || parsed.password !== '') return 'url must not hold a user name or password; put them in headers';
  return undefined;
}

/** A remote server's `headers`: token names, values without control characters, only `${env:NAME}` and `${secret:NAME}` references. */
export function headersProblem(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'headers must be an object of header names to values';
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!HEADER_NAME.test(name)) return `headers: ${JSON.stringify(name)} is not a header name`;
    if (typeof value !== 'string') return `headers.${name} must be a string`;
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return `headers.${name} must not hold a line break or another control character`;
    for (const [reference] of value.matchAll(/\$\{[^}]*\}/g))
      if (!/^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/.test(reference) && !/^\$\{secret:[A-Za-z0-9_.-]+\}$/.test(reference))
        return (
          `headers.${name}: ${reference} is not supported; write \${env:NAME} to take a value from the environment, ` +
          `or \${secret:NAME} to keep it in VS Code's secret storage`
        );
  }
  return undefined;
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
    const url = typeof e['url'] === 'string' ? e['url'].trim() : '';
    if (!name || (!command && !url)) {
      problems.push(`mcpGuard.servers[${i}] needs a name and a command (or the url of a remote server)`);
      return;
    }
    if (command && url) {
      problems.push(`mcpGuard.servers[${i}] has both a command and a url: give one`);
      return;
    }
    const remoteProblem = url ? (urlProblem(url) ?? headersProblem(e['headers'])) : undefined;
    if (remoteProblem !== undefined) {
      problems.push(`mcpGuard.servers[${i}].${remoteProblem}`);
      return;
    }
    if (!url && e['headers'] !== undefined) problems.push(`mcpGuard.servers[${i}].headers go with a url; they are ignored`);
    if (names.has(name)) {
      problems.push(`mcpGuard.servers[${i}]: the name ${name} is used twice; the second is ignored`);
      return;
    }
    names.add(name);
    const args = url ? [] : Array.isArray(e['args']) ? e['args'].filter((a): a is string => typeof a === 'string') : [];
    const headers = url ? asStringRecord(e['headers']) : {};
    servers.push({
      name,
      command,
      args,
      ...(url ? { url } : {}),
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      env: asStringRecord(e['env']),
      ...(typeof e['policyFile'] === 'string' && e['policyFile'].trim() ? { policyFile: e['policyFile'].trim() } : {}),
      ...(typeof e['pinsFile'] === 'string' && e['pinsFile'].trim() ? { pinsFile: e['pinsFile'].trim() } : {}),
      // A remote server has its own Odoo connection: the settings passed to a local one do not reach it.
      odoo: url ? false : typeof e['odoo'] === 'boolean' ? e['odoo'] : /odoo/i.test(`${command} ${args.join(' ')}`),
      ...catalogOf(e['catalog'], i, problems),
    });
  });
  return { servers, problems };
}
