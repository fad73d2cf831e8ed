import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { textOf } from '../support/guarded';
import { readJsonLines } from '../support/jsonl';
import { GUARD, ROOT } from '../support/paths';
import { connectHttp, everythingOverHttp, serve } from '../support/served';
import { tempDir } from '../support/temp';

const SECRET = 'tok-3f9a1c77e2b44d0e8a5b';

interface FrontEndOptions {
  capabilities?: ClientCapabilities;
  setup?: (c: Client) => void;
  /** Extra guard flags. */
  flags?: string[];
  env?: Record<string, string>;
}

/** An SDK client talking to a real guard whose upstream is `upstreamUrl`. */
interface Fronted {
  readonly client: Client;
  readonly stderr: () => string;
  readonly audit: () => any[];
  readonly stop: () => Promise<unknown>;
}

/** How a client reaches a guard with --upstream-url: the stdio `run`, or `serve` over Streamable HTTP. */
interface FrontEnd {
  readonly title: string;
  start(policy: string, upstreamUrl: string, options: FrontEndOptions): Promise<Fronted>;
}

const RUN: FrontEnd = {
  title: 'mcp-guard run --upstream-url (SDK stdio client → run → server-everything over Streamable HTTP)',
  async start(policy, upstreamUrl, options) {
    const { dir, cleanup } = tempDir();
    const policyPath = join(dir, 'policy.yaml');
    const auditPath = join(dir, 'audit.jsonl');
    writeFileSync(policyPath, policy);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [GUARD, 'run', '--policy', policyPath, '--audit', auditPath, ...(options.flags ?? []), '--upstream-url', upstreamUrl],
      env: { ...(process.env as Record<string, string>), ...options.env },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const client = new Client({ name: 'e2e-client', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
    options.setup?.(client);
    await client.connect(transport).catch((e: Error) => {
      cleanup();
      throw new Error(`${e.message}\n${stderr}`, { cause: e });
    });
    return {
      client,
      stderr: () => stderr,
      audit: () => readJsonLines(auditPath),
      stop: async () => {
        await client.close();
        cleanup();
      },
    };
  },
};

const SERVE: FrontEnd = {
  title: 'mcp-guard serve --upstream-url (SDK HTTP client → serve → server-everything over Streamable HTTP)',
  async start(policy, upstreamUrl, options) {
    const guard = await serve({
      policy,
      upstreamUrl,
      serveArgs: options.flags ?? [],
      ...(options.env ? { env: options.env } : {}),
    });
    const { client } = await connectHttp(guard.url, {
      ...(options.capabilities ? { capabilities: options.capabilities } : {}),
      ...(options.setup ? { setup: options.setup } : {}),
    }).catch(async (e: Error) => {
      await guard.stop();
      throw e;
    });
    return {
      client,
      stderr: () => guard.stderr(),
      audit: () => guard.audit(),
      stop: async () => {
        await client.close();
        await guard.stop();
      },
    };
  },
};

/**
 * Both front ends in front of @modelcontextprotocol/server-everything served over Streamable HTTP (on 127.0.0.1,
 * journalling every tools/call and the headers of every request): the same transparency and policy checks.
 */
for (const frontEnd of [RUN, SERVE]) {
  describe(frontEnd.title, function () {
    this.timeout(30_000);
    const cleanups: (() => Promise<unknown> | void)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => {});
    });

    async function setUp(policy: string, options: FrontEndOptions = {}) {
      const everything = await everythingOverHttp();
      cleanups.push(() => everything.stop());
      // The query carries a secret: it must stay out of every log and audit line.
      const fronted = await frontEnd.start(policy, `${everything.url}?key=${SECRET}`, options);
      cleanups.push(() => fronted.stop());
      return { everything, ...fronted };
    }

    it('shows the server as it is: info, capabilities, instructions, tools, prompts, resources', async () => {
      const { everything, client } = await setUp('version: 1\ndefault: allow\n');
      const { client: direct } = await connectHttp(everything.url);
      cleanups.push(() => direct.close());
      assert.deepEqual(client.getServerVersion(), direct.getServerVersion());
      assert.deepEqual(client.getServerCapabilities(), direct.getServerCapabilities());
      assert.equal(client.getInstructions(), direct.getInstructions());
      assert.deepEqual(await client.listTools(), await direct.listTools());
      assert.deepEqual(await client.listPrompts(), await direct.listPrompts());
      assert.deepEqual(await client.listResources(), await direct.listResources());
      const echo = await client.callTool({ name: 'echo', arguments: { message: 'through the guard, then HTTP' } });
      assert.match(textOf(echo), /through the guard, then HTTP/);
    });

    it('enforces the policy: a denied call never reaches the server (its journal); the URL is logged without its query', async () => {
      const { everything, client, audit, stderr } = await setUp(
        'version: 1\ndefault: allow\ntools:\n  get-sum: { action: deny, reason: no sums today }\n',
      );
      const denied = await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } });
      assert.equal(denied.isError, true);
      assert.match(textOf(denied), /no sums today/);
      const echo = await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
      assert.notEqual(echo.isError, true, textOf(echo));
      assert.deepEqual(
        everything.journal().map((j) => j.tool),
        ['echo'],
      );
      const events = audit();
      assert.deepEqual(
        events.filter((e) => e.event === 'decision').map((d) => [d.tool, d.decision]),
        [
          ['get-sum', 'denied'],
          ['echo', 'allowed'],
        ],
      );
      assert.ok(!JSON.stringify(events).includes(SECRET), 'the query stays out of the audit');
      assert.ok(!stderr().includes(SECRET), 'the query stays out of the log');
    });

    it("relays the server's elicitation to the client and its answer back", async () => {
      let asked = '';
      const { client } = await setUp('version: 1\ndefault: allow\n', {
        capabilities: { elicitation: {} },
        setup: (c) =>
          c.setRequestHandler(ElicitRequestSchema, async (req) => {
            asked = req.params.message;
            return { action: 'decline' as const };
          }),
      });
      const r = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
      assert.notEqual(asked, '', 'the elicitation reached the client');
      assert.match(textOf(r), /decline/i);
    });

    it('sends every --upstream-header on every request, ${NAME} taken from its environment, never logged', async () => {
      const { everything, client, stderr, audit } = await setUp('version: 1\ndefault: allow\n', {
        flags: ['--upstream-header', 'Authorization: Bearer ${E2E_UPSTREAM_TOKEN}', '--upstream-header', 'X-Tenant: acme'],
        env: { E2E_UPSTREAM_TOKEN: SECRET },
      });
      // A result that repeats the token is redacted like the Odoo password would be (it is the guard's own credential).
      const echoed = await client.callTool({ name: 'echo', arguments: { message: `it was ${SECRET}` } });
      assert.ok(!textOf(echoed).includes(SECRET), textOf(echoed));
      assert.match(textOf(echoed), /redacted upstream-credential/);
      const requests = everything.requests();
      assert.ok(requests.length >= 3, `initialize, initialized, tools/call at least: ${requests.length}`);
      for (const r of requests) {
        assert.equal(r.headers['authorization'], `Bearer ${SECRET}`, `${r.method} carries the token`);
        assert.equal(r.headers['x-tenant'], 'acme');
      }
      assert.ok(!stderr().includes(SECRET));
      assert.ok(!JSON.stringify(audit()).includes(SECRET));
    });
  });
}

