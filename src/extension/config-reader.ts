/** Reads MCP Guard's settings from VS Code, honouring Restricted Mode for workspace values. */
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import { isAbsolute } from 'node:path';
import {
  basePolicyFileFrom,
  parseOtlpEndpoint,
  parseScanResults,
  parseServers,
  parseStateSetting,
  type ExtensionSettings,
} from './settings';

export const SECTION = 'mcpGuard';

/**
 * Reads the settings. In an untrusted workspace the workspace's own values for the servers and
 * the policy file are ignored, so a cloned repository cannot change what runs or loosen the guard.
 */
export function readSettings(trusted: boolean): { settings: ExtensionSettings; problems: string[] } {
  const c = vscode.workspace.getConfiguration(SECTION);
  const userOnly = <T>(key: string, fallback: T): T => {
    if (trusted) return c.get<T>(key, fallback);
    const i = c.inspect<T>(key);
    return i?.globalValue ?? i?.defaultValue ?? fallback;
  };
  const { servers, problems } = parseServers(userOnly<unknown>('servers', undefined));
  const timeout = c.get<number>('approvalTimeoutSeconds', 120);
  // User-level only in an untrusted workspace: a cloned repository cannot turn redaction off.
  const scan = parseScanResults(userOnly<unknown>('scanResults', undefined));
  if (scan.problem !== undefined) problems.push(scan.problem);
  // Machine-scoped: only the user's own value counts, whatever a workspace says.
  const stateInspect = c.inspect<unknown>('state');
  const state = parseStateSetting(stateInspect?.globalValue ?? stateInspect?.defaultValue);
  if (state.problem !== undefined) problems.push(state.problem);
  // Machine-scoped, and read from the user / machine value only, trusted workspace or not (see basePolicyFileFrom).
  const basePolicyFile = basePolicyFileFrom(c.inspect<unknown>('basePolicyFile'), homedir());
  if (basePolicyFile !== undefined && !isAbsolute(basePolicyFile))
    problems.push(
      `mcpGuard.basePolicyFile should be an absolute path, not ${JSON.stringify(basePolicyFile)}: ` +
        `a relative one is read from the guard's working folder (the workspace)`,
    );
  // Machine-scoped, and read from the user's settings only whatever the trust: a workspace cannot send the audit elsewhere.
  const otlpSetting = c.inspect<unknown>('audit.otlpEndpoint');
  const otlp = parseOtlpEndpoint(otlpSetting?.globalValue ?? otlpSetting?.defaultValue);
  if (otlp.problem !== undefined) problems.push(otlp.problem);
  return {
    settings: {
      servers,
      policyFile: userOnly('policyFile', '.vscode/mcp-policy.yaml'),
      approvalTimeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? timeout : 120,
      auditEnabled: c.get<boolean>('audit.enabled', true),
      auditIncludeArguments: c.get<boolean>('audit.includeArguments', false),
      scanResults: scan.mode,
      ...(otlp.endpoint !== undefined ? { auditOtlpEndpoint: otlp.endpoint } : {}),
      state: state.state,
      odoo: {
        url: c.get<string>('odoo.url', ''),
        db: c.get<string>('odoo.db', ''),
        username: c.get<string>('odoo.username', ''),
      },
      ...(basePolicyFile !== undefined ? { basePolicyFile } : {}),
    },
    problems,
  };
}
