// src/extension/demo.ts and where it meets the rest of the extension: the demo server's definition
// (the servers offered, its policy, its launch), its policy text, the status bar, the walkthrough in
// package.json. The last block runs the demo's launch against the BUILT guard and stand-in.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildGuardLaunch, type LaunchContext } from '../../src/extension/definition-builder';
import {
  DEMO_CONTEXT_KEY,
  DEMO_JOURNAL_FILE,
  DEMO_LABEL,
  DEMO_NAME,
  DEMO_POLICY_FILE,
  DEMO_SCRIPT,
  demoAddedMessage,
  demoIsOn,
  demoPolicyText,
  demoServer,
  offeredServers,
  type DemoFiles,
} from '../../src/extension/demo';
import { WALKTHROUGH_ID } from '../../src/extension/ids';
import { choosePolicy } from '../../src/extension/policy-location';
import { DEFAULT_SERVERS, parseServers, type GuardedServerConfig } from '../../src/extension/settings';
import { statusView } from '../../src/extension/status-text';
import { runPolicyTestsOnText, starterPolicyFor, validatePolicyText } from '../../src/guard/language';
import { GUARD, ROOT, STANDIN } from '../support/paths';
import { RawClient, type RawMessage } from '../support/raw-client';
import { tempDir, waitFor } from '../support/temp';

const FILES: DemoFiles = {
  script: '/ext/dist/odoo-demo-server.js',
  policy: '/global/odoo-demo.mcp-policy.yaml',
  journal: '/global/odoo-demo-journal.jsonl',
};

const LAUNCH: LaunchContext = {
  nodePath: '/opt/vscode/code',
  guardScript: '/ext/dist/mcp-guard.js',
  policyPath: FILES.policy,
  auditPath: '/storage/audit.jsonl',
  auditIncludeArguments: false,
  approvalTimeoutSeconds: 120,
  mode: 'enforce',
  bridge: { address: '/tmp/bridge.sock', token: 'tok' },
  extensionVersion: '0.1.0',
};

const MINE: GuardedServerConfig = { name: 'GitHub', command: 'npx', args: ['-y', 'gh-mcp'], env: {}, odoo: false };

