/**
 * The MCP servers people configured for VS Code itself, outside MCP Guard: a workspace's
 * `.vscode/mcp.json`, the user's `mcp.json`, and the `mcp` section of either settings file
 * (`"mcp": {"servers": {...}}`). Read from the files' text (JSONC), so the same code finds a server
 * and later removes it. Plain data, so tests need no VS Code.
 */
import { getNodeValue } from 'jsonc-parser';
import { parseJsonc } from './jsonc-edit';

export type SourceKind = 'workspace-mcp' | 'user-mcp' | 'workspace-settings' | 'user-settings';

/** A file servers are configured in. */
export interface ConfigSource {
  readonly kind: SourceKind;
  readonly path: string;
}

/** How messages name each kind of file. */
export const SOURCE_LABEL: Readonly<Record<SourceKind, string>> = {
  'workspace-mcp': '.vscode/mcp.json',
  'user-mcp': 'your mcp.json',
  'workspace-settings': 'the workspace settings',
  'user-settings': 'your user settings',
};

/** Where the servers are inside a file of that kind. */
export function serversPath(kind: SourceKind): string[] {
  return kind === 'workspace-mcp' || kind === 'user-mcp' ? ['servers'] : ['mcp', 'servers'];
}

/** Whether an entry goes to the workspace's settings (a workspace file) or the user's. */
export function isWorkspaceSource(kind: SourceKind): boolean {
  return kind === 'workspace-mcp' || kind === 'workspace-settings';
}

export interface ExistingServer {
  /** Its key in `servers`: the name VS Code shows. */
  readonly name: string;
  readonly source: ConfigSource;
  /** `stdio` runs a command; `remote` is reached at a `url` (type `http`, or the legacy `sse`). */
  readonly transport: 'stdio' | 'remote';
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly url?: string;
  /** A remote server's headers (none for a stdio one). */
  readonly headers: Readonly<Record<string, string>>;
  /** A remote server of type `sse`: the legacy HTTP+SSE transport, which the guard does not speak. */
  readonly sse?: true;
  readonly envFile?: string;
  readonly cwd?: string;
  /** The `${...}` variables in its command, args and env (e.g. `${input:odoo-key}`), which only VS Code resolves. */
  readonly variables: readonly string[];
}

const VARIABLE = /\$\{[^}]+\}/g;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : String(v))) : [];
}

function stringRecord(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const out: Record<string, string> = {};
  // mcp.json allows numbers and null in env; null unsets a variable, which a guarded server cannot say.
  for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = String(v);
  return out;
}

/** One entry of `servers`, or undefined when it is not a server VS Code would run. */
export function readServer(name: string, raw: unknown, source: ConfigSource): ExistingServer | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const e = raw as Record<string, unknown>;
  const type = typeof e['type'] === 'string' ? e['type'] : undefined;
  const url = typeof e['url'] === 'string' ? e['url'] : undefined;
  const command = typeof e['command'] === 'string' ? e['command'] : '';
  const args = strings(e['args']);
  const env = stringRecord(e['env']);
  const remote = type === 'http' || type === 'sse' || (url !== undefined && !command);
  if (!remote && !command) return undefined;
  const headers = remote ? stringRecord(e['headers']) : {};
  const variables = [
    ...new Set([command, ...args, ...Object.values(env), url ?? '', ...Object.values(headers)].flatMap((s) => s.match(VARIABLE) ?? [])),
  ];
  return {
    name,
    source,
    transport: remote ? 'remote' : 'stdio',
    command,
    args,
    env,
    ...(url !== undefined ? { url } : {}),
    headers,
    ...(remote && type === 'sse' ? { sse: true as const } : {}),
    ...(typeof e['envFile'] === 'string' ? { envFile: e['envFile'] } : {}),
    ...(typeof e['cwd'] === 'string' ? { cwd: e['cwd'] } : {}),
    variables,
  };
}

/**
 * The servers a file configures, in its order. A file that does not exist has none; one that
 * cannot be read as JSONC has none and a problem that says where.
 */
export function serversIn(text: string | undefined, source: ConfigSource): { servers: ExistingServer[]; problem?: string } {
  if (text === undefined || text.trim() === '') return { servers: [] };
  // Like VS Code, read what can be read of a file with mistakes; only a file that is no object at all is a problem.
  const { root } = parseJsonc(text);
  if (!root || root.type !== 'object') {
    return { servers: [], problem: `${source.path} is not valid JSON with comments; fix it to let MCP Guard read its servers` };
  }
  let node: unknown = getNodeValue(root);
  for (const key of serversPath(source.kind)) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return { servers: [] };
  const servers: ExistingServer[] = [];
  for (const [name, raw] of Object.entries(node)) {
    const server = readServer(name, raw, source);
    if (server) servers.push(server);
  }
  return { servers };
}
