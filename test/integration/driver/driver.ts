// Test-only "driver" extension, loaded next to MCP Guard as a second extensionDevelopmentPath by
// scripts/integration/modal.mjs (no extensionTestsPath, so VS Code shows its dialogs as it does for
// a person). On activation it plays an agent: it starts the guarded stand-in server, submits an
// async task and calls cancel_async_task twice through vscode.lm.invokeTool, while the CDP script
// answers the dialogs (the first approval Deny, the second Allow once); then chatter_post twice,
// to see VS Code's own "Run <tool>" confirmation and the guard's one after the other. After each step it appends
// one JSON line to the file named by MCP_GUARD_DRIVER_RESULTS; without that variable it does nothing.
// With MCP_GUARD_DRIVER_SCENARIO=demo it plays the demo instead (scripts/integration/demo.mjs): it
// runs "MCP Guard: Try the Demo Server", starts "Odoo demo (guarded)", submits a task and calls
// cancel_async_task once (the CDP script answers Deny), then "Remove the Demo Server".
// With MCP_GUARD_DRIVER_SCENARIO=existing (scripts/integration/existing.mjs) it plays the person whose
// .vscode/mcp.json runs the stand-in around the guard: it waits for MCP Guard's warning, starts every
// server, waits while the CDP script runs "Guard Existing Servers…" from the warning and confirms the
// pick, saves the edited files, starts the new guarded server and calls cancel_async_task on every
// server that offers it.
// With MCP_GUARD_DRIVER_SCENARIO=terminal (scripts/integration/terminal.mjs) it starts an agent in an
// integrated terminal (test/fixtures/terminal-agent.cjs) whose guard's approval the CDP script allows.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';

const DEFINITION_ID = 'mcp-guard.mcp-guard/Odoo (guarded)';
const DEMO_DEFINITION_ID = 'mcp-guard.mcp-guard/Odoo demo (guarded)';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Outcome = {
  text: string;
  threw: boolean;
  ms: number;
};

function toolNamed(tool: string): vscode.LanguageModelToolInformation | undefined {
  return vscode.lm.tools.find((t) => t.name.startsWith('mcp_') && t.name.endsWith(`_${tool}`));
}

function mcpTools(): string[] {
  return vscode.lm.tools.filter((t) => t.name.startsWith('mcp_')).map((t) => t.name);
}

function textOf(result: vscode.LanguageModelToolResult): string {
  return result.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : JSON.stringify(p))).join('\n');
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

