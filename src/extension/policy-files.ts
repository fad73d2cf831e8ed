/** Writes policy files: the catalog starter where none exists, and new files that never replace one. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ODOO_MCP_CATALOG, ODOO_MCP_VERSION } from '../guard/catalog/odoo-mcp';
import { starterPolicy } from '../guard/policy/starter';
import { demoPolicyText } from './demo';

/** Writes the starter policy where none exists yet; returns whether it did. */
export function ensurePolicyFile(path: string): boolean {
  return writeNewPolicy(path, () => {
    const tools = Object.entries(ODOO_MCP_CATALOG).map(([name, e]) => ({ name, ...e }));
    return starterPolicy(`the Odoo MCP server (odoo-mcp ${ODOO_MCP_VERSION})`, tools);
  });
}

/** Writes the demo server's policy (the starter, headed as the demo's) where none exists yet; returns whether it did. */
export function ensureDemoPolicy(path: string): boolean {
  return writeNewPolicy(path, demoPolicyText);
}

/**
 * Writes `text` to a policy file that does not exist yet; returns false, writing nothing, when it
 * does. Exclusive creation: a file that appears in between makes this throw rather than be replaced.
 */
export function writeNewPolicy(path: string, text: string | (() => string)): boolean {
  if (existsSync(path)) return false;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, typeof text === 'string' ? text : text(), { flag: 'wx' });
  return true;
}

/**
 * Where "Create Policy from Server Tools" writes: in a trusted workspace, `.vscode/mcp-policy.yaml`
 * (the default of `mcpGuard.policyFile`, whatever that setting says); else the policy the window uses.
 */
export function createdPolicyPath(workspaceFolder: string | undefined, trusted: boolean, windowPolicy: () => string): string {
  return workspaceFolder && trusted ? join(workspaceFolder, '.vscode', 'mcp-policy.yaml') : windowPolicy();
}
