/**
 * The Odoo MCP server's own tool definitions (`tools/list` of odoo-mcp 1.3.0): names,
 * descriptions, input schemas and annotations, for the policy language (hovers, completion
 * of condition paths, parameter checks). A copy of test/fixtures/odoo-tools.json, which the
 * stand-in server serves; test/unit/language-catalog.test.ts asserts both files are identical.
 */
import data from './odoo-mcp-1.3.0.tools.json';
import type { ToolDefinition } from './types';

export const ODOO_MCP_SERVER: { readonly name: string; readonly package: string; readonly version: string } = data.server;

export const ODOO_MCP_TOOLS: readonly ToolDefinition[] = data.tools as unknown as readonly ToolDefinition[];
