/** The words of the approval dialog: what is asked, about which tool and rule, with which arguments. */
import type { ApprovalRequestMessage } from '../guard/bridge/protocol';
import { redactSecretsInText } from '../guard/secrets';

export const ALLOW_ONCE = 'Allow once';
export const ALLOW_SESSION = 'Allow for this session';
export const DENY = 'Deny';

export interface ApprovalDialog {
  readonly message: string;
  readonly detail: string;
  /** In display order; VS Code adds its own Cancel, which counts as a denial. */
  readonly buttons: readonly string[];
}

/** The modal's text: what the agent is about to do, how risky it is, and which rule asks. */
export function approvalDialog(req: ApprovalRequestMessage, position: number, total: number): ApprovalDialog {
  const counter = total > 1 ? ` (${position} of ${total})` : '';
  const seconds = Math.round(req.timeoutMs / 1000);
  return {
    message: `MCP Guard: allow ${req.tool} on ${req.server}?${counter}`,
    detail: [
      `Tool: ${req.tool}`,
      `Server: ${req.server}`,
      `Category: ${req.category} · Risk: ${req.risk}`,
      `Why this risk: ${req.riskReason}`,
      `Rule: ${req.rule}`,
      `Reason: ${req.reason}`,
      '',
      'Arguments:',
      // The guard redacts before sending; this covers a guard of another version, at no cost worth counting.
      redactSecretsInText(req.argsText),
      '',
      `Without an answer within ${seconds} s the call is denied.`,
    ].join('\n'),
    buttons: req.allowSession ? [DENY, ALLOW_SESSION, ALLOW_ONCE] : [DENY, ALLOW_ONCE],
  };
}
