/** The credential flows' I/O over VS Code (Odoo's, and remote servers' header secrets): user settings, secret storage and input boxes. */
import * as vscode from 'vscode';
import { SECTION } from './config-reader';
import { ODOO_SECRET_KEY, type CredentialIO } from './credentials';
import { STORED_HEADER_SECRETS, type HeaderSecretIO } from './header-secrets';
import type { OdooSettings } from './settings';

export function headerSecretIO(context: vscode.ExtensionContext): HeaderSecretIO {
  return {
    get: (key) => context.secrets.get(key),
    store: (key, value) => context.secrets.store(key, value),
    ask: (p) => vscode.window.showInputBox({ title: `MCP Guard: ${p.title}`, prompt: p.prompt, password: true, ignoreFocusOut: true }),
    remember: async (name) => {
      const stored = context.globalState.get<string[]>(STORED_HEADER_SECRETS) ?? [];
      if (!stored.includes(name)) await context.globalState.update(STORED_HEADER_SECRETS, [...stored, name]);
    },
  };
}

export function credentialIO(context: vscode.ExtensionContext): CredentialIO {
  const config = () => vscode.workspace.getConfiguration(SECTION);
  return {
    readSettings: (): OdooSettings => ({
      url: config().get<string>('odoo.url', ''),
      db: config().get<string>('odoo.db', ''),
      username: config().get<string>('odoo.username', ''),
    }),
    saveSetting: async (key, value) => {
      await config().update(`odoo.${key}`, value, vscode.ConfigurationTarget.Global);
    },
    getSecret: async () => context.secrets.get(ODOO_SECRET_KEY),
    storeSecret: async (value) => context.secrets.store(ODOO_SECRET_KEY, value),
    ask: async (p) =>
      vscode.window.showInputBox({
        title: `MCP Guard: ${p.title}`,
        prompt: p.prompt,
        ...(p.placeHolder ? { placeHolder: p.placeHolder } : {}),
        ...(p.value ? { value: p.value } : {}),
        password: p.password,
        ignoreFocusOut: true,
      }),
  };
}
