// src/extension/commands.ts: every command, driven through a fake context (no VS Code).
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DecisionMessage } from '../../src/guard/bridge/protocol';
import type { ReportedTool } from '../../src/guard/language';
import type { Mode } from '../../src/guard/policy/model';
import { starterPolicyFor } from '../../src/guard/language/starter';
import { DECISIONS } from '../../src/extension/audit-table';
import { STORED_HEADER_SECRETS, secretKey } from '../../src/extension/header-secrets';
import type { CommandContext, DocumentTarget, EditorDocument, ExistingServers, PickItem } from '../../src/extension/command-context';
import { COMMANDS, MODE_ITEMS, OPEN_WALKTHROUGH, SHOW_AUDIT_LOG } from '../../src/extension/commands';
import { ODOO_SECRET_KEY, type CredentialIO } from '../../src/extension/credentials';
import { DEMO_CONTEXT_KEY, DEMO_STATE_KEY, demoPolicyText, type DemoFiles } from '../../src/extension/demo';
import { WALKTHROUGH_ID } from '../../src/extension/ids';
import { MODE_STATE_KEY, ModeState } from '../../src/extension/mode-state';
import { parseServers, type OdooSettings } from '../../src/extension/settings';
import { statusView } from '../../src/extension/status-text';
import { parse } from 'jsonc-parser';
import { serversIn } from '../../src/extension/mcp-config';
import { findUnguarded } from '../../src/extension/unguarded';
import { tempDir } from '../support/temp';

type Picker = (items: readonly PickItem[], options: { title: string; placeHolder?: string }) => PickItem | undefined;
type ManyPicker = (
  items: readonly (PickItem & { picked?: boolean })[],
  options: { title: string; placeHolder?: string },
) => PickItem[] | undefined;
type Prompt = Parameters<CredentialIO['ask']>[0];

interface FakeDocument extends EditorDocument {
  readonly target: DocumentTarget;
}

interface FakeOptions {
  mode?: unknown;
  folder?: string;
  trusted?: boolean;
  policyPath?: string;
  picks?: Picker[];
  answers?: (string | undefined)[];
  settings?: Partial<OdooSettings>;
  reported?: ReportedTool[];
  /** Kept for every window (global state), e.g. the demo flag. */
  global?: Record<string, unknown>;
  demoFiles?: DemoFiles;
  /** The buttons clicked on information messages, in turn (none: the message is closed). */
  buttons?: (string | undefined)[];
  /** Answers to multiple-choice picks, in turn. */
  picksMany?: ManyPicker[];
  /** The servers configured outside the guard; none by default. */
  existing?: ExistingServers;
}

const NO_EXISTING: ExistingServers = {
  sources: () => [],
  flagged: [],
  scan: () => ({ servers: [], flagged: [] }),
  read: () => undefined,
  targets: () => ({ workspace: undefined, user: { path: '/user/settings.json', inherited: [], inheritedIsDefault: true } }),
  apply: async () => assert.fail('nothing to apply in this test'),
  autoSave: false,
};

/**
 * A context with the real mode state and status text over recorded effects: what was persisted,
 * sent to the guards, logged, asked, opened and shown. `run` goes through the real command table.
 */
