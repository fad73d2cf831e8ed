/**
 * The bridge handed to the window's integrated terminals: a guard (`mcp-guard run`, `mcp-guard serve`)
 * started by an agent in one of them finds the bridge in its environment and asks its approvals as
 * the editor's modal dialogs, named as coming from a terminal.
 */
import { BRIDGE_ADDRESS_ENV, BRIDGE_TOKEN_ENV } from '../guard/bridge/protocol';

/** The part of `vscode.EnvironmentVariableCollection` used here (a fake in the unit tests). */
export interface TerminalEnvironment {
  persistent: boolean;
  description: unknown;
  replace(variable: string, value: string): void;
  clear(): void;
}

export const TERMINAL_BRIDGE_DESCRIPTION =
  'MCP Guard: lets a guard started in this terminal ask its approvals as dialogs in this window (it can ask, never answer)';

/** The variables a terminal gets: the bridge's address and the terminals' own token (not the server definitions'). */
export function terminalBridgeVariables(bridge: { readonly address: string; readonly terminalToken: string }): Record<string, string> {
  return { [BRIDGE_ADDRESS_ENV]: bridge.address, [BRIDGE_TOKEN_ENV]: bridge.terminalToken };
}

/**
 * Puts the bridge into the environment of the terminals this window opens from now on (VS Code
 * offers to relaunch those already open). Not persistent: after a reload the old window's token is
 * gone, replaced by the new one here; `undo` removes it when the extension stops.
 */
export function handBridgeToTerminals(
  env: TerminalEnvironment,
  bridge: { readonly address: string; readonly terminalToken: string },
): { dispose(): void } {
  env.persistent = false;
  env.description = TERMINAL_BRIDGE_DESCRIPTION;
  env.clear();
  for (const [name, value] of Object.entries(terminalBridgeVariables(bridge))) env.replace(name, value);
  return { dispose: () => env.clear() };
}
