/**
 * Which catalog applies to a guarded server: the catalog's own judgement for the server it
 * describes (odoo-mcp), a name-match that may only raise annotation classes for any other.
 */
import { basename } from 'node:path';
import type { CatalogUse } from './classify';
import { ODOO_MCP_CATALOG } from './odoo-mcp';

/** `--catalog` / the `catalog` server setting: tell from the server (auto), or force it. */
export type CatalogChoice = 'auto' | 'odoo-mcp' | 'none';
export const CATALOG_CHOICES: readonly CatalogChoice[] = ['auto', 'odoo-mcp', 'none'];

/** The name the catalog's server goes by in explanations. */
export const ODOO_MCP_NAME = 'odoo-mcp';

/**
 * `serverInfo.name`s that identify odoo-mcp, compared exactly: the real server's, and the
 * stand-in's (the tests' double and the demo) which serve odoo-mcp 1.3.0's tools. The first is
 * odoo-tools.ts's `ODOO_MCP_SERVER.name`, written out so that the guard does not bundle the tool list.
 */
export const ODOO_MCP_SERVER_NAMES: readonly string[] = ['Odoo MCP Server', ODOO_MCP_NAME, 'odoo-mcp-standin', 'odoo-mcp-demo'];

/** The catalog in force for a server, and why, in words for a log line or an explanation. */
export interface CatalogBinding {
  readonly use: CatalogUse;
  readonly why: string;
}

const OWN: CatalogUse = { kind: 'own', catalog: ODOO_MCP_CATALOG };
const NAME_MATCH: CatalogUse = { kind: 'name-match', catalog: ODOO_MCP_CATALOG, describes: ODOO_MCP_NAME };

/** A package word as launchers take it: `odoo-mcp`, `odoo-mcp@1.3.0`, `odoo-mcp==1.3.0`. */
function isOdooMcpWord(word: string): boolean {
  const name = basename(word).replace(/(@|==|>=|~=).*$/, '');
  return name === ODOO_MCP_NAME;
}

/**
 * Whether a server command starts odoo-mcp: the `odoo-mcp` executable itself, a launcher
 * (`uvx`, `pipx run`, `uv tool run`) given the `odoo-mcp` package, or `python -m odoo_mcp`.
 */
export function commandStartsOdooMcp(command: string, args: readonly string[]): boolean {
  const exe = basename(command);
  if (isOdooMcpWord(command)) return true;
  if (exe === 'uvx' || exe === 'pipx' || exe === 'uv') return args.some(isOdooMcpWord);
  if (/^python(\d+(\.\d+)?)?(\.exe)?$/.test(exe)) return args.some((a, i) => a === 'odoo_mcp' && args[i - 1] === '-m');
  return false;
}

/** `serverInfo.name` from an initialize result, when it is a string. */
export function serverInfoName(result: unknown): string | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  const info = (result as Record<string, unknown>)['serverInfo'];
  if (info === null || typeof info !== 'object') return undefined;
  const name = (info as Record<string, unknown>)['name'];
  return typeof name === 'string' ? name : undefined;
}

/**
 * The catalog for a server. `odoo-mcp` forces the catalog's own judgement, `none` forces the
 * name-match (the catalog then only raises annotation classes). `auto` trusts the server's
 * `serverInfo.name` when it names odoo-mcp exactly; when the server gives no name, the command;
 * a server that names itself otherwise is not odoo-mcp, whatever its command looks like (the
 * stricter reading when the two disagree). Before the server has answered: the name-match.
 */
export function catalogBinding(choice: CatalogChoice, name: string | undefined, commandIsOdooMcp: boolean): CatalogBinding {
  if (choice === 'odoo-mcp') return { use: OWN, why: 'the catalog is set to odoo-mcp' };
  if (choice === 'none') return { use: NAME_MATCH, why: 'the catalog is set to none' };
  if (name !== undefined) {
    return ODOO_MCP_SERVER_NAMES.includes(name)
      ? { use: OWN, why: `the server names itself ${JSON.stringify(name)}` }
      : { use: NAME_MATCH, why: `the server names itself ${JSON.stringify(name.slice(0, 80))}, not odoo-mcp` };
  }
  return commandIsOdooMcp
    ? { use: OWN, why: 'the server gives no name and its command starts odoo-mcp' }
    : { use: NAME_MATCH, why: 'the server has not said it is odoo-mcp' };
}