function fakeContext(opts: FakeOptions = {}) {
  const memento = new Map<string, unknown>(opts.mode === undefined ? [] : [[MODE_STATE_KEY, opts.mode]]);
  const secrets = new Map<string, string>([
    [ODOO_SECRET_KEY, 'old-secret'],
    ['other.secret', 'kept'],
  ]);
  const settings: OdooSettings = { url: '', db: '', username: '', ...opts.settings };
  const picks = [...(opts.picks ?? [])];
  const picksMany = [...(opts.picksMany ?? [])];
  const answers = [...(opts.answers ?? [])];
  const buttons = [...(opts.buttons ?? [])];
  const globalState = new Map<string, unknown>(Object.entries(opts.global ?? {}));
  const effects = {
    asked: [] as { items: readonly PickItem[]; options: { title: string; placeHolder?: string } }[],
    prompts: [] as Prompt[],
    infos: [] as string[],
    infoButtons: [] as string[][],
    warnings: [] as string[],
    logs: [] as string[],
    opened: [] as DocumentTarget[],
    shown: [] as { target: DocumentTarget; options: { preview?: boolean } | undefined }[],
    executed: [] as { command: string; args: unknown[] }[],
    sentModes: [] as Mode[],
    rateLimitResets: 0,
    serverRefreshes: 0,
    outputShown: 0,
    ruleCalls: [] as unknown[][],
    saved: [] as [keyof OdooSettings, string][],
    globalUpdates: [] as [string, unknown][],
  };
  const hub = {
    blocked: 2,
    guardCount: 1,
    lastDecision: undefined as DecisionMessage | undefined,
    reportedTools: new Map<string, readonly string[]>([['Odoo', ['health_check', 'echo']]]),
    setMode: (mode: Mode) => void effects.sentModes.push(mode),
    resetRateLimits: () => void effects.rateLimitResets++,
  };
  let statusText = '';
  let statusTooltip = '';
  const ctx: CommandContext & { run(command: string, ...args: unknown[]): Promise<unknown> } = {
    log: {
      info: (m) => void effects.logs.push(`info ${m}`),
      warn: (m) => void effects.logs.push(`warn ${m}`),
      show: () => void effects.outputShown++,
    },
    ui: {
      showQuickPick: async <T extends PickItem>(items: readonly T[], options: { title: string; placeHolder?: string }) => {
        effects.asked.push({ items, options });
        const pick = picks.shift();
        assert.ok(pick, `unexpected question: ${options.title}`);
        return pick(items, options) as T | undefined;
      },
      showQuickPickMany: async <T extends PickItem>(
        items: readonly (T & { picked?: boolean })[],
        options: { title: string; placeHolder?: string },
      ) => {
        effects.asked.push({ items, options });
        const pick = picksMany.shift();
        assert.ok(pick, `unexpected question: ${options.title}`);
        return pick(items, options) as T[] | undefined;
      },
      showInformationMessage: async (message, ...items) => {
        effects.infos.push(message);
        effects.infoButtons.push(items);
        return buttons.shift();
      },
      showWarningMessage: async (message) => void effects.warnings.push(message),
    },
    modes: ModeState.fromJSON(memento.get(MODE_STATE_KEY)),
    workspaceState: { update: async (key, value) => void memento.set(key, value) },
    globalState: {
      get: (key) => globalState.get(key),
      update: async (key, value) => {
        effects.globalUpdates.push([key, value]);
        globalState.set(key, value);
      },
    },
    secrets: { delete: async (key) => void secrets.delete(key) },
    credentials: {
      readSettings: () => settings,
      saveSetting: async (key, value) => void effects.saved.push([key, value]),
      getSecret: async () => secrets.get(ODOO_SECRET_KEY),
      storeSecret: async (value) => void secrets.set(ODOO_SECRET_KEY, value),
      ask: async (prompt) => {
        effects.prompts.push(prompt);
        return answers.shift();
      },
    },
    hub,
    existing: opts.existing ?? NO_EXISTING,
    workspaceFolder: opts.folder,
    trusted: opts.trusted ?? true,
    get statusText() {
      return statusText;
    },
    get statusTooltip() {
      return statusTooltip;
    },
    policyPath: () => {
      assert.ok(opts.policyPath, 'no policy path in this test');
      return opts.policyPath;
    },
    reportedTools: () => opts.reported,
    updateStatus: () => {
      const view = statusView({
        mode: ctx.modes.mode,
        blocked: hub.blocked,
        trusted: ctx.trusted,
        guards: hub.guardCount,
        demo: globalState.get(DEMO_STATE_KEY) === true,
      });
      statusText = view.text;
      statusTooltip = view.tooltip;
    },
    refreshServers: () => void effects.serverRefreshes++,
    demoFiles: () => {
      assert.ok(opts.demoFiles, 'no demo files in this test');
      return opts.demoFiles;
    },
    openDocument: async (target) => {
      effects.opened.push(target);
      const text =
        target.kind === 'file'
          ? readFileSync(target.path, 'utf8')
          : target.kind === 'untitled'
            ? target.content
            : `audit view (${target.filter ?? 'all'})`;
      return { target, getText: () => text } satisfies FakeDocument;
    },
    showDocument: async (document, options) => void effects.shown.push({ target: (document as FakeDocument).target, options }),
    executeCommand: async (command, ...args) => {
      effects.executed.push({ command, args });
      // VS Code's own commands (setContext, the walkthrough) are only recorded.
      return COMMANDS[command] ? ctx.run(command, ...args) : undefined;
    },
    ruleFromCall: async (...args) => {
      effects.ruleCalls.push(args);
      return { ok: true, message: 'written', policy: '/p.yaml' };
    },
    run: async (command, ...args) => {
      const factory = COMMANDS[command];
      assert.ok(factory, `no command ${command}`);
      return factory(ctx)(...args);
    },
  };
  return { ctx, effects, memento, secrets, hub, globalState };
}

const pickWhere =
  (test: (item: PickItem & Record<string, unknown>) => boolean): Picker =>
  (items) =>
    items.find((i) => test(i as PickItem & Record<string, unknown>));
const dismiss: Picker = () => undefined;

describe('extension commands: the table', () => {
  it('registers every command package.json contributes, plus mcpGuard.state for tests and scripts', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
      contributes: { commands: { command: string }[] };
    };
    const contributed = pkg.contributes.commands.map((c) => c.command);
    assert.deepEqual(Object.keys(COMMANDS).sort(), [...contributed, 'mcpGuard.state'].sort());
  });

  it('builds a handler for each from a context', () => {
    const { ctx } = fakeContext();
    for (const [id, factory] of Object.entries(COMMANDS)) assert.equal(typeof factory(ctx), 'function', id);
  });
});

