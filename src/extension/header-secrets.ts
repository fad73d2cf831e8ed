/**
 * `${secret:NAME}` in a remote server's headers: the value lives in VS Code's secret storage, asked for once
 * when the server first starts, and reaches the guard as an environment variable that only the guard reads
 * (`--upstream-header "Authorization: Bearer ${MCP_GUARD_SECRET_…}"`), never in settings, argv or logs.
 * Plain data and injected I/O, so tests need no VS Code.
 */
import type { GuardedServerConfig } from './settings';

/** A reference as written in `headers`; NAME as VS Code's input ids are spelled. */
export const SECRET_REFERENCE = /\$\{secret:([A-Za-z0-9_.-]+)\}/g;

/** Which header secrets are stored (global state), for "Clear Stored Header Secrets". */
export const STORED_HEADER_SECRETS = 'mcpGuard.storedHeaderSecrets';

/** Where the value is kept in secret storage. */
export function secretKey(name: string): string {
  return `mcpGuard.header.${name}`;
}

/** The guard's environment variable for it: hex, so every NAME gives a distinct, valid variable name. */
export function secretEnvName(name: string): string {
  return `MCP_GUARD_SECRET_${Buffer.from(name, 'utf8').toString('hex').toUpperCase()}`;
}

/** The header value as the guard reads it: each `${secret:NAME}` as the guard's `${VARIABLE}`. */
export function headerForGuard(value: string): string {
  return value.replace(SECRET_REFERENCE, (_m, name: string) => `\${${secretEnvName(name)}}`);
}

/** The secrets a server's headers refer to, each once, in order. */
export function headerSecretNames(server: GuardedServerConfig): string[] {
  const names = Object.values(server.headers ?? {}).flatMap((v) => [...v.matchAll(SECRET_REFERENCE)].map((m) => m[1]!));
  return [...new Set(names)];
}

/** What resolving needs of VS Code. */
export interface HeaderSecretIO {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  /** A password input box; `undefined` when the person cancels. */
  ask(prompt: { title: string; prompt: string }): PromiseLike<string | undefined>;
  /** Remembers that NAME is stored, so "Clear Stored Header Secrets" can find it. */
  remember(name: string): PromiseLike<void>;
}

export type HeaderSecretsResult =
  { readonly ok: true; readonly env: Record<string, string> } | { readonly ok: false; readonly reason: string };

/** The guard's environment for a server's header secrets, asking for each one not stored yet; a cancel stops the start. */
export async function resolveHeaderSecrets(io: HeaderSecretIO, server: GuardedServerConfig): Promise<HeaderSecretsResult> {
  const env: Record<string, string> = {};
  for (const name of headerSecretNames(server)) {
    let value = await io.get(secretKey(name));
    if (!value) {
      value = await io.ask({
        title: `${name} for ${server.name}`,
        prompt: `The value of \${secret:${name}} in the headers of ${server.name}: stored in VS Code secret storage, never in settings or logs`,
      });
      if (value === undefined || value === '') return { ok: false, reason: `${name} is needed to start ${server.name}` };
      if (/[\r\n\0]/.test(value)) return { ok: false, reason: `${name} must not hold a line break` };
      await io.store(secretKey(name), value);
      await io.remember(name);
    }
    env[secretEnvName(name)] = value;
  }
  return { ok: true, env };
}
