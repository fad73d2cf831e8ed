import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { waitFor } from './host';

const POLICY = [
  'version: 1',
  'default: allow',
  'tools:',
  '  cancel_async_task:',
  '    action: alow',
  '  search_recods:',
  '    action: allow',
  '  execute_method:',
  '    action: allow',
  '',
].join('\n');

describe('policy file language in a real VS Code extension host', function () {
  this.timeout(60_000);
  let doc: vscode.TextDocument;

  before(async () => {
    await vscode.extensions.getExtension('mcp-guard.mcp-guard')!.activate();
    const folder = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const file = join(folder, 'review.mcp-policy.yaml');
    writeFileSync(file, POLICY);
    doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
  });

  it('recognises the file as an MCP Guard policy', () => {
    assert.equal(doc.languageId, 'mcp-policy');
  });

  it('underlines mistakes where they are, with the validator shared by the CLI', async () => {
    const diagnostics = await waitFor('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(doc.uri);
      return d.length > 0 ? d : undefined;
    });
    const summary = diagnostics.map(
      (d) =>
        `${d.range.start.line}:${d.range.start.character} ${vscode.DiagnosticSeverity[d.severity]} ${typeof d.code === 'object' ? d.code.value : d.code} ${d.message}`,
    );
    console.log(summary.join('\n'));
    const badAction = diagnostics.find((d) => d.code === 'bad-action');
    assert.ok(badAction, summary.join('\n'));
    assert.equal(badAction.range.start.line, 4);
    assert.equal(badAction.range.start.character, 12);
    assert.match(badAction.message, /did you mean "allow"\?/);
    assert.equal(badAction.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(badAction.source, 'MCP Guard');
  });

  it('explains a tool on hover: what it does, its category and risk, and the decision', async () => {
    const hovers = (await vscode.commands.executeCommand(
      'vscode.executeHoverProvider',
      doc.uri,
      new vscode.Position(7, 5),
    )) as vscode.Hover[];
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    console.log(text.slice(0, 400));
    assert.match(text, /execute_method/);
    assert.match(text, /Execute/);
    assert.match(text, /critical/);
  });

  it('offers tool names under tools: with their category and risk', async () => {
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(9, 0), '  chatter_');
    await vscode.workspace.applyEdit(edit);
    const list = (await vscode.commands.executeCommand(
      'vscode.executeCompletionItemProvider',
      doc.uri,
      new vscode.Position(9, 10),
    )) as vscode.CompletionList;
    const item = list.items.find((i) => (typeof i.label === 'string' ? i.label : i.label.label) === 'chatter_post');
    assert.ok(item, list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label)).join(', '));
    assert.match(String(item.detail), /Write/);
    assert.match(String(item.detail), /high/);
    const undo = new vscode.WorkspaceEdit();
    undo.delete(doc.uri, new vscode.Range(9, 0, 9, 10));
    await vscode.workspace.applyEdit(undo);
    assert.equal(doc.getText(), POLICY);
  });

  it('offers a quick fix that applies "did you mean"', async () => {
    await waitFor('the diagnostics of the restored text', () =>
      vscode.languages.getDiagnostics(doc.uri).some((d) => d.code === 'bad-action'),
    );
    const range = new vscode.Range(4, 12, 4, 16);
    const actions = (await vscode.commands.executeCommand('vscode.executeCodeActionProvider', doc.uri, range)) as vscode.CodeAction[];
    const fix = actions.find((a) => /allow/.test(a.title));
    assert.ok(fix, actions.map((a) => a.title).join(' | '));
    assert.ok(fix.edit);
    await vscode.workspace.applyEdit(fix.edit);
    assert.equal(doc.lineAt(4).text, '    action: allow');
  });
});

describe('policy tests inside the policy file, in a real VS Code extension host', function () {
  this.timeout(60_000);

  it('shows a code lens with the test count and a failing test as a diagnostic on its expect line', async () => {
    const folder = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const file = join(folder, 'tested.mcp-policy.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'tools:',
        '  cancel_async_task:',
        '    action: require_approval',
        'tests:',
        '  - { call: cancel_async_task, args: { task_id: abc }, expect: require_approval }',
        '  - { call: search_records, expect: allow }',
        '  - { call: execute_method, args: { model: res.partner }, expect: allow }',
        '',
      ].join('\n'),
    );
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
    const failed = await waitFor('the failing test diagnostic', () =>
      vscode.languages.getDiagnostics(doc.uri).find((d) => d.code === 'test-failed'),
    );
    assert.equal(failed.range.start.line, 7);
    assert.match(failed.message, /Test fails: execute_method is deny, expected allow/);
    const lenses = (await vscode.commands.executeCommand('vscode.executeCodeLensProvider', doc.uri)) as vscode.CodeLens[];
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(
      titles.some((t) => /1 of 3 tests fails/.test(t)),
      titles.join(' | '),
    );
  });
});
