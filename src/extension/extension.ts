import * as vscode from 'vscode';
import type { Mode } from '../guard/policy/model';
import { AUDIT_SCHEME, AuditDocumentProvider } from './audit-document';
import { DECISIONS } from './audit-table';
import { SECTION } from './config-reader';
import { ODOO_SECRET_KEY, type CredentialIO } from './credentials';
import { GuardHub } from './guard-hub';
import { ModeState } from './mode-state';
import { GuardedServerProvider, PROVIDER_ID, auditPath, ensurePolicyFile, policyFor } from './server-provider';
import type { OdooSettings } from './settings';
import { statusView } from './status-text';
import { LANGUAGE_ID, PolicyLanguage } from './policy-language';
import { RULE_COMMAND, runRuleCommand } from './rule-command';
import { starterPolicyFor, type ReportedTool } from '../guard/language';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const MODE_KEY = 'mcpGuard.mode';

const MODE_ITEMS: readonly { mode: Mode; label: string; detail: string }[] = [
  { mode: 'enforce', label: '$(shield) Enforce', detail: 'Apply the policy: deny, ask or rate-limit as it says.' },
  { mode: 'monitor', label: '$(eye) Monitor only', detail: 'Decide and log every call, block nothing, ask nothing.' },
  { mode: 'lockdown', label: '$(lock) Lockdown', detail: 'Deny every tool that is not Read / low risk.' },
];