describe('extension commands: modes', () => {
  it('switchMode with a mode switches, keeps it for the next window, tells every guard, logs and redraws the status bar', async () => {
    const { ctx, effects, memento } = fakeContext();
    assert.equal(await ctx.run('mcpGuard.switchMode', 'lockdown'), 'lockdown');
    assert.equal(ctx.modes.mode, 'lockdown');
    assert.deepEqual(memento.get(MODE_STATE_KEY), { mode: 'lockdown', beforeLockdown: 'enforce' });
    assert.deepEqual(effects.sentModes, ['lockdown']);
    assert.ok(effects.logs.includes('info mode: lockdown'), effects.logs.join('\n'));
    assert.match(ctx.statusText, /Lockdown · 2 blocked/);
    assert.equal(effects.asked.length, 0, 'a given mode asks nothing');
    // A reloaded window starts in the kept mode.
    assert.equal(ModeState.fromJSON(memento.get(MODE_STATE_KEY)).mode, 'lockdown');
  });

  it('switchMode without a mode asks, marking the current one, and applies the pick', async () => {
    const { ctx, effects, memento } = fakeContext({ picks: [pickWhere((i) => i['mode'] === 'monitor')] });
    assert.equal(await ctx.run('mcpGuard.switchMode'), 'monitor');
    const [asked] = effects.asked;
    assert.equal(asked?.options.title, 'MCP Guard: Switch Mode');
    assert.deepEqual(
      asked?.items.map((i) => [i.label, i.description]),
      [
        ['$(shield) Enforce', 'current'],
        ['$(eye) Monitor only', ''],
        ['$(lock) Lockdown', ''],
      ],
    );
    assert.deepEqual(memento.get(MODE_STATE_KEY), { mode: 'monitor', beforeLockdown: 'enforce' });
    assert.deepEqual(effects.sentModes, ['monitor']);
  });

  it('switchMode asks when the argument is not a mode', async () => {
    const { ctx, effects } = fakeContext({ picks: [pickWhere((i) => i['mode'] === 'monitor')] });
    assert.equal(await ctx.run('mcpGuard.switchMode', 'off'), 'monitor');
    assert.equal(effects.asked.length, 1);
  });

  it('a dismissed pick, or the mode already in force, changes and sends nothing', async () => {
    const { ctx, effects, memento } = fakeContext({ mode: { mode: 'monitor' }, picks: [dismiss] });
    assert.equal(await ctx.run('mcpGuard.switchMode'), 'monitor');
    assert.equal(await ctx.run('mcpGuard.switchMode', 'monitor'), 'monitor');
    assert.deepEqual(memento.get(MODE_STATE_KEY), { mode: 'monitor' }, 'left as it was');
    assert.deepEqual(effects.sentModes, []);
    assert.deepEqual(effects.logs, []);
  });

  it('toggleLockdown goes into lockdown and back to the mode it left, across a reload', async () => {
    const first = fakeContext({ mode: { mode: 'monitor', beforeLockdown: 'enforce' } });
    assert.equal(await first.ctx.run('mcpGuard.toggleLockdown'), 'lockdown');
    assert.deepEqual(first.effects.sentModes, ['lockdown']);
    assert.match(first.ctx.statusText, /Lockdown/);
    // The next window reads what this one kept.
    const second = fakeContext({ mode: first.memento.get(MODE_STATE_KEY) });
    assert.equal(await second.ctx.run('mcpGuard.toggleLockdown'), 'monitor');
    assert.deepEqual(second.effects.sentModes, ['monitor']);
    assert.deepEqual(second.memento.get(MODE_STATE_KEY), { mode: 'monitor', beforeLockdown: 'monitor' });
    assert.match(second.ctx.statusText, /Monitor only/);
  });

  it('resetRateLimits tells every running guard once and says so in the output', async () => {
    const { ctx, effects } = fakeContext();
    await ctx.run('mcpGuard.resetRateLimits');
    assert.equal(effects.rateLimitResets, 1);
    assert.deepEqual(effects.logs, ['info rate limits reset in every running guard']);
    assert.deepEqual(effects.sentModes, []);
  });
});

describe('extension commands: policy files', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('openPolicy writes the starter where there is no policy yet, then opens and shows it', async () => {
    const policyPath = join(tmp.dir, 'global', 'mcp-policy.yaml');
    const { ctx, effects } = fakeContext({ policyPath });
    assert.equal(await ctx.run('mcpGuard.openPolicy'), policyPath);
    assert.equal(readFileSync(policyPath, 'utf8'), starterPolicyFor());
    assert.deepEqual(effects.logs, [`info created the starter policy ${policyPath}`]);
    assert.deepEqual(effects.opened, [{ kind: 'file', path: policyPath }]);
    assert.deepEqual(effects.shown, [{ target: { kind: 'file', path: policyPath }, options: undefined }]);
  });

  it('openPolicy opens an existing policy as it is', async () => {
    const policyPath = join(tmp.dir, 'mcp-policy.yaml');
    writeFileSync(policyPath, 'version: 1\ndefault: deny\n');
    const { ctx, effects } = fakeContext({ policyPath });
    assert.equal(await ctx.run('mcpGuard.openPolicy'), policyPath);
    assert.equal(readFileSync(policyPath, 'utf8'), 'version: 1\ndefault: deny\n');
    assert.deepEqual(effects.logs, []);
    assert.deepEqual(
      effects.shown.map((s) => s.target),
      [{ kind: 'file', path: policyPath }],
    );
  });

  it('createPolicy writes the workspace policy from the reported tools and opens it', async () => {
    const reported: ReportedTool[] = [
      { name: 'echo', annotations: { readOnlyHint: true } },
      { name: 'delete_everything', annotations: { destructiveHint: true } },
    ];
    const { ctx, effects } = fakeContext({ folder: tmp.dir, reported, policyPath: join(tmp.dir, 'user.yaml') });
    const target = join(tmp.dir, '.vscode', 'mcp-policy.yaml');
    assert.equal(await ctx.run('mcpGuard.createPolicy'), target);
    const text = readFileSync(target, 'utf8');
    assert.equal(text, starterPolicyFor(reported));
    assert.match(text, /delete_everything/);
    assert.ok(!existsSync(join(tmp.dir, 'user.yaml')), 'the user policy is left alone');
    assert.deepEqual(
      effects.shown.map((s) => s.target),
      [{ kind: 'file', path: target }],
    );
    assert.deepEqual(effects.infos, []);
  });

  it('createPolicy never overwrites: the starter opens in a new policy editor, and the message names the file', async () => {
    const target = join(tmp.dir, '.vscode', 'mcp-policy.yaml');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, 'mine\n');
    const { ctx, effects } = fakeContext({ folder: tmp.dir });
    assert.equal(await ctx.run('mcpGuard.createPolicy'), undefined);
    assert.equal(readFileSync(target, 'utf8'), 'mine\n');
    assert.deepEqual(
      effects.shown.map((s) => s.target),
      [{ kind: 'untitled', language: 'mcp-policy', content: starterPolicyFor() }],
    );
    assert.deepEqual(effects.infos, [`MCP Guard: ${target} already exists, so the starter policy opened in a new editor to copy from.`]);
  });

  it('createPolicy in an untrusted workspace, or with no folder, writes the policy the window uses', async () => {
    for (const opts of [
      { folder: tmp.dir, trusted: false },
      { folder: undefined, trusted: true },
    ]) {
      const policyPath = join(tmp.dir, `user-${String(opts.trusted)}`, 'mcp-policy.yaml');
      const { ctx } = fakeContext({ ...opts, policyPath });
      assert.equal(await ctx.run('mcpGuard.createPolicy'), policyPath);
      assert.equal(readFileSync(policyPath, 'utf8'), starterPolicyFor());
    }
    assert.ok(!existsSync(join(tmp.dir, '.vscode')), 'nothing written into the workspace');
  });
});

