/** What the status bar item shows: mode, blocked count, last decision, problems. */
import type { Mode } from '../guard/policy/model';
import { DEMO_LABEL } from './demo';
import { GUARD_EXISTING_TITLE } from './ids';

export interface StatusInput {
  readonly mode: Mode;
  readonly blocked: number;
  readonly trusted: boolean;
  readonly guards: number;
  readonly lastDecision?: { readonly tool: string; readonly decision: string; readonly rule: string; readonly time: string };
  readonly auditProblem?: string;
  /** Secrets found in results this session: replaced (`redact`), or passed on and logged (`flag`). */
  readonly secrets?: { readonly redacted: number; readonly flagged: number };
  /** The demo server is offered ("MCP Guard: Try the Demo Server"). */
  readonly demo?: boolean;
  /** The warnings about MCP servers configured outside the guard (`unguarded.ts`). */
  readonly unguarded?: readonly string[];
  /** A store of shared rate limits (`mcpGuard.state`) that a running guard cannot reach. */
  readonly unreachableStore?: { readonly store: string; readonly failOpen: boolean; readonly cause?: string };
}

export interface StatusView {
  readonly text: string;
  readonly tooltip: string;
  /** A theme colour id for the background, or none. */
  readonly background?: 'statusBarItem.warningBackground' | 'statusBarItem.errorBackground';
}

const MODE_LABEL: Record<Mode, string> = { enforce: 'Enforce', monitor: 'Monitor only', lockdown: 'Lockdown' };

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** The shield in the status bar: the mode, how many calls were blocked, secrets found in results, and the last decision. */
export function statusView(s: StatusInput): StatusView {
  const unguarded = s.unguarded?.length ?? 0;
  const icon = s.mode === 'lockdown' ? '$(lock)' : s.mode === 'monitor' ? '$(eye)' : '$(shield)';
  const secrets = (s.secrets?.redacted ?? 0) + (s.secrets?.flagged ?? 0);
  const text =
    `${icon} ${MODE_LABEL[s.mode]}${s.blocked > 0 ? ` · ${s.blocked} blocked` : ''}` +
    `${secrets > 0 ? ` · $(key) ${secrets}` : ''}` +
    `${s.trusted ? '' : ' · restricted'}${s.auditProblem ? ' · $(warning) audit' : ''}` +
    `${unguarded > 0 ? ` · $(warning) ${unguarded} unguarded` : ''}` +
    `${s.unreachableStore ? ' · $(warning) shared limits' : ''}`;
  const lines = [
    `MCP Guard: ${MODE_LABEL[s.mode]}`,
    s.mode === 'monitor'
      ? 'Monitor only: decisions are logged, nothing is blocked.'
      : s.mode === 'lockdown'
        ? 'Lockdown: every tool that is not Read / low risk is denied.'
        : 'Enforcing the policy.',
    `${s.guards} guarded server${s.guards === 1 ? '' : 's'} running; ${s.blocked} call${s.blocked === 1 ? '' : 's'} blocked this session.`,
  ];
  if (s.secrets && s.secrets.redacted > 0)
    lines.push(`${plural(s.secrets.redacted, 'secret', 'secrets')} redacted from tool results and resources this session.`);
  if (s.secrets && s.secrets.flagged > 0)
    lines.push(
      `${plural(s.secrets.flagged, 'secret', 'secrets')} in tool results and resources passed on to the agent (scan results: flag).`,
    );
  if (!s.trusted) lines.push('Restricted mode: the workspace policy and workspace servers are ignored; the user policy applies.');
  if (s.lastDecision)
    lines.push(`Last: ${s.lastDecision.tool} ${s.lastDecision.decision} (${s.lastDecision.rule}) at ${s.lastDecision.time.slice(11, 19)}`);
  if (s.auditProblem) lines.push(`Audit: ${s.auditProblem}`);
  if (s.unreachableStore) {
    const u = s.unreachableStore;
    lines.push(
      `Shared rate limits: ${u.store} cannot be reached${u.cause ? ` (${u.cause})` : ''}; ` +
        (u.failOpen
          ? 'calls under a shared limit go ahead uncounted until it is back (fail open).'
          : 'calls under a shared limit are denied until it is back. The guards reconnect by themselves.'),
    );
  }
  if (unguarded > 0) {
    lines.push(
      ...(s.unguarded ?? []),
      `Run "MCP Guard: ${GUARD_EXISTING_TITLE}" to move ${unguarded === 1 ? 'it' : 'them'} behind the guard.`,
    );
  }
  if (s.demo) lines.push(`Demo server on: "${DEMO_LABEL}" is MCP Guard's stand-in, not a real Odoo.`);
  lines.push('Click for MCP Guard actions.');
  return {
    text,
    tooltip: lines.join('\n'),
    ...(s.mode === 'monitor' || unguarded > 0 || s.unreachableStore ? { background: 'statusBarItem.warningBackground' as const } : {}),
    ...(s.mode === 'lockdown' || s.auditProblem ? { background: 'statusBarItem.errorBackground' as const } : {}),
  };
}

export const BLOCKED_DECISIONS: ReadonlySet<string> = new Set(['denied', 'declined', 'rate_limited']);