function credentialIO(context: vscode.ExtensionContext): CredentialIO {
  const config = () => vscode.workspace.getConfiguration(SECTION);
  return {
    readSettings: (): OdooSettings => ({
      url: config().get<string>('odoo.url', ''),
      db: config().get<string>('odoo.db', ''),
      username: config().get<string>('odoo.username', ''),
    }),
    saveSetting: async (key, value) => {
      await config().update(`odoo.${key}`, value, vscode.ConfigurationTarget.Global);
    },
    getSecret: async () => context.secrets.get(ODOO_SECRET_KEY),
    storeSecret: async (value) => context.secrets.store(ODOO_SECRET_KEY, value),
    ask: async (p) =>
      vscode.window.showInputBox({
        title: `MCP Guard: ${p.title}`,
        prompt: p.prompt,
        ...(p.placeHolder ? { placeHolder: p.placeHolder } : {}),
        ...(p.value ? { value: p.value } : {}),
        password: p.password,
        ignoreFocusOut: true,
      }),
  };
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('MCP Guard', { log: true });
  context.subscriptions.push(log);
  const modes = ModeState.fromJSON(context.workspaceState.get(MODE_KEY));
  const hub = await GuardHub.start(() => modes.mode, log);
  context.subscriptions.push(hub);
  const credentials = credentialIO(context);
  const provider = new GuardedServerProvider({ extension: context, hub, mode: () => modes.mode, credentials, log });
  context.subscriptions.push(vscode.lm.registerMcpServerDefinitionProvider(PROVIDER_ID, provider));

  const status = vscode.window.createStatusBarItem('mcpGuard.status', vscode.StatusBarAlignment.Left, 100);
  status.name = 'MCP Guard';
  status.command = 'mcpGuard.showMenu';
  context.subscriptions.push(status);
  const updateStatus = () => {
    const view = statusView({
      mode: modes.mode,
      blocked: hub.blocked,
      trusted: vscode.workspace.isTrusted,
      guards: hub.guardCount,
      ...(hub.lastDecision ? { lastDecision: hub.lastDecision } : {}),
      ...(hub.auditProblem ? { auditProblem: hub.auditProblem } : {}),
    });
    status.text = view.text;
    status.tooltip = view.tooltip;
    status.backgroundColor = view.background ? new vscode.ThemeColor(view.background) : undefined;
    status.show();
  };
  context.subscriptions.push(hub.onDidChange(updateStatus));
  updateStatus();

  const setMode = async (mode: Mode) => {
    if (!modes.set(mode)) return;
    await context.workspaceState.update(MODE_KEY, modes.toJSON());
    hub.setMode(mode);
    log.info(`mode: ${mode}`);
    updateStatus();
  };

  // What the running guards reported, with schemas and annotations where they came along; the
  // same list object until a guard reports again, so the language service's index is reused.
  let reported: ReportedTool[] | undefined;
  context.subscriptions.push(hub.onDidReportTools(() => (reported = undefined)));
  const reportedTools = (): ReportedTool[] | undefined => {
    if (reported) return reported;
    const byName = new Map<string, ReportedTool>();
    for (const [server, names] of hub.reportedTools) {
      const definitions = new Map((hub.reportedDefinitions.get(server) ?? []).map((t) => [t.name, t]));
      for (const name of names) if (!byName.has(name)) byName.set(name, definitions.get(name) ?? { name });
    }
    reported = byName.size > 0 ? [...byName.values()] : undefined;
    return reported;
  };
  const language = new PolicyLanguage(reportedTools);
  context.subscriptions.push(language, hub.onDidReportTools(() => language.revalidateAll()));

  const audit = new AuditDocumentProvider(() => auditPath(context), RULE_COMMAND);
  context.subscriptions.push(
    audit,
    vscode.workspace.registerTextDocumentContentProvider(AUDIT_SCHEME, audit),
    vscode.languages.registerCodeLensProvider({ scheme: AUDIT_SCHEME }, audit),
  );

  const register = (id: string, run: (...args: unknown[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, run));

  register('mcpGuard.switchMode', async (arg?: unknown) => {
    const given = typeof arg === 'string' && MODE_ITEMS.some((m) => m.mode === arg) ? (arg as Mode) : undefined;
    const mode =
      given ??
      (
        await vscode.window.showQuickPick(
          MODE_ITEMS.map((m) => ({ ...m, description: m.mode === modes.mode ? 'current' : '' })),
          { title: 'MCP Guard: Switch Mode', placeHolder: 'How should MCP Guard treat tool calls?' },
        )
      )?.mode;
    if (mode) await setMode(mode);
    return modes.mode;
  });
  register('mcpGuard.toggleLockdown', async () => {
    await setMode(modes.mode === 'lockdown' ? modes.resumeMode : 'lockdown');
    return modes.mode;
  });
  register('mcpGuard.openPolicy', async () => {
    const policy = policyFor(context, undefined);
    if (ensurePolicyFile(policy.path)) log.info(`created the starter policy ${policy.path}`);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(policy.path));
    await vscode.window.showTextDocument(doc);
    return policy.path;
  });
  register('mcpGuard.createPolicy', async () => {
    const text = starterPolicyFor(reportedTools());
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const target = folder && vscode.workspace.isTrusted ? join(folder, '.vscode', 'mcp-policy.yaml') : policyFor(context, undefined).path;
    if (!existsSync(target)) {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text, { flag: 'wx' });
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(target));
      await vscode.window.showTextDocument(doc);
      return target;
    }
    // Never overwrite a policy: show the starter beside it to copy from.
    const doc = await vscode.workspace.openTextDocument({ language: LANGUAGE_ID, content: text });
    await vscode.window.showTextDocument(doc);
    void vscode.window.showInformationMessage(`MCP Guard: ${target} already exists, so the starter policy opened in a new editor to copy from.`);
    return undefined;
  });
  register('mcpGuard.showAuditLog', async (arg?: unknown) => {
    let filter = typeof arg === 'string' ? arg : undefined;
    if (arg === undefined) {
      const pick = await vscode.window.showQuickPick(
        [{ label: 'All decisions', value: '' }, ...DECISIONS.map((d) => ({ label: d, value: d }))],
        { title: 'MCP Guard: Show Audit Log', placeHolder: 'Which decisions?' },
      );
      if (!pick) return undefined;
      filter = pick.value || undefined;
    }
    const uri = vscode.Uri.from({ scheme: AUDIT_SCHEME, path: '/Recent decisions.md', ...(filter ? { query: `filter=${filter}` } : {}) });
    audit.refresh(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: true });
    return doc.getText();
  });
  register(RULE_COMMAND, (call?: unknown, intent?: unknown, options?: unknown) =>
    runRuleCommand({ context, hub, reportedTools, recentRows: () => audit.rows(), log }, call, intent, options),
  );
  register('mcpGuard.setOdooCredentials', async () => {
    const current = credentials.readSettings();
    const fields: { key: keyof OdooSettings; title: string }[] = [
      { key: 'url', title: 'Odoo URL' },
      { key: 'db', title: 'Odoo database' },
      { key: 'username', title: 'Odoo user' },
    ];
    for (const f of fields) {
      const value = await credentials.ask({ title: f.title, prompt: f.title, password: false, value: current[f.key] });
      if (value === undefined) return;
      await credentials.saveSetting(f.key, value.trim());
    }
    const secret = await credentials.ask({ title: 'Odoo password or API key', prompt: 'Stored in VS Code secret storage', password: true });
    if (secret === undefined) return;
    if (secret) await credentials.storeSecret(secret);
    provider.refresh();
    void vscode.window.showInformationMessage('MCP Guard: Odoo credentials saved. Restart the guarded Odoo server to use them.');
  });
  register('mcpGuard.clearOdooCredentials', async () => {
    await context.secrets.delete(ODOO_SECRET_KEY);
    void vscode.window.showInformationMessage('MCP Guard: the stored Odoo password or API key was removed.');
  });
  register('mcpGuard.resetRateLimits', () => {
    hub.resetRateLimits();
    log.info('rate limits reset in every running guard');
  });
  register('mcpGuard.showOutput', () => log.show());
  register('mcpGuard.showMenu', async () => {
    const items: (vscode.QuickPickItem & { command: string; args?: unknown[] })[] = [
      ...MODE_ITEMS.filter((m) => m.mode !== modes.mode).map((m) => ({ label: m.label, detail: m.detail, command: 'mcpGuard.switchMode', args: [m.mode] })),
      { label: '$(file-code) Open Policy', command: 'mcpGuard.openPolicy' },
      { label: '$(history) Show Audit Log', command: 'mcpGuard.showAuditLog' },
      { label: '$(law) Turn a Recent Call into a Rule…', command: RULE_COMMAND },
      { label: '$(debug-restart) Reset Rate Limits', command: 'mcpGuard.resetRateLimits' },
      { label: '$(output) Show Output', command: 'mcpGuard.showOutput' },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: `MCP Guard (${modes.mode})` });
    if (pick) await vscode.commands.executeCommand(pick.command, ...(pick.args ?? []));
  });
  // For tests and scripts: the state the status bar shows.
  register('mcpGuard.state', () => ({
    mode: modes.mode,
    blocked: hub.blocked,
    guards: hub.guardCount,
    trusted: vscode.workspace.isTrusted,
    statusText: status.text,
    lastDecision: hub.lastDecision,
    reportedTools: Object.fromEntries(hub.reportedTools),
  }));

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) provider.refresh();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      provider.refresh();
      updateStatus();
    }),
  );
  log.info(`MCP Guard ${String(context.extension.packageJSON.version)} active in ${modes.mode} mode; bridge at ${hub.bridge.address}`);
}

export function deactivate(): void {}
