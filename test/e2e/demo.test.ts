// `mcp-guard demo`, run as a person would: from the built bundle, and from the npm package installed in an empty folder.
// The decisions are read from what it prints, and what reached the stand-in from its journal, not from the demo's word.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { dirname, join } from 'node:path';
import { GUARD, ROOT } from '../support/paths';
import { tempDir } from '../support/temp';

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function demo(entry: string, args: readonly string[] = [], input?: string, cwd = ROOT): Run {
  const r = spawnSync(process.execPath, [entry, 'demo', ...args], {
    cwd,
    input: input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The run's folder, from the line `Audit log: DIR/audit.jsonl (...)`. */
function runDir(out: string): string {
  const m = /^Audit log: (\S+)audit\.jsonl /m.exec(out);
  assert.ok(m, `no audit log line in:\n${out}`);
  return dirname(`${m[1]}audit.jsonl`);
}

function jsonLines(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The tools the stand-in executed, oldest first. */
function executed(dir: string): string[] {
  return jsonLines(join(dir, 'journal.jsonl')).map((e) => String(e.tool ?? e.name));
}

/** What a scripted run must show, whichever build printed it. */
function assertScriptedRun(r: Run): void {
  assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  const out = r.stdout;
  assert.match(out, /search_records \{"model":"res\.partner","limit":3\}\s+Read · low\s+→ allowed/);
  assert.match(out, /cancel_async_task \{"task_id":"[0-9a-f]+"\}\s+Destructive · critical\s+→ BLOCKED \(rule tools\.cancel_async_task\)/);
  assert.match(out, /Reason: Kills any client's task for good/);
  assert.match(out, /The task is still running: the cancel never reached the server\./);
  assert.match(out, /→ BLOCKED: rate limit reached \(rule tools\.search_records\)/);
  assert.match(out, /read_field_to_file .*→ BLOCKED \(rule hide\)/);
  assert.match(out, /submit_async_task .*→ BLOCKED \(rule mode\.lockdown\)/);

  const dir = runDir(out);
  try {
    const ran = executed(dir);
    assert.ok(ran.includes('submit_async_task') && ran.includes('search_records'), ran.join(','));
    for (const blocked of ['cancel_async_task', 'read_field_to_file']) assert.ok(!ran.includes(blocked), `${blocked} reached the stand-in`);
    assert.equal(ran.filter((t) => t === 'submit_async_task').length, 1, 'lockdown let submit_async_task through');
    const audit = jsonLines(join(dir, 'audit.jsonl'));
    const cancel = audit.find((e) => e.tool === 'cancel_async_task');
    assert.ok(cancel, 'no audit event for cancel_async_task');
    assert.equal(cancel.server, 'Odoo demo', 'the audit log names the demo server');
    assert.notEqual(cancel.decision, 'allow');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('mcp-guard demo', function () {
  this.timeout(120_000);

  it('plays the scripted session from the built bundle: the read allowed, the cancel blocked with the task still running, the rate limit', () => {
    assertScriptedRun(demo(GUARD));
  });

  it('--interactive: typed calls are decided, an approval answered "n" never reaches the stand-in and "y" does', () => {
    const input = [
      'tools',
      'search_records {"model": "res.partner", "limit": 1}',
      'cancel_async_task {"task_id": "nope"}',
      'n',
      'chatter_post {"model": "res.partner", "record_id": 3, "body": "Hello"}',
      'y',
      'execute_method {"model": "res.partner", "method": "unlink", "args": [[3]]',
      'quit',
    ].join('\n');
    const r = demo(GUARD, ['--interactive'], `${input}\n`);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /43 tools:/);
    assert.match(r.stdout, /the arguments are not JSON/);
    const dir = runDir(r.stdout);
    try {
      const ran = executed(dir);
      assert.ok(ran.includes('search_records'), ran.join(','));
      assert.ok(!ran.includes('cancel_async_task'), 'a call answered "n" reached the stand-in');
      assert.ok(!ran.includes('execute_method'), 'a malformed line was sent');
      const decisions = jsonLines(join(dir, 'audit.jsonl')).map((e) => `${String(e.tool)}:${String(e.decision)}`);
      assert.ok(
        decisions.some((d) => d.startsWith('cancel_async_task:') && !d.endsWith(':allow')),
        decisions.join(' '),
      );
      const chatter = decisions.find((d) => d.startsWith('chatter_post:'));
      assert.ok(chatter, decisions.join(' '));
      // chatter_post asks under the starter policy; once approved it reaches the stand-in.
      assert.ok(ran.includes('chatter_post'), `chatter_post approved with "y" was not executed (${chatter})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown flag with the usage and exit 2, and a missing --policy file with exit 1', () => {
    const bad = demo(GUARD, ['--frobnicate']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /Usage: mcp-guard demo/);
    const missing = demo(GUARD, ['--policy', '/nonexistent/policy.yaml']);
    assert.equal(missing.status, 1, missing.stdout + missing.stderr);
    assert.match(missing.stderr, /nonexistent\/policy\.yaml/);
  });

  it('runs the same from the npm package, installed into an empty folder with no network; an npx client config enforces the policy', async function () {
    if (process.env.MCP_GUARD_TEST_GUARD) this.skip(); // packs this checkout, not the build under test
    const t = tempDir();
    try {
      const packed = JSON.parse(
        execFileSync('npm', ['pack', '--json', '--pack-destination', t.dir], {
          cwd: ROOT,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      ) as { filename: string; files: { path: string }[]; size: number }[];
      const files = packed[0]!.files.map((f) => f.path).sort();
      assert.deepEqual(files, [
        'CHANGELOG.md',
        'LICENSE',
        'README.md',
        'dist/mcp-guard-demo.js',
        'dist/mcp-guard-http-upstream.js',
        'dist/mcp-guard-redis.js',
        'dist/mcp-guard-serve.js',
        'dist/mcp-guard.js',
        'dist/odoo-demo-server.js',
        'package.json',
      ]);
      const app = join(t.dir, 'app');
      mkdirSync(app);
      execFileSync('npm', ['init', '-y'], { cwd: app, stdio: 'ignore' });
      execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(t.dir, packed[0]!.filename)], {
        cwd: app,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const bin = join(app, 'node_modules', '.bin', 'mcp-guard');
      assert.ok(existsSync(bin), `no ${bin}`);
      const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      assert.equal(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim(), version.version);
      assert.deepEqual(
        readdirSync(join(app, 'node_modules')).sort(),
        ['.bin', '.package-lock.json', 'mcp-guard'],
        'no run-time dependencies',
      );
      const r = spawnSync(bin, ['demo'], { cwd: app, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
      assertScriptedRun({ status: r.status, stdout: r.stdout, stderr: r.stderr });

      // An MCP client configured as the README shows ("command": "npx", "args": ["mcp-guard", "run", ...]),
      // in front of the package's own stand-in: the policy holds, and the denied call never runs.
      const policy = join(t.dir, 'policy.yaml');
      const journal = join(t.dir, 'journal.jsonl');
      writeFileSync(
        policy,
        'version: 1\ndefault: allow\ntools:\n  cancel_async_task:\n    action: deny\n    reason: Tasks are never cancelled by agents.\n',
      );
      const standin = join(app, 'node_modules', 'mcp-guard', 'dist', 'odoo-demo-server.js');
      const client = new Client({ name: 'npx-config', version: '1.0.0' });
      await client.connect(
        new StdioClientTransport({
          command: 'npx',
          args: ['--offline', 'mcp-guard', 'run', '--policy', policy, '--', process.execPath, standin],
          cwd: app,
          env: { ...(process.env as Record<string, string>), STANDIN_JOURNAL: journal },
          stderr: 'pipe',
        }),
      );
      try {
        assert.equal((await client.listTools()).tools.length, 43);
        const task = await client.callTool({
          name: 'submit_async_task',
          arguments: { operation: 'data_quality_report', params: { model: 'res.partner' } },
        });
        const taskId = /"task_id":\s*"([^"]+)"/.exec(JSON.stringify(task.structuredContent ?? task.content).replace(/\\"/g, '"'))?.[1];
        assert.ok(taskId, JSON.stringify(task));
        const cancel = await client.callTool({ name: 'cancel_async_task', arguments: { task_id: taskId } });
        assert.equal(cancel.isError, true);
        assert.match(JSON.stringify(cancel.content), /Tasks are never cancelled by agents/);
      } finally {
        await client.close();
      }
      const ran = jsonLines(journal).map((e) => String(e.tool ?? e.name));
      assert.deepEqual(ran, ['submit_async_task']);
    } finally {
      t.cleanup();
    }
  });
});
