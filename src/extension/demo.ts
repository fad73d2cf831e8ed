/**
 * The demo server ("MCP Guard: Try the Demo Server"): the bundled Odoo stand-in behind the guard,
 * with its own copy of the starter policy, offered next to the configured servers while it is on.
 * Plain data and text, so tests need no VS Code.
 */
import { starterPolicyFor } from '../guard/language';
import type { GuardedServerConfig } from './settings';

/** Global state: `true` while the demo server is offered (off until the person asks for it). */
export const DEMO_STATE_KEY = 'mcpGuard.demo';
/** A context key for `when` clauses (package.json `menus`), kept equal to the state above. */
export const DEMO_CONTEXT_KEY = 'mcpGuard.demoOn';
/** Its name in approvals, audit events and the log (the guard's `--name`). */
export const DEMO_NAME = 'Odoo demo';
/** Its definition's label among MCP servers. */
export const DEMO_LABEL = `${DEMO_NAME} (guarded)`;
/** The stand-in, bundled by `npm run build`, relative to the extension's folder. */
export const DEMO_SCRIPT = ['dist', 'odoo-demo-server.js'] as const;
/** In the extension's global storage; `*.mcp-policy.yaml` opens as an MCP Guard policy. */
export const DEMO_POLICY_FILE = 'odoo-demo.mcp-policy.yaml';
/** In the extension's global storage: one JSON line per call the stand-in executed. */
export const DEMO_JOURNAL_FILE = 'odoo-demo-journal.jsonl';

export interface DemoFiles {
  /** The bundled stand-in (`dist/odoo-demo-server.js`). */
  readonly script: string;
  readonly policy: string;
  readonly journal: string;
}

/** Whether a stored state value means "on". */
export function demoIsOn(stored: unknown): boolean {
  return stored === true;
}

/** The demo as a guarded server: the stand-in under `nodePath`, labelled as a demo, with its own policy. */
export function demoServer(nodePath: string, files: DemoFiles): GuardedServerConfig {
  return {
    name: DEMO_NAME,
    command: nodePath,
    args: [files.script],
    env: { STANDIN_DEMO: '1', STANDIN_JOURNAL: files.journal },
    policyFile: files.policy,
    odoo: false,
    demo: true,
  };
}

/**
 * The servers to offer: the configured ones, then the demo when it is on. A configured server of
 * the demo's name would have the same label, so it is left out while the demo is on (and named).
 */
export function offeredServers(
  configured: readonly GuardedServerConfig[],
  demo: GuardedServerConfig | undefined,
): { servers: GuardedServerConfig[]; problems: string[] } {
  if (!demo) return { servers: [...configured], problems: [] };
  const clash = configured.filter((s) => s.name === demo.name);
  return {
    servers: [...configured.filter((s) => s.name !== demo.name), demo],
    problems: clash.map(
      () =>
        `mcpGuard.servers: "${demo.name}" is the name of MCP Guard's demo server, so your server of that name is left out ` +
        'while the demo is on ("MCP Guard: Remove the Demo Server" brings it back; or rename it).',
    ),
  };
}

/** The demo's policy when it is first written: the starter, under a header that says whose it is. */
export function demoPolicyText(): string {
  return (
    `# The policy of "${DEMO_LABEL}": MCP Guard's demo stand-in, NOT a real Odoo (no data leaves this machine).\n` +
    '# Edit and save it to see the running demo change its decisions; "MCP Guard: Remove the Demo Server" keeps it.\n' +
    '#\n' +
    starterPolicyFor()
  );
}

/** What "Try the Demo Server" says once the demo is among the MCP servers. */
export function demoAddedMessage(): string {
  return (
    `MCP Guard: "${DEMO_LABEL}" is now among your MCP servers: a stand-in that acts like Odoo, not a real one. ` +
    `In Chat (agent mode) ask: "Start a data quality report of res.partner on ${DEMO_NAME}, then cancel that task." ` +
    'MCP Guard asks you before the cancel reaches the server.'
  );
}
