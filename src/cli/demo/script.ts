/**
 * The scripted demo: a short agent session through three real guards (the main policy, a policy with a rate limit and
 * a hidden tool, lockdown), each decision shown and, where the demo knows the policy, checked.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { classifyTool } from '../../guard/catalog/classify';
import { TOOL_CATEGORIES } from '../../guard/catalog/types';
import type { Mode } from '../../guard/policy/model';
import { AuditTail } from './audit-tail';
import { type CallOutcome, GuardSession } from './guard-session';
import { describeCall, type Style, wentThrough } from './report';
import { DemoError, type DemoFiles, LIMITS_POLICY } from './setup';

export interface ScriptContext {
  readonly files: DemoFiles;
  readonly style: Style;
  readonly out: (line: string) => void;
}

type Payload = Record<string, unknown>;

const CALL_TIMEOUT_MS = 15_000;

/** Stops the demo when the guard did not do what the demo shows it doing: the output would be a lie. */
function expect(ok: boolean, what: string): void {
  if (!ok) {
    throw new DemoError(
      `the demo expected ${what}, and that did not happen (see above). This is a bug in MCP Guard or in its demo: please report it with this output.`,
    );
  }
}

function payloadOf(call: CallOutcome): Payload {
  return (call.result?.structuredContent ?? {}) as Payload;
}

