import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
/** The bundled guard, exactly as users and the extension run it (MCP_GUARD_TEST_GUARD: another build, to show a test fails on it). */
export const GUARD = process.env.MCP_GUARD_TEST_GUARD ?? resolve(ROOT, 'dist', 'mcp-guard.js');
/** The stateful stand-in for odoo-mcp (src/demo/odoo-standin), as `npm run build` bundles it for `mcp-guard demo` and the extension. */
export const STANDIN = resolve(ROOT, 'dist', 'odoo-demo-server.js');
export const EVERYTHING = resolve(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
