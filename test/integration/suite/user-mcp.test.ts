// "Guard Existing Servers…" for a server in the user's mcp.json, in a real extension host: MCP Guard
// finds the user's mcp.json beside its global storage, notices a server written there after it
// started (the file is watched), and the command moves that server to the USER settings as unsaved
// edits of both files. Everything is reverted at the end. (The workspace case, with the warning's
// button and the pick confirmed by a person, is scripts/integration/existing.mjs.)
// Runs after guard.test.ts and try-demo.test.ts (files run in name order), whose status texts it would change.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { EXTENSION_ID, waitFor } from './host';

const NAME = 'Odoo here';
const WARNING = `${NAME} in your mcp.json is not guarded: agents can call cancel_async_task without the policy`;

interface GuardState {
  statusText: string;
  unguarded: string[];
  watchedFiles: string[];
}

async function state(): Promise<GuardState> {
  return (await vscode.commands.executeCommand('mcpGuard.state')) as GuardState;
}

function openDoc(path: string): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path);
}

/** Throws the unsaved edits away, as the person would with "Revert File". */
async function revert(path: string): Promise<void> {
  const doc = openDoc(path);
  if (!doc?.isDirty) return;
  await vscode.window.showTextDocument(doc);
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
}

describe('Guard Existing Servers: a server in the user mcp.json', () => {
  let userMcp = '';
  let userSettings = '';

  before(async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    const s = await state();
    userMcp = s.watchedFiles.find((p) => p.endsWith('/User/mcp.json')) ?? '';
    userSettings = s.watchedFiles.find((p) => p.endsWith('/User/settings.json')) ?? '';
  });

  after(async () => {
    for (const p of [userSettings, userMcp]) if (p) await revert(p);
    if (userMcp) rmSync(userMcp, { force: true });
  });

  it("reads the user's mcp.json and settings beside its global storage, and the workspace's", async () => {
    assert.ok(userMcp, 'no user mcp.json among the watched files');
    // The harness writes the user settings before it starts VS Code: the path is the real one.
    assert.ok(existsSync(userSettings), `${userSettings} does not exist`);
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    assert.ok((await state()).watchedFiles.includes(`${folder}/.vscode/mcp.json`));
    assert.deepEqual((await state()).unguarded, [], 'nothing unguarded before the test writes its server');
  });

  it('warns about a server written there after it started, which runs the guarded Odoo command', async () => {
    const [guarded] = vscode.workspace.getConfiguration('mcpGuard').get<{ command: string; args: string[] }[]>('servers') ?? [];
    assert.ok(guarded, 'the workspace guards a server');
    writeFileSync(
      userMcp,
      `{\n\t// mine\n\t"servers": {\n\t\t${JSON.stringify(NAME)}: ${JSON.stringify({ command: guarded.command, args: guarded.args })}\n\t}\n}\n`,
    );
    const s = await waitFor(
      'the warning',
      async () => {
        const now = await state();
        return now.unguarded.includes(WARNING) && now;
      },
      20_000,
    );
    assert.match(s.statusText, /\$\(warning\) 1 unguarded/);
  });

  it('moves it to the user settings: both files edited, unsaved, the one on disk as it was', async () => {
    const settingsBefore = readFileSync(userSettings, 'utf8');
    const r = (await vscode.commands.executeCommand('mcpGuard.guardExistingServers', { servers: [NAME] })) as {
      ok: boolean;
      files: string[];
      moved: { label: string }[];
    };
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.deepEqual(r.files, [userMcp, userSettings]);
    assert.deepEqual(
      r.moved.map((m) => m.label),
      [`${NAME} (guarded)`],
    );
    const settings = openDoc(userSettings);
    assert.ok(settings?.isDirty, 'the user settings are edited, not saved');
    const list = (JSON.parse(settings.getText()) as Record<string, unknown>)['mcpGuard.servers'] as { name: string; odoo?: boolean }[];
    // The user's list was the default (Odoo): it stays, since a value here replaces it.
    assert.deepEqual(
      list.map((e) => [e.name, e.odoo]),
      [
        ['Odoo', true],
        [NAME, false],
      ],
    );
    // Nothing of the edit reached the disk. (VS Code itself may rewrite the user settings meanwhile,
    // with its own keys: the file on disk is compared for what Guard would have written, not byte for byte.)
    const onDisk = readFileSync(userSettings, 'utf8');
    assert.ok(!onDisk.includes(JSON.stringify(NAME)), `the user settings on disk hold the edit:\n${onDisk}`);
    assert.equal(settingsBefore.includes(JSON.stringify(NAME)), false);
    const mcp = openDoc(userMcp);
    assert.ok(mcp?.isDirty);
    assert.ok(!mcp.getText().includes(NAME) && mcp.getText().includes('// mine'), mcp.getText());
  });

  it('the warning goes when the server is gone from the file', async function () {
    // File events for a folder outside the workspace can take long on a loaded machine.
    this.timeout(90_000);
    for (const p of [userSettings, userMcp]) await revert(p);
    rmSync(userMcp, { force: true });
    await waitFor('the warning to go', async () => (await state()).unguarded.length === 0, 75_000);
  });
});
