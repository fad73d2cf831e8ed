/** The Odoo connection flow: which settings and secret a guarded Odoo server needs, asking only for what is missing. */
import type { OdooSettings } from './settings';

export const ODOO_SECRET_KEY = 'mcpGuard.odoo.password';

/** What the credential flow needs from VS Code, injected so it can be tested without it. */
export interface CredentialIO {
  readSettings(): OdooSettings;
  saveSetting(key: keyof OdooSettings, value: string): Promise<void>;
  getSecret(): Promise<string | undefined>;
  storeSecret(value: string): Promise<void>;
  /** An input box; `undefined` when the user cancels. */
  ask(prompt: { title: string; prompt: string; placeHolder?: string; password: boolean; value?: string }): Promise<string | undefined>;
}

export type CredentialResult =
  { readonly ok: true; readonly env: Record<string, string> } | { readonly ok: false; readonly reason: string };

const FIELDS: readonly { key: keyof OdooSettings; env: string; title: string; prompt: string; placeHolder: string }[] = [
  { key: 'url', env: 'ODOO_URL', title: 'Odoo URL', prompt: 'The address of your Odoo server', placeHolder: 'https://mycompany.odoo.com' },
  { key: 'db', env: 'ODOO_DB', title: 'Odoo database', prompt: 'The Odoo database name', placeHolder: 'mycompany' },
  {
    key: 'username',
    env: 'ODOO_USERNAME',
    title: 'Odoo user',
    prompt: 'The Odoo login the agent acts as',
    placeHolder: 'bot@mycompany.com',
  },
];

/**
 * Collects the Odoo connection for a server start: settings for URL, database and user, the
 * secret store for the password or API key. Asks only for what is missing (and not already
 * in the server's own env); a cancel anywhere stops the start.
 */
export async function resolveOdooCredentials(io: CredentialIO, serverEnv: Readonly<Record<string, string>>): Promise<CredentialResult> {
  const env: Record<string, string> = {};
  const settings = io.readSettings();
  for (const field of FIELDS) {
    if (serverEnv[field.env]) continue;
    let value = settings[field.key].trim();
    if (!value) {
      const answer = await io.ask({ title: field.title, prompt: field.prompt, placeHolder: field.placeHolder, password: false });
      if (answer === undefined || answer.trim() === '') return { ok: false, reason: `${field.title} is needed to start the Odoo server` };
      value = answer.trim();
      await io.saveSetting(field.key, value);
    }
    env[field.env] = value;
  }
  if (!serverEnv['ODOO_PASSWORD'] && !serverEnv['ODOO_API_KEY']) {
    let secret = await io.getSecret();
    if (!secret) {
      secret = await io.ask({
        title: 'Odoo password or API key',
        prompt: 'Stored in VS Code secret storage, never in settings or logs',
        password: true,
      });
      if (secret === undefined || secret === '')
        return { ok: false, reason: 'The Odoo password or API key is needed to start the Odoo server' };
      await io.storeSecret(secret);
    }
    env['ODOO_PASSWORD'] = secret;
  }
  return { ok: true, env };
}
