/** `mcp-guard demo --interactive`: the person types tool calls, sees each decision, and answers approvals in the terminal. */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { classifyTool } from '../../guard/catalog/classify';
import { MODES, type Mode } from '../../guard/policy/model';
import { AuditTail } from './audit-tail';
import { GuardSession } from './guard-session';
import type { LineReader } from './line-reader';
import { describeCall, type Style } from './report';
import type { DemoFiles } from './setup';

export interface InteractiveContext {
  readonly files: DemoFiles;
  readonly style: Style;
  readonly out: (line: string) => void;
  readonly input: LineReader;
}

const PROMPT = 'mcp-guard demo> ';
/** Longer than any approval timeout: the guard decides when an unanswered approval gives up, not the demo. */
const CALL_TIMEOUT_MS = 30 * 60_000;

const HELP = [
  'Type a tool call as  TOOL {"json": "arguments"}, for example:',
  '  search_records {"model": "res.partner", "limit": 3}',
  '  submit_async_task {"operation": "data_quality_report", "params": {"model": "res.partner"}}',
  '  cancel_async_task {"task_id": "<the id submit_async_task gave>"}',
  '  chatter_post {"model": "res.partner", "record_id": 3, "body": "Hello"}',
  '  execute_method {"model": "res.partner", "method": "unlink", "args": [[3]]}',
  'Other commands: tools (the tools the agent sees), mode enforce|monitor|lockdown (restart the guard in that mode;',
  'the stand-in starts over with fresh data), help, quit.',
];

/** `TOOL` or `TOOL {json}` → the call, or a message saying what to type instead. */
export function parseCallLine(line: string): { tool: string; args: Record<string, unknown> } | { problem: string } {
  const m = /^(\S+)\s*(.*)$/s.exec(line.trim());
  if (!m) return { problem: 'type a tool name, then its arguments as a JSON object' };
  const tool = m[1]!;
  const rest = m[2]!.trim();
  if (rest === '') return { tool, args: {} };
  let args: unknown;
  try {
    args = JSON.parse(rest);
  } catch (e) {
    return { problem: `the arguments are not JSON (${(e as Error).message}); write them as an object, e.g. {"model": "res.partner"}` };
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    return { problem: 'the arguments must be a JSON object, e.g. {"model": "res.partner"}' };
  }
  return { tool, args: args as Record<string, unknown> };
}

function toolLines(tools: readonly Tool[]): string[] {
  return tools.map((t) => {
    const c = classifyTool(t.name, t.annotations);
    return `  ${t.name.padEnd(36)} ${c.category} · ${c.risk}`;
  });
}

/** Runs the prompt until `quit` or the end of the input; resolves when the guard has stopped. */
export async function runInteractive(ctx: InteractiveContext): Promise<void> {
  const { files, style, out, input } = ctx;
  const audit = new AuditTail(files.audit);
  let quitAfterCall = false;

  /** The guard's approval form, asked here: only y or yes lets the call through. */
  const ask = async (message: string): Promise<boolean> => {
    out('');
    // The form's own last line tells a form to set "confirm"; here the question below asks instead.
    for (const l of message.split('\n').filter((l) => !l.startsWith('Set "confirm"'))) out(`   │ ${l}`);
    const answer = (await input.next('   Allow this call? [y/N] '))?.trim().toLowerCase() ?? '';
    if (answer === 'quit' || answer === 'exit') quitAfterCall = true;
    return answer === 'y' || answer === 'yes';
  };

  const start = async (mode: Mode): Promise<GuardSession> => {
    const g = await GuardSession.start({ files, policy: files.policy, mode, audit, ask, callTimeoutMs: CALL_TIMEOUT_MS });
    out(style.dim(`$ ${GuardSession.commandLine({ files, policy: files.policy, mode })}`));
    return g;
  };

  out(`${style.bold('MCP Guard demo, interactive')}: you are the agent. The real guard runs in front of a stand-in Odoo MCP server`);
  out('(sample data in memory: no Odoo, no network). Approvals are asked here.');
  out(
    `Policy: ${files.policy}${files.starter ? ' (the starter policy)' : ''}: edit and save it while this runs, the next call follows it.`,
  );
  for (const l of HELP) out(style.dim(l));
  let g = await start('enforce');
  try {
    for (;;) {
      const line = await input.next(PROMPT);
      if (line === null) break;
      const text = line.trim();
      if (text === '' || text.startsWith('#')) continue;
      if (text === 'quit' || text === 'exit') break;
      if (text === 'help') {
        for (const l of HELP) out(l);
        continue;
      }
      if (text === 'tools') {
        const tools = await g.listTools();
        out(`${tools.length} tools:`);
        for (const l of toolLines(tools)) out(l);
        continue;
      }
      const mode = /^mode(?:\s+(\S+))?$/.exec(text);
      if (mode) {
        const wanted = mode[1] as Mode | undefined;
        if (wanted === undefined || !MODES.includes(wanted)) {
          out(`type mode ${MODES.join('|')}`);
          continue;
        }
        await g.close();
        g = await start(wanted);
        out(`The guard now runs in ${wanted} mode (the stand-in started over with fresh data).`);
        continue;
      }
      const parsed = parseCallLine(text);
      if ('problem' in parsed) {
        out(`${parsed.problem}. Type help for examples.`);
        continue;
      }
      const outcome = await g.call(parsed.tool, parsed.args);
      for (const l of describeCall(undefined, outcome, style)) out(l);
      if (quitAfterCall) break;
    }
  } finally {
    await g.close();
  }
  out('');
  out(`Audit log: ${files.audit} (${audit.seen} decisions, one JSON line each)`);
}
