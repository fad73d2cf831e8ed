import { classifyTool } from '../catalog/classify';
import { ODOO_MCP_CATALOG, ODOO_MCP_VERSION } from '../catalog/odoo-mcp';
import type { Catalog, CatalogEntry, RiskClass, ToolCategory, ToolDefinition } from '../catalog/types';
import { TOOL_CATEGORIES } from '../catalog/types';
import type { Action } from './model';

export interface StarterTool extends CatalogEntry {
  readonly name: string;
}

/** What we suggest for a tool of a risk class when the user has said nothing yet. */
export function recommendedAction(risk: RiskClass): Action {
  return risk === 'critical' || risk === 'high' ? 'require_approval' : 'allow';
}

const CATEGORY_NOTES: Record<ToolCategory, string> = {
  Read: 'Read: look at data, change nothing',
  Write: 'Write: create or change data, or state on the server',
  Destructive: 'Destructive: delete or overwrite data, or end work, with no undo',
  Execute: 'Execute: run methods or code on the server',
};

function yamlKey(name: string): string {
  // Plain only when YAML would read it back as this very text (not null, a boolean or a number).
  const plain = /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name) && !/^(null|true|false|yes|no|on|off|y|n|~)$/i.test(name);
  return plain ? name : JSON.stringify(name);
}

function yamlText(text: string): string {
  return JSON.stringify(text);
}

/**
 * A commented policy listing every tool, grouped by category, with its risk and a recommended
 * action: critical and high-risk tools need approval, the rest are allowed. Valid as written.
 */
export function starterPolicy(serverLabel: string, tools: readonly StarterTool[]): string {
  const out: string[] = [
    `# MCP Guard policy for ${serverLabel}.`,
    '# Every tool call the agent makes is decided here before the server sees it.',
    '# Actions: allow | deny | require_approval. A rate limit: rate_limit: { max: 10, window: 60 }.',
    '# Check this file with: node dist/mcp-guard.js validate <this file>',
    'version: 1',
    '',
    '# Tools this file does not list (for example new ones after a server upgrade) need approval.',
    'default: require_approval',
    '',
    '# Tools with no entry below are decided by their risk class.',
    'risk:',
    '  critical: deny',
    '  high: require_approval',
    '',
    '# Names or globs removed from the agent\'s tool list altogether.',
    'hide: []',
    '',
    'tools:',
  ];
  for (const category of TOOL_CATEGORIES) {
    const group = tools.filter((t) => t.category === category);
    if (group.length === 0) continue;
    out.push(`  # ── ${CATEGORY_NOTES[category]} ──`);
    for (const tool of group) {
      const action = recommendedAction(tool.risk);
      out.push(`  ${yamlKey(tool.name)}:  # ${tool.category} · ${tool.risk} risk`);
      out.push(`    action: ${action}`);
      out.push(`    reason: ${yamlText(tool.reason)}`);
    }
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/**
 * The tools a starter policy lists: the catalog's, or a live tool list (the running guard's report of
 * the server's `tools/list`), each classified from the catalog when it knows the tool (annotations may
 * raise its risk) and from its annotations otherwise. Duplicate names are listed once.
 */
export function starterTools(reported?: readonly ToolDefinition[], catalog: Catalog = ODOO_MCP_CATALOG): StarterTool[] {
  if (reported === undefined) return Object.entries(catalog).map(([name, e]) => ({ name, category: e.category, risk: e.risk, reason: e.reason }));
  const seen = new Set<string>();
  const out: StarterTool[] = [];
  for (const t of reported) {
    if (!t || typeof t.name !== 'string' || seen.has(t.name)) continue;
    seen.add(t.name);
    const c = classifyTool(t.name, t.annotations, catalog);
    out.push({ name: t.name, category: c.category, risk: c.risk, reason: c.reason });
  }
  return out;
}

/**
 * The commented starter policy for the catalog (no list) or for a live tool list, grouped by category
 * with each tool's risk and recommended action. `serverLabel` defaults to the Odoo MCP server.
 */
export function starterPolicyFor(reported?: readonly ToolDefinition[], serverLabel?: string, catalog: Catalog = ODOO_MCP_CATALOG): string {
  const label = serverLabel ?? (reported === undefined && catalog === ODOO_MCP_CATALOG ? `the Odoo MCP server (odoo-mcp ${ODOO_MCP_VERSION})` : 'this MCP server');
  return starterPolicy(label, starterTools(reported, catalog));
}