describe('extension commands: audit log', () => {
  it('with a decision, opens the view of that decision as a preview and returns its text', async () => {
    const { ctx, effects } = fakeContext();
    assert.equal(await ctx.run('mcpGuard.showAuditLog', 'declined'), 'audit view (declined)');
    assert.deepEqual(effects.asked, []);
    assert.deepEqual(effects.shown, [{ target: { kind: 'audit', filter: 'declined' }, options: { preview: true } }]);
  });

  it("with '', opens every decision", async () => {
    const { ctx, effects } = fakeContext();
    assert.equal(await ctx.run('mcpGuard.showAuditLog', ''), 'audit view (all)');
    assert.deepEqual(effects.opened, [{ kind: 'audit' }]);
  });

  it('without an argument, asks which decisions: all of them or one', async () => {
    const { ctx, effects } = fakeContext({
      picks: [pickWhere((i) => i['value'] === 'rate_limited'), pickWhere((i) => i.label === 'All decisions')],
    });
    assert.equal(await ctx.run('mcpGuard.showAuditLog'), 'audit view (rate_limited)');
    assert.equal(effects.asked[0]?.options.title, 'MCP Guard: Show Audit Log');
    assert.deepEqual(
      effects.asked[0]?.items.map((i) => i.label),
      ['All decisions', ...DECISIONS],
    );
    assert.equal(await ctx.run('mcpGuard.showAuditLog'), 'audit view (all)');
    assert.deepEqual(effects.opened, [{ kind: 'audit', filter: 'rate_limited' }, { kind: 'audit' }]);
  });

  it('a dismissed question opens nothing', async () => {
    const { ctx, effects } = fakeContext({ picks: [dismiss] });
    assert.equal(await ctx.run('mcpGuard.showAuditLog'), undefined);
    assert.deepEqual(effects.opened, []);
  });
});

describe('extension commands: Odoo credentials', () => {
  it('setOdooCredentials asks for each setting with the current value, saves them trimmed, stores the secret and restarts nothing itself', async () => {
    const { ctx, effects, secrets } = fakeContext({
      settings: { url: 'https://old.example', db: 'old', username: 'bot' },
      answers: ['  https://odoo.example  ', 'prod ', 'agent@example.com', 'n3w-secret'],
    });
    await ctx.run('mcpGuard.setOdooCredentials');
    assert.deepEqual(
      effects.prompts.map((p) => [p.title, p.value, p.password]),
      [
        ['Odoo URL', 'https://old.example', false],
        ['Odoo database', 'old', false],
        ['Odoo user', 'bot', false],
        ['Odoo password or API key', undefined, true],
      ],
    );
    assert.deepEqual(effects.saved, [
      ['url', 'https://odoo.example'],
      ['db', 'prod'],
      ['username', 'agent@example.com'],
    ]);
    assert.equal(secrets.get(ODOO_SECRET_KEY), 'n3w-secret');
    assert.equal(effects.serverRefreshes, 1);
    assert.deepEqual(effects.infos, ['MCP Guard: Odoo credentials saved. Restart the guarded Odoo server to use them.']);
  });

  it('a cancel stops at once: what was answered before is saved, the secret and the servers are untouched', async () => {
    const { ctx, effects, secrets } = fakeContext({ answers: ['https://odoo.example', undefined] });
    await ctx.run('mcpGuard.setOdooCredentials');
    assert.deepEqual(effects.saved, [['url', 'https://odoo.example']]);
    assert.equal(effects.prompts.length, 2);
    assert.equal(secrets.get(ODOO_SECRET_KEY), 'old-secret');
    assert.equal(effects.serverRefreshes, 0);
    assert.deepEqual(effects.infos, []);
  });

  it('an empty password keeps the stored one', async () => {
    const { ctx, effects, secrets } = fakeContext({ answers: ['u', 'd', 'n', ''] });
    await ctx.run('mcpGuard.setOdooCredentials');
    assert.equal(secrets.get(ODOO_SECRET_KEY), 'old-secret');
    assert.equal(effects.serverRefreshes, 1);
  });

  it('clearOdooCredentials removes the stored password only, and says so', async () => {
    const { ctx, effects, secrets } = fakeContext();
    await ctx.run('mcpGuard.clearOdooCredentials');
    assert.equal(secrets.has(ODOO_SECRET_KEY), false);
    assert.equal(secrets.get('other.secret'), 'kept');
    assert.deepEqual(effects.infos, ['MCP Guard: the stored Odoo password or API key was removed.']);
  });
});