function toolSummary(tools: readonly Tool[]): string {
  const counts = new Map<string, number>();
  for (const t of tools) {
    const { category } = classifyTool(t.name, t.annotations);
    counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  const parts = TOOL_CATEGORIES.filter((c) => counts.has(c)).map((c) => `${counts.get(c)} ${c}`);
  return `${tools.length} tools (${parts.join(', ')}, as MCP Guard classes them)`;
}

function recordsSummary(call: CallOutcome): string | undefined {
  const rows = payloadOf(call)['result'];
  if (!Array.isArray(rows)) return undefined;
  const names = rows.map((r) => String((r as Payload)['name'] ?? (r as Payload)['id']));
  return `${rows.length} record${rows.length === 1 ? '' : 's'}: ${names.join(', ')}`;
}

function taskSummary(call: CallOutcome): string | undefined {
  const p = payloadOf(call);
  return typeof p['task_id'] === 'string' ? `task ${p['task_id']} is ${String(p['status'])}` : undefined;
}

class Script {
  private step = 0;
  private readonly calls: CallOutcome[] = [];
  private readonly audit: AuditTail;

  constructor(private readonly ctx: ScriptContext) {
    this.audit = new AuditTail(ctx.files.audit);
  }

  private line(text = ''): void {
    this.ctx.out(text);
  }

  private note(text: string): void {
    this.line(`     ${this.ctx.style.dim(text)}`);
  }

  private async part(title: string, policy: string, mode: Mode, body: (g: GuardSession) => Promise<void>): Promise<void> {
    const { files, style } = this.ctx;
    this.line();
    this.line(style.bold(title));
    this.line(style.dim(`   $ ${GuardSession.commandLine({ files, policy, mode })}`));
    const g = await GuardSession.start({ files, policy, mode, audit: this.audit, callTimeoutMs: CALL_TIMEOUT_MS });
    try {
      await body(g);
    } finally {
      await g.close();
    }
  }

  private async listTools(g: GuardSession): Promise<Tool[]> {
    const tools = await g.listTools();
    this.line(`${String(++this.step).padStart(2)}. ${this.ctx.style.bold('tools/list')}  → ${toolSummary(tools)}`);
    return tools;
  }

  private async call(g: GuardSession, tool: string, args: Payload, summary?: (c: CallOutcome) => string | undefined): Promise<CallOutcome> {
    const c = await g.call(tool, args);
    this.calls.push(c);
    for (const l of describeCall(++this.step, c, this.ctx.style, summary?.(c))) this.line(l);
    expect(c.decision !== undefined, `a decision for ${tool} in the audit log`);
    return c;
  }

  async play(): Promise<void> {
    const { files, style } = this.ctx;
    const started = Date.now();
    this.line(style.bold('MCP Guard demo') + ': the real guard in front of a stand-in Odoo MCP server.');
    this.line('The stand-in has the 43 tools of odoo-mcp 1.3.0 over sample data in memory: no Odoo, no network.');
    this.line('An agent session is played through a real MCP client; each call shows what MCP Guard decided, from its audit log.');

    // The main policy decides parts 1 and 3; only the starter's decisions are known to the demo in advance.
    const strict = files.starter;
    const check = (ok: boolean, what: string) => {
      if (strict) expect(ok, what);
    };
    const policyName = files.starter ? 'the starter policy' : `your policy (${files.policy})`;

    await this.part(`Part 1: ${policyName}`, files.policy, 'enforce', async (g) => {
      const server = g.server;
      this.note(`behind the guard: ${server.name}, "${server.title ?? server.instructions ?? ''}"`);
      const tools = await this.listTools(g);
      check(tools.length === 43, 'all 43 tools listed');

      const read = await this.call(g, 'search_records', { model: 'res.partner', limit: 3 }, recordsSummary);
      check(read.decision?.decision === 'allowed' && read.result?.isError === false, 'search_records to be allowed');

      const submit = await this.call(
        g,
        'submit_async_task',
        { operation: 'data_quality_report', params: { model: 'res.partner' } },
        taskSummary,
      );
      check(wentThrough(submit.decision), 'submit_async_task to be allowed');
      const taskId = typeof payloadOf(submit)['task_id'] === 'string' ? (payloadOf(submit)['task_id'] as string) : 'no-task';

      const cancel = await this.call(g, 'cancel_async_task', { task_id: taskId });
      check(cancel.decision?.decision === 'denied' && cancel.result?.isError === true, 'cancel_async_task to be blocked');
      if (!wentThrough(cancel.decision)) {
        this.note('cancel_async_task needs approval, and this scripted run has nobody to ask: blocked.');
        this.note('With mcp-guard demo --interactive you are asked; in VS Code the extension asks in a dialog.');
      }

      if (taskId !== 'no-task') {
        const status = await this.call(g, 'get_async_task', { task_id: taskId }, taskSummary);
        const now = payloadOf(status)['status'];
        check(now === 'running', 'the task to be still running after the blocked cancel');
        if (now === 'running' && !wentThrough(cancel.decision))
          this.note('The task is still running: the cancel never reached the server.');
        else this.note(`The task is ${String(now)}.`);
      }
    });

    const limits = join(files.dir, 'limits.yaml');
    writeFileSync(limits, LIMITS_POLICY);
    await this.part(
      'Part 2: a rate limit and a hidden tool, which the starter policy does not set: a second, small policy',
      limits,
      'enforce',
      async (g) => {
        for (const l of LIMITS_POLICY.trimEnd().split('\n')) this.line(style.dim(`   │ ${l}`));
        const tools = await this.listTools(g);
        const hidden = !tools.some((t) => t.name === 'read_field_to_file');
        expect(hidden && tools.length === 42, 'read_field_to_file to be missing from tools/list');
        this.note('read_field_to_file is not in the list: hidden by the policy.');
        const sneaky = await this.call(g, 'read_field_to_file', {
          model: 'ir.attachment',
          record_id: 1,
          field: 'datas',
          output_path: '/tmp/exfil.bin',
        });
        expect(
          sneaky.decision?.decision === 'denied' && sneaky.decision.rule === 'hide',
          'the hidden read_field_to_file to be denied by hide',
        );
        const limited: CallOutcome[] = [];
        for (let i = 0; i < 3; i++) limited.push(await this.call(g, 'search_records', { model: 'res.partner', limit: 1 }, recordsSummary));
        expect(
          wentThrough(limited[0]!.decision) && wentThrough(limited[1]!.decision) && limited[2]!.decision?.decision === 'rate_limited',
          'the third search_records within a minute to be rate-limited',
        );
      },
    );

    await this.part(
      `Part 3: lockdown (${policyName}, with --mode lockdown: only Read / low-risk tools pass)`,
      files.policy,
      'lockdown',
      async (g) => {
        const read = await this.call(g, 'search_records', { model: 'res.partner', limit: 1 }, recordsSummary);
        check(read.decision?.decision === 'allowed', 'search_records to be allowed in lockdown');
        const submit = await this.call(g, 'submit_async_task', { operation: 'data_quality_report', params: { model: 'res.partner' } });
        expect(
          submit.decision?.decision === 'denied' && submit.decision.rule === 'mode.lockdown',
          'submit_async_task to be denied by lockdown',
        );
        this.note('Allowed in part 1; in lockdown only Read / low-risk tools go through, whatever the policy says.');
      },
    );

    // The guard's promise, checked on the stand-in's own record: a blocked call never reaches the server.
    const journal = existsSync(files.journal)
      ? readFileSync(files.journal, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
    const through = this.calls.filter((c) => wentThrough(c.decision));
    expect(journal.length === through.length, `the stand-in to have executed exactly the ${through.length} calls MCP Guard let through`);

    this.line();
    const blocked = this.calls.length - through.length;
    this.line(
      `${style.bold('Done')} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${this.calls.length} tool calls, ` +
        `${through.length} reached the stand-in, ${blocked} were blocked by MCP Guard and never did.`,
    );
    this.line(`Audit log: ${files.audit} (${this.audit.seen} decisions, one JSON line each)`);
    this.line(
      style.dim(
        `Also there: ${files.starter ? 'the policy (policy.yaml), ' : ''}the second policy (limits.yaml), and journal.jsonl (what the stand-in executed).`,
      ),
    );
    this.line(`Your own calls, and approvals asked here: mcp-guard demo --interactive`);
  }
}

/** Plays the scripted session; throws a DemoError when something did not go as the demo shows it. */
export async function playScript(ctx: ScriptContext): Promise<void> {
  await new Script(ctx).play();
}
