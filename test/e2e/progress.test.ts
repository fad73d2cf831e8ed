import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GUARD, STANDIN } from '../support/paths';
import { RawClient } from '../support/raw-client';
import { tempDir } from '../support/temp';

describe('guard end to end with a raw JSON-RPC client', function () {
  this.timeout(20_000);
  let cleanup: () => void = () => {};
  let client: RawClient | undefined;

  afterEach(async () => {
    await client?.close();
    client = undefined;
    cleanup();
  });

  function start(policy: string, env: Record<string, string> = {}): RawClient {
    const t = tempDir();
    cleanup = t.cleanup;
    const policyPath = join(t.dir, 'policy.yaml');
    writeFileSync(policyPath, policy);
    client = new RawClient(process.execPath, [GUARD, 'run', '--policy', policyPath, '--', process.execPath, STANDIN], {
      ...process.env,
      ...env,
    });
    return client;
  }

  it('relays every progress notification with the client token unchanged, before the result', async () => {
    const c = start('version: 1\n', { STANDIN_PROGRESS_STEPS: '5' });
    await c.initialize();
    const token = 'client-token-Ω-42';
    const answer = await c.request('tools/call', { name: 'health_check', arguments: {}, _meta: { progressToken: token } }, 'call-1');
    assert.equal(answer.result.isError, false);
    const progress = c.received.filter((m) => m.method === 'notifications/progress');
    assert.deepEqual(
      progress.map((m) => [m.params.progressToken, m.params.progress, m.params.total]),
      [1, 2, 3, 4, 5].map((n) => [token, n, 5]),
    );
    const lastProgress = c.received.lastIndexOf(progress[4]!);
    const response = c.received.findIndex((m) => m.id === 'call-1');
    assert.ok(lastProgress < response, 'the last progress notification came before the response');
  });

  it('decides each tools/call inside a JSON-RPC batch on its own', async () => {
    const c = start('version: 1\n');
    await c.initialize();
    await c.request('tools/list');
    c.send([
      { jsonrpc: '2.0', id: 'b1', method: 'tools/call', params: { name: 'health_check', arguments: {} } },
      { jsonrpc: '2.0', id: 'b2', method: 'tools/call', params: { name: 'cancel_async_task', arguments: { task_id: 'aaaaaaaaaaaa' } } },
    ]);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !(c.received.some((m) => m.id === 'b1') && c.received.some((m) => m.id === 'b2'))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(c.received.find((m) => m.id === 'b1')?.result?.isError, false);
    const denied = c.received.find((m) => m.id === 'b2');
    assert.equal(denied?.result?.isError, true);
    assert.match(denied!.result.content[0].text, /MCP Guard blocked the call to cancel_async_task/);
  });

  it('answers malformed requests with JSON-RPC errors and keeps serving', async () => {
    const c = start('version: 1\n');
    await c.initialize();
    c.sendLine('{this is not json');
    const bad = await c.request('tools/call', { arguments: {} });
    assert.equal(bad.error?.code, -32602);
    const badArgs = await c.request('tools/call', { name: 'health_check', arguments: [1, 2] });
    assert.equal(badArgs.error?.code, -32602);
    const ok = await c.request('tools/call', { name: 'health_check', arguments: {} });
    assert.equal(ok.result.isError, false);
    assert.ok(c.received.some((m) => m.error?.code === -32700 && m.id === null));
  });
});