describe('mcp-guard run --upstream-url: what it logs and refuses', function () {
  this.timeout(30_000);

  it('audits and logs the upstream as its origin and path, without the query', async () => {
    const everything = await everythingOverHttp();
    try {
      const fronted = await RUN.start('version: 1\ndefault: allow\n', `${everything.url}?key=${SECRET}`, {});
      try {
        await fronted.client.listTools();
        const start = fronted.audit().find((e) => e.event === 'start');
        assert.equal(start.upstream, `${everything.url}?…`);
        assert.match(fronted.stderr(), /guarding "127\.0\.0\.1:\d+"/);
      } finally {
        await fronted.stop();
      }
    } finally {
      await everything.stop();
    }
  });

  it('reaches an HTTPS server whose certificate it trusts (NODE_EXTRA_CA_CERTS), and calls nothing on one it does not', async () => {
    // A self-signed certificate for 127.0.0.1 made for these tests (test/fixtures/tls, valid until 2126).
    const tls = {
      cert: join(ROOT, 'test', 'fixtures', 'tls', 'localhost-cert.pem'),
      key: join(ROOT, 'test', 'fixtures', 'tls', 'localhost-key.pem'),
    };
    const everything = await everythingOverHttp({ tls });
    try {
      assert.match(everything.url, /^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const trusted = await RUN.start('version: 1\ndefault: allow\n', everything.url, { env: { NODE_EXTRA_CA_CERTS: tls.cert } });
      try {
        const echo = await trusted.client.callTool({ name: 'echo', arguments: { message: 'over TLS' } });
        assert.match(textOf(echo), /over TLS/);
      } finally {
        await trusted.stop();
      }
      // Unverified, the server is not reached at all: the session does not start and nothing runs.
      await assert.rejects(RUN.start('version: 1\ndefault: allow\n', everything.url, {}), /could not be reached: .*certificate/);
      assert.deepEqual(
        everything.journal().map((j) => j.tool),
        ['echo'],
      );
    } finally {
      await everything.stop();
    }
  });

  it('refuses a header whose variable is not set, or whose value would inject another header (exit 2, value unnamed)', () => {
    const run = (header: string, env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [GUARD, 'run', '--upstream-url', 'http://127.0.0.1:9/mcp', '--upstream-header', header], {
        env: { ...(process.env as Record<string, string>), ...env },
        input: '',
        encoding: 'utf8',
        timeout: 10_000,
      });
    const missing = run('Authorization: Bearer ${E2E_NOT_SET_ANYWHERE}');
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /the environment variable E2E_NOT_SET_ANYWHERE is not set/);
    const injected = run('X-Token: ${E2E_INJECT}', { E2E_INJECT: `${SECRET}\r\nX-Admin: yes` });
    assert.equal(injected.status, 2, injected.stderr);
    assert.match(injected.stderr, /X-Token: the value must not hold a line break/);
    assert.ok(!injected.stderr.includes(SECRET));
  });
});
