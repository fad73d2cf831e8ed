/**
 * Starter policies with the built-in catalog (odoo-mcp) as the default: what the editor offers
 * when it knows nothing else about the server. The policy layer itself takes any catalog.
 */
import { ODOO_MCP_CATALOG, ODOO_MCP_VERSION } from '../catalog/odoo-mcp';
import type { Catalog, ToolDefinition } from '../catalog/types';
import { starterPolicy, starterTools as toolsFrom, type StarterTool } from '../policy/starter';

/** The catalog's tools, or a live tool list classified against the catalog (see policy/starter.ts). */
export function starterTools(reported?: readonly ToolDefinition[], catalog: Catalog = ODOO_MCP_CATALOG): StarterTool[] {
  return toolsFrom(reported, catalog);
}

/**
 * The commented starter policy for the catalog (no list) or for a live tool list, grouped by category
 * with each tool's risk and recommended action. `serverLabel` defaults to the Odoo MCP server.
 */
export function starterPolicyFor(reported?: readonly ToolDefinition[], serverLabel?: string, catalog: Catalog = ODOO_MCP_CATALOG): string {
  const label =
    serverLabel ??
    (reported === undefined && catalog === ODOO_MCP_CATALOG ? `the Odoo MCP server (odoo-mcp ${ODOO_MCP_VERSION})` : 'this MCP server');
  return starterPolicy(label, toolsFrom(reported, catalog));
}
