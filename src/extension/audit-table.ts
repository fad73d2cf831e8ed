/** Turns audit JSON Lines into a readable table of recent decisions, newest first. */
import { isPlainObject } from '../guard/util/json';

export interface AuditRow {
  readonly time: string;
  readonly server: string;
  readonly tool: string;
  readonly decision: string;
  readonly rule: string;
  readonly reason: string;
  readonly outcome: string;
  readonly risk: string;
  readonly argsSha256: string;
  /** Only when the guard ran with --audit-include-args (secrets redacted). */
  readonly arguments?: Readonly<Record<string, unknown>>;
}

export const DECISIONS = ['allowed', 'denied', 'approved', 'declined', 'rate_limited', 'monitored'] as const;

export function parseAuditLines(text: string, limit = 500): AuditRow[] {
  const rows: AuditRow[] = [];
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0 && rows.length < limit; i--) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (e === null || typeof e !== 'object' || e['event'] !== 'decision') continue;
    const s = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : '');
    const decision = s('decision') === 'monitored' && s('would') ? `monitored (would be ${s('would')})` : s('decision');
    rows.push({
      time: s('time'),
      server: s('server'),
      tool: s('tool'),
      decision,
      rule: s('rule'),
      reason: s('reason'),
      outcome: s('outcome'),
      risk: `${s('category')} / ${s('risk')}${classNote(s('class_argument'), s('class_source'))}`,
      argsSha256: s('args_sha256'),
      ...(isPlainObject(e['arguments']) ? { arguments: e['arguments'] } : {}),
    });
  }
  return rows;
}

/** How the class was reached, when it is not simply the tool's: the argument case, or the name's match on another server. */
function classNote(argument: string, source: string): string {
  const notes = [argument, source === 'name-match' ? 'by name' : ''].filter((n) => n !== '');
  return notes.length > 0 ? ` (${notes.join(', ')})` : '';
}

function cell(text: string, max = 120): string {
  const one = text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/**
 * Whether a decision can be turned into a rule from the audit view: calls that were blocked, or
 * that went through only because someone approved them (or monitor mode let them pass).
 */
export function isRuleCandidate(row: Pick<AuditRow, 'decision'>): boolean {
  return row.decision !== 'allowed' && row.decision !== 'monitored (would be allowed)' && row.decision !== '';
}

/** The audit view's text and where its rows are: row `i` of `shown` is on line `firstRowLine + i`. */
export interface AuditView {
  readonly text: string;
  readonly shown: readonly AuditRow[];
  readonly firstRowLine: number;
}

export function auditMarkdown(rows: readonly AuditRow[], filter: string | undefined, source: string): string {
  return auditView(rows, filter, source).text;
}

export function auditView(rows: readonly AuditRow[], filter: string | undefined, source: string): AuditView {
  const shown = filter ? rows.filter((r) => r.decision.startsWith(filter)) : rows;
  const out = [
    `# MCP Guard: recent decisions${filter ? ` (${filter})` : ''}`,
    '',
    `${shown.length} decision${shown.length === 1 ? '' : 's'}, newest first, from \`${source}\`.`,
    '',
  ];
  if (shown.length === 0) {
    out.push('_No decisions recorded yet._');
    return { text: `${out.join('\n')}\n`, shown, firstRowLine: out.length };
  }
  if (shown.some(isRuleCandidate)) {
    out.splice(4, 0, 'Blocked and approved calls can become rules: use "Allow calls like this" or "Always deny" above their rows.', '');
  }
  out.push('| time | server | tool | risk | decision | rule | reason | outcome |', '|---|---|---|---|---|---|---|---|');
  const firstRowLine = out.length;
  for (const r of shown) {
    const time = r.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    out.push(
      `| ${time} | ${cell(r.server)} | \`${cell(r.tool)}\` | ${r.risk} | ` +
        `**${r.decision}** | ${cell(r.rule)} | ${cell(r.reason)} | ${r.outcome} |`,
    );
  }
  return { text: `${out.join('\n')}\n`, shown, firstRowLine };
}
