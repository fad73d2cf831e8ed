import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const BASE = [
  'version: 1',
  'risk: { critical: allow, high: allow }',
  'tools:',
  '  search_records:',
  '    action: allow',
  '  execute_method:',
  '    action: deny',
  '    reason: No arbitrary methods in this organisation',
  '',
].join('\n');

const POLICY = ['version: 1', 'tools:', '  execute_method:', '    action: allow', ''].join('\n');

// Issue 13, part 3: with mcpGuard.basePolicyFile set at the user (global) level, the policy document
// shows that its allow has no effect, naming the base entry.
describe('organisation base policy (mcpGuard.basePolicyFile) in a real VS Code extension host', function () {
  this.timeout(60_000);
  let dir: string;
  let basePath: string;
  let doc: vscode.TextDocument;

  before(async () => {
    await vscode.extensions.getExtension('mcp-guard.mcp-guard')!.activate();
    dir = mkdtempSync(join(tmpdir(), 'mcp-guard-base-'));
    basePath = join(dir, 'org.yaml');
    writeFileSync(basePath, BASE);
    const folder = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const file = join(folder, 'base-check.mcp-policy.yaml');
    writeFileSync(file, POLICY);
    doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('mcpGuard').update('basePolicyFile', undefined, vscode.ConfigurationTarget.Global);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the policy shows "this allow has no effect", naming the base entry, once the setting is set at global scope', async () => {
    const config = vscode.workspace.getConfiguration('mcpGuard');
    assert.equal(config.inspect('basePolicyFile')?.globalValue ?? '', '', 'not set before the test');
    await vscode.workspace.getConfiguration('mcpGuard').update('basePolicyFile', basePath, vscode.ConfigurationTarget.Global);
    const found = await waitFor('the base-stricter diagnostic', () =>
      vscode.languages.getDiagnostics(doc.uri).find((d) => (typeof d.code === 'object' ? d.code.value : d.code) === 'base-stricter'),
    );
    assert.equal(found.message, `this allow has no effect: the base policy denies execute_method at ${basePath}:6`);
    assert.equal(found.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(found.range.start.line, 3);
    assert.equal(found.source, 'MCP Guard');

    const hovers = (await vscode.commands.executeCommand(
      'vscode.executeHoverProvider',
      doc.uri,
      new vscode.Position(2, 5),
    )) as vscode.Hover[];
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(text, /With the base policy/);
    assert.match(text, /`deny` by `base:tools\.execute_method`/);

    // Cleared at global scope, the warning goes.
    await vscode.workspace.getConfiguration('mcpGuard').update('basePolicyFile', undefined, vscode.ConfigurationTarget.Global);
    await waitFor(
      'the diagnostic to go',
      () => !vscode.languages.getDiagnostics(doc.uri).some((d) => (typeof d.code === 'object' ? d.code.value : d.code) === 'base-stricter'),
    );
  });
});
