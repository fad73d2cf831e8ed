/** What a command may touch: the window's guard state and the editor, as plain interfaces a test can fake. */
import type { DecisionMessage } from '../guard/bridge/protocol';
import type { ReportedTool } from '../guard/language';
import type { Mode } from '../guard/policy/model';
import type { CredentialIO } from './credentials';
import type { DemoFiles } from './demo';
import type { FileChange, SettingsTarget } from './guard-plan';
import type { ConfigSource, ExistingServer } from './mcp-config';
import type { ModeState } from './mode-state';
import type { RuleCommandResult } from './rule-command';
import type { Flagged } from './unguarded';

/** The output channel. */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  show(): void;
}

export interface PickItem {
  readonly label: string;
  readonly description?: string;
  readonly detail?: string;
}

/** The dialogs commands use, as `vscode.window` has them. */
export interface Ui {
  /** `undefined` when the person dismisses the pick. */
  showQuickPick<T extends PickItem>(items: readonly T[], options: { title: string; placeHolder?: string }): PromiseLike<T | undefined>;
  /** The items picked (those marked `picked` start ticked); `undefined` when the person dismisses the pick. */
  showQuickPickMany<T extends PickItem>(
    items: readonly (T & { picked?: boolean })[],
    options: { title: string; placeHolder?: string },
  ): PromiseLike<readonly T[] | undefined>;
  /** With buttons, the one clicked; `undefined` when the message is closed. */
  showInformationMessage(message: string, ...buttons: string[]): PromiseLike<string | undefined>;
  showWarningMessage(message: string): PromiseLike<unknown>;
}

/** What the running guards are doing, as the window's guard hub tracks it. */
export interface Hub {
  readonly blocked: number;
  readonly guardCount: number;
  readonly lastDecision: DecisionMessage | undefined;
  /** The text of the last approval dialog shown, if any. */
  readonly lastApproval?: { readonly message: string; readonly detail: string } | undefined;
  /** Tool names each running guard reported, by server name. */
  readonly reportedTools: ReadonlyMap<string, readonly string[]>;
  /** Tells every running guard. */
  setMode(mode: Mode): void;
  /** Tells every running guard. */
  resetRateLimits(): void;
}

/** The MCP servers configured outside the guard (mcp.json files, the `mcp` settings), as `existing-servers.ts` watches them. */
export interface ExistingServers {
  /** The files read: the workspace's (when trusted) and the user's mcp.json and settings. */
  sources(): ConfigSource[];
  /** The servers warned about as of the last look (the files change, the watch looks again): what the status bar shows. */
  readonly flagged: readonly Flagged[];
  /** What the saved files say now (what VS Code runs), and which servers deserve a warning. */
  scan(): { servers: ExistingServer[]; flagged: Flagged[] };
  /** A file's text as the editor has it (unsaved changes included); `undefined` when it does not exist. */
  read(path: string): string | undefined;
  /** Where guarded entries go: the workspace settings (none in Restricted Mode or without a folder) and the user settings. */
  targets(): { workspace: SettingsTarget | undefined; user: SettingsTarget };
  /** Applies the changes as unsaved edits and shows the files; `false` when a file changed meanwhile or VS Code refused. */
  apply(files: readonly FileChange[]): PromiseLike<boolean>;
  /** Whether saved files are saved by VS Code itself (files.autoSave). */
  readonly autoSave: boolean;
}

/** A document to open, as data, so commands need no `vscode.Uri`. */
export type DocumentTarget =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'untitled'; readonly language: string; readonly content: string }
  /** The audit view, read afresh from the log; `filter` keeps one decision. */
  | { readonly kind: 'audit'; readonly filter?: string };

/** An open document; only what commands read of it. */
export interface EditorDocument {
  getText(): string;
}

export interface CommandContext {
  readonly log: Log;
  readonly ui: Ui;
  readonly modes: ModeState;
  /** Where the mode is kept across reloads (the extension's workspace state). */
  readonly workspaceState: { update(key: string, value: unknown): PromiseLike<void> };
  /** What is kept for every window (the extension's global state): whether the demo server is on. */
  readonly globalState: { get(key: string): unknown; update(key: string, value: unknown): PromiseLike<void> };
  readonly secrets: { delete(key: string): PromiseLike<void> };
  readonly credentials: CredentialIO;
  readonly hub: Hub;
  readonly existing: ExistingServers;
  readonly workspaceFolder: string | undefined;
  readonly trusted: boolean;
  /** What the status bar shows now. */
  readonly statusText: string;
  readonly statusTooltip: string;
  /** The policy of the first configured server: the one a command opens when the call names no server. */
  policyPath(): string;
  /** The tools the running guards reported, merged; `undefined` when none did. */
  reportedTools(): ReportedTool[] | undefined;
  /** Redraws the status bar from the mode and the hub. */
  updateStatus(): void;
  /** Makes VS Code ask for the guarded server definitions again. */
  refreshServers(): void;
  /** The demo server's stand-in, policy and journal. */
  demoFiles(): DemoFiles;
  openDocument(target: DocumentTarget): PromiseLike<EditorDocument>;
  /** Shows a document `openDocument` returned. */
  showDocument(document: EditorDocument, options?: { preview?: boolean }): PromiseLike<unknown>;
  executeCommand(command: string, ...args: unknown[]): PromiseLike<unknown>;
  /** "Turn a Recent Call into a Rule…", which drives the editor itself (`rule-command.ts`). */
  ruleFromCall(call?: unknown, intent?: unknown, options?: unknown): PromiseLike<RuleCommandResult | undefined>;
}
