import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'mcp-guard.mcp-guard';

describe('extension host smoke', () => {
  it('runs inside a real VS Code extension host', () => {
    console.log(
      `VS Code ${vscode.version} (${vscode.env.appName}, ui kind ${vscode.UIKind[vscode.env.uiKind]}, remote ${vscode.env.remoteName ?? 'none'})`,
    );
    assert.match(vscode.version, /^\d+\.\d+\.\d+/);
  });

  it('receives the environment the runner passed to code-server', () => {
    assert.equal(process.env.MCP_GUARD_INTEGRATION, '1');
  });

  it(`finds ${EXTENSION_ID} as the development extension`, () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    assert.equal(ext.packageJSON.name, 'mcp-guard');
  });

  it('activates it', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });
});
