/** How the stand-in introduces itself: as the tests' double of odoo-mcp, or labelled as MCP Guard's demo so nobody takes it for a real Odoo. */

/** The words every demo label starts with: the extension and `mcp-guard demo` show them to people. */
export const DEMO_LABEL = 'MCP Guard demo stand-in, not a real Odoo:';

export interface Identity {
  /** serverInfo, as the client (and the guard's audit log) sees it. */
  readonly serverInfo: { readonly name: string; readonly version: string; readonly title?: string };
  readonly instructions: string;
  /** `server` in health_check's answer. */
  readonly health: Readonly<Record<string, unknown>>;
  /** Prefix of its stderr lines and its logger name in notifications/message. */
  readonly logName: string;
}

const HOW_TO =
  'Read with search_records/read_record; ' +
  'write only through preview_write -> validate_write -> execute_approved_write(confirm=true). ' +
  'Long reads: submit_async_task then get_async_task.';

/** The tests compare these answers (name, instructions, health_check) to the letter: the test identity must not change. */
export function identity(demo: boolean): Identity {
  if (!demo) {
    return {
      serverInfo: { name: 'odoo-mcp-standin', version: '1.3.0' },
      instructions: `Odoo MCP stand-in (test double of odoo-mcp 1.3.0). ${HOW_TO}`,
      health: { name: 'Odoo MCP Server', standin: 'odoo-mcp-standin' },
      logName: 'odoo-mcp-standin',
    };
  }
  const what = `${DEMO_LABEL} the tools of odoo-mcp 1.3.0 over made-up sample data kept in memory; nothing is sent anywhere.`;
  return {
    serverInfo: { name: 'odoo-mcp-demo', version: '1.3.0', title: `${DEMO_LABEL} odoo-mcp 1.3.0 with sample data` },
    instructions: `${what} ${HOW_TO}`,
    health: { name: 'Odoo MCP Server (demo)', standin: 'odoo-mcp-demo', demo: true, notice: what },
    logName: 'odoo-mcp-demo',
  };
}
