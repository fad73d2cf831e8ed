/** Every MCP Guard command, as `(ctx) => handler`, and the table `activate` registers them from. */
import { existsSync } from 'node:fs';
import { starterPolicyFor } from '../guard/language';
import type { Mode } from '../guard/policy/model';
import { DECISIONS } from './audit-table';
import type { CommandContext, PickItem } from './command-context';
import { ODOO_SECRET_KEY } from './credentials';
import { DEMO_CONTEXT_KEY, DEMO_LABEL, DEMO_STATE_KEY, demoAddedMessage, demoIsOn } from './demo';
import { cannotMove, carryNotes, planGuardExisting, plannedMessage } from './guard-plan';
import { STORED_HEADER_SECRETS, secretKey } from './header-secrets';
import { GUARD_EXISTING_COMMAND, GUARD_EXISTING_TITLE, LANGUAGE_ID, RULE_COMMAND, WALKTHROUGH_ID } from './ids';
import { SOURCE_LABEL, type ExistingServer } from './mcp-config';
import { MODE_STATE_KEY } from './mode-state';
import { createdPolicyPath, ensureDemoPolicy, ensurePolicyFile, writeNewPolicy } from './policy-files';
import type { OdooSettings } from './settings';
import { runsTheGuard, serverKey } from './unguarded';

// Handlers take `unknown` arguments: the palette passes none, code lenses and scripts pass their own.
export type Cmd = (...args: unknown[]) => unknown;
export type CommandFactory = (ctx: CommandContext) => Cmd;

export const MODE_ITEMS: readonly { mode: Mode; label: string; detail: string }[] = [
  { mode: 'enforce', label: '$(shield) Enforce', detail: 'Apply the policy: deny, ask or rate-limit as it says.' },
  { mode: 'monitor', label: '$(eye) Monitor only', detail: 'Decide and log every call, block nothing, ask nothing.' },
  { mode: 'lockdown', label: '$(lock) Lockdown', detail: 'Deny every tool that is not Read / low risk.' },
];

/** Applies a mode everywhere it matters: kept across reloads, sent to every running guard, shown. */
async function setMode(ctx: CommandContext, mode: Mode): Promise<void> {
  if (!ctx.modes.set(mode)) return;
  await ctx.workspaceState.update(MODE_STATE_KEY, ctx.modes.toJSON());
  ctx.hub.setMode(mode);
  ctx.log.info(`mode: ${mode}`);
  ctx.updateStatus();
}

/** A mode as an argument (the status bar menu, scripts), or asked for; returns the mode now. */
export const switchMode =
  (ctx: CommandContext) =>
  async (arg?: unknown): Promise<Mode> => {
    const given = typeof arg === 'string' && MODE_ITEMS.some((m) => m.mode === arg) ? (arg as Mode) : undefined;
    const mode =
      given ??
      (
        await ctx.ui.showQuickPick(
          MODE_ITEMS.map((m) => ({ ...m, description: m.mode === ctx.modes.mode ? 'current' : '' })),
          { title: 'MCP Guard: Switch Mode', placeHolder: 'How should MCP Guard treat tool calls?' },
        )
      )?.mode;
    if (mode) await setMode(ctx, mode);
    return ctx.modes.mode;
  };

/** Into lockdown, or back to the mode lockdown was entered from; returns the mode now. */
export const toggleLockdown = (ctx: CommandContext) => async (): Promise<Mode> => {
  await setMode(ctx, ctx.modes.mode === 'lockdown' ? ctx.modes.resumeMode : 'lockdown');
  return ctx.modes.mode;
};

/** Opens the window's policy, writing the starter first when there is none; returns its path. */
export const openPolicy = (ctx: CommandContext) => async (): Promise<string> => {
  const path = ctx.policyPath();
  if (ensurePolicyFile(path)) ctx.log.info(`created the starter policy ${path}`);
  await ctx.showDocument(await ctx.openDocument({ kind: 'file', path }));
  return path;
};

