/**
 * A local OTLP/HTTP logs receiver (node:http on 127.0.0.1, a free port) that decodes what the guard's exporter
 * really sends: the OTLP/HTTP JSON encoding (`application/json`, the encoding of @opentelemetry/exporter-logs-otlp-http),
 * gzip-compressed or not. Anything else (protobuf, say) is answered 415 and kept in `refused`, so a test sees it.
 * `mode` says how it answers: `ok`, `hang` (reads the request, never answers), or an HTTP status.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type Decoded = string | number | boolean | null | Uint8Array | Decoded[] | { [key: string]: Decoded };

export interface ReceivedRecord {
  readonly resource: Record<string, Decoded>;
  readonly scope: { name: string; version?: string };
  readonly eventName: string | undefined;
  readonly severityText: string | undefined;
  readonly severityNumber: number | undefined;
  readonly body: Decoded | undefined;
  readonly attributes: Record<string, Decoded>;
  readonly timeUnixNano: string | undefined;
}

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly records: number;
}

interface AnyValueJson {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: AnyValueJson[] };
  kvlistValue?: { values?: KeyValueJson[] };
}
interface KeyValueJson {
  key: string;
  value?: AnyValueJson;
}

/** One OTLP JSON AnyValue as a plain value (ints as numbers, maps as objects). */
export function decodeAnyValue(v: AnyValueJson | undefined): Decoded {
  if (v === undefined || v === null) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.bytesValue !== undefined) return Buffer.from(v.bytesValue, 'base64');
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(decodeAnyValue);
  if (v.kvlistValue !== undefined) return decodeAttributes(v.kvlistValue.values);
  return null;
}

export function decodeAttributes(kvs: KeyValueJson[] | undefined): Record<string, Decoded> {
  const out: Record<string, Decoded> = {};
  for (const kv of kvs ?? []) out[kv.key] = decodeAnyValue(kv.value);
  return out;
}

/** The log records of one ExportLogsServiceRequest in its JSON encoding. */
export function decodeLogsRequest(body: unknown): ReceivedRecord[] {
  const out: ReceivedRecord[] = [];
  for (const rl of (body as { resourceLogs?: any[] }).resourceLogs ?? []) {
    const resource = decodeAttributes(rl.resource?.attributes);
    for (const sl of rl.scopeLogs ?? []) {
      const scope = { name: sl.scope?.name as string, ...(sl.scope?.version ? { version: sl.scope.version as string } : {}) };
      for (const lr of sl.logRecords ?? []) {
        out.push({
          resource,
          scope,
          eventName: lr.eventName,
          severityText: lr.severityText,
          severityNumber: lr.severityNumber,
          body: lr.body === undefined ? undefined : decodeAnyValue(lr.body),
          attributes: decodeAttributes(lr.attributes),
          timeUnixNano: lr.timeUnixNano === undefined ? undefined : String(lr.timeUnixNano),
        });
      }
    }
  }
  return out;
}

export class OtlpReceiver {
  readonly records: ReceivedRecord[] = [];
  readonly requests: ReceivedRequest[] = [];
  /** Requests it could not decode: content type and why. */
  readonly refused: { contentType: string | undefined; why: string }[] = [];
  /** Requests that arrived while hanging (never answered). */
  hung = 0;
  mode: 'ok' | 'hang' | number = 'ok';
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly held: ServerResponse[] = [];
  port = 0;

  constructor(mode: OtlpReceiver['mode'] = 'ok') {
    this.mode = mode;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.mode === 'hang') {
          this.hung++;
          this.held.push(res);
          return;
        }
        if (typeof this.mode === 'number') {
          res.writeHead(this.mode, { 'Content-Type': 'application/json' }).end('{}');
          return;
        }
        const contentType = req.headers['content-type'];
        let raw = Buffer.concat(chunks);
        try {
          if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
          if (contentType !== 'application/json') throw new Error(`not the OTLP JSON encoding`);
          const records = decodeLogsRequest(JSON.parse(raw.toString('utf8')));
          this.records.push(...records);
          this.requests.push({ path: req.url ?? '', headers: req.headers, records: records.length });
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
        } catch (e) {
          this.refused.push({ contentType, why: (e as Error).message });
          res.writeHead(415).end();
        }
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** The base URL, as --otlp-endpoint takes it. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  decisions(): ReceivedRecord[] {
    return this.records.filter((r) => r.eventName === 'decision');
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A loopback port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
