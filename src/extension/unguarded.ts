/**
 * Which MCP servers configured outside MCP Guard deserve a warning: one that runs the same command
 * as a guarded server (the same server, reachable around the guard), or one whose tools, as VS Code
 * lists them in `vscode.lm.tools`, include high or critical tools of the catalog. Plain data, so
 * tests need no VS Code.
 */
import { classifyTool, riskRank } from '../guard/catalog/classify';
import { ODOO_MCP_CATALOG } from '../guard/catalog/odoo-mcp';
import type { RiskClass } from '../guard/catalog/types';
import { guardedLabel } from './definition-builder';
import { SOURCE_LABEL, type ExistingServer } from './mcp-config';
import type { GuardedServerConfig } from './settings';

export interface FlagInput {
  /** Every server found in mcp.json files and the `mcp` settings. */
  readonly servers: readonly ExistingServer[];
  /** The servers MCP Guard runs behind the guard. */
  readonly guarded: readonly GuardedServerConfig[];
  /** The names in `vscode.lm.tools`. */
  readonly lmTools: readonly string[];
  /** The tools each running guarded server reported, by its name. */
  readonly reported: ReadonlyMap<string, readonly string[]>;
}

export interface Flagged {
  readonly server: ExistingServer;
  /** Stable across reloads: what "warned once" remembers. */
  readonly key: string;
  readonly because: 'command' | 'tools';
  /** The label of the guarded server that runs the same command. */
  readonly guarded?: string;
  /** The riskiest tool agents can call on it without the policy, when one is high or critical. */
  readonly tool?: string;
  readonly risk?: RiskClass;
  /** The warning, as the notification and the status bar say it. */
  readonly message: string;
}

export function serverKey(server: ExistingServer): string {
  return `${server.source.path}#${server.name}`;
}

/**
 * The prefix VS Code gives a server's tools in `vscode.lm.tools` while it knows the server only by
 * its name: "mcp_", the name in lower case with other characters as "_", cut to 13 characters, "_".
 * (A server that reported its own name gets that name's prefix instead, which cannot be told from
 * another's, so such tools are not attributed: the command match is what finds those servers.)
 */
export function toolPrefix(name: string): string {
  return `mcp_${name
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '_')
    .slice(0, 13)}_`;
}

function programName(command: string): string {
  const base = command.split(/[\\/]/).pop() ?? command;
  return base.toLowerCase().replace(/\.(exe|cmd|bat)$/, '');
}

/** The same program with the same arguments: `uvx odoo-mcp` and `/usr/local/bin/uvx odoo-mcp` alike. */
export function sameCommand(a: { command: string; args: readonly string[] }, b: { command: string; args: readonly string[] }): boolean {
  return programName(a.command) === programName(b.command) && a.args.length === b.args.length && a.args.every((x, i) => x === b.args[i]);
}

/** The same remote server: URLs equal once parsed (case of scheme and host, default port, no trailing slash). */
export function sameUrl(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      const p = new URL(u);
      return `${p.protocol}//${p.host}${p.pathname.replace(/\/+$/, '')}${p.search}`;
    } catch {
      return u;
    }
  };
  return norm(a) === norm(b);
}

/** A server started through MCP Guard's own command-line guard (`mcp-guard run -- …`) is guarded already. */
export function runsTheGuard(server: ExistingServer): boolean {
  return [server.command, ...server.args].some((s) => /^mcp-guard(\.js)?$/.test(programName(s)));
}

function riskiest(tools: Iterable<string>): { tool: string; risk: RiskClass } | undefined {
  let best: { tool: string; risk: RiskClass } | undefined;
  for (const tool of tools) {
    const risk = classifyTool(tool).risk;
    if (riskRank(risk) < riskRank('high')) continue;
    if (!best || riskRank(risk) > riskRank(best.risk) || (risk === best.risk && tool < best.tool)) best = { tool, risk };
  }
  return best;
}

export function unguardedMessage(f: Pick<Flagged, 'server' | 'tool' | 'guarded'>): string {
  const where = `${f.server.name} in ${SOURCE_LABEL[f.server.source.kind]} is not guarded`;
  const what = f.tool
    ? `agents can call ${f.tool} without the policy`
    : `it ${f.server.transport === 'remote' ? 'reaches the same server' : 'runs the same command'} as "${f.guarded ?? 'a guarded server'}" without the policy`;
  const sse = f.server.sse
    ? ' (it uses the legacy SSE transport, which MCP Guard cannot guard: give it type "http" if the server serves that)'
    : '';
  return `${where}: ${what}${sse}`;
}

/** The servers to warn about, in the order found. */
export function findUnguarded(input: FlagInput): Flagged[] {
  const guardedPrefixes = input.guarded.map((g) => toolPrefix(guardedLabel(g)));
  const flagged: Flagged[] = [];
  for (const server of input.servers) {
    if (runsTheGuard(server)) continue;
    const twin =
      server.transport === 'stdio'
        ? input.guarded.find((g) => g.url === undefined && sameCommand(g, server))
        : input.guarded.find((g) => g.url !== undefined && server.url !== undefined && sameUrl(g.url, server.url));
    const prefix = toolPrefix(server.name);
    // A guarded label starts like the name ("odoo_guarded_" after "odoo_"): its tools are not this server's.
    const own = input.lmTools
      .filter((t) => t.startsWith(prefix) && !guardedPrefixes.some((g) => g.length > prefix.length && t.startsWith(g)))
      .map((t) => t.slice(prefix.length));
    const byTools = riskiest(own);
    if (!twin && !byTools) continue;
    // The twin's tools are this server's too: those its guard reported, else the catalog's for Odoo.
    const twinTools = twin ? (input.reported.get(twin.name) ?? (twin.odoo ? Object.keys(ODOO_MCP_CATALOG) : [])) : [];
    const pick = riskiest([...own, ...twinTools]);
    const f = {
      server,
      key: serverKey(server),
      because: byTools ? ('tools' as const) : ('command' as const),
      ...(twin ? { guarded: guardedLabel(twin) } : {}),
      ...(pick ? { tool: pick.tool, risk: pick.risk } : {}),
    };
    flagged.push({ ...f, message: unguardedMessage(f) });
  }
  return flagged;
}