/** Writes a starter policy for the reported tools and opens it; returns its path, or nothing when a policy was there. */
export const createPolicy = (ctx: CommandContext) => async (): Promise<string | undefined> => {
  const text = starterPolicyFor(ctx.reportedTools());
  const target = createdPolicyPath(ctx.workspaceFolder, ctx.trusted, () => ctx.policyPath());
  if (writeNewPolicy(target, text)) {
    await ctx.showDocument(await ctx.openDocument({ kind: 'file', path: target }));
    return target;
  }
  // Never overwrite a policy: show the starter beside it to copy from.
  await ctx.showDocument(await ctx.openDocument({ kind: 'untitled', language: LANGUAGE_ID, content: text }));
  void ctx.ui.showInformationMessage(`MCP Guard: ${target} already exists, so the starter policy opened in a new editor to copy from.`);
  return undefined;
};

/** Opens the audit view for a decision given (`''` for all) or picked; returns the view's text. */
export const showAuditLog =
  (ctx: CommandContext) =>
  async (arg?: unknown): Promise<string | undefined> => {
    let filter = typeof arg === 'string' ? arg : undefined;
    if (arg === undefined) {
      const pick = await ctx.ui.showQuickPick([{ label: 'All decisions', value: '' }, ...DECISIONS.map((d) => ({ label: d, value: d }))], {
        title: 'MCP Guard: Show Audit Log',
        placeHolder: 'Which decisions?',
      });
      if (!pick) return undefined;
      filter = pick.value;
    }
    const doc = await ctx.openDocument({ kind: 'audit', ...(filter ? { filter } : {}) });
    await ctx.showDocument(doc, { preview: true });
    return doc.getText();
  };

export const ruleFromCall = (ctx: CommandContext) => (call?: unknown, intent?: unknown, options?: unknown) =>
  ctx.ruleFromCall(call, intent, options);

const CREDENTIAL_FIELDS: readonly { key: keyof OdooSettings; title: string }[] = [
  { key: 'url', title: 'Odoo URL' },
  { key: 'db', title: 'Odoo database' },
  { key: 'username', title: 'Odoo user' },
];

/** Asks for every part of the Odoo connection, current values filled in; a cancel keeps what is not saved yet. */
export const setOdooCredentials = (ctx: CommandContext) => async (): Promise<void> => {
  const current = ctx.credentials.readSettings();
  for (const f of CREDENTIAL_FIELDS) {
    const value = await ctx.credentials.ask({ title: f.title, prompt: f.title, password: false, value: current[f.key] });
    if (value === undefined) return;
    await ctx.credentials.saveSetting(f.key, value.trim());
  }
  const secret = await ctx.credentials.ask({
    title: 'Odoo password or API key',
    prompt: 'Stored in VS Code secret storage',
    password: true,
  });
  if (secret === undefined) return;
  // An empty answer keeps the stored secret.
  if (secret) await ctx.credentials.storeSecret(secret);
  ctx.refreshServers();
  void ctx.ui.showInformationMessage('MCP Guard: Odoo credentials saved. Restart the guarded Odoo server to use them.');
};

export const clearOdooCredentials = (ctx: CommandContext) => async (): Promise<void> => {
  await ctx.secrets.delete(ODOO_SECRET_KEY);
  void ctx.ui.showInformationMessage('MCP Guard: the stored Odoo password or API key was removed.');
};

/** Forgets every stored `${secret:NAME}` header value; each is asked for again when its server next starts. */
export const clearHeaderSecrets = (ctx: CommandContext) => async (): Promise<void> => {
  const stored = ctx.globalState.get(STORED_HEADER_SECRETS);
  const names = Array.isArray(stored) ? stored.filter((n): n is string => typeof n === 'string') : [];
  for (const name of names) await ctx.secrets.delete(secretKey(name));
  await ctx.globalState.update(STORED_HEADER_SECRETS, []);
  void ctx.ui.showInformationMessage(
    names.length === 0
      ? 'MCP Guard: no header secret is stored.'
      : `MCP Guard: removed the stored header secret${names.length === 1 ? '' : 's'} ${names.join(', ')}; ` +
          `${names.length === 1 ? 'it is' : 'they are'} asked for again when a server that uses ${names.length === 1 ? 'it' : 'them'} starts.`,
  );
};

