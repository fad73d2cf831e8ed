/** A commented starter policy for a list of classified tools, with the action we recommend for each risk class. */
import { classifyTool } from '../catalog/classify';
import type { Catalog, CatalogEntry, RiskClass, ToolCategory, ToolDefinition } from '../catalog/types';
import { TOOL_CATEGORIES } from '../catalog/types';
import { toolPattern, type Action } from './model';

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
    "# Names or globs removed from the agent's tool list altogether.",
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
      out.push(`  ${yamlKey(toolPattern(tool.name))}:  # ${tool.category} · ${tool.risk} risk`);
      out.push(`    action: ${action}`);
      out.push(`    reason: ${yamlText(tool.reason)}`);
    }
    out.push('');
  }
  const tests = starterTests(tools);
  if (tests.length > 0) {
    out.push(
      '# Calls with the decision this file must give them: run them with',
      '# node dist/mcp-guard.js test <this file> (the editor runs them too). Add your own.',
      'tests:',
    );
    for (const t of tests) {
      out.push(`  - call: ${yamlKey(t.tool.name)}`);
      if (t.args) out.push(`    args: ${t.args}`);
      out.push(`    expect: ${recommendedAction(t.tool.risk)}`);
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** Example arguments for the starter's tests of well-known tools (YAML flow mappings). */
const STARTER_TEST_ARGS: Readonly<Record<string, string>> = {
  execute_method: '{ model: res.partner, method: unlink, args: [[7]] }',
  cancel_async_task: '{ task_id: "1234" }',
  search_records: '{ model: res.partner, domain: [] }',
};

/** The riskiest tools first (these names before others of their class), then one low-risk Read tool. */
const STARTER_TEST_FIRST = ['cancel_async_task', 'execute_method', 'execute_approved_write', 'search_records'];
const RISK_ORDER: Readonly<Record<RiskClass, number>> = { critical: 0, high: 1, medium: 2, low: 3 };

/** The tests a starter policy ships with: up to three of its riskiest tools and one Read tool. */
export function starterTests(tools: readonly StarterTool[]): { readonly tool: StarterTool; readonly args?: string }[] {
  const rank = (t: StarterTool) => {
    const i = STARTER_TEST_FIRST.indexOf(t.name);
    return i === -1 ? STARTER_TEST_FIRST.length : i;
  };
  const risky = tools
    .filter((t) => t.risk === 'critical' || t.risk === 'high')
    .map((t, i) => ({ t, i }))
    .sort((a, b) => RISK_ORDER[a.t.risk] - RISK_ORDER[b.t.risk] || rank(a.t) - rank(b.t) || a.i - b.i)
    .slice(0, 3)
    .map((x) => x.t);
  const reads = tools.filter((t) => t.category === 'Read' && t.risk === 'low');
  const read = reads.find((t) => t.name === 'search_records') ?? reads[0];
  const chosen = read ? [...risky, read] : risky;
  return chosen.map((tool) => {
    const args = STARTER_TEST_ARGS[tool.name];
    return args ? { tool, args } : { tool };
  });
}

/**
 * The tools a starter policy lists: the catalog's, or a live tool list (the running guard's report of
 * the server's `tools/list`), each classified from the catalog when it knows the tool (annotations may
 * raise its risk) and from its annotations otherwise. Duplicate names are listed once.
 */
export function starterTools(reported: readonly ToolDefinition[] | undefined, catalog: Catalog): StarterTool[] {
  if (reported === undefined)
    return Object.entries(catalog).map(([name, e]) => ({ name, category: e.category, risk: e.risk, reason: e.reason }));
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
