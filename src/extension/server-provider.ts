import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { ODOO_MCP_CATALOG, ODOO_MCP_VERSION } from '../guard/catalog/odoo-mcp';
import { starterPolicy } from '../guard/policy/starter';
import { readSettings } from './config-reader';
import { resolveOdooCredentials, type CredentialIO } from './credentials';
import { buildGuardLaunch, guardedLabel } from './definition-builder';
import type { GuardHub } from './guard-hub';
import { choosePolicy, type PolicyChoice } from './policy-location';
import type { GuardedServerConfig } from './settings';

export const PROVIDER_ID = 'mcpGuard.servers';

export interface ProviderContext {
  readonly extension: vscode.ExtensionContext;
  readonly hub: GuardHub;
  readonly mode: () => import('../guard/policy/model').Mode;
  readonly credentials: CredentialIO;
  readonly log: vscode.LogOutputChannel;
}

export function userPolicyPath(context: vscode.ExtensionContext): string {
  return vscode.Uri.joinPath(context.globalStorageUri, 'mcp-policy.yaml').fsPath;
}

export function auditPath(context: vscode.ExtensionContext): string {
  return vscode.Uri.joinPath(context.storageUri ?? context.globalStorageUri, 'audit.jsonl').fsPath;
}

export function workspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

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

/** Writes the starter policy where none exists yet; returns whether it did. */
export function ensurePolicyFile(path: string): boolean {
  if (existsSync(path)) return false;
  mkdirSync(dirname(path), { recursive: true });
  const tools = Object.entries(ODOO_MCP_CATALOG).map(([name, e]) => ({ name, ...e }));
  writeFileSync(path, starterPolicy(`the Odoo MCP server (odoo-mcp ${ODOO_MCP_VERSION})`, tools), { flag: 'wx' });
  return true;
}

/**
 * Offers one guarded definition per configured server. Providing never prompts; starting a
 * server (resolve) may ask for missing Odoo credentials, and a cancel stops the start.
 */
export class GuardedServerProvider implements vscode.McpServerDefinitionProvider<vscode.McpStdioServerDefinition> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeMcpServerDefinitions = this.changed.event;

  constructor(private readonly ctx: ProviderContext) {}

  refresh(): void {
    this.changed.fire();
  }

  private servers(): readonly GuardedServerConfig[] {
    const { settings, problems } = readSettings(vscode.workspace.isTrusted);
    for (const p of problems) this.ctx.log.warn(p);
    return settings.servers;
  }

  provideMcpServerDefinitions(): vscode.McpStdioServerDefinition[] {
    const { settings } = readSettings(vscode.workspace.isTrusted);
    const ext = this.ctx.extension;
    return this.servers().map((server) => {
      const policy = policyFor(ext, server);
      const launch = buildGuardLaunch(server, {
        nodePath: process.execPath,
        guardScript: vscode.Uri.joinPath(ext.extensionUri, 'dist', 'mcp-guard.js').fsPath,
        policyPath: policy.path,
        auditPath: settings.auditEnabled ? auditPath(ext) : undefined,
        auditIncludeArguments: settings.auditIncludeArguments,
        approvalTimeoutSeconds: settings.approvalTimeoutSeconds,
        mode: this.ctx.mode(),
        bridge: { address: this.ctx.hub.bridge.address, token: this.ctx.hub.bridge.token },
        extensionVersion: String(ext.extension.packageJSON.version ?? '0.0.0'),
      });
      const def = new vscode.McpStdioServerDefinition(launch.label, launch.command, launch.args, launch.env, launch.version);
      const folder = workspaceFolder();
      if (folder) def.cwd = vscode.Uri.file(folder);
      return def;
    });
  }

  async resolveMcpServerDefinition(def: vscode.McpStdioServerDefinition): Promise<vscode.McpStdioServerDefinition | undefined> {
    const server = this.servers().find((s) => guardedLabel(s) === def.label);
    if (!server) return def;
    const policy = policyFor(this.ctx.extension, server);
    if (policy.scope === 'user' && ensurePolicyFile(policy.path)) {
      this.ctx.log.info(`created the starter policy ${policy.path}`);
    }
    if (server.odoo) {
      const creds = await resolveOdooCredentials(this.ctx.credentials, server.env);
      if (!creds.ok) {
        this.ctx.log.warn(`not starting ${def.label}: ${creds.reason}`);
        void vscode.window.showWarningMessage(`MCP Guard: ${creds.reason}. Run "MCP Guard: Set Odoo Credentials" to enter them.`);
        return undefined;
      }
      def.env = { ...def.env, ...creds.env };
    }
    this.ctx.log.info(`starting ${def.label} with policy ${policy.path} (${policy.scope}) in ${this.ctx.mode()} mode`);
    return def;
  }
}
