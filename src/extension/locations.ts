/** Where this window's files are: the policy each server runs with, the user policy, the audit log. */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { readSettings } from './config-reader';
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