/** The buttons of the message "Try the Demo Server" shows. */
export const OPEN_WALKTHROUGH = 'Open Walkthrough';
export const SHOW_AUDIT_LOG = 'Show Audit Log';

/** What "Try the Demo Server" added, for tests and scripts. */
export interface DemoAdded {
  readonly label: string;
  readonly policy: string;
  readonly journal: string;
}

/** Turns the demo server on or off: kept for every window, its `when` context, the definitions, the status bar. */
async function setDemo(ctx: CommandContext, on: boolean): Promise<void> {
  await ctx.globalState.update(DEMO_STATE_KEY, on);
  await ctx.executeCommand('setContext', DEMO_CONTEXT_KEY, on);
  ctx.refreshServers();
  ctx.updateStatus();
}

/**
 * Adds "Odoo demo (guarded)" to the MCP servers: the bundled stand-in behind the guard, with its
 * own policy (the starter, written only when missing). Says what to try; does not wait for the
 * message, whose buttons open the walkthrough or the audit log.
 */
export const tryDemo = (ctx: CommandContext) => async (): Promise<DemoAdded | undefined> => {
  const files = ctx.demoFiles();
  if (!existsSync(files.script)) {
    ctx.log.warn(`the demo server is missing: ${files.script}`);
    void ctx.ui.showWarningMessage(`MCP Guard: the demo server is missing from this installation (${files.script}).`);
    return undefined;
  }
  if (ensureDemoPolicy(files.policy)) ctx.log.info(`created the demo policy ${files.policy}`);
  await setDemo(ctx, true);
  ctx.log.info(`demo server on: ${DEMO_LABEL}, policy ${files.policy}, journal ${files.journal}`);
  void Promise.resolve(ctx.ui.showInformationMessage(demoAddedMessage(), OPEN_WALKTHROUGH, SHOW_AUDIT_LOG)).then(
    async (pick) => {
      if (pick === OPEN_WALKTHROUGH) await ctx.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH_ID, false);
      else if (pick === SHOW_AUDIT_LOG) await ctx.executeCommand('mcpGuard.showAuditLog', '');
    },
    (e: unknown) => ctx.log.warn(`the demo message's button failed: ${String(e)}`),
  );
  return { label: DEMO_LABEL, policy: files.policy, journal: files.journal };
};

/** Takes the demo server off the MCP servers (VS Code stops it); its policy stays for next time. Returns whether it was on. */
export const removeDemo = (ctx: CommandContext) => async (): Promise<boolean> => {
  const wasOn = demoIsOn(ctx.globalState.get(DEMO_STATE_KEY));
  await setDemo(ctx, false);
  if (wasOn) ctx.log.info(`demo server off: ${DEMO_LABEL}`);
  void ctx.ui.showInformationMessage(
    wasOn
      ? `MCP Guard: "${DEMO_LABEL}" was removed from your MCP servers. Its policy stays in ${ctx.demoFiles().policy} for next time.`
      : `MCP Guard: the demo server was not on.`,
  );
  return wasOn;
};

/** What "Guard Existing Servers…" did, for tests and scripts. */
export interface GuardExistingResult {
  readonly ok: boolean;
  readonly message: string;
  readonly moved?: readonly { readonly name: string; readonly from: string; readonly label: string; readonly notes: readonly string[] }[];
  /** The files edited (unsaved unless auto save is on). */
  readonly files?: readonly string[];
}

