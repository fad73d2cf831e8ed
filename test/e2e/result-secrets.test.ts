// --scan-results end to end: an SDK client → dist/mcp-guard.js → the stand-in, whose res.partner 2 holds secrets (STANDIN_PARTNER_REF).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { secretMarker } from '../../src/guard/result-secrets';
import { connect, type Session } from '../support/guarded';
import { STANDIN } from '../support/paths';
import { RawClient } from '../support/raw-client';
import { startRawGuard, type RawGuard } from '../support/raw-guard';
import { SAMPLE_SECRETS } from '../support/sample-secrets';

const PASSWORD = 'Odoo-p4ss!word-e2e';
/** Every kind, each on its own line of one record field, and the password the guard passes to the server. */
const REF = [...Object.values(SAMPLE_SECRETS), PASSWORD].join('\n');
const KINDS = [...Object.keys(SAMPLE_SECRETS), 'odoo-credential'].sort();
/** The part of each secret that no marker keeps (redaction keeps a token's prefix, as `ghp_`). */
const HIDDEN = [...Object.values(SAMPLE_SECRETS).map((s) => (s.includes('PRIVATE KEY') ? s.split('\n')[1]! : s.slice(5))), PASSWORD];

const READ_RECORD = { name: 'read_record', arguments: { model: 'res.partner', record_id: 2 } };
const RECORD_URI = 'odoo://record/res.partner/2';

const sessions: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

async function open(guardArgs: string[]): Promise<Session> {
  const s = await connect({ guardArgs, env: { STANDIN_PARTNER_REF: REF, ODOO_PASSWORD: PASSWORD } });
  sessions.push(s);
  return s;
}

function assertNoSecret(text: string, where: string): void {
  for (const h of HIDDEN) assert.ok(!text.includes(h), `${where} holds ${h.slice(0, 8)}…`);
}

describe('secrets in results end to end (--scan-results)', function () {
  this.timeout(30_000);

  it('redact (the default): every kind is replaced by its marker in the tool result (text and structuredContent) and the resource read', async () => {
    const s = await open([]);
    const result = await s.client.callTool(READ_RECORD);
    const text = (result.content as { text: string }[])[0]!.text;
    const ref: string = (result.structuredContent as any).result.ref;
    for (const kind of KINDS) {
      assert.ok(text.includes(secretMarker(kind)), `text lacks the ${kind} marker`);
      assert.ok(ref.includes(secretMarker(kind)), `structuredContent lacks the ${kind} marker`);
    }
    assert.equal(JSON.parse(text).result.name, 'Azure Interior');
    assertNoSecret(JSON.stringify(result), 'the tool result');
    const read = await s.client.readResource({ uri: RECORD_URI });
    const contents = JSON.stringify(read.contents);
    for (const kind of KINDS) assert.ok(contents.includes(secretMarker(kind)), `resource lacks the ${kind} marker`);
    assertNoSecret(contents, 'the resource contents');

    const d = s.decisions();
    assert.deepEqual(
      d.map((e) => [e.tool, e.result_secrets?.action, e.result_secrets?.kinds]),
      [
        ['read_record', 'redacted', KINDS],
        ['resources/read', 'redacted', KINDS],
      ],
    );
    // Each secret is in the result twice (the text content and structuredContent), in the resource once.
    assert.deepEqual(
      d.map((e) => e.result_secrets.count),
      [2 * KINDS.length, KINDS.length],
    );
    // The audit log and the guard's log name kinds, never a secret.
    assertNoSecret(readFileSync(s.auditPath, 'utf8'), 'the audit log');
    assertNoSecret(s.stderr(), "the guard's log");
    assert.match(s.stderr(), /redacted 18 secrets \(aws-access-key, .*\) in the answer to read_record/);
  });

  it('flag: the agent gets every secret as the server sent it, and the audit log says which kinds', async () => {
    const s = await open(['--scan-results', 'flag']);
    const result = await s.client.callTool(READ_RECORD);
    assert.equal((result.structuredContent as any).result.ref, REF);
    const read = await s.client.readResource({ uri: RECORD_URI });
    assert.equal(JSON.parse((read.contents[0] as { text: string }).text).ref, REF);
    assert.deepEqual(
      s.decisions().map((e) => [e.tool, e.result_secrets?.action, e.result_secrets?.kinds]),
      [
        ['read_record', 'flagged', KINDS],
        ['resources/read', 'flagged', KINDS],
      ],
    );
    assertNoSecret(readFileSync(s.auditPath, 'utf8'), 'the audit log');
  });

  it('a result without secrets is byte for byte the line the server wrote', async () => {
    const direct = new RawClient(process.execPath, [STANDIN]);
    sessions.push(direct);
    const guarded: RawGuard = startRawGuard({ policy: 'version: 1\n' });
    sessions.push(guarded);
    for (const client of [direct, guarded.client]) {
      await client.initialize();
      await client.request('tools/call', READ_RECORD, 'r');
      await client.request('resources/read', { uri: RECORD_URI }, 'res');
    }
    const lineOf = (c: RawClient, id: string) => c.lines.find((l) => JSON.parse(l).id === id);
    for (const id of ['r', 'res']) {
      assert.ok(lineOf(direct, id)!.includes('AZ001'));
      assert.equal(lineOf(guarded.client, id), lineOf(direct, id));
    }
    assert.deepEqual(
      guarded.decisions().map((e) => [e.tool, e.outcome, 'result_secrets' in e]),
      [
        ['read_record', 'ok', false],
        ['resources/read', 'ok', false],
      ],
    );
  });
});
