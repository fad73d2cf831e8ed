/** The words of the approval dialog: what is asked, about which tool and rule, with which arguments. */
import type { ApprovalAnswerKind, ApprovalRequestMessage, BridgeOrigin, ParentProcess } from '../guard/bridge/protocol';
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

/** Which guard asks: one VS Code started for a server definition, or one started in an integrated terminal. */
export interface Asker {
  readonly origin: BridgeOrigin;
  /** The guard's own pid. */
  readonly pid: number;
  /** The guard's parent as the guard reported it: display only. */
  readonly parent?: ParentProcess;
}

/** Where the message says the question comes from: only a terminal guard is named (the editor's are the usual case). */
function fromWhere(asker: Asker | undefined): string {
  return asker?.origin === 'terminal' ? ' (asked from a terminal)' : '';
}

/**
 * The detail's first lines for a terminal guard: the process that started it, as the guard reported
 * it (it is unverified, hence "reports"), else only the guard's pid.
 */
export function askerLines(asker: Asker | undefined): string[] {
  if (asker?.origin !== 'terminal') return [];
  const parent = asker.parent;
  const who =
    parent === undefined
      ? `a process in an integrated terminal (guard pid ${asker.pid})`
      : parent.command !== undefined
        ? `a process in an integrated terminal: ${parent.command} (pid ${parent.pid})`
        : `a process in an integrated terminal (pid ${parent.pid})`;
  return [
    `Asked by ${who}`,
    ...(parent !== undefined ? [`(as its guard, pid ${asker.pid}, reports it; an agent started in a terminal of this window)`] : []),
    '',
  ];
}

/** The modal's text: what the agent is about to do, how risky it is, which rule asks, and (from a terminal) who asks. */
export function approvalDialog(req: ApprovalRequestMessage, position: number, total: number, asker?: Asker): ApprovalDialog {
  const counter = total > 1 ? ` (${position} of ${total})` : '';
  const seconds = Math.round(req.timeoutMs / 1000);
  if (req.definitionChange !== undefined) return definitionDialog(req, req.definitionChange, counter, seconds, asker);
  return {
    message: `MCP Guard: allow ${req.tool} on ${req.server}?${counter}${fromWhere(asker)}`,
    detail: [
      ...askerLines(asker),
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
function definitionDialog(
  req: ApprovalRequestMessage,
  change: DefinitionChange,
  counter: string,
  seconds: number,
  asker: Asker | undefined,
): ApprovalDialog {
  const what = change.kind === 'changed' ? 'the new definition of' : 'the definition of';
  const pins = change.pinsFile !== undefined ? `"${TRUST_DEFINITION}" also writes it to the pins file ${change.pinsFile}.` : undefined;
  return {
    message: `MCP Guard: trust ${what} ${req.tool} on ${req.server}?${counter}${fromWhere(asker)}`,
    detail: [
      ...askerLines(asker),
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
