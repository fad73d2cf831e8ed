/**
 * The MCP servers configured outside the guard, watched: the workspace's `.vscode/mcp.json`, the
 * user's `mcp.json`, the `mcp` section of both settings files, and `vscode.lm.tools`. Warns once
 * per server that deserves it (`unguarded.ts`), and applies "Guard Existing Servers…" edits as
 * unsaved changes in the editor.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { ExistingServers } from './command-context';
import { SECTION } from './config-reader';
import type { GuardHub } from './guard-hub';
import type { FileChange, SettingsTarget } from './guard-plan';
import { GUARD_EXISTING_COMMAND, GUARD_EXISTING_TITLE } from './ids';
import { guardedServers, workspaceFolder } from './locations';
import { serversIn, type ConfigSource, type ExistingServer } from './mcp-config';
import { findUnguarded, type Flagged } from './unguarded';

/** Workspace state: the servers already warned about (`serverKey`), so each is warned about once. */
export const WARNED_STATE_KEY = 'mcpGuard.warnedUnguarded';
const TOOLS_POLL_MS = 2000;

/**
 * The user data folder's `User` directory: global storage is `<User>/globalStorage/<extension id>`.
 * (With a settings profile other than the default, its mcp.json and settings are elsewhere; not read yet.)
 */
function userDir(extension: vscode.ExtensionContext): string {
  return dirname(dirname(extension.globalStorageUri.fsPath));
}

