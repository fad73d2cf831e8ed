// src/guard/proxy/result-scan.ts through the proxy: what the client gets for answers holding secrets, and what is audited.
import { strict as assert } from 'node:assert';
import { ownSecretsFromEnv, secretMarker, type ScanResultsMode } from '../../src/guard/result-secrets';
import { ProxyHarness } from '../support/proxy-harness';
import { SAMPLE_SECRETS } from '../support/sample-secrets';

const AWS = SAMPLE_SECRETS['aws-access-key']!;
const PASSWORD = 'Odoo-p4ss!word';

async function harness(scanResults?: ScanResultsMode): Promise<ProxyHarness> {
  const h = new ProxyHarness({
    proxy: { ...(scanResults ? { scanResults } : {}), ownSecrets: ownSecretsFromEnv({ ODOO_PASSWORD: PASSWORD }) },
  });
  await h.initialize();
  h.upstreamAnswers = false;
  return h;
}

/** The client calls read_a (or reads a resource); the server answers with exactly `line` (its id spliced in). */
async function answerWith(h: ProxyHarness, id: string, line: string, method: 'tools/call' | 'resources/read' = 'tools/call'): Promise<any> {
  if (method === 'tools/call') h.call(id, 'read_a');
  else h.send({ jsonrpc: '2.0', id, method, params: { uri: 'odoo://record/res.partner/2' } });
  await h.settle();
  h.fromUpstream(line.replace('"ID"', JSON.stringify(id)));
  return h.answerTo(id);
}

/** The line the client got for `id`, exactly as written. */
function clientLine(h: ProxyHarness, id: string): string {
  return h.clientText.split('\n').find((l) => l.includes(`"id":${JSON.stringify(id)}`) && !l.includes('"method"'))!;
}