describe('extension commands: stored header secrets', () => {
  it('clearHeaderSecrets removes every stored ${secret:NAME} value, and says which', async () => {
    const { ctx, effects, secrets } = fakeContext({ global: { [STORED_HEADER_SECRETS]: ['odoo-token', 'tenant'] } });
    secrets.set(secretKey('odoo-token'), 'tok');
    secrets.set(secretKey('tenant'), 'eu');
    await ctx.run('mcpGuard.clearHeaderSecrets');
    assert.equal(secrets.has(secretKey('odoo-token')), false);
    assert.equal(secrets.has(secretKey('tenant')), false);
    assert.equal(secrets.get(ODOO_SECRET_KEY), 'old-secret');
    assert.deepEqual(effects.infos, [
      'MCP Guard: removed the stored header secrets odoo-token, tenant; they are asked for again when a server that uses them starts.',
    ]);
    await ctx.run('mcpGuard.clearHeaderSecrets');
    assert.equal(effects.infos.at(-1), 'MCP Guard: no header secret is stored.');
  });
});

describe('extension commands: output, menu, rules and state', () => {
  it('showOutput shows the output channel', async () => {
    const { ctx, effects } = fakeContext();
    await ctx.run('mcpGuard.showOutput');
    assert.equal(effects.outputShown, 1);
  });

  it('showMenu offers the other modes and the everyday actions, each a registered command', async () => {
    const { ctx, effects } = fakeContext({ mode: { mode: 'monitor' }, picks: [dismiss] });
    await ctx.run('mcpGuard.showMenu');
    const [asked] = effects.asked;
    assert.equal(asked?.options.title, 'MCP Guard (monitor)');
    assert.deepEqual(
      asked?.items.map((i) => i.label),
      [
        '$(shield) Enforce',
        '$(lock) Lockdown',
        '$(file-code) Open Policy',
        '$(history) Show Audit Log',
        '$(law) Turn a Recent Call into a Rule…',
        '$(debug-restart) Reset Rate Limits',
        '$(output) Show Output',
      ],
    );
    for (const item of asked?.items ?? []) assert.ok(COMMANDS[(item as PickItem & { command: string }).command], item.label);
    assert.deepEqual(effects.executed, [], 'a dismissed menu runs nothing');
  });

  it('picking a mode in the menu switches to it', async () => {
    const { ctx, effects } = fakeContext({ picks: [pickWhere((i) => i.label === MODE_ITEMS[2]!.label)] });
    await ctx.run('mcpGuard.showMenu');
    assert.deepEqual(effects.executed, [{ command: 'mcpGuard.switchMode', args: ['lockdown'] }]);
    assert.equal(ctx.modes.mode, 'lockdown');
    assert.deepEqual(effects.sentModes, ['lockdown']);
  });

  it('picking an action in the menu runs it', async () => {
    const { ctx, effects } = fakeContext({ picks: [pickWhere((i) => i.label.includes('Reset Rate Limits'))] });
    await ctx.run('mcpGuard.showMenu');
    assert.equal(effects.rateLimitResets, 1);
  });

  it('the rule command hands its arguments to the rule flow and returns what it did', async () => {
    const { ctx, effects } = fakeContext();
    const call = {
      server: 'Odoo',
      tool: 'cancel_async_task',
      decision: 'declined',
      rule: 'risk.critical',
      time: '2026-01-01T00:00:00Z',
      argsSha256: 'ab',
    };
    const result = await ctx.run('mcpGuard.ruleFromCall', call, 'deny', { reason: 'no' });
    assert.deepEqual(effects.ruleCalls, [[call, 'deny', { reason: 'no' }]]);
    assert.deepEqual(result, { ok: true, message: 'written', policy: '/p.yaml' });
  });

  it('the menu entry for rules starts the rule flow with no call, so it asks for one', async () => {
    const { ctx, effects } = fakeContext({ picks: [pickWhere((i) => i.label.includes('into a Rule'))] });
    await ctx.run('mcpGuard.showMenu');
    assert.deepEqual(effects.ruleCalls, [[undefined, undefined, undefined]]);
  });

  it('state reports what the status bar shows', async () => {
    const { ctx, hub } = fakeContext({ mode: { mode: 'monitor' } });
    hub.lastDecision = { tool: 'chatter_post', decision: 'denied', rule: 'default' } as DecisionMessage;
    ctx.updateStatus();
    assert.deepEqual(await ctx.run('mcpGuard.state'), {
      mode: 'monitor',
      blocked: 2,
      guards: 1,
      trusted: true,
      statusText: '$(eye) Monitor only · 2 blocked',
      statusTooltip: ctx.statusTooltip,
      demo: false,
      lastDecision: hub.lastDecision,
      reportedTools: { Odoo: ['health_check', 'echo'] },
      unguarded: [],
      watchedFiles: [],
    });
  });
});

