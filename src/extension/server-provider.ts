/** The guarded MCP server definitions VS Code lists and starts. */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { Mode } from '../guard/policy/model';
import { readSettings } from './config-reader';
import { resolveOdooCredentials, type CredentialIO } from './credentials';
import { buildGuardLaunch, guardedLabel, pinsPathFor } from './definition-builder';
import { resolveHeaderSecrets, type HeaderSecretIO } from './header-secrets';
import type { GuardHub } from './guard-hub';
import { auditPath, guardedServers, policyFor, workspaceFolder } from './locations';
import { ensureDemoPolicy, ensurePolicyFile } from './policy-files';
import type { GuardedServerConfig } from './settings';

export interface ProviderContext {
  readonly extension: vscode.ExtensionContext;
  readonly hub: GuardHub;
  readonly mode: () => Mode;
  readonly credentials: CredentialIO;
  readonly headerSecrets: HeaderSecretIO;
  readonly log: vscode.LogOutputChannel;
}

/**
 * Offers one guarded definition per configured server, and the demo server while it is on.
 * Providing never prompts; starting a server (resolve) may ask for missing Odoo credentials or a
 * remote server's header secrets, and a cancel stops the start.
 */
export class GuardedServerProvider implements vscode.McpServerDefinitionProvider<vscode.McpStdioServerDefinition> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeMcpServerDefinitions = this.changed.event;

  constructor(private readonly ctx: ProviderContext) {}

  refresh(): void {
    this.changed.fire();
  }

  private servers(): readonly GuardedServerConfig[] {
    const { servers, problems } = guardedServers(this.ctx.extension);
    for (const p of problems) this.ctx.log.warn(p);
    return servers;
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
        basePolicyPath: settings.basePolicyFile,
        pinsPath: pinsPathFor(server, workspaceFolder()),
        auditPath: settings.auditEnabled ? auditPath(ext) : undefined,
        auditIncludeArguments: settings.auditIncludeArguments,
        ...(settings.auditOtlpEndpoint !== undefined ? { otlpEndpoint: settings.auditOtlpEndpoint } : {}),
        approvalTimeoutSeconds: settings.approvalTimeoutSeconds,
        scanResults: settings.scanResults,
        state: settings.state,
        mode: this.ctx.mode(),
        bridge: { address: this.ctx.hub.bridge.address, token: this.ctx.hub.bridge.token },
        extensionVersion: String((ext.extension.packageJSON as { version?: string }).version ?? '0.0.0'),
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
    if (server.demo) {
      const script = server.args[0] ?? '';
      if (!existsSync(script)) {
        this.ctx.log.warn(`not starting ${def.label}: ${script} is missing`);
        void vscode.window.showWarningMessage(`MCP Guard: the demo server is missing from this installation (${script}).`);
        return undefined;
      }
      if (ensureDemoPolicy(policy.path)) this.ctx.log.info(`created the demo policy ${policy.path}`);
    } else if (policy.scope === 'user' && ensurePolicyFile(policy.path)) {
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
    if (server.url !== undefined) {
      const secrets = await resolveHeaderSecrets(this.ctx.headerSecrets, server);
      if (!secrets.ok) {
        this.ctx.log.warn(`not starting ${def.label}: ${secrets.reason}`);
        void vscode.window.showWarningMessage(`MCP Guard: ${secrets.reason}. Start the server again to enter it.`);
        return undefined;
      }
      def.env = { ...def.env, ...secrets.env };
    }
    this.ctx.log.info(`starting ${def.label} with policy ${policy.path} (${policy.scope}) in ${this.ctx.mode()} mode`);
    return def;
  }
}
