/** The approver chain: asks each way of reaching a person in turn; anything but an explicit approval in time is a refusal. */
import type { RiskClass, ToolCategory } from '../catalog/types';
import type { DefinitionChange } from '../pins/trust';

/** Everything a person needs to decide on one call. */
export interface ApprovalRequest {
  /** Unique within this guard process; an answer names the call it is for. */
  readonly callId: string;
  readonly server: string;
  readonly tool: string;
  readonly category: ToolCategory;
  readonly risk: RiskClass;
  readonly riskReason: string;
  readonly rule: string;
  readonly reason: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly timeoutMs: number;
  /**
   * Present when what is asked is whether to trust a tool's new (or changed) definition rather than
   * to let a call through: what changed, for the person to see before the call is decided.
   */
  readonly definitionChange?: DefinitionChange;
}

/**
 * How far an approval reaches: this call, the tool for the session, or (for a definition, from the
 * editor's "Trust new definition") the pins file too.
 */
export type ApprovalScope = 'once' | 'session' | 'pin';

export type ApprovalAnswer =
  | { readonly outcome: 'approved'; readonly by: string; readonly scope: ApprovalScope }
  | { readonly outcome: 'declined'; readonly by: string; readonly detail: string }
  /** This approver cannot answer (gone, not connected): the chain asks the next one. */
  | { readonly outcome: 'unavailable'; readonly by: string; readonly detail: string };

/**
 * One way of asking a person. The chain tries approvers in order; the first available one
 * that does not answer `unavailable` decides.
 */
export interface Approver {
  readonly name: string;
  isAvailable(): boolean;
  /** Must settle (or reject) soon after `signal` aborts. */
  request(req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer>;
}

export type ApprovalResult =
  | { readonly outcome: 'approved'; readonly by: string; readonly scope: ApprovalScope }
  | { readonly outcome: 'declined'; readonly by: string; readonly detail: string }
  | { readonly outcome: 'timeout'; readonly by: string; readonly detail: string }
  | { readonly outcome: 'cancelled'; readonly by: string; readonly detail: string }
  | { readonly outcome: 'no_approver'; readonly by: 'none'; readonly detail: string };

function abortReason(signal: AbortSignal): 'timeout' | 'cancelled' {
  return (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError' ? 'timeout' : 'cancelled';
}

/**
 * Asks the approvers in order, within the request's timeout. Anything but an explicit
 * approval (a decline, an error, silence, a cancelled call) is a refusal.
 */
export async function askApproval(chain: readonly Approver[], req: ApprovalRequest, cancel: AbortSignal): Promise<ApprovalResult> {
  const signal = AbortSignal.any([cancel, AbortSignal.timeout(req.timeoutMs)]);
  const tried: string[] = [];
  for (const approver of chain) {
    if (!approver.isAvailable()) continue;
    if (signal.aborted) break;
    let answer: ApprovalAnswer;
    try {
      answer = await new Promise<ApprovalAnswer>((resolve, reject) => {
        const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        signal.addEventListener('abort', onAbort, { once: true });
        approver
          .request(req, signal)
          .then(resolve, reject)
          .finally(() => signal.removeEventListener('abort', onAbort));
      });
    } catch (e) {
      if (signal.aborted) {
        const why = abortReason(signal);
        return why === 'timeout'
          ? { outcome: 'timeout', by: approver.name, detail: `No answer within ${Math.round(req.timeoutMs / 1000)} s.` }
          : { outcome: 'cancelled', by: approver.name, detail: 'The client cancelled the call.' };
      }
      return { outcome: 'declined', by: approver.name, detail: `Approval failed: ${(e as Error).message}` };
    }
    if (answer.outcome === 'unavailable') {
      tried.push(`${approver.name} (${answer.detail})`);
      continue;
    }
    return answer;
  }
  if (signal.aborted) {
    return abortReason(signal) === 'timeout'
      ? ({ outcome: 'timeout', by: 'none', detail: `No answer within ${Math.round(req.timeoutMs / 1000)} s.` } as ApprovalResult)
      : ({ outcome: 'cancelled', by: 'none', detail: 'The client cancelled the call.' } as ApprovalResult);
  }
  return {
    outcome: 'no_approver',
    by: 'none',
    detail:
      `This call needs approval, but no approver is available${tried.length ? ` (${tried.join('; ')})` : ''}: ` +
      'run the guard from VS Code with the MCP Guard extension, or use an MCP client that supports elicitation.',
  };
}