describe('extension commands: the demo server', () => {
  let tmp: ReturnType<typeof tempDir>;
  let files: DemoFiles;
  beforeEach(() => {
    tmp = tempDir();
    files = {
      script: join(tmp.dir, 'extension', 'dist', 'odoo-demo-server.js'),
      policy: join(tmp.dir, 'global', 'odoo-demo.mcp-policy.yaml'),
      journal: join(tmp.dir, 'global', 'odoo-demo-journal.jsonl'),
    };
    mkdirSync(dirname(files.script), { recursive: true });
    writeFileSync(files.script, '// the stand-in\n');
  });
  afterEach(() => tmp.cleanup());
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  it('tryDemo writes the demo policy, turns the demo on for every window, offers it and says what to try', async () => {
    const { ctx, effects, globalState } = fakeContext({ demoFiles: files });
    assert.deepEqual(await ctx.run('mcpGuard.tryDemo'), { label: 'Odoo demo (guarded)', policy: files.policy, journal: files.journal });
    assert.equal(readFileSync(files.policy, 'utf8'), demoPolicyText());
    assert.equal(globalState.get(DEMO_STATE_KEY), true);
    assert.deepEqual(effects.globalUpdates, [[DEMO_STATE_KEY, true]]);
    assert.deepEqual(effects.executed, [{ command: 'setContext', args: [DEMO_CONTEXT_KEY, true] }]);
    assert.equal(effects.serverRefreshes, 1, 'VS Code asks for the definitions again');
    assert.match(ctx.statusTooltip, /Demo server on: "Odoo demo \(guarded\)" is MCP Guard's stand-in, not a real Odoo\./);
    assert.equal(effects.infos.length, 1);
    assert.match(effects.infos[0]!, /"Odoo demo \(guarded\)" is now among your MCP servers: a stand-in .*not a real one/);
    assert.match(effects.infos[0]!, /ask: "Start a data quality report of res\.partner on Odoo demo, then cancel that task\."/);
    assert.deepEqual(effects.infoButtons, [[OPEN_WALKTHROUGH, SHOW_AUDIT_LOG]]);
    assert.ok(effects.logs.includes(`info created the demo policy ${files.policy}`), effects.logs.join('\n'));
    await flush();
    assert.equal(effects.executed.length, 1, 'a closed message runs nothing');
  });

  it('tryDemo keeps a demo policy that is there (the person may have edited it)', async () => {
    mkdirSync(dirname(files.policy), { recursive: true });
    writeFileSync(files.policy, 'version: 1\ndefault: deny\n');
    const { ctx, effects, globalState } = fakeContext({ demoFiles: files, global: { [DEMO_STATE_KEY]: true } });
    await ctx.run('mcpGuard.tryDemo');
    assert.equal(readFileSync(files.policy, 'utf8'), 'version: 1\ndefault: deny\n');
    assert.ok(!effects.logs.some((l) => l.includes('created the demo policy')), effects.logs.join('\n'));
    assert.equal(globalState.get(DEMO_STATE_KEY), true);
    assert.equal(effects.serverRefreshes, 1);
  });

  it("tryDemo's buttons open the walkthrough, or every decision of the audit log", async () => {
    const walk = fakeContext({ demoFiles: files, buttons: [OPEN_WALKTHROUGH] });
    await walk.ctx.run('mcpGuard.tryDemo');
    await flush();
    assert.deepEqual(walk.effects.executed.at(-1), { command: 'workbench.action.openWalkthrough', args: [WALKTHROUGH_ID, false] });
    assert.equal(WALKTHROUGH_ID, 'mcp-guard.mcp-guard#mcpGuard.gettingStarted');

    const audit = fakeContext({ demoFiles: files, buttons: [SHOW_AUDIT_LOG] });
    await audit.ctx.run('mcpGuard.tryDemo');
    await flush();
    assert.deepEqual(audit.effects.executed.at(-1), { command: 'mcpGuard.showAuditLog', args: [''] });
    assert.deepEqual(audit.effects.shown, [{ target: { kind: 'audit' }, options: { preview: true } }]);
  });

  it('tryDemo without the bundled stand-in says so and turns nothing on', async () => {
    const missing = { ...files, script: join(tmp.dir, 'nowhere', 'odoo-demo-server.js') };
    const { ctx, effects, globalState } = fakeContext({ demoFiles: missing });
    assert.equal(await ctx.run('mcpGuard.tryDemo'), undefined);
    assert.deepEqual(effects.warnings, [`MCP Guard: the demo server is missing from this installation (${missing.script}).`]);
    assert.equal(globalState.has(DEMO_STATE_KEY), false);
    assert.equal(effects.serverRefreshes, 0);
    assert.equal(existsSync(files.policy), false);
  });

  it('removeDemo turns it off, offers the definitions again without it, and keeps its policy', async () => {
    const { ctx, effects, globalState } = fakeContext({ demoFiles: files });
    await ctx.run('mcpGuard.tryDemo');
    assert.equal(await ctx.run('mcpGuard.removeDemo'), true);
    assert.equal(globalState.get(DEMO_STATE_KEY), false);
    assert.deepEqual(effects.executed.at(-1), { command: 'setContext', args: [DEMO_CONTEXT_KEY, false] });
    assert.equal(effects.serverRefreshes, 2);
    assert.doesNotMatch(ctx.statusTooltip, /Demo/);
    assert.ok(existsSync(files.policy), 'the policy stays for next time');
    assert.equal(
      effects.infos.at(-1),
      `MCP Guard: "Odoo demo (guarded)" was removed from your MCP servers. Its policy stays in ${files.policy} for next time.`,
    );
    assert.equal(((await ctx.run('mcpGuard.state')) as { demo: boolean }).demo, false);
  });

  it('removeDemo when it is off changes nothing that matters and says so', async () => {
    const { ctx, effects } = fakeContext({ demoFiles: files });
    assert.equal(await ctx.run('mcpGuard.removeDemo'), false);
    assert.deepEqual(effects.infos, ['MCP Guard: the demo server was not on.']);
    assert.equal(existsSync(files.policy), false);
  });

  it('state says whether the demo is on', async () => {
    const { ctx } = fakeContext({ global: { [DEMO_STATE_KEY]: true } });
    ctx.updateStatus();
    const state = (await ctx.run('mcpGuard.state')) as { demo: boolean; statusTooltip: string };
    assert.equal(state.demo, true);
    assert.match(state.statusTooltip, /not a real Odoo/);
  });
});

describe('extension commands: Guard Existing Servers…', () => {
  let tmp: ReturnType<typeof tempDir>;
  let mcpPath: string;
  let settingsPath: string;
  const MCP =
    '{\n  // mine\n  "servers": {\n    "Odoo": { "command": "uvx", "args": ["odoo-mcp"] },\n    "Secret": { "command": "npx", "args": ["s"], "env": { "KEY": "${input:key}" } }\n  }\n}\n';
  const SETTINGS = '{\n  "mcpGuard.servers": [\n    { "name": "Odoo", "command": "uvx", "args": ["odoo-mcp"] }\n  ]\n}\n';
  beforeEach(() => {
    tmp = tempDir();
    mcpPath = join(tmp.dir, '.vscode', 'mcp.json');
    settingsPath = join(tmp.dir, '.vscode', 'settings.json');
    mkdirSync(dirname(mcpPath), { recursive: true });
    writeFileSync(mcpPath, MCP);
    writeFileSync(settingsPath, SETTINGS);
  });
  afterEach(() => tmp.cleanup());

  /** The watch over files in a temporary folder; "applying" writes them, as saving would. */
  function existing(applied: string[][]): ExistingServers {
    const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
    const guarded = parseServers(JSON.parse(readFileSync(settingsPath, 'utf8'))['mcpGuard.servers']).servers;
    const scan = () => {
      const servers = serversIn(read(mcpPath), { kind: 'workspace-mcp', path: mcpPath }).servers;
      return { servers, flagged: findUnguarded({ servers, guarded, lmTools: [], reported: new Map() }) };
    };
    return {
      sources: () => [{ kind: 'workspace-mcp', path: mcpPath }],
      // As the watch would have it once it looked.
      flagged: scan().flagged,
      scan,
      read,
      targets: () => ({
        workspace: { path: settingsPath, inherited: [], inheritedIsDefault: true },
        user: { path: join(tmp.dir, 'user-settings.json'), inherited: [], inheritedIsDefault: true },
      }),
      apply: async (files) => {
        for (const f of files) {
          assert.equal(read(f.path) ?? '', f.before, 'planned from the text the editor has');
          writeFileSync(f.path, f.after);
        }
        applied.push(files.map((f) => f.path));
        return true;
      },
      autoSave: false,
    };
  }

  it('offers every server, flagged ones ticked unless something would not carry over, and moves the picked ones', async () => {
    const applied: string[][] = [];
    const { ctx, effects } = fakeContext({
      existing: existing(applied),
      picksMany: [(items) => items.filter((i) => i.picked)],
    });
    const result = (await ctx.run('mcpGuard.guardExistingServers')) as { ok: boolean; moved: { name: string; label: string }[] };
    const [asked] = effects.asked;
    assert.equal(asked?.options.title, 'MCP Guard: Guard Existing Servers…');
    assert.deepEqual(
      asked?.items.map((i) => [i.label, (i as { picked?: boolean }).picked]),
      [
        ['Odoo', true],
        ['Secret', false],
      ],
    );
    assert.match(asked?.items[0]?.detail ?? '', /agents can call cancel_async_task without the policy/);
    assert.match(asked?.items[1]?.detail ?? '', /\$\{input:key\} stays as written/);
    assert.equal(result.ok, true);
    assert.deepEqual(
      result.moved.map((m) => [m.name, m.label]),
      [['Odoo', 'Odoo 2 (guarded)']],
    );
    assert.deepEqual(applied, [[mcpPath, settingsPath]]);
    assert.deepEqual(Object.keys(parse(readFileSync(mcpPath, 'utf8')).servers), ['Secret']);
    assert.match(readFileSync(mcpPath, 'utf8'), /\/\/ mine/);
    assert.equal(parse(readFileSync(settingsPath, 'utf8'))['mcpGuard.servers'].length, 2);
    assert.match(
      effects.infos.at(-1) ?? '',
      /^MCP Guard: Odoo \(\.vscode\/mcp\.json\) as "Odoo 2 \(guarded\)" will run behind the guard\. Review and save/,
    );
    assert.deepEqual(effects.warnings, []);
  });

  it('offers remote servers too: by their url, a legacy SSE one unticked with the reason; a picked one moves with its url', async () => {
    writeFileSync(
      mcpPath,
      '{ "servers": { "Remote": { "type": "http", "url": "https://mcp.example.com/mcp", "headers": { "X-Tenant": "acme" } }, ' +
        '"Old": { "type": "sse", "url": "https://old.example.com/sse" } } }',
    );
    const applied: string[][] = [];
    const { ctx, effects } = fakeContext({
      existing: existing(applied),
      picksMany: [(items) => items.filter((i) => i.label === 'Remote')],
    });
    const result = (await ctx.run('mcpGuard.guardExistingServers')) as { ok: boolean; moved: { name: string }[] };
    const [asked] = effects.asked;
    assert.deepEqual(
      asked?.items.map((i) => [i.label, i.description, (i as { picked?: boolean }).picked]),
      [
        ['Remote', '.vscode/mcp.json · https://mcp.example.com/mcp', false],
        ['Old', '.vscode/mcp.json · https://old.example.com/sse', false],
      ],
    );
    assert.match(asked?.items[1]?.detail ?? '', /legacy SSE transport/);
    assert.equal(result.ok, true);
    assert.deepEqual(parse(readFileSync(settingsPath, 'utf8'))['mcpGuard.servers'].at(-1), {
      name: 'Remote',
      url: 'https://mcp.example.com/mcp',
      headers: { 'X-Tenant': 'acme' },
      odoo: false,
    });
    assert.deepEqual(Object.keys(parse(readFileSync(mcpPath, 'utf8')).servers), ['Old']);
  });

  it('warns about what does not carry over for a picked server with an input', async () => {
    const applied: string[][] = [];
    const { ctx, effects } = fakeContext({ existing: existing(applied) });
    const result = (await ctx.run('mcpGuard.guardExistingServers', { servers: ['Secret'] })) as { ok: boolean };
    assert.equal(result.ok, true);
    assert.deepEqual(effects.asked, [], 'named by the script: no pick');
    assert.deepEqual(effects.warnings, [
      "MCP Guard: Secret: ${input:key} stays as written: MCP Guard does not ask for VS Code's inputs, so replace it in mcpGuard.servers before starting the server (a secret is better kept out of settings).",
    ]);
  });

  it('a dismissed pick, or nothing picked, changes nothing', async () => {
    const applied: string[][] = [];
    const { ctx } = fakeContext({ existing: existing(applied), picksMany: [() => undefined, () => []] });
    assert.equal(await ctx.run('mcpGuard.guardExistingServers'), undefined);
    assert.equal(await ctx.run('mcpGuard.guardExistingServers'), undefined);
    assert.deepEqual(applied, []);
    assert.equal(readFileSync(mcpPath, 'utf8'), MCP);
  });

  it('says so when there is nothing to guard, or a named server is not there, or the edit did not apply', async () => {
    writeFileSync(mcpPath, '{ "servers": { "Guarded": { "command": "npx", "args": ["mcp-guard", "run", "--", "uvx", "odoo-mcp"] } } }');
    const { ctx, effects } = fakeContext({ existing: existing([]) });
    const none = (await ctx.run('mcpGuard.guardExistingServers')) as { ok: boolean; moved: unknown[] };
    assert.deepEqual(none.moved, []);
    assert.equal(effects.infos.at(-1), 'MCP Guard: no server to guard in .vscode/mcp.json, your mcp.json or the mcp settings.');
    writeFileSync(mcpPath, MCP);
    assert.deepEqual(await ctx.run('mcpGuard.guardExistingServers', { servers: ['Nope'] }), {
      ok: false,
      message: 'No server to guard named Nope.',
    });
    const refusing = { ...existing([]), apply: async () => false };
    const { ctx: ctx2, effects: effects2 } = fakeContext({ existing: refusing });
    const r = (await ctx2.run('mcpGuard.guardExistingServers', { servers: ['Odoo'] })) as { ok: boolean };
    assert.equal(r.ok, false);
    assert.match(effects2.warnings[0] ?? '', /run the command again/);
  });

  it("in Restricted Mode, says that the workspace's files were not read", async () => {
    const { ctx, effects } = fakeContext({ trusted: false });
    await ctx.run('mcpGuard.guardExistingServers');
    assert.equal(
      effects.infos.at(-1),
      "MCP Guard: no server to guard in .vscode/mcp.json, your mcp.json or the mcp settings. The workspace's files are not read in Restricted Mode: trust the workspace to guard its servers.",
    );
  });

  it('the menu offers it while a server is flagged', async () => {
    const { ctx, effects } = fakeContext({ existing: existing([]), picks: [dismiss] });
    await ctx.run('mcpGuard.showMenu');
    assert.ok(effects.asked[0]?.items.some((i) => i.label === '$(warning) Guard Existing Servers…'));
    const state = (await ctx.run('mcpGuard.state')) as { unguarded: string[]; watchedFiles: string[] };
    assert.deepEqual(state.unguarded, ['Odoo in .vscode/mcp.json is not guarded: agents can call cancel_async_task without the policy']);
    assert.deepEqual(state.watchedFiles, [mcpPath]);
  });
});