describe('extension demo: the definition', () => {
  it('is the bundled stand-in under the given Node, labelled as the demo, with its own policy and journal', () => {
    assert.deepEqual(demoServer('/opt/vscode/code', FILES), {
      name: 'Odoo demo',
      command: '/opt/vscode/code',
      args: ['/ext/dist/odoo-demo-server.js'],
      env: { STANDIN_DEMO: '1', STANDIN_JOURNAL: '/global/odoo-demo-journal.jsonl' },
      policyFile: '/global/odoo-demo.mcp-policy.yaml',
      odoo: false,
      demo: true,
    });
    assert.equal(DEMO_LABEL, 'Odoo demo (guarded)');
    assert.deepEqual([...DEMO_SCRIPT], ['dist', 'odoo-demo-server.js']);
    assert.match(DEMO_POLICY_FILE, /\.mcp-policy\.yaml$/, 'opens as an MCP Guard policy');
    assert.equal(DEMO_JOURNAL_FILE, 'odoo-demo-journal.jsonl');
  });

  it('is offered only while it is on, after the configured servers', () => {
    const demo = demoServer('/node', FILES);
    assert.deepEqual(offeredServers([...DEFAULT_SERVERS, MINE], undefined), { servers: [...DEFAULT_SERVERS, MINE], problems: [] });
    assert.deepEqual(offeredServers([...DEFAULT_SERVERS, MINE], demo), { servers: [...DEFAULT_SERVERS, MINE, demo], problems: [] });
    // Nothing configured at all (an empty mcpGuard.servers): the demo alone.
    assert.deepEqual(offeredServers([], demo).servers, [demo]);
    assert.equal(demoIsOn(true), true);
    for (const stored of [undefined, false, 'true', 1, null]) assert.equal(demoIsOn(stored), false, String(stored));
  });

  it('wins over a configured server of its name, which is named in a problem, and cannot be configured as a demo', () => {
    const { servers } = parseServers([{ name: 'Odoo demo', command: 'uvx', args: ['odoo-mcp'], demo: true }]);
    assert.equal(servers[0]?.demo, undefined, 'settings cannot mark a server as the demo');
    const demo = demoServer('/node', FILES);
    const offered = offeredServers([...servers, MINE], demo);
    assert.deepEqual(offered.servers, [MINE, demo]);
    assert.equal(offered.problems.length, 1);
    assert.match(offered.problems[0]!, /"Odoo demo" is the name of MCP Guard's demo server/);
  });

  it('runs with its own policy, also in an untrusted workspace and when the workspace has one', () => {
    const server = demoServer('/node', FILES);
    for (const trusted of [true, false]) {
      assert.deepEqual(
        choosePolicy({
          server,
          workspacePolicySetting: '.vscode/mcp-policy.yaml',
          workspaceFolder: '/ws',
          trusted,
          userPolicyPath: '/global/mcp-policy.yaml',
          exists: () => true,
        }),
        { path: FILES.policy, scope: 'server' },
      );
    }
  });

  it('launches the guard named "Odoo demo" in front of the stand-in, with STANDIN_DEMO=1 and the journal', () => {
    const launch = buildGuardLaunch(demoServer(LAUNCH.nodePath, FILES), LAUNCH);
    assert.equal(launch.label, 'Odoo demo (guarded)');
    assert.equal(launch.command, '/opt/vscode/code');
    assert.deepEqual(launch.args, [
      '/ext/dist/mcp-guard.js',
      'run',
      '--policy',
      FILES.policy,
      '--audit',
      '/storage/audit.jsonl',
      '--approval-timeout',
      '120',
      '--mode',
      'enforce',
      '--name=Odoo demo',
      '--',
      '/opt/vscode/code',
      '/ext/dist/odoo-demo-server.js',
    ]);
    assert.equal(launch.env['STANDIN_DEMO'], '1');
    assert.equal(launch.env['STANDIN_JOURNAL'], FILES.journal);
    // Under desktop VS Code the node is Electron: the guard, and the stand-in it starts with its env, run as Node.
    assert.equal(launch.env['ELECTRON_RUN_AS_NODE'], '1');
    assert.equal(launch.env['ODOO_PASSWORD'], undefined, 'no credentials');
  });
});

describe('extension demo: its policy and what it says', () => {
  it('is the starter under a header saying it is the demo, not a real Odoo', () => {
    const text = demoPolicyText();
    assert.ok(text.endsWith(starterPolicyFor()));
    const header = text.slice(0, text.length - starterPolicyFor().length);
    assert.match(header, /^# The policy of "Odoo demo \(guarded\)": MCP Guard's demo stand-in, NOT a real Odoo/);
    assert.ok(
      header.split('\n').every((l) => l === '' || l.startsWith('#')),
      'only comments above the starter',
    );
  });

  it('validates without errors, its own tests pass, and it asks before cancel_async_task', () => {
    const text = demoPolicyText();
    assert.deepEqual(
      validatePolicyText(text)
        .filter((d) => d.severity === 'error')
        .map((d) => d.message),
      [],
    );
    const run = runPolicyTestsOnText(text);
    assert.ok(run.results && run.results.length > 0);
    assert.deepEqual(
      run.results.filter((r) => !r.passed),
      [],
    );
    const cancel = run.results.find((r) => r.call === 'cancel_async_task');
    assert.equal(cancel?.actual, 'require_approval');
  });

  it('the message after "Try the Demo Server" names the demo, says it is not a real Odoo, and what to ask the agent', () => {
    const text = demoAddedMessage();
    assert.match(text, /"Odoo demo \(guarded\)"/);
    assert.match(text, /not a real one/);
    assert.match(text, /cancel that task/);
  });

  it('the status bar tooltip says the demo is on, and only then', () => {
    const base = { mode: 'enforce' as const, blocked: 0, trusted: true, guards: 1 };
    const on = statusView({ ...base, demo: true });
    assert.match(
      on.tooltip,
      /\nDemo server on: "Odoo demo \(guarded\)" is MCP Guard's stand-in, not a real Odoo\.\nClick for MCP Guard actions\.$/,
    );
    assert.equal(on.text, statusView(base).text, 'the text stays the mode and counts');
    assert.doesNotMatch(statusView(base).tooltip, /demo/i);
    assert.doesNotMatch(statusView({ ...base, demo: false }).tooltip, /demo/i);
  });
});

interface Step {
  id: string;
  title: string;
  description: string;
  media: { image?: string; altText?: string; markdown?: string };
  completionEvents?: string[];
}

describe('extension demo: package.json', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    publisher: string;
    name: string;
    contributes: {
      commands: { command: string; title: string; category: string }[];
      menus: { commandPalette: { command: string; when: string }[] };
      walkthroughs: { id: string; title: string; description: string; steps: Step[] }[];
    };
  };
  const commands = new Set(pkg.contributes.commands.map((c) => c.command));
  const walkthrough = pkg.contributes.walkthroughs[0]!;

  it('contributes the two demo commands, "Remove" only while the demo is on', () => {
    const titles = Object.fromEntries(pkg.contributes.commands.map((c) => [c.command, `${c.category}: ${c.title}`]));
    assert.equal(titles['mcpGuard.tryDemo'], 'MCP Guard: Try the Demo Server');
    assert.equal(titles['mcpGuard.removeDemo'], 'MCP Guard: Remove the Demo Server');
    assert.deepEqual(
      pkg.contributes.menus.commandPalette.find((m) => m.command === 'mcpGuard.removeDemo'),
      { command: 'mcpGuard.removeDemo', when: DEMO_CONTEXT_KEY },
    );
  });

  it('has one walkthrough, the one the demo message opens', () => {
    assert.equal(pkg.contributes.walkthroughs.length, 1);
    assert.equal(`${pkg.publisher}.${pkg.name}#${walkthrough.id}`, WALKTHROUGH_ID);
  });

  it('its first step tries the demo server: a blocked call within a minute, nothing to set up', () => {
    const first = walkthrough.steps[0]!;
    assert.match(first.description, /\[Try the Demo Server\]\(command:mcpGuard\.tryDemo\)/);
    assert.deepEqual(first.completionEvents, ['onCommand:mcpGuard.tryDemo']);
    assert.match(first.description, /not a real one/);
    assert.equal(first.media.image, 'media/approval-dialog.png');
  });

  it('has the steps the issue asks for: a blocked call, the audit log, the policy, the modes, the Odoo credentials', () => {
    const links = walkthrough.steps.map((s) => [...s.description.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]));
    assert.deepEqual(links, [
      ['mcpGuard.tryDemo'],
      ['mcpGuard.showAuditLog'],
      ['mcpGuard.openPolicy'],
      ['mcpGuard.switchMode'],
      ['mcpGuard.setOdooCredentials', 'mcpGuard.removeDemo'],
    ]);
  });

  for (const step of walkthrough.steps) {
    it(`step "${step.title}": its command links and completion events are contributed commands, its media is there`, () => {
      for (const m of step.description.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(commands.has(m[1]!), m[1]);
      assert.ok(step.completionEvents && step.completionEvents.length > 0, 'it can be completed');
      for (const e of step.completionEvents) {
        const command = /^onCommand:(.+)$/.exec(e)?.[1];
        assert.ok(command && commands.has(command), e);
      }
      const media = step.media.image ?? step.media.markdown;
      assert.ok(media && existsSync(join(ROOT, media)), `${media} exists`);
      if (step.media.image) assert.ok((step.media.altText ?? '').length > 20, 'an image has alt text');
    });
  }

  it('its pictures and texts ship in the .vsix (.vscodeignore keeps media/)', () => {
    const ignore = readFileSync(join(ROOT, '.vscodeignore'), 'utf8').split('\n');
    assert.ok(ignore.includes('!media/**'), ignore.join('\n'));
  });
});

