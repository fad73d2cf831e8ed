/** `--state` (and `MCP_GUARD_STATE`, and the extension's `mcpGuard.state`): where `scope: shared` rate limits are counted. */

/** A `--state` value that is neither `memory` nor a Redis URL the guard takes; the message says what to write. */
export class StateOptionError extends Error {}

/** The environment variable read when `--state` is not given. */
export const STATE_ENV = 'MCP_GUARD_STATE';

/**
 * Where `scope: shared` rate limits are counted (`--state`): `memory`, one budget per guard process; or a
 * Redis database, one budget for every guard using it (per server name and rule).
 */
export type StateOption =
  | { readonly kind: 'memory' }
  | { readonly kind: 'redis'; readonly host: string; readonly port: number; readonly db: number; readonly label: string };

/** `memory`, or `redis://HOST[:PORT][/DB]` (port 6379 and database 0 by default); anything else is a usage error. */
export function parseState(text: string, from = '--state'): StateOption {
  const bad = (why: string) =>
    new StateOptionError(
      `${from} must be memory or redis://HOST:PORT[/DB] (e.g. redis://127.0.0.1:6379/0), not ${JSON.stringify(text)}: ${why}`,
    );
  if (text === 'memory') return { kind: 'memory' };
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined) throw bad('not a URL');
  if (url.protocol !== 'redis:') throw bad(`the scheme ${url.protocol.replace(/:$/, '')} is not supported (only redis)`);
  // A password in the URL would be on the command line and in logs.
  if (url.username !== '' || url.password !== '') throw bad('a user name or password in the URL is not supported');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw bad('no host');
  if (url.search !== '' || url.hash !== '') throw bad('no query or fragment is allowed');
  const port = url.port === '' ? 6379 : Number(url.port);
  const path = url.pathname === '/' ? '' : url.pathname;
  if (path !== '' && !/^\/\d{1,5}$/.test(path)) throw bad('the path must be a database number, e.g. /0');
  const db = path === '' ? 0 : Number(path.slice(1));
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { kind: 'redis', host, port, db, label: `redis://${shownHost}:${port}/${db}` };
}
