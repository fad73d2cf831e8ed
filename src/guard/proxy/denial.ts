/** The text an agent reads when the guard blocks a call: who blocked what by which rule, why, and what to do next. */
import type { Classification } from '../catalog/classify';

export type BlockKind =
  | 'denied'
  | 'rate_limited'
  | 'declined'
  | 'no_approver'
  | 'timeout'
  | 'unknown_tool'
  | 'untrusted_tool'
  | 'invalid_policy'
  | 'audit_unwritable'
  | 'malformed';

const NEXT_STEP: Record<BlockKind, string> = {
  denied: 'Do not retry this call; if it is needed, ask the user to change the MCP Guard policy.',
  rate_limited: 'Wait before retrying; calls made sooner are blocked too.',
  declined: 'The user did not approve it; do not retry the same call without asking the user first.',
  timeout: 'Nobody approved it in time; ask the user before trying again.',
  no_approver: 'It needs a person to approve it, and none could be asked.',
  unknown_tool: 'Call tools/list and use one of the tools it returns.',
  untrusted_tool: 'Do not retry; ask the user to review the tool definition and trust it first.',
  invalid_policy: 'Ask the user to fix the MCP Guard policy file.',
  audit_unwritable: 'Read-only tools still work; ask the user to fix the audit log (disk space, permissions).',
  malformed: 'Send the call again with simpler arguments.',
};

/**
 * The text an agent reads when the guard blocks a call: first line is the short form
 * (who blocked what, by which rule), then the reason and what to do next.
 */
export function denialText(kind: BlockKind, tool: string, cls: Classification | undefined, rule: string, reason: string): string {
  const what = cls ? ` (${cls.category}, ${cls.risk} risk)` : '';
  const verb =
    kind === 'rate_limited' ? 'rate-limited' : kind === 'declined' || kind === 'timeout' ? 'did not get approval for' : 'blocked';
  return [
    `MCP Guard ${verb} the call to ${tool}${what} by rule ${rule}.`,
    `Reason: ${reason}`,
    `The call was not sent to the server. ${NEXT_STEP[kind]}`,
  ].join('\n');
}