export function activate(): void {
  const results = process.env.MCP_GUARD_DRIVER_RESULTS;
  if (!results) return;
  const started = Date.now();
  const record = (step: string, data: Record<string, unknown> = {}) => {
    appendFileSync(results, JSON.stringify({ step, atMs: Date.now() - started, ...data }) + '\n');
  };

  async function guardState(): Promise<unknown> {
    try {
      return await vscode.commands.executeCommand('mcpGuard.state');
    } catch (e) {
      return { error: errorText(e) };
    }
  }

  async function invoke(tool: string, input: Record<string, unknown>): Promise<Outcome> {
    const info = toolNamed(tool);
    if (!info) throw new Error(`${tool} is not among vscode.lm.tools`);
    const t0 = Date.now();
    try {
      // No toolInvocationToken: the call comes from an extension, not from a chat request.
      const result = await vscode.lm.invokeTool(info.name, { input, toolInvocationToken: undefined });
      return { text: textOf(result), threw: false, ms: Date.now() - t0 };
    } catch (e) {
      return { text: errorText(e), threw: true, ms: Date.now() - t0 };
    }
  }

  async function scenario(): Promise<void> {
    record('activated', { vscodeVersion: vscode.version });
    const guard = vscode.extensions.getExtension('mcp-guard.mcp-guard');
    if (!guard) throw new Error('mcp-guard.mcp-guard is not loaded');
    await guard.activate();

    // The definition reaches the workbench asynchronously after activation: retry until its tools are live.
    const deadline = Date.now() + 60_000;
    let lastError = '';
    while (!toolNamed('cancel_async_task')) {
      if (Date.now() > deadline) throw new Error(`the guarded tools did not appear within 60 s (${lastError})`);
      try {
        await vscode.commands.executeCommand('workbench.mcp.startServer', DEFINITION_ID, { waitForLiveTools: true });
      } catch (e) {
        lastError = errorText(e);
      }
      if (!toolNamed('cancel_async_task')) await sleep(250);
    }
    record('started', { tools: vscode.lm.tools.filter((t) => t.name.startsWith('mcp_')).length });

    // For the picture (README): the policy behind the dialog, no Chat view beside it.
    const folder = vscode.workspace.workspaceFolders?.[0];
    try {
      await vscode.commands.executeCommand('workbench.action.closeAuxiliaryBar');
      if (folder) {
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(join(folder.uri.fsPath, '.vscode', 'mcp-policy.yaml')));
        await vscode.window.showTextDocument(doc, { preview: false });
      }
    } catch (e) {
      record('setup-warning', { error: errorText(e) });
    }

    const submitted = await invoke('submit_async_task', { operation: 'data_quality_report', params: { model: 'res.partner' } });
    const taskId = /"task_id":\s*"([^"]+)"/.exec(submitted.text)?.[1];
    record('submitted', { taskId, ...submitted });
    if (!taskId) throw new Error(`no task_id in the answer of submit_async_task: ${submitted.text.slice(0, 300)}`);

    for (const round of [1, 2]) {
      const cancel = await invoke('cancel_async_task', { task_id: taskId });
      record(`cancel-${round}`, { ...cancel, guard: await guardState() });
      const status = await invoke('get_async_task', { task_id: taskId });
      record(`status-${round}`, status);
    }

    // How VS Code's own confirmation and the guard's combine: chatter_post is declared
    // readOnlyHint: false upstream, so VS Code asks "Run `chatter_post`?" before it sends the call;
    // the guard (high risk: approval by default) asks when the call reaches it. The person cancels
    // VS Code's confirmation the first time, and accepts it but denies the guard the second time.
    for (const round of [1, 2]) {
      const post = await invoke('chatter_post', {
        model: 'res.partner',
        record_id: 1,
        body: 'MCP Guard integration test',
        message_type: 'comment',
      });
      record(`post-${round}`, { ...post, guard: await guardState() });
    }
  }

  /** The demo, as a person who just installed MCP Guard tries it: nothing configured for it. */
  async function demoScenario(): Promise<void> {
    record('activated', { vscodeVersion: vscode.version });
    const guard = vscode.extensions.getExtension('mcp-guard.mcp-guard');
    if (!guard) throw new Error('mcp-guard.mcp-guard is not loaded');
    await guard.activate();
    const before = new Set(mcpTools());
    const added = (await vscode.commands.executeCommand('mcpGuard.tryDemo')) as { label: string; journal: string } | undefined;
    record('demo-added', { added, guard: await guardState() });
    if (!added) throw new Error('mcpGuard.tryDemo added nothing');

    const deadline = Date.now() + 60_000;
    let lastError = '';
    let demoTools: string[] = [];
    while (!demoTools.some((n) => n.endsWith('_cancel_async_task'))) {
      if (Date.now() > deadline) throw new Error(`the demo tools did not appear within 60 s (${lastError})`);
      try {
        await vscode.commands.executeCommand('workbench.mcp.startServer', DEMO_DEFINITION_ID, { waitForLiveTools: true });
      } catch (e) {
        lastError = errorText(e);
      }
      demoTools = mcpTools().filter((n) => !before.has(n));
      if (!demoTools.some((n) => n.endsWith('_cancel_async_task'))) await sleep(250);
    }
    record('started', { tools: demoTools });
    const demoTool = (tool: string) => demoTools.find((n) => n.endsWith(`_${tool}`)) ?? tool;
    const invokeDemo = async (tool: string, input: Record<string, unknown>): Promise<Outcome> => {
      const t0 = Date.now();
      try {
        const result = await vscode.lm.invokeTool(demoTool(tool), { input, toolInvocationToken: undefined });
        return { text: textOf(result), threw: false, ms: Date.now() - t0 };
      } catch (e) {
        return { text: errorText(e), threw: true, ms: Date.now() - t0 };
      }
    };

    const submitted = await invokeDemo('submit_async_task', { operation: 'data_quality_report', params: { model: 'res.partner' } });
    const taskId = /"task_id":\s*"([^"]+)"/.exec(submitted.text)?.[1];
    record('submitted', { taskId, ...submitted });
    if (!taskId) throw new Error(`no task_id in the answer of submit_async_task: ${submitted.text.slice(0, 300)}`);
    const cancel = await invokeDemo('cancel_async_task', { task_id: taskId });
    record('cancel', { ...cancel, guard: await guardState() });
    record('status', await invokeDemo('get_async_task', { task_id: taskId }));

    const removed = await vscode.commands.executeCommand('mcpGuard.removeDemo');
    const gone = Date.now() + 20_000;
    while (mcpTools().some((n) => demoTools.includes(n)) && Date.now() < gone) await sleep(100);
    record('removed', { removed, left: mcpTools().filter((n) => demoTools.includes(n)), guard: await guardState() });
  }

  /** An unguarded stand-in in .vscode/mcp.json next to the guarded one, moved behind the guard. */
  async function existingScenario(): Promise<void> {
    record('activated', { vscodeVersion: vscode.version });
    const guard = vscode.extensions.getExtension('mcp-guard.mcp-guard');
    if (!guard) throw new Error('mcp-guard.mcp-guard is not loaded');
    await guard.activate();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!folder) throw new Error('no workspace folder');
    const mcpJson = join(folder, '.vscode', 'mcp.json');
    type State = { unguarded?: string[]; statusText?: string; guards?: number; lastDecision?: unknown };
    const state = async () => (await guardState()) as State;

    const warnedBy = Date.now() + 30_000;
    let s = await state();
    while (!s.unguarded?.length && Date.now() < warnedBy) {
      await sleep(250);
      s = await state();
    }
    record('flagged', { guard: s });

    // Every server with cancel_async_task: one line per server offering the tool.
    const cancelTools = () => mcpTools().filter((n) => n.endsWith('_cancel_async_task'));
    const startBy = Date.now() + 60_000;
    let lastError = '';
    while (cancelTools().length < 2) {
      if (Date.now() > startBy) throw new Error(`the two servers did not start within 60 s (${lastError}; ${mcpTools().length} tools)`);
      try {
        await vscode.commands.executeCommand('workbench.mcp.startServer', '*', { waitForLiveTools: true });
      } catch (e) {
        lastError = errorText(e);
      }
      if (cancelTools().length < 2) await sleep(500);
    }
    record('started', { tools: cancelTools(), guard: await state() });

    // The CDP script runs the command from the warning and confirms the pick: the edits arrive unsaved.
    const editedBy = Date.now() + 60_000;
    const dirty = () => vscode.workspace.textDocuments.filter((d) => d.isDirty).map((d) => d.uri.fsPath);
    while (!dirty().includes(mcpJson) || !dirty().includes(join(folder, '.vscode', 'settings.json'))) {
      if (Date.now() > editedBy) throw new Error(`the edits did not arrive within 60 s (dirty: ${dirty().join(', ') || 'none'})`);
      await sleep(250);
    }
    const docText = (path: string) => vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path)?.getText();
    record('edited', {
      dirty: dirty(),
      mcpJson: docText(mcpJson),
      mcpJsonOnDisk: readFileSync(mcpJson, 'utf8'),
      settings: docText(join(folder, '.vscode', 'settings.json')),
      tools: cancelTools(),
    });

    const saved = await vscode.workspace.saveAll(false);
    // saveAll settles before every document's dirty flag is cleared: give them a moment.
    const cleanBy = Date.now() + 10_000;
    while (dirty().length > 0 && Date.now() < cleanBy) await sleep(100);
    record('saved', {
      saved,
      dirty: dirty(),
      mcpJsonOnDisk: readFileSync(mcpJson, 'utf8'),
      settingsOnDisk: readFileSync(join(folder, '.vscode', 'settings.json'), 'utf8'),
    });

    // The moved server runs behind the guard once started; the one in mcp.json is gone.
    // The workspace's settings are plain JSON (scripts/integration/workspace.mjs), and so is what the command adds.
    const servers = (JSON.parse(readFileSync(join(folder, '.vscode', 'settings.json'), 'utf8')) as Record<string, unknown>)[
      'mcpGuard.servers'
    ];
    const label = (servers as { name: string; odoo?: boolean }[] | undefined)?.find((e) => e.odoo === false)?.name;
    if (!label) throw new Error('no moved server in .vscode/settings.json');
    const afterBy = Date.now() + 60_000;
    for (;;) {
      try {
        await vscode.commands.executeCommand('workbench.mcp.startServer', `mcp-guard.mcp-guard/${label} (guarded)`, {
          waitForLiveTools: true,
        });
      } catch (e) {
        lastError = errorText(e);
      }
      s = await state();
      if (cancelTools().length === 2 && s.guards === 2 && !s.unguarded?.length) break;
      if (Date.now() > afterBy) break;
      await sleep(500);
    }
    record('after', { label, tools: cancelTools(), guard: await state(), lastError });

    const outcomes: (Outcome & { tool: string })[] = [];
    for (const tool of cancelTools()) {
      try {
        const t0 = Date.now();
        const result = await vscode.lm.invokeTool(tool, { input: { task_id: 'task-1' }, toolInvocationToken: undefined });
        outcomes.push({ tool, text: textOf(result), threw: false, ms: Date.now() - t0 });
      } catch (e) {
        outcomes.push({ tool, text: errorText(e), threw: true, ms: 0 });
      }
    }
    record('denied', { outcomes, guard: await state() });
  }

  /**
   * An agent in the integrated terminal (test/fixtures/terminal-agent.cjs) runs `mcp-guard run` in front of the
   * stand-in; its approval is the editor's modal, which the CDP script answers Allow once.
   */
  async function terminalScenario(): Promise<void> {
    record('activated', { vscodeVersion: vscode.version });
    const guard = vscode.extensions.getExtension('mcp-guard.mcp-guard');
    if (!guard) throw new Error('mcp-guard.mcp-guard is not loaded');
    await guard.activate();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!folder) throw new Error('no workspace folder');
    const scratch = process.env.MCP_GUARD_DRIVER_SCRATCH;
    if (!scratch) throw new Error('MCP_GUARD_DRIVER_SCRATCH is not set');
    const journal = join(scratch, 'terminal-journal.jsonl');
    const out = join(scratch, 'terminal-out.json');
    const root = guard.extensionPath;
    const terminal = vscode.window.createTerminal({
      name: 'terminal agent',
      // No shell: the terminal's process is the agent itself (in desktop VS Code execPath is Electron, run as Node).
      shellPath: process.execPath,
      shellArgs: [
        join(root, 'test', 'fixtures', 'terminal-agent.cjs'),
        join(root, 'dist', 'mcp-guard.js'),
        join(folder, '.vscode', 'mcp-policy.yaml'),
        join(root, 'dist', 'odoo-demo-server.js'),
        journal,
        out,
      ],
      env: { ELECTRON_RUN_AS_NODE: '1' },
    });
    terminal.show();
    record('started', { terminal: terminal.name });
    const answeredBy = Date.now() + 90_000;
    let answer: unknown;
    while (answer === undefined) {
      if (Date.now() > answeredBy) throw new Error('the terminal agent wrote no answer within 90 s');
      try {
        answer = JSON.parse(readFileSync(out, 'utf8'));
      } catch {
        await sleep(250);
      }
    }
    let journaled = '';
    try {
      journaled = readFileSync(journal, 'utf8');
    } catch {
      // Nothing ran.
    }
    record('answered', { answer, journal: journaled, guard: await guardState() });
    terminal.dispose();
  }

  const scenarios: Record<string, () => Promise<void>> = { demo: demoScenario, existing: existingScenario, terminal: terminalScenario };
  const run = scenarios[process.env.MCP_GUARD_DRIVER_SCENARIO ?? ''] ?? scenario;
  void run().then(
    () => record('done'),
    (e) => record('done', { error: errorText(e) }),
  );
}

export function deactivate(): void {}