describe('proxy: secrets in results (--scan-results)', () => {
  it('passes an answer without secrets on byte for byte, whatever its spacing, escapes and key order', async () => {
    const h = await harness();
    const line =
      '{ "result" : {"content":[{"type":"text","text":"Azure Interior \\u00e9 \\/ AZ001"}], "structuredContent": {"ref": "AZ001"},' +
      '"isError":false}, "jsonrpc":"2.0", "id":"ID"}';
    await answerWith(h, 'c1', line);
    assert.equal(clientLine(h, 'c1'), line.replace('"ID"', '"c1"'));
    assert.equal(h.audit.decisions[0].result_secrets, undefined);
  });

  it('redacts a secret that the raw line hides behind \\u escapes, in structuredContent, nested', async () => {
    const h = await harness();
    const escaped = `\\u0041${AWS.slice(1)}`;
    const line = `{"jsonrpc":"2.0","id":"ID","result":{"content":[{"type":"text","text":"ok"}],"structuredContent":{"a":{"b":["${escaped}"]}}}}`;
    const answer = await answerWith(h, 'c2', line);
    assert.equal(answer.result.structuredContent.a.b[0], `AKIA${secretMarker('aws-access-key')}`);
    assert.ok(!h.clientText.includes(AWS.slice(4)));
    const d = h.audit.decisions[0];
    assert.deepEqual(d.result_secrets, { action: 'redacted', kinds: ['aws-access-key'], count: 1 });
    assert.equal(d.outcome, 'ok');
    assert.ok(!JSON.stringify(h.audit.events).includes(AWS.slice(4)));
    assert.ok(h.logs.some((l) => l === 'redacted 1 secret (aws-access-key) in the answer to read_a'));
    assert.ok(!h.logs.join('\n').includes(AWS.slice(4)));
  });

  it('redacts inside an isError result, a JSON-RPC error, and a JSON text a tool returns as a string', async () => {
    const h = await harness();
    const inner = JSON.stringify(JSON.stringify({ key: SAMPLE_SECRETS['github-token'] }));
    const isError = await answerWith(
      h,
      'e1',
      `{"jsonrpc":"2.0","id":"ID","result":{"content":[{"type":"text","text":${inner}}],"isError":true}}`,
    );
    assert.equal(isError.result.isError, true);
    assert.equal(JSON.parse(isError.result.content[0].text).key, `ghp_${secretMarker('github-token')}`);
    const rpcError = await answerWith(
      h,
      'e2',
      `{"jsonrpc":"2.0","id":"ID","error":{"code":-32000,"message":"login failed for ${PASSWORD}","data":{"jwt":"${SAMPLE_SECRETS['jwt']}"}}}`,
    );
    assert.equal(rpcError.error.message, `login failed for ${secretMarker('odoo-credential')}`);
    assert.equal(rpcError.error.data.jwt, secretMarker('jwt'));
    assert.deepEqual(
      h.audit.decisions.map((d) => [d.outcome, d.result_secrets]),
      [
        ['isError', { action: 'redacted', kinds: ['github-token'], count: 1 }],
        ['protocol_error', { action: 'redacted', kinds: ['jwt', 'odoo-credential'], count: 2 }],
      ],
    );
    assert.ok(!h.clientText.includes(PASSWORD) && !JSON.stringify(h.audit.events).includes(PASSWORD));
  });

  it('redacts resource contents: text, and a blob whose decoded data holds a private key', async () => {
    const h = await harness();
    const blob = Buffer.from(SAMPLE_SECRETS['private-key']!).toString('base64');
    const contents = [
      { uri: 'odoo://record/res.partner/2', mimeType: 'application/json', text: JSON.stringify({ ref: SAMPLE_SECRETS['slack-token'] }) },
      { uri: 'odoo://record/res.partner/2', mimeType: 'application/x-pem-file', blob },
    ];
    const answer = await answerWith(h, 'r1', JSON.stringify({ jsonrpc: '2.0', id: 'ID', result: { contents } }), 'resources/read');
    assert.equal(JSON.parse(answer.result.contents[0].text).ref, `xoxb-${secretMarker('slack-token')}`);
    assert.equal(answer.result.contents[1].blob, secretMarker('private-key', 'base64'));
    const d = h.audit.decisions[0];
    assert.equal(d.tool, 'resources/read');
    assert.deepEqual(d.result_secrets, { action: 'redacted', kinds: ['private-key', 'slack-token'], count: 2 });
  });

  it('flag passes the answer on byte for byte and audits what it found; off neither looks nor audits', async () => {
    const line = `{"jsonrpc":"2.0","id":"ID","result":{"content":[{"type":"text","text":"key ${AWS}"}]}}`;
    const flag = await harness('flag');
    await answerWith(flag, 'f1', line);
    assert.equal(clientLine(flag, 'f1'), line.replace('"ID"', '"f1"'));
    assert.deepEqual(flag.audit.decisions[0].result_secrets, { action: 'flagged', kinds: ['aws-access-key'], count: 1 });
    assert.ok(!JSON.stringify(flag.audit.events).includes(AWS));
    assert.ok(flag.logs.includes('flagged 1 secret (aws-access-key) in the answer to read_a'));
    const off = await harness('off');
    await answerWith(off, 'o1', line);
    assert.equal(clientLine(off, 'o1'), line.replace('"ID"', '"o1"'));
    assert.equal(off.audit.decisions[0].result_secrets, undefined);
  });

  it('tells the host (the editor) what it found with the decision, kinds and count only', async () => {
    const notices: any[] = [];
    const h = new ProxyHarness({ proxy: { onDecision: (n) => notices.push(n) } });
    await h.initialize();
    h.upstreamAnswers = false;
    await answerWith(h, 'n1', `{"jsonrpc":"2.0","id":"ID","result":{"content":[{"type":"text","text":"${AWS} ${AWS}"}]}}`);
    assert.deepEqual(notices[0].resultSecrets, { action: 'redacted', kinds: ['aws-access-key'], count: 2 });
  });

  it('does not pass on an answer nested too deep to search, in redact and in flag mode', async () => {
    for (const mode of ['redact', 'flag'] as const) {
      const h = await harness(mode);
      const deep = `${'['.repeat(600)}"x"${']'.repeat(600)}`;
      const answer = await answerWith(h, 'd1', `{"jsonrpc":"2.0","id":"ID","result":{"content":[],"structuredContent":{"x":${deep}}}}`);
      assert.equal(answer.result.isError, true);
      assert.match(answer.result.content[0].text, /MCP Guard dropped the MCP server's answer to read_a: it was nested too deep to search/);
      assert.equal(h.audit.decisions[0].outcome, 'protocol_error');
    }
  });
});
