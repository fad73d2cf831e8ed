import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect, type Session } from '../support/guarded';

const sessions: Session[] = [];
async function open(...args: Parameters<typeof connect>): Promise<Session> {
  const s = await connect(...args);
  sessions.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

const RECORD = 'odoo://record/res.partner/2';
const DENY_RECORDS = 'version: 1\nresources:\n  "odoo://record/*":\n    action: deny\n    reason: Records are read through tools only\n';

async function readError(s: Session, uri: string): Promise<{ code: number; message: string }> {
  try {
    await s.client.readResource({ uri });
  } catch (e) {
    return { code: (e as { code: number }).code, message: (e as Error).message };
  }
  assert.fail(`reading ${uri} was not blocked`);
}

function readDecisions(s: Session): any[] {
  return s.decisions().filter((d) => d.tool === 'resources/read');
}

describe('resources gating end to end (SDK client → dist/mcp-guard.js → stand-in odoo-mcp)', function () {
  this.timeout(30_000);

  it('denies a read matched by a resources entry with a JSON-RPC error naming MCP Guard and the rule; other resources still read', async () => {
    const s = await open({ policy: DENY_RECORDS });
    const err = await readError(s, RECORD);
    assert.equal(err.code, -32001);
    assert.match(
      err.message,
      /MCP Guard blocked reading odoo:\/\/record\/res\.partner\/2 by rule resources\.odoo:\/\/record\/\*: Records are read through tools only/,
    );
    const models = await s.client.readResource({ uri: 'odoo://models' });
    assert.match(JSON.stringify(models), /res\.partner/);
    const d = readDecisions(s);
    assert.deepEqual(
      d.map((e) => [e.decision, e.rule, e.outcome]),
      [
        ['denied', 'resources.odoo://record/*', 'not_forwarded'],
        ['allowed', 'default', 'ok'],
      ],
    );
    assert.deepEqual(d[0].entries, ['odoo://record/*']);
    assert.equal(d[0].category, 'Read');
    assert.equal(d[0].risk, 'low');
  });

  it('hide removes a resource from resources/list and denies reading it', async () => {
    const direct = await open({ direct: true });
    const s = await open({ policy: 'version: 1\nhide: ["odoo://models"]\n' });
    const all = (await direct.client.listResources()).resources.map((r) => r.uri);
    assert.ok(all.includes('odoo://models'));
    const listed = (await s.client.listResources()).resources.map((r) => r.uri);
    assert.deepEqual(
      listed,
      all.filter((u) => u !== 'odoo://models'),
    );
    const err = await readError(s, 'odoo://models');
    assert.match(err.message, /^MCP error -32001: MCP Guard blocked reading odoo:\/\/models by rule hide: /);
    // Templates are untouched unless a hide glob matches the template text.
    assert.deepEqual(await s.client.listResourceTemplates(), await direct.client.listResourceTemplates());
  });

  it('hide removes a resource template whose uriTemplate a hide glob matches', async () => {
    const direct = await open({ direct: true });
    const s = await open({ policy: 'version: 1\nhide: ["odoo://record/*"]\n' });
    const all = (await direct.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    const listed = (await s.client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    assert.deepEqual(
      listed,
      all.filter((t) => !t.startsWith('odoo://record/')),
    );
    assert.ok(listed.length < all.length);
    await readError(s, RECORD);
  });

  it('rate-limits reads per resources entry', async () => {
    const s = await open({ policy: 'version: 1\nresources:\n  "odoo://record/*":\n    rate_limit: { max: 2, window: 60 }\n' });
    await s.client.readResource({ uri: RECORD });
    await s.client.readResource({ uri: 'odoo://record/res.partner/3' });
    const err = await readError(s, RECORD);
    assert.equal(err.code, -32001);
    assert.match(
      err.message,
      /MCP Guard blocked reading odoo:\/\/record\/res\.partner\/2 by rule resources\.odoo:\/\/record\/\*: Rate limit reached: at most 2 calls per 60 s\. Retry in [\d.]+ s\./,
    );
    // Another resource is not counted by this entry.
    await s.client.readResource({ uri: 'odoo://models' });
    assert.deepEqual(
      readDecisions(s).map((d) => d.decision),
      ['allowed', 'allowed', 'rate_limited', 'allowed'],
    );
  });

  it('monitor mode lets a denied read through with a monitored audit event', async () => {
    const s = await open({ policy: DENY_RECORDS, mode: 'monitor' });
    const r = await s.client.readResource({ uri: RECORD });
    assert.match(JSON.stringify(r), /Azure Interior/);
    const [d] = readDecisions(s);
    assert.equal(d.decision, 'monitored');
    assert.equal(d.would, 'denied');
    assert.equal(d.rule, 'resources.odoo://record/*');
    assert.equal(d.outcome, 'ok');
  });

  it('lockdown mode still lets resource reads through unless the policy denies them', async () => {
    const s = await open({ policy: DENY_RECORDS, mode: 'lockdown' });
    await s.client.readResource({ uri: 'odoo://models' });
    await readError(s, RECORD);
  });

  describe('require_approval', () => {
    const policy =
      'version: 1\nresources:\n  "odoo://record/*":\n    action: require_approval\n    reason: Record reads need a person\n    approval_timeout: 5\n';

    it('forwards the read when the user accepts the elicitation', async () => {
      let message = '';
      const s = await open({
        policy,
        capabilities: { elicitation: {} },
        setup: (c) =>
          c.setRequestHandler(ElicitRequestSchema, async (req) => {
            message = req.params.message;
            return { action: 'accept', content: { confirm: true } };
          }),
      });
      const r = await s.client.readResource({ uri: RECORD });
      assert.match(JSON.stringify(r), /Azure Interior/);
      assert.match(message, /resources\/read/);
      assert.ok(message.includes(RECORD), 'the URI is shown to the person');
      const [d] = readDecisions(s);
      assert.equal(d.decision, 'approved');
      assert.equal(d.approver, 'elicitation');
      assert.equal(d.outcome, 'ok');
    });

    it('blocks the read when the user declines', async () => {
      const s = await open({
        policy,
        capabilities: { elicitation: {} },
        setup: (c) => c.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' })),
      });
      const err = await readError(s, RECORD);
      assert.match(
        err.message,
        /^MCP error -32001: MCP Guard blocked reading odoo:\/\/record\/res\.partner\/2 by rule resources\.odoo:\/\/record\/\*: Record reads need a person/,
      );
      const [d] = readDecisions(s);
      assert.equal(d.decision, 'declined');
      assert.equal(d.outcome, 'not_forwarded');
    });

    it('blocks the read when no approver is available', async () => {
      const s = await open({ policy });
      const err = await readError(s, RECORD);
      assert.match(err.message, /by rule resources\.odoo:\/\/record\/\*/);
      assert.equal(readDecisions(s)[0].decision, 'denied');
    });
  });

  it('audits one line per gated read, with the URI hashed and never written raw', async () => {
    const s = await open({ policy: DENY_RECORDS });
    await readError(s, RECORD);
    await s.client.readResource({ uri: 'odoo://models' });
    await s.client.readResource({ uri: 'odoo://model/res.partner' });
    await s.client.listResources();
    const d = readDecisions(s);
    assert.equal(d.length, 3);
    for (const e of d) assert.match(e.args_sha256, /^[0-9a-f]{64}$/);
    assert.notEqual(d[1].args_sha256, d[2].args_sha256);
    assert.equal(d[0].arguments, undefined);
    const text = readFileSync(s.auditPath, 'utf8');
    for (const uri of [RECORD, 'odoo://models', 'odoo://model/res.partner', 'res.partner/2'])
      assert.ok(!text.includes(uri), `${uri} is not in the audit log`);
  });

  it('writes the URI to the audit log with --audit-include-args', async () => {
    const s = await open({ policy: DENY_RECORDS, guardArgs: ['--audit-include-args'] });
    await readError(s, RECORD);
    assert.deepEqual(readDecisions(s)[0].arguments, { uri: RECORD });
  });
});