describe('extension demo: the launch really runs the guarded stand-in (built bundles)', function () {
  this.timeout(30000);
  let tmp: { dir: string; cleanup: () => void };
  let client: RawClient | undefined;

  before(function () {
    for (const f of [GUARD, STANDIN]) if (!existsSync(f)) throw new Error(`${f} is missing: run node scripts/build.mjs first`);
  });
  beforeEach(() => (tmp = tempDir('mcp-guard-ext-demo-')));
  afterEach(async () => {
    if (client) await client.close();
    client = undefined;
    tmp.cleanup();
  });

  const textOf = (m: RawMessage): string =>
    ((m.result?.content ?? []) as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');

  it('labels itself a demo, lists the Odoo tools, and never runs cancel_async_task without an approval', async () => {
    const files: DemoFiles = {
      script: STANDIN,
      policy: join(tmp.dir, DEMO_POLICY_FILE),
      journal: join(tmp.dir, DEMO_JOURNAL_FILE),
    };
    writeFileSync(files.policy, demoPolicyText());
    const audit = join(tmp.dir, 'audit.jsonl');
    const launch = buildGuardLaunch(demoServer(process.execPath, files), {
      ...LAUNCH,
      nodePath: process.execPath,
      guardScript: GUARD,
      policyPath: files.policy,
      auditPath: audit,
      bridge: undefined,
    });
    client = new RawClient(launch.command, launch.args, launch.env);
    const init = await client.initialize();
    assert.equal(init.error, undefined, JSON.stringify(init.error));
    assert.match(String(init.result?.serverInfo?.name), /demo/, JSON.stringify(init.result?.serverInfo));

    const list = await client.request('tools/list', {});
    const names = ((list.result?.tools ?? []) as { name: string }[]).map((t) => t.name);
    assert.ok(names.length >= 40 && names.includes('cancel_async_task'), names.join(', '));

    const submitted = await client.request('tools/call', {
      name: 'submit_async_task',
      arguments: { operation: 'data_quality_report', params: { model: 'res.partner' } },
    });
    const taskId = /"task_id":\s*"([^"]+)"/.exec(textOf(submitted))?.[1];
    assert.ok(taskId, textOf(submitted));
    // No editor and no elicitation: nobody can approve, so the guard blocks it.
    const cancel = await client.request('tools/call', { name: 'cancel_async_task', arguments: { task_id: taskId } });
    assert.equal(cancel.result?.isError, true, textOf(cancel));
    assert.match(textOf(cancel), /cancel_async_task/);
    assert.match(client.stderr, /guarding "Odoo demo" in enforce mode/);

    const journaled = await waitFor('the journal', () =>
      existsSync(files.journal)
        ? readFileSync(files.journal, 'utf8')
            .trim()
            .split('\n')
            .map((l) => (JSON.parse(l) as { tool: string }).tool)
        : undefined,
    );
    assert.deepEqual(journaled, ['submit_async_task'], 'the cancel never reached the stand-in');

    await client.close();
    client = undefined;
    const decisions = await waitFor('audit decisions', () => {
      if (!existsSync(audit)) return undefined;
      const d = readFileSync(audit, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; server: string; tool: string })
        .filter((e) => e.event === 'decision');
      return d.length >= 2 ? d : undefined;
    });
    assert.deepEqual(
      decisions.map((d) => [d.server, d.tool]),
      [
        [DEMO_NAME, 'submit_async_task'],
        [DEMO_NAME, 'cancel_async_task'],
      ],
    );
  });
});
