import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, readJsonLines, sleep, waitFor } from './host';

const LABEL = 'Odoo (guarded)';
/** How VS Code names an extension-provided definition: `<extension id, lower case>/<label>`. */
const DEFINITION_ID = `${EXTENSION_ID}/${LABEL}`;

interface GuardState {
  mode: string;
  blocked: number;
  guards: number;
  statusText: string;
  lastDecision?: { tool: string; decision: string; rule: string };
}

function workspace(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace is open');
  return folder.uri.fsPath;
}

function journal(): { tool: string; arguments: Record<string, unknown> }[] {
  return readJsonLines(join(workspace(), 'journal.jsonl'));
}

function toolNamed(tool: string): vscode.LanguageModelToolInformation | undefined {
  return vscode.lm.tools.find((t) => t.name.endsWith(`_${tool}`) && t.name.startsWith('mcp_'));
}

function textOf(result: vscode.LanguageModelToolResult): string {
  return result.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : JSON.stringify(p))).join('\n');
}

async function invoke(tool: string, input: Record<string, unknown>): Promise<{ text: string; threw: boolean }> {
  const info = toolNamed(tool);
  assert.ok(info, `${tool} is among vscode.lm.tools (${vscode.lm.tools.map((t) => t.name).join(', ')})`);
  try {
    const result = await vscode.lm.invokeTool(info.name, { input, toolInvocationToken: undefined });
    return { text: textOf(result), threw: false };
  } catch (e) {
    return { text: (e as Error).message, threw: true };
  }
}

async function state(): Promise<GuardState> {
  return (await vscode.commands.executeCommand('mcpGuard.state')) as GuardState;
}

