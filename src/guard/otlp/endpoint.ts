/**
 * Where audit records go over OTLP/HTTP: `--otlp-endpoint`, else the standard OpenTelemetry variables as the
 * JavaScript SDK reads them (`OTEL_EXPORTER_OTLP_LOGS_ENDPOINT` as is, `OTEL_EXPORTER_OTLP_ENDPOINT` with
 * `/v1/logs` appended). Pure, so the guard's own bundle can decide whether to load the SDK at all.
 */

export const LOGS_ENDPOINT_ENV = 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT';
export const BASE_ENDPOINT_ENV = 'OTEL_EXPORTER_OTLP_ENDPOINT';
const LOGS_PATH = 'v1/logs';

export interface OtlpEndpoint {
  /** The URL the log records are POSTed to. */
  readonly url: string;
  /** Where it came from: `--otlp-endpoint` or the variable's name. */
  readonly source: '--otlp-endpoint' | typeof LOGS_ENDPOINT_ENV | typeof BASE_ENDPOINT_ENV;
}

/** Why `text` cannot be an OTLP/HTTP endpoint, or undefined when it can. */
export function otlpEndpointProblem(text: string): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    return 'must be an http:// or https:// URL of an OTLP/HTTP collector, e.g. http://127.0.0.1:4318';
  // It is logged at start: credentials go in OTEL_EXPORTER_OTLP_HEADERS instead.
  if (url.username !== '' || url.password !== '') return 'must not hold a user name or password; send them with OTEL_EXPORTER_OTLP_HEADERS';
  return undefined;
}

/** A base URL with `/v1/logs` appended, as the SDK does for OTEL_EXPORTER_OTLP_ENDPOINT. */
export function appendLogsPath(base: string): string {
  return `${base.endsWith('/') ? base : `${base}/`}${LOGS_PATH}`;
}

/**
 * `--otlp-endpoint URL` is a collector's base URL, like OTEL_EXPORTER_OTLP_ENDPOINT: `/v1/logs` is appended,
 * unless the path already ends with it (a full logs URL is used as is).
 */
export function flagEndpointUrl(text: string): string {
  const url = new URL(text);
  return /\/v1\/logs\/?$/.test(url.pathname) ? url.href : appendLogsPath(url.href);
}

/**
 * The endpoint in force, if any: the flag first, then the logs-specific variable (used as is, a root path
 * added when it has none, as the SDK does), then the base variable (`/v1/logs` appended). Empty
 * variables count as unset. A variable that is not a usable URL is named in `problem` and skipped.
 */
export function resolveOtlpEndpoint(flag: string | undefined, env: NodeJS.ProcessEnv): { endpoint?: OtlpEndpoint; problem?: string } {
  if (flag !== undefined) return { endpoint: { url: flagEndpointUrl(flag), source: '--otlp-endpoint' } };
  const problems: string[] = [];
  for (const name of [LOGS_ENDPOINT_ENV, BASE_ENDPOINT_ENV] as const) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') continue;
    const problem = otlpEndpointProblem(value);
    if (problem !== undefined) {
      problems.push(`${name} ${problem}; it is ignored`);
      continue;
    }
    const url = name === LOGS_ENDPOINT_ENV ? new URL(value).href : appendLogsPath(value);
    return { endpoint: { url, source: name }, ...(problems.length > 0 ? { problem: problems.join('; ') } : {}) };
  }
  return problems.length > 0 ? { problem: problems.join('; ') } : {};
}

/** The endpoint as logs show it: no query or fragment (they may carry a key). */
export function endpointLabel(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}${u.search !== '' ? '?…' : ''}`;
}