/** Server names given by a script (`{ servers: [...] }`), instead of the pick. */
function namesArg(arg: unknown): string[] | undefined {
  const names = arg && typeof arg === 'object' ? (arg as { servers?: unknown }).servers : undefined;
  return Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : undefined;
}

/**
 * Moves servers configured in mcp.json files or the `mcp` settings behind the guard: the person
 * picks them (those warned about start ticked, unless something would not carry over); each leaves
 * its file and joins mcpGuard.servers with the same command, args and env, as edits shown in the
 * editor for the person to review and save.
 */
export const guardExistingServers =
  (ctx: CommandContext) =>
  async (arg?: unknown): Promise<GuardExistingResult | undefined> => {
    const scan = ctx.existing.scan();
    const candidates = scan.servers.filter((s) => !runsTheGuard(s));
    if (candidates.length === 0) {
      const message =
        `MCP Guard: no server to guard in .vscode/mcp.json, your mcp.json or the mcp settings.` +
        // Restricted Mode: the workspace's own files were not read (VS Code does not run their servers either).
        (ctx.trusted ? '' : " The workspace's files are not read in Restricted Mode: trust the workspace to guard its servers.");
      void ctx.ui.showInformationMessage(message);
      return { ok: true, message, moved: [], files: [] };
    }
    const flagged = new Map(scan.flagged.map((f) => [f.key, f]));
    const names = namesArg(arg);
    let picked: readonly ExistingServer[];
    if (names) {
      picked = candidates.filter((s) => names.includes(s.name));
      const missing = names.filter((n) => !picked.some((s) => s.name === n));
      if (missing.length > 0) return { ok: false, message: `No server to guard named ${missing.join(', ')}.` };
    } else {
      const items = candidates.map((server) => {
        const f = flagged.get(serverKey(server));
        const refused = cannotMove(server);
        const notes = refused !== undefined ? [refused] : carryNotes(server);
        const why = f
          ? f.tool
            ? `$(warning) agents can call ${f.tool} without the policy`
            : `$(warning) ${server.transport === 'remote' ? 'reaches the same server' : 'runs the same command'} as "${f.guarded}"`
          : '';
        return {
          label: server.name,
          description: `${SOURCE_LABEL[server.source.kind]} · ${server.transport === 'remote' ? (server.url ?? '') : [server.command, ...server.args].join(' ')}`,
          detail: [why, ...notes.map((n) => `$(info) ${n}`)].filter(Boolean).join(' · '),
          // Flagged ones start ticked, unless the move needs the person's attention first.
          picked: f !== undefined && notes.length === 0,
          server,
        };
      });
      const chosen = await ctx.ui.showQuickPickMany(items, {
        title: `MCP Guard: ${GUARD_EXISTING_TITLE}`,
        placeHolder: 'The servers to run behind MCP Guard (they move to mcpGuard.servers)',
      });
      if (!chosen || chosen.length === 0) return undefined;
      picked = chosen.map((c) => c.server);
    }
    const plan = planGuardExisting({ picked, read: (path) => ctx.existing.read(path), ...ctx.existing.targets() });
    if (!plan.ok) {
      void ctx.ui.showWarningMessage(`MCP Guard: ${plan.message}`);
      return { ok: false, message: plan.message };
    }
    if (!(await ctx.existing.apply(plan.files))) {
      const message = 'The files changed while MCP Guard prepared the edits, or VS Code did not apply them: run the command again.';
      void ctx.ui.showWarningMessage(`MCP Guard: ${message}`);
      return { ok: false, message };
    }
    const message = plannedMessage(plan.moved, plan.files, ctx.existing.autoSave);
    ctx.log.info(`guard existing servers: ${plan.moved.map((m) => `${m.server.name} -> ${m.label} in ${m.settings}`).join('; ')}`);
    void ctx.ui.showInformationMessage(message);
    for (const m of plan.moved) for (const note of m.notes) void ctx.ui.showWarningMessage(`MCP Guard: ${m.server.name}: ${note}.`);
    return {
      ok: true,
      message,
      moved: plan.moved.map((m) => ({ name: m.server.name, from: m.server.source.path, label: m.label, notes: m.notes })),
      files: plan.files.map((f) => f.path),
    };
  };

