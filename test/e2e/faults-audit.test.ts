import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { argumentsDigest } from '../../src/guard/canonical-json';
import { readJsonLines, resultText, startRawGuard, type RawGuard } from '../support/raw-guard';
import { waitFor } from '../support/temp';

/**
 * The audit log under load, rotation and failure: exactly one well-formed line per decision,
 * and when the file cannot be written the guard fails closed for everything but Read / low
 * risk tools (unless --audit-fail-open).
 */
describe('faults: the audit log under load, rotation and write failures', function () {
  this.timeout(30_000);
  const guards: RawGuard[] = [];

  afterEach(async () => {
    await Promise.all(guards.splice(0).map((g) => g.close()));
  });

  function raw(options: Parameters<typeof startRawGuard>[0] = {}): RawGuard {
    const g = startRawGuard(options);
    guards.push(g);
    return g;
  }

  const POLICY = ['version: 1', 'tools:', '  get_odoo_profile: { action: deny, reason: not today }'].join('\n');

  it('1,000 concurrent calls: exactly one well-formed line per decision, none lost or interleaved', async () => {
    const g = raw({ policy: POLICY });
    await g.client.initialize();
    await g.call('tools/list', {}, 'list');
    const n = 1000;
    const batch = Array.from({ length: n }, (_, i) =>
      JSON.stringify({
        jsonrpc: '2.0',
        id: `c${i}`,
        method: 'tools/call',
        params: { name: i % 3 === 0 ? 'get_odoo_profile' : 'health_check', arguments: { nonce: `n${i}` } },
      }),
    );
    g.client.child.stdin.write(`${batch.join('\n')}\n`);
    await waitFor(
      'all answers',
      () => g.client.received.filter((m) => typeof m.id === 'string' && m.id.startsWith('c')).length === n,
      20_000,
    );
    await waitFor('all audit lines', () => g.decisions().length === n, 5000);
    const lines = readFileSync(g.auditPath, 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'the file ends with a newline');
    for (const line of lines) JSON.parse(line); // every line is whole JSON
    const decisions = g.decisions();
    const byDigest = new Map(decisions.map((d) => [d.args_sha256, d]));
    assert.equal(byDigest.size, n, 'one line per call, none twice');
    for (let i = 0; i < n; i++) {
      const d = byDigest.get(argumentsDigest({ nonce: `n${i}` }));
      assert.ok(d, `call ${i} is audited`);
      assert.equal(d.decision, i % 3 === 0 ? 'denied' : 'allowed');
      assert.equal(d.outcome, i % 3 === 0 ? 'not_forwarded' : 'ok');
    }
    assert.equal(g.journal().length, n - Math.ceil(n / 3));
  });

  it('rotates by size: FILE.1 … FILE.3 are kept, every line in every file is whole', async () => {
    const g = raw({ guardArgs: ['--audit-max-bytes', '4096'] });
    await g.client.initialize();
    for (let i = 0; i < 120; i++) await g.call('tools/call', { name: 'health_check', arguments: { nonce: `r${i}` } }, `r${i}`);
    const files = [g.auditPath, `${g.auditPath}.1`, `${g.auditPath}.2`, `${g.auditPath}.3`];
    const lastDigest = argumentsDigest({ nonce: 'r119' });
    await waitFor('the last line', () => files.some((f) => readJsonLines(f).some((d) => d.args_sha256 === lastDigest)));
    for (const f of files) assert.ok(existsSync(f), `${f} exists`);
    assert.ok(!existsSync(`${g.auditPath}.4`), 'at most three old files are kept');
    const all = files.flatMap((f) => readJsonLines(f)); // throws on a torn line
    for (const f of files.slice(1)) assert.ok(statSync(f).size < 4096 + 1024, `${f} is about the limit`);
    // The newest decisions are all there, in order, across the files (oldest file first).
    const ordered = [...files]
      .reverse()
      .flatMap((f) => readJsonLines(f))
      .filter((e) => e.event === 'decision');
    const nonces = ordered.map((d) => d.args_sha256);
    const last = Array.from({ length: 20 }, (_, i) => argumentsDigest({ nonce: `r${100 + i}` }));
    assert.deepEqual(nonces.slice(-20), last);
    assert.ok(all.length > 20);
  });

  it('cannot open the audit file at start: serves Read / low-risk calls, denies the rest, says so on stderr', async () => {
    const g = raw({ noAudit: true, guardArgs: ['--audit', '/dev/null/not-a-dir/audit.jsonl'] });
    await g.client.initialize();
    const read = await g.call('tools/call', { name: 'health_check', arguments: {} }, 'read');
    assert.equal(read.result?.isError, false);
    const write = await g.call(
      'tools/call',
      { name: 'submit_async_task', arguments: { operation: 'data_quality_report', params: { model: 'res.partner' } } },
      'write',
    );
    assert.equal(write.result?.isError, true);
    assert.match(
      resultText(write),
      /^MCP Guard blocked the call to submit_async_task \(Write, medium risk\) by rule audit\.\nReason: MCP Guard cannot write its audit log \(cannot open \/dev\/null\/not-a-dir\/audit\.jsonl: ENOTDIR/,
    );
    assert.deepEqual(
      g.journal().map((j) => j.tool),
      ['health_check'],
    );
    assert.match(
      g.client.stderr,
      /the audit log cannot be written: cannot open \/dev\/null\/not-a-dir\/audit\.jsonl: .*only Read \/ low-risk tools are let through/,
    );
  });

  it('a write fails (disk full): the guard keeps serving reads and denies the rest; --audit-fail-open lets them through', async () => {
    for (const failOpen of [false, true]) {
      const g = raw({ noAudit: true, guardArgs: ['--audit', '/dev/full', ...(failOpen ? ['--audit-fail-open'] : [])] });
      await g.client.initialize();
      await waitFor('the failed write', () => g.client.stderr.includes('the audit log cannot be written'));
      assert.match(g.client.stderr, /cannot write \/dev\/full: ENOSPC/);
      const read = await g.call('tools/call', { name: 'search_records', arguments: { model: 'res.partner', limit: 1 } }, 'read');
      assert.equal(read.result?.isError, false);
      const write = await g.call(
        'tools/call',
        { name: 'submit_async_task', arguments: { operation: 'data_quality_report', params: { model: 'res.partner' } } },
        'write',
      );
      assert.equal(write.result?.isError, failOpen ? false : true, resultText(write));
      assert.deepEqual(
        g.journal().map((j) => j.tool),
        failOpen ? ['search_records', 'submit_async_task'] : ['search_records'],
      );
      if (failOpen) assert.match(g.client.stderr, /calls go ahead unaudited \(--audit-fail-open\)/);
    }
  });
});
