// src/extension/audit-table.ts: audit JSON Lines as a table of recent decisions.
import { strict as assert } from 'node:assert';
import { DECISIONS, auditMarkdown, parseAuditLines, type AuditRow } from '../../src/extension/audit-table';

function decision(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    event: 'decision',
    time: '2025-03-04T13:45:07.123Z',
    server: 'Odoo',
    tool: 'search_records',
    category: 'Read',
    risk: 'low',
    decision: 'allowed',
    rule: 'risk.low',
    reason: 'reads',
    entries: [],
    mode: 'enforce',
    args_sha256: 'ab12',
    latency_ms: 3,
    outcome: 'ok',
    ...over,
  });
}

function row(over: Partial<AuditRow> = {}): AuditRow {
  return {
    time: '2025-03-04T13:45:07.123Z',
    server: 'Odoo',
    tool: 'search_records',
    decision: 'allowed',
    rule: 'risk.low',
    reason: 'reads',
    outcome: 'ok',
    risk: 'Read / low',
    argsSha256: 'ab12',
    ...over,
  };
}

describe('extension audit-table: parseAuditLines', () => {
  it('DECISIONS lists the six decision kinds', () => {
    assert.deepEqual([...DECISIONS], ['allowed', 'denied', 'approved', 'declined', 'rate_limited', 'monitored']);
  });

  it('maps one decision event to a row', () => {
    assert.deepEqual(parseAuditLines(`${decision()}\n`), [row()]);
  });

  it('newest first: the last line comes first', () => {
    const text = [decision({ tool: 'a' }), decision({ tool: 'b' }), decision({ tool: 'c' })].join('\n');
    assert.deepEqual(
      parseAuditLines(text).map((r) => r.tool),
      ['c', 'b', 'a'],
    );
  });

  it('skips non-decision events, blank lines, broken JSON and a torn last line', () => {
    const text = [
      JSON.stringify({ event: 'start', version: '0.1.0', mode: 'enforce', policy: null, upstream: 'uvx', pid: 1 }),
      decision({ tool: 'first' }),
      '',
      '   ',
      '{"event":"decision", broken',
      JSON.stringify({ event: 'policy_reload', ok: true }),
      decision({ tool: 'second' }),
      JSON.stringify({ event: 'stop', reason: 'bye' }),
      JSON.stringify({ decision: 'denied', tool: 'no-event-field' }),
      '42',
      '"a string"',
      '[1,2]',
      '{"event":"decision","tool":"tor',
    ].join('\n');
    assert.deepEqual(
      parseAuditLines(text).map((r) => r.tool),
      ['second', 'first'],
    );
  });

  it('skips a line that is JSON null', () => {
    assert.deepEqual(
      parseAuditLines(`null\n${decision({ tool: 'kept' })}\n`).map((r) => r.tool),
      ['kept'],
    );
  });

  it('tolerates CRLF line endings', () => {
    assert.deepEqual(
      parseAuditLines(`${decision({ tool: 'a' })}\r\n${decision({ tool: 'b' })}\r\n`).map((r) => r.tool),
      ['b', 'a'],
    );
  });

  it('limit keeps the newest N rows, counting only decisions', () => {
    const lines: string[] = [];
    for (let i = 0; i < 10; i++) {
      lines.push(decision({ tool: `t${i}` }));
      lines.push(JSON.stringify({ event: 'mode_change', mode: 'monitor' }));
    }
    assert.deepEqual(
      parseAuditLines(lines.join('\n'), 3).map((r) => r.tool),
      ['t9', 't8', 't7'],
    );
    assert.deepEqual(parseAuditLines(lines.join('\n'), 0), []);
  });

  it('the default limit is 500', () => {
    const text = Array.from({ length: 510 }, (_, i) => decision({ tool: `t${i}` })).join('\n');
    const rows = parseAuditLines(text);
    assert.equal(rows.length, 500);
    assert.equal(rows[0]!.tool, 't509');
    assert.equal(rows[499]!.tool, 't10');
  });

  it('monitored shows what enforce mode would have done', () => {
    const rows = parseAuditLines(
      [
        decision({ decision: 'monitored', would: 'denied' }),
        decision({ decision: 'monitored', would: 'require_approval' }),
        decision({ decision: 'monitored' }),
      ].join('\n'),
    );
    assert.deepEqual(
      rows.map((r) => r.decision),
      ['monitored', 'monitored (would be require_approval)', 'monitored (would be denied)'],
    );
  });

  it('"would" is ignored on other decisions', () => {
    assert.equal(parseAuditLines(decision({ decision: 'denied', would: 'allowed' }))[0]!.decision, 'denied');
  });

  it('the risk column says how the class was reached: the argument case, or the name match on another server', () => {
    const risk = (fields: Record<string, unknown>) => parseAuditLines(decision(fields))[0]!.risk;
    assert.equal(
      risk({ category: 'Read', risk: 'low', class_source: 'catalog-argument', class_argument: 'method=search_read' }),
      'Read / low (method=search_read)',
    );
    assert.equal(risk({ category: 'Destructive', risk: 'critical', class_source: 'name-match' }), 'Destructive / critical (by name)');
    assert.equal(risk({ category: 'Read', risk: 'low', class_source: 'catalog' }), 'Read / low');
  });

  it('non-string fields become empty strings', () => {
    const [r] = parseAuditLines(JSON.stringify({ event: 'decision', tool: 7, server: null, decision: ['x'], category: 'Write', risk: 3 }));
    assert.deepEqual(r, {
      time: '',
      server: '',
      tool: '',
      decision: '',
      rule: '',
      reason: '',
      outcome: '',
      risk: 'Write / ',
      argsSha256: '',
    });
  });
});