describe('MCP Guard in a real VS Code extension host', function () {
  this.timeout(60_000);
  /** The task the agent tried to cancel (set by the denial test, used by the audit-to-rule test). */
  let runningTask: string | undefined;

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    // Extension-provided servers start without a trust prompt. The definition reaches the
    // workbench asynchronously after activation, so starting is retried until it is known.
    await waitFor(
      'the guarded tools',
      async () => {
        await vscode.commands.executeCommand('workbench.mcp.startServer', DEFINITION_ID, { waitForLiveTools: true });
        return toolNamed('cancel_async_task');
      },
      30_000,
    ).catch((e: Error) => {
      const log = join(workspace(), 'guard.log');
      console.log(existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(0, 40).join('\n') : 'no guard log');
      console.log(`tools: ${vscode.lm.tools.map((t) => t.name).join(', ')}`);
      throw e;
    });
  });

  it('contributes the guarded Odoo definition and its tools, through the guard', async () => {
    const names = vscode.lm.tools.filter((t) => t.name.startsWith('mcp_')).map((t) => t.name);
    console.log(`guarded tools: ${names.length}, e.g. ${names.slice(0, 3).join(', ')}`);
    assert.ok(names.length >= 40, `${names.length} tools`);
    const s = await waitFor('the guard to connect to the bridge', async () => ((await state()).guards >= 1 ? state() : undefined));
    assert.equal(s.mode, 'enforce');
    assert.match(LABEL, /guarded/);
  });

  it('lets an allowed call through to the stand-in', async () => {
    const before = journal().length;
    const r = await invoke('health_check', {});
    assert.equal(r.threw, false, r.text);
    assert.match(r.text, /success/);
    assert.equal(journal().length, before + 1);
  });

  it('denies cancel_async_task when the approval dialog cannot be answered, and the task keeps running', async () => {
    const submitted = await invoke('submit_async_task', { operation: 'data_quality_report', params: { model: 'res.partner' } });
    const taskId = /"task_id":\s*"([0-9a-f]{12})"/.exec(submitted.text)?.[1];
    assert.ok(taskId, submitted.text);
    runningTask = taskId;
    // Under the test harness VS Code refuses every dialog: the modal resolves as dismissed, which denies.
    const cancelled = await invoke('cancel_async_task', { task_id: taskId });
    assert.match(cancelled.text, /MCP Guard did not get approval for the call to cancel_async_task/, cancelled.text);
    assert.ok(!journal().some((j) => j.tool === 'cancel_async_task'), 'the denied call never reached the server');
    const status = await invoke('get_async_task', { task_id: taskId });
    assert.match(status.text, /"status":\s*"running"/);
    const s = await waitFor('the decision to reach the status bar', async () => {
      const st = await state();
      return st.blocked >= 1 ? st : undefined;
    });
    assert.equal(s.blocked, 1);
    assert.match(s.statusText, /1 blocked/);
  });

  it('switches the running guard to lockdown from the palette command, and back', async () => {
    await vscode.commands.executeCommand('mcpGuard.switchMode', 'lockdown');
    assert.equal((await state()).mode, 'lockdown');
    const before = journal().length;
    const denied = await waitFor('lockdown to reach the guard', async () => {
      const r = await invoke('submit_async_task', { operation: 'data_quality_report', params: { model: 'res.partner' } });
      return /mode\.lockdown/.test(r.text) ? r : undefined;
    });
    assert.match(denied.text, /Lockdown mode blocks every tool that is not Read \/ low risk/);
    assert.equal(journal().length, before, 'nothing reached the server in lockdown');
    const read = await invoke('health_check', {});
    assert.match(read.text, /success/);
    assert.equal(await vscode.commands.executeCommand('mcpGuard.toggleLockdown'), 'enforce');
    const allowed = await waitFor('enforce to reach the guard', async () => {
      const r = await invoke('submit_async_task', { operation: 'data_quality_report', params: { model: 'res.partner' } });
      return /task_id/.test(r.text) ? r : undefined;
    });
    assert.match(allowed.text, /running/);
  });

  it('shows the decisions in the audit view, newest first and filterable', async () => {
    const all = (await vscode.commands.executeCommand('mcpGuard.showAuditLog', '')) as string;
    assert.match(all, /\| time \| server \| tool \|/);
    assert.match(all, /cancel_async_task/);
    const declined = (await vscode.commands.executeCommand('mcpGuard.showAuditLog', 'declined')) as string;
    assert.match(declined, /\*\*declined\*\*/);
    assert.ok(!declined.includes('**allowed**'));
  });

  it('turns the declined call into an "Always deny" rule from the audit view, which the running guard then applies', async () => {
    assert.ok(runningTask, 'the denial test ran first');
    const uri = vscode.Uri.from({ scheme: 'mcp-guard-audit', path: '/Recent decisions.md', query: 'filter=declined' });
    await vscode.commands.executeCommand('mcpGuard.showAuditLog', 'declined');
    const lenses = (await vscode.commands.executeCommand('vscode.executeCodeLensProvider', uri)) as vscode.CodeLens[];
    const titles = lenses.map((l) => l.command?.title);
    assert.ok(titles.includes('Allow calls like this'), JSON.stringify(titles));
    const deny = lenses.find(
      (l) => l.command?.title === 'Always deny' && (l.command.arguments?.[0] as { tool?: string }).tool === 'cancel_async_task',
    );
    assert.ok(deny?.command, JSON.stringify(titles));

    const policyPath = join(workspace(), '.vscode', 'mcp-policy.yaml');
    const saved = readFileSync(policyPath, 'utf8');
    try {
      // The options stand in for the two questions (which arguments must match, and the reason).
      const result = (await vscode.commands.executeCommand(deny.command.command, ...(deny.command.arguments ?? []), {
        conditions: ['args.task_id'],
        reason: 'Tasks of this test run must keep running',
      })) as { ok: boolean; message: string; summary: string; failingTests: string[] };
      assert.equal(result.ok, true, result.message);
      assert.equal(result.summary, '1 test passes');
      assert.deepEqual(result.failingTests, []);
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === policyPath);
      assert.ok(doc, 'the policy is open');
      const text = doc.getText();
      assert.ok(text.includes(`cancel_async_task (deny task_id=${runningTask}):`), text);
      // (quoted only when YAML would read the id as a number)
      assert.ok(
        text.includes(`- { path: args.task_id, op: eq, value: ${runningTask} }`) || text.includes(`value: "${runningTask}" }`),
        text,
      );
      assert.match(text, /tests:\n {2}- name: Deny cancel_async_task when args\.task_id = .*\n {4}call: cancel_async_task\n/);
      // The editor re-ran the policy's tests on the edit (the file had none before): the new one passes, and nothing is an error.
      const lens = await waitFor('the tests code lens', async () => {
        const l = (await vscode.commands.executeCommand('vscode.executeCodeLensProvider', doc.uri)) as vscode.CodeLens[];
        return l.find((x) => x.command?.title.includes('test'));
      });
      assert.equal(lens.command?.title, '$(beaker) 1 test passes');
      const errors = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
      assert.deepEqual(
        errors.map((d) => d.message),
        [],
      );

      // Saved, the rule applies to the next call at once: denied with its reason, no dialog, task still running.
      // save() has answered false in loaded runs while the file did get written: what counts is that the
      // document is no longer dirty and the disk holds the rule.
      let saved = await doc.save();
      for (let i = 0; !saved && doc.isDirty && i < 5; i++) {
        await sleep(300);
        saved = await doc.save();
      }
      assert.ok(!doc.isDirty, 'the policy was saved');
      assert.ok(readFileSync(policyPath, 'utf8').includes(`cancel_async_task (deny task_id=${runningTask}):`), 'the rule is on disk');
      const before = journal().length;
      const denied = await waitFor('the guard to reload the policy', async () => {
        const r = await invoke('cancel_async_task', { task_id: runningTask });
        return r.text.includes('Tasks of this test run must keep running') ? r : undefined;
      });
      assert.ok(denied.text.includes(`tools.cancel_async_task (deny task_id=${runningTask})`), denied.text);
      assert.equal(journal().length, before, 'the denied call never reached the server');
      assert.match((await invoke('get_async_task', { task_id: runningTask })).text, /"status":\s*"running"/);
    } finally {
      writeFileSync(policyPath, saved);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor').then(undefined, () => undefined);
    }
  });

  it('opens the workspace policy', async () => {
    const path = (await vscode.commands.executeCommand('mcpGuard.openPolicy')) as string;
    assert.equal(path, join(workspace(), '.vscode', 'mcp-policy.yaml'));
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, path);
  });
});
