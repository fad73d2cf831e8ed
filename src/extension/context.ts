/** The window's MCP Guard: builds and owns its state and services, and is the context commands run in. */
import * as vscode from 'vscode';
import type { ReportedTool } from '../guard/language';
import { AuditDocumentProvider, auditViewUri } from './audit-document';
import type { CommandContext, DocumentTarget, EditorDocument, Ui } from './command-context';
import { credentialIO, headerSecretIO } from './credential-io';
import type { CredentialIO } from './credentials';
import { ExistingServersWatch } from './existing-servers';
import { GuardHub } from './guard-hub';
import { RULE_COMMAND } from './ids';
import type { DemoFiles } from './demo';
import { auditPath, demoFiles, demoOn, policyFor, workspaceFolder } from './locations';
import { MODE_STATE_KEY, ModeState } from './mode-state';
import { PolicyLanguage } from './policy-language';
import { BasePolicyWatch } from './base-policy';
import { ReportedToolsCache } from './reported-tools';
import { runRuleCommand, type RuleCommandResult } from './rule-command';
import { GuardedServerProvider } from './server-provider';
import { statusView } from './status-text';
import { handBridgeToTerminals } from './terminal-bridge';

export class Ctx implements CommandContext {
  readonly ui: Ui = {
    showQuickPick: (items, options) => vscode.window.showQuickPick(items, options),
    showQuickPickMany: (items, options) => vscode.window.showQuickPick(items, { ...options, canPickMany: true }),
    showInformationMessage: (message, ...buttons) => vscode.window.showInformationMessage(message, ...buttons),
    showWarningMessage: (message) => vscode.window.showWarningMessage(message),
  };
  readonly credentials: CredentialIO;
  readonly provider: GuardedServerProvider;
  readonly language: PolicyLanguage;
  readonly audit: AuditDocumentProvider;
  readonly existing: ExistingServersWatch;
  private readonly status: vscode.StatusBarItem;
  private readonly tools: ReportedToolsCache;

  /** Starts the bridge the guards connect to, so it can take a while. */
  static async create(extension: vscode.ExtensionContext): Promise<Ctx> {
    const log = vscode.window.createOutputChannel('MCP Guard', { log: true });
    extension.subscriptions.push(log);
    const modes = ModeState.fromJSON(extension.workspaceState.get(MODE_STATE_KEY));
    const hub = await GuardHub.start(() => modes.mode, log);
    extension.subscriptions.push(hub);
    // Agents started in the window's terminals get the editor's dialogs too (with the terminals' own token).
    extension.subscriptions.push(handBridgeToTerminals(extension.environmentVariableCollection, hub.bridge));
    return new Ctx(extension, log, modes, hub);
  }

  private constructor(
    readonly extension: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
    readonly modes: ModeState,
    readonly hub: GuardHub,
  ) {
    this.credentials = credentialIO(extension);
    this.provider = new GuardedServerProvider({
      extension,
      hub,
      mode: () => modes.mode,
      credentials: this.credentials,
      headerSecrets: headerSecretIO(extension),
      log,
    });

    this.status = vscode.window.createStatusBarItem('mcpGuard.status', vscode.StatusBarAlignment.Left, 100);
    this.status.name = 'MCP Guard';
    this.status.command = 'mcpGuard.showMenu';
    this.push(
      this.status,
      hub.onDidChange(() => this.updateStatus()),
    );
    this.updateStatus();

    this.tools = new ReportedToolsCache(hub);
    // Listeners run in the order they were added: the merged list is dropped before the language
    // service re-checks open policies against it.
    this.push(hub.onDidReportTools(() => this.tools.invalidate()));
    const basePolicy = new BasePolicyWatch();
    this.push(basePolicy);
    this.language = new PolicyLanguage(() => this.reportedTools(), basePolicy);
    this.push(
      this.language,
      hub.onDidReportTools(() => this.language.revalidateAll()),
    );

    this.audit = new AuditDocumentProvider(() => auditPath(extension), RULE_COMMAND);
    this.push(this.audit);

    this.existing = new ExistingServersWatch(extension, hub, log, () => this.updateStatus());
    this.push(this.existing);
  }

  /** Disposed with the extension. */
  push(...disposables: vscode.Disposable[]): void {
    this.extension.subscriptions.push(...disposables);
  }

  get workspaceState(): vscode.Memento {
    return this.extension.workspaceState;
  }

  get globalState(): vscode.Memento {
    return this.extension.globalState;
  }

  get secrets(): vscode.SecretStorage {
    return this.extension.secrets;
  }

  get workspaceFolder(): string | undefined {
    return workspaceFolder();
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  get statusText(): string {
    return this.status.text;
  }

  get statusTooltip(): string {
    return typeof this.status.tooltip === 'string' ? this.status.tooltip : (this.status.tooltip?.value ?? '');
  }

  demoFiles(): DemoFiles {
    return demoFiles(this.extension);
  }

  policyPath(): string {
    return policyFor(this.extension, undefined).path;
  }

  reportedTools(): ReportedTool[] | undefined {
    return this.tools.get();
  }

  updateStatus(): void {
    const view = statusView({
      mode: this.modes.mode,
      blocked: this.hub.blocked,
      secrets: this.hub.secrets,
      trusted: this.trusted,
      guards: this.hub.guardCount,
      ...(this.hub.lastDecision ? { lastDecision: this.hub.lastDecision } : {}),
      ...(this.hub.auditProblem ? { auditProblem: this.hub.auditProblem } : {}),
      ...(this.hub.unreachableStore ? { unreachableStore: this.hub.unreachableStore } : {}),
      demo: demoOn(this.extension),
      // Undefined while the constructor draws the first status, before the watch exists.
      ...(this.existing ? { unguarded: this.existing.flagged.map((f) => f.message) } : {}),
    });
    this.status.text = view.text;
    this.status.tooltip = view.tooltip;
    this.status.backgroundColor = view.background ? new vscode.ThemeColor(view.background) : undefined;
    this.status.show();
  }

  refreshServers(): void {
    this.provider.refresh();
  }

  async openDocument(target: DocumentTarget): Promise<vscode.TextDocument> {
    if (target.kind === 'file') return vscode.workspace.openTextDocument(vscode.Uri.file(target.path));
    if (target.kind === 'untitled') return vscode.workspace.openTextDocument({ language: target.language, content: target.content });
    const uri = auditViewUri(target.filter);
    // An open view would otherwise keep the text it was first given.
    this.audit.refresh(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    return doc;
  }

  async showDocument(document: EditorDocument, options?: { preview?: boolean }): Promise<void> {
    // Every document commands hold came from openDocument above.
    await vscode.window.showTextDocument(document as vscode.TextDocument, options);
  }

  executeCommand(command: string, ...args: unknown[]): Thenable<unknown> {
    return vscode.commands.executeCommand(command, ...args);
  }

  ruleFromCall(call?: unknown, intent?: unknown, options?: unknown): Promise<RuleCommandResult | undefined> {
    return runRuleCommand(
      {
        context: this.extension,
        hub: this.hub,
        reportedTools: () => this.reportedTools(),
        recentRows: () => this.audit.rows(),
        log: this.log,
      },
      call,
      intent,
      options,
    );
  }
}
