/**
 * Who may talk to `mcp-guard serve` at all, decided before any byte of a request is read: the bearer
 * token (when there is one), the browser Origin (DNS rebinding) and, on loopback, the Host header.
 * Pure functions over header values, so they are tested without a socket.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and `localhost`: addresses no other machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^(0*:)*:?0*1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}

/** The token as compared: a digest, so both sides have the same length whatever the caller sent. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export interface AccessRules {
  /** The token from --token-file; undefined: no token is asked for (loopback only). */
  readonly token?: string;
  /** Origins from --allow-origin, as `scheme://host[:port]`. */
  readonly allowOrigins: readonly string[];
  /** Listening on loopback: the Host header must name loopback too (a rebinding page's Host names the attacker's domain). */
  readonly loopback: boolean;
}

export interface Refusal {
  readonly status: 401 | 403;
  readonly message: string;
}

export interface RequestHeaders {
  readonly authorization?: string | undefined;
  readonly origin?: string | undefined;
  readonly host?: string | undefined;
}

/** The hostname of a Host header (`[::1]:8080` → `[::1]`, `localhost:80` → `localhost`). */
function hostName(host: string): string {
  const bracket = /^(\[[^\]]*\])(?::\d*)?$/.exec(host);
  if (bracket) return bracket[1]!;
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/**
 * Checks one request's headers; undefined lets it in. Origin and Host come first (403): a browser page
 * of another site must be refused even when it somehow carries the token. Then the token (401),
 * compared in constant time on equal-length digests so the comparison leaks neither content nor length.
 */
export class AccessCheck {
  private readonly tokenDigest: Buffer | undefined;
  private readonly origins: ReadonlySet<string>;
  /** The last Host header found to name this machine: a client sends the same one on every request. */
  private loopbackHostSeen: string | undefined;

  constructor(private readonly rules: AccessRules) {
    this.tokenDigest = rules.token === undefined ? undefined : digest(rules.token);
    this.origins = new Set(rules.allowOrigins);
  }

  /**
   * `preflight`: a browser's CORS preflight (OPTIONS), which never carries credentials, so it is
   * checked for Origin and Host only; it answers with headers, never with data.
   */
  refusal(headers: RequestHeaders, preflight = false): Refusal | undefined {
    if (headers.origin !== undefined && !this.origins.has(headers.origin))
      return { status: 403, message: `Forbidden: origin ${JSON.stringify(headers.origin)} is not allowed (--allow-origin)` };
    if (this.rules.loopback && (headers.host === undefined || headers.host !== this.loopbackHostSeen)) {
      if (headers.host === undefined || !isLoopbackHost(hostName(headers.host)))
        return { status: 403, message: 'Forbidden: the Host header must name this machine (localhost, 127.0.0.1 or [::1])' };
      this.loopbackHostSeen = headers.host;
    }
    if (this.tokenDigest === undefined || preflight) return undefined;
    const m = /^Bearer +(\S+) *$/i.exec(headers.authorization ?? '');
    // Digest whatever was sent (or nothing) so a missing header takes as long as a wrong one.
    const given = digest(m?.[1] ?? '');
    if (!timingSafeEqual(given, this.tokenDigest) || m === null)
      return { status: 401, message: 'Unauthorized: send "Authorization: Bearer TOKEN" with the token of --token-file' };
    return undefined;
  }
}

/** What a browser page of an allowed origin must see to use the guard (CORS); nothing for requests without Origin. */
export function corsHeaders(origin: string | undefined): Record<string, string> {
  if (origin === undefined) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    Vary: 'Origin',
    'Access-Control-Expose-Headers': 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate',
  };
}

/** The answer headers to an allowed origin's preflight. */
export function preflightHeaders(origin: string): Record<string, string> {
  return {
    ...corsHeaders(origin),
    'Access-Control-Allow-Methods': 'GET, POST, DELETE',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID',
    'Access-Control-Max-Age': '600',
  };
}
