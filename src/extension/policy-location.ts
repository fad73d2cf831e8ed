/** Which policy file applies to a guarded server: its own, the workspace's (when trusted), or the user's. */
import { isAbsolute, join } from 'node:path';
import type { GuardedServerConfig } from './settings';

export type PolicyScope = 'server' | 'workspace' | 'user';

export interface PolicyChoice {
  readonly path: string;
  readonly scope: PolicyScope;
}

export interface PolicyLocationInput {
  readonly server: GuardedServerConfig;
  /** `mcpGuard.policyFile`, relative to the first workspace folder. */
  readonly workspacePolicySetting: string;
  readonly workspaceFolder: string | undefined;
  readonly trusted: boolean;
  /** The extension's global storage: the user-level policy lives there. */
  readonly userPolicyPath: string;
  readonly exists: (path: string) => boolean;
}

/**
 * Which policy file a guarded server runs with. A workspace file applies only in a trusted
 * workspace, so a cloned repository cannot loosen the user's guard; otherwise the user-level
 * policy applies (created from the starter when it does not exist yet).
 */
export function choosePolicy(input: PolicyLocationInput): PolicyChoice {
  const { server, workspaceFolder, trusted } = input;
  if (server.policyFile) {
    const path = isAbsolute(server.policyFile) ? server.policyFile : workspaceFolder ? join(workspaceFolder, server.policyFile) : undefined;
    // A relative per-server path points into the workspace: it is a workspace file.
    if (path && (isAbsolute(server.policyFile) || trusted)) return { path, scope: 'server' };
  }
  if (trusted && workspaceFolder) {
    const path = isAbsolute(input.workspacePolicySetting)
      ? input.workspacePolicySetting
      : join(workspaceFolder, input.workspacePolicySetting);
    if (input.exists(path)) return { path, scope: 'workspace' };
  }
  return { path: input.userPolicyPath, scope: 'user' };
}