describe('extension audit-table: auditMarkdown', () => {
  const HEADER = '| time | server | tool | risk | decision | rule | reason | outcome |';

  it('renders a titled table with a count and the source', () => {
    assert.equal(
      auditMarkdown([row()], undefined, '/s/audit.jsonl'),
      [
        '# MCP Guard: recent decisions',
        '',
        '1 decision, newest first, from `/s/audit.jsonl`.',
        '',
        HEADER,
        '|---|---|---|---|---|---|---|---|',
        '| 2025-03-04 13:45:07Z | Odoo | `search_records` | Read / low | **allowed** | risk.low | reads | ok |',
        '',
      ].join('\n'),
    );
  });

  it('plural count and row order kept as given', () => {
    const md = auditMarkdown([row({ tool: 'b' }), row({ tool: 'a' })], undefined, 'x');
    assert.match(md, /^2 decisions, newest first, from `x`\.$/m);
    assert.ok(md.indexOf('`b`') < md.indexOf('`a`'));
  });

  it('a time without fractional seconds is kept, T replaced', () => {
    assert.match(auditMarkdown([row({ time: '2025-03-04T13:45:07Z' })], undefined, 'x'), /^\| 2025-03-04 13:45:07Z \|/m);
  });

  it('filter keeps decisions starting with it and names it in the title', () => {
    const rows = [
      row({ tool: 'a', decision: 'denied' }),
      row({ tool: 'b', decision: 'allowed' }),
      row({ tool: 'c', decision: 'monitored (would be denied)' }),
      row({ tool: 'd', decision: 'denied' }),
    ];
    const denied = auditMarkdown(rows, 'denied', 'x');
    assert.match(denied, /^# MCP Guard: recent decisions \(denied\)$/m);
    assert.match(denied, /^2 decisions, newest first/m);
    assert.deepEqual(
      [...denied.matchAll(/\| `(\w)` \|/g)].map((m) => m[1]),
      ['a', 'd'],
    );
    const monitored = auditMarkdown(rows, 'monitored', 'x');
    assert.deepEqual(
      [...monitored.matchAll(/\| `(\w)` \|/g)].map((m) => m[1]),
      ['c'],
    );
    assert.match(monitored, /\*\*monitored \(would be denied\)\*\*/);
  });

  it('an empty filter shows everything with the plain title', () => {
    const md = auditMarkdown([row(), row()], '', 'x');
    assert.match(md, /^# MCP Guard: recent decisions$/m);
    assert.match(md, /^2 decisions/m);
  });

  it('no rows (or none matching) gives the empty message and no table', () => {
    for (const md of [auditMarkdown([], undefined, '/s/a.jsonl'), auditMarkdown([row({ decision: 'allowed' })], 'denied', '/s/a.jsonl')]) {
      assert.match(md, /^0 decisions, newest first, from `\/s\/a\.jsonl`\.$/m);
      assert.match(md, /^_No decisions recorded yet\._$/m);
      assert.doesNotMatch(md, /\| time \|/);
      assert.ok(md.endsWith('_No decisions recorded yet._\n'));
    }
  });

  it('escapes pipes and flattens whitespace so a row stays one table row', () => {
    const md = auditMarkdown(
      [row({ server: 'a|b', tool: 'x|y', rule: 'tools.x|y', reason: 'line1\nline2 | more\t\ttabs' })],
      undefined,
      'x',
    );
    const line = md.split('\n').find((l) => l.startsWith('| 2025'))!;
    assert.equal(
      line,
      '| 2025-03-04 13:45:07Z | a\\|b | `x\\|y` | Read / low | **allowed** | tools.x\\|y | line1 line2 \\| more tabs | ok |',
    );
    // 8 columns: 9 unescaped pipes
    assert.equal(line.replace(/\\\|/g, '').split('|').length - 1, 9);
  });

  it('cuts long cells to 120 characters ending in an ellipsis', () => {
    const long = 'r'.repeat(300);
    const md = auditMarkdown([row({ reason: long })], undefined, 'x');
    const cellText = md
      .split('\n')
      .find((l) => l.startsWith('| 2025'))!
      .split(' | ')[6]!;
    assert.equal(cellText.length, 120);
    assert.equal(cellText, `${'r'.repeat(119)}…`);
  });

  it('a cell of exactly 120 characters is not cut', () => {
    const exact = 'e'.repeat(120);
    assert.ok(auditMarkdown([row({ reason: exact })], undefined, 'x').includes(`| ${exact} |`));
  });
});
