import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { EVERYTHING, GUARD } from '../support/paths';
import { tempDir } from '../support/temp';

/**
 * The guard in front of a server nobody here wrote (@modelcontextprotocol/server-everything),
 * with an allow-all policy, must look exactly like the server itself.
 */
describe('guard in front of @modelcontextprotocol/server-everything', function () {
  this.timeout(30_000);
  const clients: Client[] = [];
  let cleanup = () => {};
  const sampled: string[] = [];

  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    cleanup();
  });

  async function connect(guarded: boolean): Promise<Client> {
    const t = tempDir();
    cleanup = t.cleanup;
    const policy = join(t.dir, 'allow-all.yaml');
    writeFileSync(policy, 'version: 1\ntools:\n  "*": { action: allow }\n');
    const args = guarded ? [GUARD, 'run', '--policy', policy, '--', process.execPath, EVERYTHING] : [EVERYTHING];
    const client = new Client({ name: 'e2e', version: '1.0.0' }, { capabilities: { sampling: {}, roots: { listChanged: true } } });
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      sampled.push(JSON.stringify(req.params.messages[0]!.content));
      return { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'sampled reply' } };
    });
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///tmp/root-a', name: 'root-a' }] }));
    await client.connect(new StdioClientTransport({ command: process.execPath, args, stderr: 'pipe' }));
    clients.push(client);
    // The server registers capability-dependent tools after initialization.
    await new Promise((r) => setTimeout(r, 300));
    return client;
  }

  it('lists the same tools and gives the same results; sampling and roots requests reach the client', async () => {
    const direct = await connect(false);
    const guarded = await connect(true);
    assert.deepEqual(guarded.getServerVersion(), direct.getServerVersion());
    assert.deepEqual(guarded.getServerCapabilities(), direct.getServerCapabilities());
    const tools = await guarded.listTools();
    assert.deepEqual(tools, await direct.listTools());
    assert.ok(tools.tools.some((t) => t.name === 'trigger-sampling-request'));
    for (const call of [
      { name: 'echo', arguments: { message: 'hello through the guard' } },
      { name: 'get-sum', arguments: { a: 2, b: 40 } },
      { name: 'get-structured-content', arguments: { location: 'New York' } },
    ]) {
      assert.deepEqual(await guarded.callTool(call), await direct.callTool(call), call.name);
    }
    sampled.length = 0;
    const sampling = await guarded.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'ping', maxTokens: 5 } });
    assert.match(JSON.stringify(sampling), /sampled reply/);
    assert.equal(sampled.length, 1);
    const roots = await guarded.callTool({ name: 'get-roots-list', arguments: {} });
    assert.match(JSON.stringify(roots), /root-a/);
    assert.deepEqual(await guarded.listPrompts(), await direct.listPrompts());
    assert.deepEqual(await guarded.listResources(), await direct.listResources());
  });
});
