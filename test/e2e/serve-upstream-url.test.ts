import { strict as assert } from 'node:assert';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { textOf } from '../support/guarded';
import { connectHttp, everythingOverHttp, serve } from '../support/served';

/**
 * `serve --upstream-url`: the SDK's Streamable HTTP client → the real guard → @modelcontextprotocol/server-everything,
 * itself served over Streamable HTTP (on 127.0.0.1, journalling every tools/call it receives).
 */
describe('mcp-guard serve --upstream-url (SDK HTTP client → serve → server-everything over Streamable HTTP)', function () {
  this.timeout(30_000);
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });

  async function setUp(policy: string, capabilities = {}, setup?: (c: Client) => void) {
    const everything = await everythingOverHttp();
    cleanups.push(() => everything.stop());
    const guard = await serve({ policy, upstreamUrl: everything.url });
    cleanups.push(() => guard.stop());
    const { client } = await connectHttp(guard.url, { capabilities, ...(setup ? { setup } : {}) });
    cleanups.push(() => client.close());
    return { everything, guard, client };
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
    const echo = await client.callTool({ name: 'echo', arguments: { message: 'through two HTTP hops' } });
    assert.match(textOf(echo), /through two HTTP hops/);
  });

  it('enforces the policy: a denied call never reaches the server (its journal)', async () => {
    const { everything, guard, client } = await setUp(
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
    assert.deepEqual(
      guard.decisions().map((d) => [d.tool, d.decision]),
      [
        ['get-sum', 'denied'],
        ['echo', 'allowed'],
      ],
    );
  });

  it('sends every --upstream-header on every request to the server, ${NAME} from its environment, never logged', async () => {
    const secret = 'tok-7b1e0c94d2a6';
    const everything = await everythingOverHttp();
    cleanups.push(() => everything.stop());
    const guard = await serve({
      policy: 'version: 1\ndefault: allow\n',
      upstreamUrl: everything.url,
      serveArgs: ['--upstream-header', 'Authorization: Bearer ${E2E_SERVE_UPSTREAM_TOKEN}'],
      env: { E2E_SERVE_UPSTREAM_TOKEN: secret },
    });
    cleanups.push(() => guard.stop());
    const { client } = await connectHttp(guard.url);
    cleanups.push(() => client.close());
    await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
    const requests = everything.requests();
    assert.ok(requests.length >= 3, String(requests.length));
    for (const r of requests) assert.equal(r.headers['authorization'], `Bearer ${secret}`, r.method);
    assert.ok(!guard.stderr().includes(secret));
    assert.ok(!JSON.stringify(guard.audit()).includes(secret));
  });

  it("relays the server's elicitation to the session's client and its answer back", async () => {
    let asked = '';
    const { client } = await setUp('version: 1\ndefault: allow\n', { elicitation: {} }, (c) =>
      c.setRequestHandler(ElicitRequestSchema, async (req) => {
        asked = req.params.message;
        return { action: 'decline' as const };
      }),
    );
    const r = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    assert.notEqual(asked, '', 'the elicitation reached the client');
    assert.match(textOf(r), /decline/i);
  });
});
