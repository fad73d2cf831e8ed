/** Asks for approval through MCP elicitation, when the client supports it: a form whose only yes is confirm=true. */
import type { ApprovalAnswer, ApprovalRequest, Approver } from './approver';
import { formatArgumentsForDisplay } from './describe';
import { definitionChangeLines } from '../pins/change-text';

/** Sends a request to the MCP client and resolves with its result (rejects on a JSON-RPC error). */
export type ClientRequester = (method: string, params: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>;

export function elicitationMessage(req: ApprovalRequest): string {
  const change = req.definitionChange;
  if (change !== undefined)
    return [
      `MCP Guard: trust the ${change.kind === 'new' ? 'definition' : 'new definition'} of ${req.tool}?`,
      ``,
      `Server: ${req.server}`,
      `Tool: ${req.tool} — ${req.category}, ${req.risk} risk`,
      req.reason,
      ``,
      ...definitionChangeLines(change),
      ``,
      `The call waiting for it has these arguments:`,
      formatArgumentsForDisplay(req.args),
      ``,
      `Set "confirm" to true to trust this definition for this session (the call is then decided by the policy). Anything else blocks it.`,
    ].join('\n');
  return [
    `MCP Guard: allow this tool call?`,
    ``,
    `Server: ${req.server}`,
    `Tool: ${req.tool} — ${req.category}, ${req.risk} risk`,
    `Why this risk: ${req.riskReason}`,
    `Rule: ${req.rule} — ${req.reason}`,
    `Arguments:`,
    formatArgumentsForDisplay(req.args),
    ``,
    `Set "confirm" to true to let this one call through. Anything else blocks it.`,
  ].join('\n');
}

/** Asks through MCP elicitation (a form in the client) when the client declared that capability. */
export class ElicitationApprover implements Approver {
  readonly name = 'elicitation';

  constructor(
    private readonly supported: () => boolean,
    private readonly requestClient: ClientRequester,
  ) {}

  isAvailable(): boolean {
    return this.supported();
  }

  async request(req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer> {
    const result = (await this.requestClient(
      'elicitation/create',
      {
        message: elicitationMessage(req),
        requestedSchema: {
          type: 'object',
          properties: {
            confirm: {
              type: 'boolean',
              title: req.definitionChange ? `Trust ${req.tool}` : `Allow ${req.tool}`,
              description: req.definitionChange
                ? `Trust this definition of ${req.tool} for this session`
                : `Allow this one call to ${req.tool} (${req.category}, ${req.risk} risk)`,
              default: false,
            },
          },
          required: ['confirm'],
        },
      },
      signal,
    )) as { action?: unknown; content?: { confirm?: unknown } } | undefined;
    if (result?.action === 'accept' && result.content?.confirm === true) return { outcome: 'approved', by: this.name, scope: 'once' };
    const action = typeof result?.action === 'string' ? result.action : 'no valid answer';
    return {
      outcome: 'declined',
      by: this.name,
      detail: action === 'accept' ? 'The user did not confirm the call.' : `The user answered ${action}.`,
    };
  }
}
