import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { argumentsDigest } from '../../src/guard/canonical-json';
import { ProxyHarness, type FakeTool } from '../support/proxy-harness';

/**
 * Framing as every upstream reads it. Whatever bytes the client sends, the messages a reader with
 * universal newlines (the MCP Python SDK: `\r`, `\n` and `\r\n` end a line) or `str.splitlines`
 * sees upstream are exactly the lines the guard wrote, each one JSON message, and the tools/call
 * among them are exactly the calls the guard decided to let through.
 */
describe('property: what any upstream line reader sees is what the guard decided', function () {
  this.timeout(60_000);

  const TOOLS: FakeTool[] = [
    { name: 'read_a', annotations: { readOnlyHint: true } },
    { name: 'write_a' },
    { name: 'danger', annotations: { destructiveHint: true } },
  ];
  const POLICY = 'version: 1\ntools:\n  write_a: { action: deny }\n  danger: { action: deny }\n';

  const universal = (text: string) => text.split(/\r\n|\r|\n/);
  const splitlines = (text: string) => text.split(/\r\n|[\n\r\v\f\x1c-\x1e\u0085\u2028\u2029]/);
  const lf = (text: string) => text.split('\n');

  const smuggled = fc
    .record({
      id: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom('s', 'init')),
      name: fc.constantFrom('danger', 'write_a', 'read_a'),
    })
    .map(({ id, name }) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { x: 1 } } }));
  const terminator = fc.constantFrom('\r', '\r\n', '\u2028', '\u2029', '\u0085', '\v', '\f', '\x1c', '\x1e');
  // Something to place where JSON allows whitespace (only \r of these is JSON whitespace; the rest make the line invalid).
  const filler = fc.oneof(
    fc.constant(''),
    terminator,
    fc.tuple(terminator, smuggled, terminator).map((p) => p.join('')),
  );
  const text = fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.tuple(fc.string({ maxLength: 3 }), terminator, fc.string({ maxLength: 3 })).map((p) => p.join('')),
  );
  const id = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constantFrom('a', 'b', null));
  const envelope = fc.oneof(
    // A response (nobody asked): the carrier of the original attack.
    fc
      .record({ id, f: filler, inner: text })
      .map(({ id, f, inner }) => `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"x":${f}${JSON.stringify(inner)}${f}}}`),
    fc
      .record({ id, f: filler, inner: text })
      .map(
        ({ id, f, inner }) =>
          `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"error":{"code":1,"message":${JSON.stringify(inner)},"data":${f}1}}`,
      ),
    // Requests, notifications and calls with terminators between tokens and inside strings.
    fc
      .record({ id, f: filler, inner: text })
      .map(
        ({ id, f, inner }) =>
          `{"jsonrpc":"2.0",${f}"id":${JSON.stringify(id)},"method":"ping","params":{"_meta":{"n":${JSON.stringify(inner)}},"y":${f}2}}`,
      ),
    fc
      .record({ f: filler, inner: text })
      .map(
        ({ f, inner }) =>
          `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":${JSON.stringify(inner)},"progress":${f}1}}`,
      ),
    fc
      .record({ id, f: filler, name: fc.constantFrom('read_a', 'write_a', 'danger'), inner: text })
      .map(
        ({ id, f, name, inner }) =>
          `{"jsonrpc":"2.0","id":${JSON.stringify(id)},${f}"method":"tools/call","params":{"name":"${name}","arguments":{"q":${JSON.stringify(inner)},"r":${f}[]}}}`,
      ),
    fc.array(smuggled, { minLength: 1, maxLength: 3 }).map((b) => `[${b.join(',\r')}]`),
    // Server requests get answered too: a pending id the client may (or may not) answer with tricks.
    fc.constant('{"jsonrpc":"2.0","id":"up-1","result":{"roots":[]}}'),
  );
  const session = fc.array(fc.oneof({ weight: 6, arbitrary: envelope }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) }), {
    maxLength: 12,
  });

  it("universal-newline and splitlines readers see the guard's lines, each one message; the calls among them are the allowed ones", async () => {
    await fc.assert(
      fc.asyncProperty(session, fc.boolean(), async (lines, serverAsks) => {
        const h = new ProxyHarness({ policy: POLICY, tools: TOOLS, proxy: { callTimeoutMs: 0 } });
        await h.initialize();
        if (serverAsks) h.fromUpstream({ jsonrpc: '2.0', id: 'up-1', method: 'roots/list' });
        for (const l of lines) h.send(l);
        await h.settle(15);

        const written = h.upstreamText;
        assert.ok(written === '' || written.endsWith('\n'));
        const expected = lf(written);
        assert.deepEqual(universal(written), expected, 'a universal-newline reader frames it the same');
        assert.deepEqual(splitlines(written), expected, 'str.splitlines frames it the same');
        for (const line of expected.slice(0, -1)) assert.doesNotThrow(() => JSON.parse(line), line);

        const calls = h.upstream.filter((m) => m.method === 'tools/call');
        const decided = h.audit.decisions.filter((d) => d.decision === 'allowed');
        assert.deepEqual(
          calls.map((c) => `${c.params.name} ${argumentsDigest(c.params.arguments ?? {})}`).sort(),
          decided.map((d) => `${d.tool} ${d.args_sha256}`).sort(),
          'the calls upstream are exactly the allowed decisions',
        );
        assert.ok(calls.every((c) => c.params.name === 'read_a'));
        // Responses go up only as answers to what the server asked, once.
        const responses = h.upstream.filter((m) => m.method === undefined && !('unparseable' in m));
        const answers = responses.filter((m) => m.id === 'up-1');
        assert.ok(answers.length <= (serverAsks ? 1 : 0), JSON.stringify(responses));
        assert.ok(
          responses.every((m) => m.id === 'up-1' || (typeof m.id === 'string' && m.id.startsWith('mcp-guard-'))),
          JSON.stringify(responses),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('the same holds toward the client: a server line a universal-newline reader would split reaches the client rebuilt', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(envelope, { maxLength: 8 }), async (lines) => {
        const h = new ProxyHarness({ policy: POLICY, tools: TOOLS, proxy: { callTimeoutMs: 0 } });
        await h.initialize();
        h.call('c1', 'read_a', {});
        await h.settle();
        const before = h.clientText.length;
        // The server's own messages: notifications, requests and answers with raw terminators inside.
        for (const l of lines) h.fromUpstream(l);
        h.fromUpstream('{"jsonrpc":"2.0","method":"notifications/message",\r"params":{"level":"info","data":"a\u2028b\u0085c"}}');
        await h.settle();
        const written = h.clientText.slice(before);
        const expected = lf(written);
        assert.deepEqual(universal(written), expected);
        assert.deepEqual(splitlines(written), expected);
        for (const line of expected.slice(0, -1)) assert.doesNotThrow(() => JSON.parse(line), line);
      }),
      { numRuns: 200 },
    );
  });
});