export class ExistingServersWatch implements ExistingServers, vscode.Disposable {
  private flaggedNow: Flagged[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly problemsSeen = new Set<string>();

  constructor(
    private readonly extension: vscode.ExtensionContext,
    private readonly hub: GuardHub,
    private readonly log: vscode.LogOutputChannel,
    /** Redraws the status bar. */
    private readonly onChange: () => void,
  ) {
    const later = () => this.schedule();
    const watch = (base: string, pattern: string) => {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(base), pattern));
      this.disposables.push(w, w.onDidChange(later), w.onDidCreate(later), w.onDidDelete(later));
    };
    const folder = workspaceFolder();
    if (folder) watch(folder, '.vscode/{mcp,settings}.json');
    watch(userDir(extension), '{mcp,settings}.json');
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mcp') || e.affectsConfiguration(SECTION)) later();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(later),
      hub.onDidReportTools(later),
    );
    // The stable API has no event for vscode.lm.tools: a look every few seconds, cheap (names only).
    let names = '';
    const poll = setInterval(() => {
      const now = vscode.lm.tools.map((t) => t.name).join('\n');
      if (now !== names) later();
      names = now;
    }, TOOLS_POLL_MS);
    this.disposables.push({ dispose: () => clearInterval(poll) });
    this.schedule(0);
  }

  /** The servers warned about now. */
  get flagged(): readonly Flagged[] {
    return this.flaggedNow;
  }

  get autoSave(): boolean {
    return vscode.workspace.getConfiguration('files').get<string>('autoSave', 'off') !== 'off';
  }

  /** The files servers may be configured in; workspace ones only when the workspace is trusted, as VS Code runs them only then. */
  sources(): ConfigSource[] {
    const user = userDir(this.extension);
    const folder = workspaceFolder();
    return [
      ...(folder && vscode.workspace.isTrusted
        ? [
            { kind: 'workspace-mcp' as const, path: join(folder, '.vscode', 'mcp.json') },
            { kind: 'workspace-settings' as const, path: join(folder, '.vscode', 'settings.json') },
          ]
        : []),
      { kind: 'user-mcp', path: join(user, 'mcp.json') },
      { kind: 'user-settings', path: join(user, 'settings.json') },
    ];
  }

  /** A file's text as the editor has it, what the edits are planned from and applied to. */
  read(path: string): string | undefined {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === path);
    if (open) return open.getText();
    return readSaved(path);
  }

  scan(): { servers: ExistingServer[]; flagged: Flagged[] } {
    const servers: ExistingServer[] = [];
    for (const source of this.sources()) {
      // What VS Code runs is what is saved; an editor's document may be unsaved, or linger after its file is gone.
      const found = serversIn(readSaved(source.path), source);
      servers.push(...found.servers);
      if (found.problem && !this.problemsSeen.has(found.problem)) {
        this.problemsSeen.add(found.problem);
        this.log.warn(found.problem);
      }
    }
    const flagged = findUnguarded({
      servers,
      guarded: guardedServers(this.extension).servers,
      lmTools: vscode.lm.tools.map((t) => t.name),
      reported: this.hub.reportedTools,
    });
    return { servers, flagged };
  }

  targets(): { workspace: SettingsTarget | undefined; user: SettingsTarget } {
    const i = vscode.workspace.getConfiguration(SECTION).inspect<unknown[]>('servers');
    const defaults = Array.isArray(i?.defaultValue) ? i.defaultValue : [];
    const folder = workspaceFolder();
    const userList = Array.isArray(i?.globalValue) ? i.globalValue : undefined;
    return {
      workspace:
        folder && vscode.workspace.isTrusted
          ? { path: join(folder, '.vscode', 'settings.json'), inherited: userList ?? defaults, inheritedIsDefault: userList === undefined }
          : undefined,
      user: { path: join(userDir(this.extension), 'settings.json'), inherited: defaults, inheritedIsDefault: true },
    };
  }

  async apply(files: readonly FileChange[]): Promise<boolean> {
    const missing = files.filter((f) => !f.exists);
    if (missing.length > 0) {
      // Created empty (on disk, harmless); what goes in them is an unsaved edit like the rest.
      const create = new vscode.WorkspaceEdit();
      for (const f of missing) create.createFile(vscode.Uri.file(f.path), { ignoreIfExists: true });
      if (!(await vscode.workspace.applyEdit(create))) {
        this.log.warn(`Guard Existing Servers: VS Code did not create ${missing.map((f) => f.path).join(', ')}`);
        return false;
      }
    }
    // VS Code now and then refuses an edit of a document it is still loading (the user settings, say): once more, a moment later.
    let docs = await this.applyOnce(files);
    if (docs === 'refused') {
      await new Promise((r) => setTimeout(r, 500));
      docs = await this.applyOnce(files);
    }
    if (docs === 'refused') {
      this.log.warn(`Guard Existing Servers: VS Code did not apply the edits to ${files.map((f) => f.path).join(', ')}`);
      return false;
    }
    if (docs === 'changed') return false;
    for (const doc of docs) await this.show(doc);
    return true;
  }

  /**
   * Shows an edited document. The edit is made whether or not it can be shown: VS Code refuses to open
   * an editor when another one opens at the same moment ("another editor opened in the meantime"), so
   * it is tried once more, then only logged.
   */
  private async show(doc: vscode.TextDocument): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await vscode.window.showTextDocument(doc, { preview: false });
        return;
      } catch (e) {
        if (attempt >= 2) {
          this.log.warn(`Guard Existing Servers: edited ${doc.uri.fsPath} but could not show it: ${(e as Error).message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** The edits as one WorkspaceEdit on the documents as they are; `changed` when one no longer holds the planned text. */
  private async applyOnce(files: readonly FileChange[]): Promise<vscode.TextDocument[] | 'changed' | 'refused'> {
    const edit = new vscode.WorkspaceEdit();
    const docs: vscode.TextDocument[] = [];
    for (const f of files) {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(f.path));
      // The plan was made from this text: anything else would put the edit in the wrong place.
      if (doc.getText() !== f.before) {
        this.log.warn(`Guard Existing Servers: ${f.path} changed while the edits were prepared${doc.isDirty ? ' (unsaved edits)' : ''}`);
        return 'changed';
      }
      edit.replace(doc.uri, new vscode.Range(doc.positionAt(f.edit.offset), doc.positionAt(f.edit.offset + f.edit.length)), f.edit.content);
      docs.push(doc);
    }
    if (await vscode.workspace.applyEdit(edit)) return docs;
    // applyEdit has answered false although it applied the edits (the user settings, now and then): the text says.
    if (files.every((f, i) => docs[i]!.getText() === f.after)) return docs;
    return files.every((f, i) => docs[i]!.getText() === f.before) ? 'refused' : 'changed';
  }

  private schedule(delayMs = 300): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), delayMs);
  }

  private refresh(): void {
    this.timer = undefined;
    try {
      this.flaggedNow = this.scan().flagged;
    } catch (e) {
      this.log.warn(`could not look for unguarded MCP servers: ${String(e)}`);
      return;
    }
    this.onChange();
    const warned = new Set(this.extension.workspaceState.get<string[]>(WARNED_STATE_KEY) ?? []);
    const fresh = this.flaggedNow.filter((f) => !warned.has(f.key));
    if (fresh.length === 0) return;
    for (const f of fresh) {
      warned.add(f.key);
      this.log.warn(f.message);
      void Promise.resolve(vscode.window.showWarningMessage(`MCP Guard: ${f.message}`, GUARD_EXISTING_TITLE)).then(async (pick) => {
        if (pick === GUARD_EXISTING_TITLE) await vscode.commands.executeCommand(GUARD_EXISTING_COMMAND);
      });
    }
    void this.extension.workspaceState.update(WARNED_STATE_KEY, [...warned]);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}

/** A file's saved text; undefined when it cannot be read (gone, say). */
function readSaved(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
