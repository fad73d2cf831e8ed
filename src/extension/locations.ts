/** Where this window's files are: the policy each server runs with, the user policy, the audit log, the demo's files; and which servers are offered. */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { readSettings } from './config-reader';
import {
  DEMO_JOURNAL_FILE,
  DEMO_POLICY_FILE,
  DEMO_SCRIPT,
  DEMO_STATE_KEY,
  demoIsOn,
  demoServer,
  offeredServers,
  type DemoFiles,
} from './demo';
import { choosePolicy, type PolicyChoice } from './policy-location';
import type { GuardedServerConfig } from './settings';

export function userPolicyPath(context: vscode.ExtensionContext): string {
  return vscode.Uri.joinPath(context.globalStorageUri, 'mcp-policy.yaml').fsPath;
}

export function auditPath(context: vscode.ExtensionContext): string {
  return vscode.Uri.joinPath(context.storageUri ?? context.globalStorageUri, 'audit.jsonl').fsPath;
}

export function workspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** The policy `server` runs with; with no server, the first configured one's (what Open Policy opens). */
export function policyFor(context: vscode.ExtensionContext, server: GuardedServerConfig | undefined): PolicyChoice {
  const { settings } = readSettings(vscode.workspace.isTrusted);
  const s = server ?? settings.servers[0] ?? { name: 'default', command: '', args: [], env: {}, odoo: false };
  return choosePolicy({
    server: s,
    workspacePolicySetting: settings.policyFile,
    workspaceFolder: workspaceFolder(),
    trusted: vscode.workspace.isTrusted,
    userPolicyPath: userPolicyPath(context),
    exists: existsSync,
  });
}

/** The demo server's stand-in (in the extension), and its policy and journal (in global storage). */
export function demoFiles(context: vscode.ExtensionContext): DemoFiles {
  return {
    script: vscode.Uri.joinPath(context.extensionUri, ...DEMO_SCRIPT).fsPath,
    policy: vscode.Uri.joinPath(context.globalStorageUri, DEMO_POLICY_FILE).fsPath,
    journal: vscode.Uri.joinPath(context.globalStorageUri, DEMO_JOURNAL_FILE).fsPath,
  };
}

export function demoOn(context: vscode.ExtensionContext): boolean {
  return demoIsOn(context.globalState.get(DEMO_STATE_KEY));
}

/** The guarded servers this window offers: the configured ones, and the demo while it is on. */
export function guardedServers(context: vscode.ExtensionContext): { servers: GuardedServerConfig[]; problems: string[] } {
  const { settings, problems } = readSettings(vscode.workspace.isTrusted);
  // The stand-in runs under the same Node as the guard (see definition-builder.ts).
  const offered = offeredServers(settings.servers, demoOn(context) ? demoServer(process.execPath, demoFiles(context)) : undefined);
  return { servers: offered.servers, problems: [...problems, ...offered.problems] };
}
