/** How the demo shows a call to a person: the call, the guard's decision (category, risk, rule, reason), and what came back. */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { DecisionEvent } from '../../guard/audit-events';
import type { CallOutcome } from './guard-session';

export interface Style {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly good: (s: string) => string;
  readonly bad: (s: string) => string;
}

const plain = (s: string) => s;
const sgr = (on: number, off: number) => (s: string) => `\x1b[${on}m${s}\x1b[${off}m`;

/** Colours on a terminal, unless NO_COLOR says otherwise; plain text into pipes and files. */
export function styleFor(stream: NodeJS.WriteStream): Style {
  const colour = stream.isTTY === true && !process.env['NO_COLOR'];
  return colour
    ? { bold: sgr(1, 22), dim: sgr(2, 22), good: sgr(32, 39), bad: sgr(31, 39) }
    : { bold: plain, dim: plain, good: plain, bad: plain };
}

/** Text cut to `max` characters, saying how much was left out. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** Whether the guard let the call through to the server. */
export function wentThrough(d: DecisionEvent | undefined): boolean {
  return d !== undefined && (d.decision === 'allowed' || d.decision === 'approved' || d.decision === 'monitored');
}

function verdict(d: DecisionEvent, style: Style): string {
  switch (d.decision) {
    case 'allowed':
      return style.good('allowed');
    case 'approved':
      return style.good(`approved${d.approver ? ` (by ${d.approver === 'elicitation' ? 'you' : d.approver})` : ''}`);
    case 'monitored':
      return style.good(`let through (monitor mode; enforce would have: ${d.would ?? '?'})`);
    case 'denied':
      return style.bad('BLOCKED');
    case 'declined':
      return style.bad('BLOCKED: not approved');
    case 'rate_limited':
      return style.bad('BLOCKED: rate limit reached');
  }
}

export function textOf(result: CallToolResult | undefined): string {
  return (result?.content ?? []).map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
}

/**
 * The lines for one call: `N. tool {args}  Category · risk  → decision (rule R)`, then the reason, then the
 * server's answer (`answer`, when the caller has a better summary than the raw text) or the text the agent read.
 */
export function describeCall(n: number | undefined, call: CallOutcome, style: Style, answer?: string): string[] {
  const argsText = cut(JSON.stringify(call.args), 100);
  const head = `${n === undefined ? '' : `${String(n).padStart(2)}. `}${style.bold(call.tool)} ${argsText}`;
  const indent = n === undefined ? '   ' : '     ';
  const d = call.decision;
  const lines: string[] = [];
  if (d === undefined) {
    lines.push(`${head}  ${style.dim('(no decision in the audit log)')}`);
  } else {
    lines.push(`${head}  ${d.category} · ${d.risk}  → ${verdict(d, style)} ${style.dim(`(rule ${d.rule})`)}`);
  }
  if (call.error !== undefined) {
    lines.push(`${indent}${style.bad('error:')} ${call.error}`);
    return lines;
  }
  if (d !== undefined && !wentThrough(d)) {
    // The agent's text names the rule and gives the reason and the next step: show it as the agent got it.
    const [first = '', ...rest] = textOf(call.result).split('\n');
    lines.push(`${indent}the agent read: ${first}`);
    for (const l of rest) lines.push(`${indent}                ${l}`);
    return lines;
  }
  if (d !== undefined) lines.push(`${indent}${style.dim(`reason: ${d.reason}`)}`);
  const text = answer ?? cut(textOf(call.result).replace(/\s+/g, ' '), 300);
  lines.push(`${indent}${call.result?.isError ? style.bad('server error:') : 'server:'} ${text}`);
  return lines;
}
