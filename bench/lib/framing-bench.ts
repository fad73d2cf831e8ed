/**
 * In-process cost of what the guard does to a client message before it goes upstream: parse it,
 * then (since issue 10) rebuild it from its JSON-RPC fields and frame it with `wireLine`, where it
 * used to forward the client's own bytes after a scan for duplicate `"method"` keys and `\u`
 * escapes. tools/call was rebuilt before too; the other messages pay the difference.
 */
import { requestMessage, notificationMessage, responseMessage, wireLine } from '../../src/guard/proxy/wire';
import { median } from './stats';

export interface FramingCase {
  readonly name: string;
  /** Nanoseconds per message: JSON.parse + the old byte-for-byte check. */
  readonly passthroughNs: number;
  /** Nanoseconds per message: JSON.parse + rebuild + wireLine. */
  readonly rebuiltNs: number;
  readonly bytes: number;
}

const LINES: [string, string][] = [
  ['ping', '{"jsonrpc":"2.0","id":17,"method":"ping"}'],
  [
    'notifications/progress',
    '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t-1","progress":3,"total":10,"message":"step 3 of 10"}}',
  ],
  ['resources/list', '{"jsonrpc":"2.0","id":18,"method":"resources/list","params":{}}'],
  ['tools/call health_check', '{"jsonrpc":"2.0","id":19,"method":"tools/call","params":{"name":"health_check","arguments":{}}}'],
  [
    'tools/call search_records',
    '{"jsonrpc":"2.0","id":20,"method":"tools/call","params":{"name":"search_records","arguments":{"model":"res.partner","domain":[["is_company","=",true],["name","ilike","acme"]],"fields":["name","email","phone"],"limit":20},"_meta":{"progressToken":20}}}',
  ],
  [
    'elicitation answer, 4 KB',
    JSON.stringify({ jsonrpc: '2.0', id: 'e1', result: { action: 'accept', content: { note: 'x'.repeat(4000), confirm: true } } }),
  ],
];

/** The pre-issue-10 check: forward the bytes unless "method" appears twice or a \u escape could spell a key. */
function oldPassthrough(line: string): string {
  const first = line.indexOf('"method"');
  if (line.indexOf('\\u') === -1 && (first === -1 || line.indexOf('"method"', first + 8) === -1)) return line;
  return JSON.stringify(JSON.parse(line));
}

function rebuild(msg: Record<string, unknown>): string {
  const method = msg['method'];
  if (typeof method === 'string') {
    return 'id' in msg
      ? wireLine(requestMessage(msg['id'] as number, method, msg['params']))
      : wireLine(notificationMessage(method, msg['params']));
  }
  return wireLine(responseMessage(msg['id'] as string, msg));
}

function time(iterations: number, fn: () => void): number {
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    rounds.push(Number(process.hrtime.bigint() - t0) / iterations);
  }
  return median(rounds);
}

let sink = 0;

export function runFramingBench(iterations = 200_000): FramingCase[] {
  return LINES.map(([name, line]) => {
    const n = line.length > 1000 ? Math.max(1000, iterations / 20) : iterations;
    const isCall = line.includes('"tools/call"');
    const passthroughNs = time(n, () => {
      const msg = JSON.parse(line) as Record<string, unknown>;
      // tools/call was rebuilt before as well (JSON.stringify of the parsed message).
      sink += (isCall ? JSON.stringify(msg) : oldPassthrough(line)).length;
    });
    const rebuiltNs = time(n, () => {
      sink += rebuild(JSON.parse(line) as Record<string, unknown>).length;
    });
    return { name, passthroughNs, rebuiltNs, bytes: Buffer.byteLength(line) };
  });
}

export function framingSink(): number {
  return sink;
}