export const resetRateLimits = (ctx: CommandContext) => (): void => {
  ctx.hub.resetRateLimits();
  ctx.log.info('rate limits reset in every running guard');
};

export const showOutput = (ctx: CommandContext) => (): void => ctx.log.show();

/** The status bar item's menu: the other modes, then the everyday actions. */
export const showMenu = (ctx: CommandContext) => async (): Promise<void> => {
  const items: (PickItem & { command: string; args?: unknown[] })[] = [
    ...MODE_ITEMS.filter((m) => m.mode !== ctx.modes.mode).map((m) => ({
      label: m.label,
      detail: m.detail,
      command: 'mcpGuard.switchMode',
      args: [m.mode],
    })),
    { label: '$(file-code) Open Policy', command: 'mcpGuard.openPolicy' },
    { label: '$(history) Show Audit Log', command: 'mcpGuard.showAuditLog' },
    { label: '$(law) Turn a Recent Call into a Rule…', command: RULE_COMMAND },
    ...(ctx.existing.flagged.length > 0 ? [{ label: `$(warning) ${GUARD_EXISTING_TITLE}`, command: GUARD_EXISTING_COMMAND }] : []),
    { label: '$(debug-restart) Reset Rate Limits', command: 'mcpGuard.resetRateLimits' },
    { label: '$(output) Show Output', command: 'mcpGuard.showOutput' },
  ];
  const pick = await ctx.ui.showQuickPick(items, { title: `MCP Guard (${ctx.modes.mode})` });
  if (pick) await ctx.executeCommand(pick.command, ...(pick.args ?? []));
};

/** For tests and scripts: the state the status bar shows. */
export const state = (ctx: CommandContext) => () => ({
  mode: ctx.modes.mode,
  blocked: ctx.hub.blocked,
  guards: ctx.hub.guardCount,
  trusted: ctx.trusted,
  statusText: ctx.statusText,
  statusTooltip: ctx.statusTooltip,
  demo: demoIsOn(ctx.globalState.get(DEMO_STATE_KEY)),
  lastDecision: ctx.hub.lastDecision,
  ...(ctx.hub.lastApproval ? { lastApproval: ctx.hub.lastApproval } : {}),
  reportedTools: Object.fromEntries(ctx.hub.reportedTools),
  unguarded: ctx.existing.flagged.map((f) => f.message),
  /** The mcp.json and settings files read for servers outside the guard. */
  watchedFiles: ctx.existing.sources().map((s) => s.path),
});

/** Command id → handler factory; the ids and titles users see are in package.json `contributes.commands`. */
export const COMMANDS: Readonly<Record<string, CommandFactory>> = {
  'mcpGuard.switchMode': switchMode,
  'mcpGuard.toggleLockdown': toggleLockdown,
  'mcpGuard.openPolicy': openPolicy,
  'mcpGuard.createPolicy': createPolicy,
  'mcpGuard.showAuditLog': showAuditLog,
  [RULE_COMMAND]: ruleFromCall,
  'mcpGuard.setOdooCredentials': setOdooCredentials,
  'mcpGuard.clearOdooCredentials': clearOdooCredentials,
  'mcpGuard.clearHeaderSecrets': clearHeaderSecrets,
  'mcpGuard.resetRateLimits': resetRateLimits,
  'mcpGuard.showOutput': showOutput,
  'mcpGuard.showMenu': showMenu,
  'mcpGuard.tryDemo': tryDemo,
  'mcpGuard.removeDemo': removeDemo,
  [GUARD_EXISTING_COMMAND]: guardExistingServers,
  // Not in the palette: read by the integration tests.
  'mcpGuard.state': state,
};
