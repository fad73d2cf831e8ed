/**
 * In-process cost of `--scan-results redact` (src/guard/proxy/result-scan.ts) per KB of result
 * text: the server's answer is already parsed (the guard parses every line to route it), so the
 * figure is the scan alone, plus the rebuild when it finds something. Results as the Odoo server
 * writes them: the payload twice, as a JSON text in `content` and as `structuredContent`.
 */
import { scanAnswer, type ResultScanConfig } from '../../src/guard/proxy/result-scan';
import { ownSecretsFromEnv } from '../../src/guard/result-secrets';
import type { JsonRpcMessage } from '../../src/guard/proxy/jsonrpc';
import { met, table, us } from './report';
import { median } from './stats';

export interface ResultScanCase {
  readonly name: string;
  readonly bytes: number;
  /** Secrets the scan found (and redacted). */
  readonly secrets: number;
  /** Nanoseconds per answer. */
  readonly ns: number;
  /** Nanoseconds per JSON.parse of the same line, which the guard does to every line anyway: the yardstick. */
  readonly parseNs: number;
  /** Microseconds per KB (1,024 bytes) of the answer's line. */
  readonly usPerKb: number;
}

/** The target: scanning adds at most this per KB of result text. */
export const RESULT_SCAN_TARGET_US_PER_KB = 20;

const CONFIG: ResultScanConfig = { mode: 'redact', own: ownSecretsFromEnv({ ODOO_PASSWORD: 'bench-Odoo-password-1' }) };
// Made up, in pieces (see test/support/sample-secrets.ts).
const AWS = ['AKIA', 'IOSFODNN7', 'EXAMPLE'].join('');

function partner(i: number, note: string): Record<string, unknown> {
  return {
    id: i,
    name: `Partner ${i} Interiors`,
    email: `partner${i}@example.com`,
    phone: `+1 555-01${String(i % 100).padStart(2, '0')}`,
    ref: `AZ${i}`,
    is_company: i % 3 === 0,
    parent_id: i % 3 === 0 ? false : [i - (i % 3), `Partner ${i - (i % 3)} Interiors`],
    city: 'Fremont',
    country_code: 'US',
    customer_rank: i % 7,
    comment: note,
    write_date: '2025-06-01 10:00:00',
  };
}

const NOTE = 'Prefers delivery on Tuesdays.\nInvoice address differs from delivery address.\nContact: purchasing department.';

/** A tools/call answer as odoo-mcp writes it: text content and structuredContent. */
function toolAnswer(records: Record<string, unknown>[]): JsonRpcMessage {
  const payload = { success: true, count: records.length, result: records };
  return {
    jsonrpc: '2.0',
    id: 7,
    result: { content: [{ type: 'text', text: JSON.stringify(payload) }], structuredContent: payload, isError: false },
  };
}

function records(n: number, note: (i: number) => string = () => NOTE): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => partner(i + 1, note(i)));
}

function cases(): [string, JsonRpcMessage][] {
  const attachment = Buffer.from('%PDF-1.7 '.repeat(7000)).toString('base64');
  return [
    ['read_record, one partner, no secret', toolAnswer(records(1))],
    ['search_records, 40 partners, no secret', toolAnswer(records(40))],
    ['search_records, 300 partners, no secret', toolAnswer(records(300))],
    ['search_records, 300 partners, one AWS key', toolAnswer(records(300, (i) => (i === 150 ? `${NOTE}\nkey ${AWS}` : NOTE)))],
    [
      'read_attachment, 64 KB of base64 data, no secret',
      toolAnswer([{ id: 1, name: 'invoice.pdf', mimetype: 'application/pdf', datas: attachment.slice(0, 64 * 1024) }]),
    ],
    [
      'resources/read, a 64 KB text, no secret',
      {
        jsonrpc: '2.0',
        id: 8,
        result: { contents: [{ uri: 'odoo://record/x/1', mimeType: 'text/plain', text: `${NOTE}\n`.repeat(600) }] },
      },
    ],
  ];
}

let sink = 0;

/** Median over 7 rounds of nanoseconds per call. */
function time(iterations: number, fn: () => void): number {
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    rounds.push(Number(process.hrtime.bigint() - t0) / iterations);
  }
  return median(rounds);
}

export function runResultScanBench(): ResultScanCase[] {
  return cases().map(([name, msg]) => {
    const line = JSON.stringify(msg);
    const bytes = Buffer.byteLength(line);
    const first = scanAnswer(CONFIG, msg, line);
    const secrets = first.kind === 'pass' ? (first.secrets?.count ?? 0) : -1;
    // About 20 MB of answers per round, 7 rounds, the median taken.
    const iterations = Math.max(20, Math.round((20 * 1024 * 1024) / bytes));
    const ns = time(iterations, () => {
      const a = scanAnswer(CONFIG, msg, line);
      sink += a.kind === 'pass' ? a.line.length : 0;
    });
    const parseNs = time(iterations, () => {
      sink += (JSON.parse(line) as { id: number }).id;
    });
    return { name, bytes, secrets, ns, parseNs, usPerKb: ns / 1000 / (bytes / 1024) };
  });
}

export function resultScanSink(): number {
  return sink;
}

/** The figures as a table, for both benches. */
export function resultScanTable(cases: readonly ResultScanCase[] = runResultScanBench()): string {
  return table(
    ['answer', 'bytes', 'secrets', 'scan', 'µs per KB', `<= ${RESULT_SCAN_TARGET_US_PER_KB} µs/KB`, 'JSON.parse (yardstick)'],
    cases.map((c) => [
      c.name,
      String(c.bytes),
      String(c.secrets),
      us(c.ns),
      c.usPerKb.toFixed(2),
      met(c.usPerKb <= RESULT_SCAN_TARGET_US_PER_KB),
      us(c.parseNs),
    ]),
  );
}
