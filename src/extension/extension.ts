/** The extension's entry point: builds the window's context and wires it into VS Code. */
import * as vscode from 'vscode';
import { AUDIT_SCHEME } from './audit-document';
import { COMMANDS } from './commands';
import { SECTION } from './config-reader';
import { Ctx } from './context';
import { DEMO_CONTEXT_KEY } from './demo';
import { demoOn } from './locations';
import { PROVIDER_ID } from './ids';

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const ctx = await Ctx.create(context);
  ctx.push(
    vscode.lm.registerMcpServerDefinitionProvider(PROVIDER_ID, ctx.provider),
    vscode.workspace.registerTextDocumentContentProvider(AUDIT_SCHEME, ctx.audit),
    vscode.languages.registerCodeLensProvider({ scheme: AUDIT_SCHEME }, ctx.audit),
  );
  for (const [id, command] of Object.entries(COMMANDS)) ctx.push(vscode.commands.registerCommand(id, command(ctx)));
  // Which of "Try the Demo Server" / "Remove the Demo Server" the palette shows.
  await vscode.commands.executeCommand('setContext', DEMO_CONTEXT_KEY, demoOn(context));
  ctx.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) ctx.provider.refresh();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      ctx.provider.refresh();
      ctx.updateStatus();
    }),
  );
  ctx.log.info(
    `MCP Guard ${String((context.extension.packageJSON as { version?: string }).version)} ` +
      `active in ${ctx.modes.mode} mode; bridge at ${ctx.hub.bridge.address}`,
  );
}

export function deactivate(): void {}
