/** The words of the approval dialog: what is asked, about which tool and rule, with which arguments. */
import type { ApprovalAnswerKind, ApprovalRequestMessage } from '../guard/bridge/protocol';
import { definitionChangeLines } from '../guard/pins/change-text';
import type { DefinitionChange } from '../guard/pins/trust';
import { redactSecretsInText } from '../guard/secrets';

export const ALLOW_ONCE = 'Allow once';
export const ALLOW_SESSION = 'Allow for this session';
export const TRUST_DEFINITION = 'Trust new definition';
export const DENY = 'Deny';

/** The guard's answer for the button a person chose; a dismissal (undefined), VS Code's Cancel and Deny all deny. */
export function answerForChoice(choice: string | undefined): ApprovalAnswerKind {
  switch (choice) {
    case ALLOW_ONCE:
      return 'allow_once';
    case ALLOW_SESSION:
      return 'allow_session';
    case TRUST_DEFINITION:
      return 'trust_definition';
    default:
      return 'deny';
  }
}

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
  if (req.definitionChange !== undefined) return definitionDialog(req, req.definitionChange, counter, seconds);
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

/**
 * A changed or new tool definition: what changed (old and new description, schema changes) before
 * anything else, then the call that waits for it. Trusted, the call is then decided by the policy.
 */
function definitionDialog(req: ApprovalRequestMessage, change: DefinitionChange, counter: string, seconds: number): ApprovalDialog {
  const what = change.kind === 'changed' ? 'the new definition of' : 'the definition of';
  const pins = change.pinsFile !== undefined ? `"${TRUST_DEFINITION}" also writes it to the pins file ${change.pinsFile}.` : undefined;
  return {
    message: `MCP Guard: trust ${what} ${req.tool} on ${req.server}?${counter}`,
    detail: [
      `Tool: ${req.tool}`,
      `Server: ${req.server}`,
      `Category: ${req.category} · Risk: ${req.risk}`,
      '',
      ...definitionChangeLines(change),
      '',
      'The call waiting for it:',
      redactSecretsInText(req.argsText),
      '',
      `Trusted, the definition is trusted for this session and the call is decided by the policy. ${pins ?? ''}`.trimEnd(),
      `Without an answer within ${seconds} s the call is denied.`,
    ].join('\n'),
    buttons: [DENY, TRUST_DEFINITION],
  };
}
