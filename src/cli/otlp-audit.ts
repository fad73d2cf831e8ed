/**
 * The OpenTelemetry export of the audit log (`--otlp-endpoint`), the entry of dist/mcp-guard-otlp.js: loaded by the
 * guard only when an endpoint is set, so a guard without one neither loads nor pays for the SDK.
 *
 * Every audit event becomes a log record (attributes.ts) emitted through the SDK's LoggerProvider into a
 * BatchLogRecordProcessor and its OTLP/HTTP exporter. Best effort, never on the call path: `write` only queues
 * the event (records are made on the next turn of the event loop), at most MAX_QUEUE records wait or are in an
 * export at once, and what cannot be delivered (queue full, export failed, not sent before exit) is counted and
 * reported through `onDropped`. Nothing here can block a call or change a decision: an unreachable collector is
 * not an unwritable audit file.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type LogRecordProcessor,
  type ReadableLogRecord,
  type ReadWriteLogRecord,
} from '@opentelemetry/sdk-logs';
import type { AnyValueMap, Logger } from '@opentelemetry/api-logs';
import type { AuditEvent } from '../guard/audit-events';
import { auditRecord, type OtlpRecordContext } from '../guard/otlp/attributes';

/** Records waiting for, or in, an export at once; beyond it new records are dropped (and counted). */
export const MAX_QUEUE = 2048;
export const MAX_BATCH = 512;
export const BATCH_DELAY_MS = 1000;
/**
 * One export's time limit, retries included, unless OTEL_EXPORTER_OTLP_(LOGS_)TIMEOUT sets another (the SDK's
 * default is 10 s): a dead collector is known, and reported, within seconds.
 */
export const EXPORT_TIMEOUT_MS = 5000;
/** How often drops are reported after the first report. */
export const REPORT_EVERY_MS = 60_000;
/** ExportResultCode.SUCCESS. */
const SUCCESS = 0;

export interface DropReport {
  /** Records dropped since the last report. */
  readonly dropped: number;
  /** Since start. */
  readonly total: number;
  /** Why, e.g. `collector unreachable: connect ECONNREFUSED 127.0.0.1:4318`. */
  readonly cause: string;
}

export interface OtlpAuditOptions {
  /** The full logs URL (…/v1/logs). */
  readonly url: string;
  readonly serviceVersion: string;
  readonly transport: OtlpRecordContext['transport'];
  readonly onDropped: (report: DropReport) => void;
  /** Tests: another exporter than OTLP/HTTP, other bounds and delays. */
  readonly exporter?: LogRecordExporter;
  readonly maxQueue?: number;
  readonly batchDelayMs?: number;
  readonly reportEveryMs?: number;
}

export interface OtlpAuditStats {
  /** Records the collector accepted. */
  readonly sent: number;
  readonly dropped: number;
  /** Waiting, or in an export. */
  readonly pending: number;
}

export interface OtlpAudit {
  /** Queues one audit event (written at `timeMs`); returns at once. */
  write(event: AuditEvent, timeMs: number): void;
  readonly stats: OtlpAuditStats;
  readonly instanceId: string;
  /** Sends what is queued, waiting at most `timeoutMs`; what is still unsent then is counted as dropped and reported. */
  shutdown(timeoutMs: number): Promise<OtlpAuditStats>;
  /** At process exit, without waiting: what is unsent is counted as dropped and reported. */
  abandon(): void;
}

function describeError(error: unknown): string {
  const e = error as { message?: string; code?: unknown } | undefined;
  const message = e?.message ?? String(error);
  // An OTLPExporterError carries the HTTP status the collector answered.
  if (typeof e?.code === 'number') return `the collector answered HTTP ${e.code}${message ? ` ${message}` : ''}`;
  return `collector unreachable: ${message || 'export failed'}`;
}

/** Counts what the exporter delivered and what it could not, and lets the bounded processor know what is settled. */
class CountingExporter implements LogRecordExporter {
  sent = 0;
  failed = 0;
  lastError: string | undefined;
  /** Set once the drops are final: what settles later is not counted twice. */
  frozen = false;

  constructor(
    private readonly inner: LogRecordExporter,
    private readonly settled: (n: number, ok: boolean) => void,
  ) {}

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    let done = false;
    const finish = (result: ExportResult) => {
      if (done) return;
      done = true;
      if (this.frozen) return resultCallback(result);
      if (result.code === SUCCESS) this.sent += logs.length;
      else {
        this.failed += logs.length;
        this.lastError = describeError(result.error);
      }
      this.settled(logs.length, result.code === SUCCESS);
      resultCallback(result);
    };
    try {
      this.inner.export(logs, finish);
    } catch (e) {
      finish({ code: 1, error: e as Error });
    }
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** Lets at most `max` records wait or be exported at once, counting those it turns away. */
class BoundedProcessor implements LogRecordProcessor {
  pending = 0;
  queueFull = 0;

  constructor(
    private readonly inner: LogRecordProcessor,
    private readonly max: number,
  ) {}

