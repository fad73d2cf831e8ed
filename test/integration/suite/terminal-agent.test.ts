// A terminal agent in a real extension host: a process started in one of the window's integrated
// terminals runs `mcp-guard run` in front of the stand-in; the guard finds the bridge the extension
// handed the terminals (environmentVariableCollection, the terminals' own token), and its approval
// becomes the editor's modal, naming the process that asked. Under the harness VS Code refuses every
// dialog: the modal resolves as dismissed, which denies, so the stand-in's journal stays empty.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, waitFor } from './host';

interface GuardState {
  lastApproval?: { message: string; detail: string };
}

describe('A terminal agent', function () {
  this.timeout(90_000);
  let dir: string;
  let terminal: vscode.Terminal | undefined;

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    dir = mkdtempSync(join(tmpdir(), 'mcp-guard-terminal-'));
  });

  after(() => {
    terminal?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('started in the integrated terminal, runs mcp-guard run and gets the editor’s modal, which names it; denied, the call never runs', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    // The agent is the project's fixture, found through the extension's folder (the repository).
    const agent = join(ext.extensionPath, 'test', 'fixtures', 'terminal-agent.cjs');
    const journal = join(dir, 'journal.jsonl');
    const out = join(dir, 'out.json');
    const args = [
      agent,
      join(ext.extensionPath, 'dist', 'mcp-guard.js'),
      join(folder.uri.fsPath, '.vscode', 'mcp-policy.yaml'),
      // out/integration/standin.js, next to this suite's folder
      join(__dirname, '..', 'standin.js'),
      journal,
      out,
    ];
    // No shell: the terminal's process is the agent itself (in desktop VS Code execPath is Electron, run as Node).
    terminal = vscode.window.createTerminal({
      name: 'terminal agent',
      shellPath: process.execPath,
      shellArgs: args,
      env: { ELECTRON_RUN_AS_NODE: '1' },
    });
    const result = await waitFor(
      'the agent’s answer',
      () => existsSync(out) && (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>),
      30_000,
    );
    const text = JSON.stringify(result);
    assert.equal(result['bridgeEnv'], true, `the terminal got the bridge: ${text}`);
    assert.match(text, /did not get approval for the call to cancel_async_task/, text);

    const s = (await vscode.commands.executeCommand('mcpGuard.state')) as GuardState;
    assert.ok(s.lastApproval, 'an approval dialog was shown');
    assert.equal(s.lastApproval.message, 'MCP Guard: allow cancel_async_task on terminal-odoo? (asked from a terminal)');
    assert.match(s.lastApproval.detail, /^Asked by a process in an integrated terminal: .*terminal-agent\.cjs .*\(pid \d+\)/);
    const journaled = existsSync(journal) ? readFileSync(journal, 'utf8') : '';
    assert.ok(!journaled.includes('cancel_async_task'), `the denied call never reached the stand-in: ${journaled}`);
  });
});