  onEmit(logRecord: ReadWriteLogRecord, context?: Context): void {
    if (this.pending >= this.max) {
      this.queueFull++;
      return;
    }
    this.pending++;
    this.inner.onEmit(logRecord, context);
  }

  settled(n: number): void {
    this.pending = Math.max(0, this.pending - n);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

export function startOtlpAudit(options: OtlpAuditOptions): OtlpAudit {
  const maxQueue = options.maxQueue ?? MAX_QUEUE;
  const instanceId = randomUUID();
  const ctx: OtlpRecordContext = { instanceId, transport: options.transport };
  const exporter = new CountingExporter(
    options.exporter ??
      // Content-Type application/json: the OTLP/HTTP JSON encoding. URL as given; headers, timeout, compression
      // and certificates from the OTEL_EXPORTER_OTLP_* variables, as the SDK reads them.
      new OTLPLogExporter({
        url: options.url,
        ...(process.env['OTEL_EXPORTER_OTLP_LOGS_TIMEOUT'] || process.env['OTEL_EXPORTER_OTLP_TIMEOUT']
          ? {}
          : { timeoutMillis: EXPORT_TIMEOUT_MS }),
      }),
    (n, ok) => onSettled(n, ok),
  );
  const bounded: BoundedProcessor = new BoundedProcessor(
    new BatchLogRecordProcessor({
      exporter,
      maxQueueSize: maxQueue,
      maxExportBatchSize: Math.min(MAX_BATCH, maxQueue),
      scheduledDelayMillis: options.batchDelayMs ?? BATCH_DELAY_MS,
    }),
    maxQueue,
  );
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({
      'service.name': 'mcp-guard',
      'service.version': options.serviceVersion,
      'service.instance.id': instanceId,
    }),
    processors: [bounded],
  });
  const logger: Logger = provider.getLogger('mcp-guard', options.serviceVersion);

  // Events wait here for the next turn of the event loop: the call that wrote one is answered first.
  let queued: { event: AuditEvent; timeMs: number }[] = [];
  let scheduled = false;
  let preQueueDropped = 0;
  let lost = 0;
  let reported = 0;
  let lastReportAt = 0;
  let reportTimer: NodeJS.Timeout | undefined;
  let ended = false;

  const dropped = () => exporter.failed + bounded.queueFull + preQueueDropped + lost;
  const cause = () => {
    if (exporter.lastError !== undefined) return exporter.lastError;
    if (lost > 0 && bounded.queueFull + preQueueDropped === 0) return 'not sent before exit: the collector had not answered';
    return `queue full: ${maxQueue} records waiting for the collector`;
  };

  const report = () => {
    const total = dropped();
    if (total <= reported) return;
    const report = { dropped: total - reported, total, cause: cause() };
    reported = total;
    lastReportAt = Date.now();
    options.onDropped(report);
  };
  /** The first drop is reported at once (off the call path), later ones at most every reportEveryMs. */
  const maybeReport = () => {
    if (ended || reportTimer !== undefined || dropped() <= reported) return;
    const wait = Math.max(0, lastReportAt === 0 ? 0 : lastReportAt + (options.reportEveryMs ?? REPORT_EVERY_MS) - Date.now());
    reportTimer = setTimeout(() => {
      reportTimer = undefined;
      report();
    }, wait);
    reportTimer.unref();
  };

  const emitQueued = () => {
    scheduled = false;
    const batch = queued;
    queued = [];
    for (const { event, timeMs } of batch) {
      const r = auditRecord(event, ctx);
      logger.emit({
        eventName: r.eventName,
        timestamp: timeMs,
        severityNumber: r.severityNumber,
        severityText: r.severityText,
        body: r.body,
        attributes: r.attributes as AnyValueMap,
      });
    }
    maybeReport();
  };

  // Export failures are learnt of asynchronously: look for new drops whenever an export fails.
  const onSettled = (n: number, ok: boolean) => {
    bounded.settled(n);
    if (!ok) maybeReport();
  };

  const stats = (): OtlpAuditStats => ({ sent: exporter.sent, dropped: dropped(), pending: bounded.pending + queued.length });

  return {
    instanceId,
    get stats() {
      return stats();
    },
    write(event, timeMs) {
      if (ended) return;
      if (queued.length >= maxQueue) {
        preQueueDropped++;
        return;
      }
      queued.push({ event, timeMs });
      if (!scheduled) {
        scheduled = true;
        setImmediate(emitQueued);
      }
    },
    async shutdown(timeoutMs) {
      if (ended) return stats();
      emitQueued();
      ended = true;
      if (reportTimer !== undefined) clearTimeout(reportTimer);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        provider.shutdown().catch(() => {}),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      exporter.frozen = true;
      lost += bounded.pending;
      bounded.pending = 0;
      report();
      return stats();
    },
    abandon() {
      if (reportTimer !== undefined) clearTimeout(reportTimer);
      if (!ended || !exporter.frozen) {
        ended = true;
        exporter.frozen = true;
        lost += bounded.pending + queued.length;
        bounded.pending = 0;
        queued = [];
      }
      report();
    },
  };
}
