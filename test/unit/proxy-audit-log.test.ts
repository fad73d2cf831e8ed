import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { JsonlAuditLog, type AuditFs } from '../../src/guard/io/audit-log';
import { tempDir } from '../support/temp';

const event = (n: number) => ({ event: 'stop' as const, reason: `r${n}` });

function lines(path: string): any[] {
  if (!fs.existsSync(path)) return [];
  const text = fs.readFileSync(path, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), `${path} ends with a whole line`);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

describe('proxy audit log: JsonlAuditLog durability', () => {
  let cleanup = () => {};
  let dir = '';
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('mcp-guard-audit-'));
  });
  afterEach(() => cleanup());

  it('buffers a loop turn and writes it with one write call; short writes are continued', () => {
    const writes: number[] = [];
    const log = new JsonlAuditLog(join(dir, 'a.jsonl'), {
      fs: {
        // The kernel may write less than asked: at most 50 bytes at a time here.
        writeSync: (fd, buffer, offset) => {
          const n = fs.writeSync(fd, buffer, offset, Math.min(50, buffer.length - offset));
          writes.push(n);
          return n;
        },
      },
    });
    for (let i = 0; i < 10; i++) log.write(event(i));
    assert.equal(writes.length, 0, 'nothing written before the flush');
    log.flush();
    assert.ok(writes.length > 1);
    log.close();
    assert.deepEqual(
      lines(join(dir, 'a.jsonl')).map((e) => e.reason),
      Array.from({ length: 10 }, (_, i) => `r${i}`),
    );
  });

  it('a failed write (disk full) keeps the text, reports the problem, and completes it once writing works again: no torn or lost line', () => {
    const problems: (string | undefined)[] = [];
    let full = false;
    let partial = false;
    const log = new JsonlAuditLog(join(dir, 'b.jsonl'), {
      onProblem: (p) => problems.push(p),
      fs: {
        writeSync: (fd, buffer, offset) => {
          if (full) {
            // Half a line gets out, then the disk is full.
            if (!partial) {
              partial = true;
              return fs.writeSync(fd, buffer, offset, 10);
            }
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          }
          return fs.writeSync(fd, buffer, offset);
        },
      },
    });
    log.write(event(1));
    log.flush();
    assert.equal(log.problem, undefined);
    full = true;
    log.write(event(2));
    log.write(event(3));
    log.flush();
    assert.match(log.problem ?? '', /cannot write .*b\.jsonl: ENOSPC/);
    log.write(event(4));
    log.flush();
    full = false;
    log.write(event(5));
    log.flush();
    assert.equal(log.problem, undefined);
    log.close();
    assert.deepEqual(
      lines(join(dir, 'b.jsonl')).map((e) => e.reason),
      ['r1', 'r2', 'r3', 'r4', 'r5'],
    );
    assert.deepEqual(
      problems.map((p) => (p === undefined ? 'ok' : 'broken')),
      ['broken', 'ok'],
    );
  });

  it("labels a serve session's line with its number: time first, session last, never twice", () => {
    const path = join(dir, 'a.jsonl');
    const log = new JsonlAuditLog(path);
    log.write(event(1), 7);
    log.write({ event: 'session', state: 'started', session: 7 } as never, 7);
    log.write(event(2));
    log.flush();
    const text = fs.readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.match(text[0]!, /^\{"time":"[^"]+","event":"stop","reason":"r1","session":7\}$/);
    assert.equal(text[1]!.match(/"session":/g)?.length, 1, text[1]);
    assert.deepEqual(
      lines(path).map(({ time: _time, ...rest }) => rest),
      [
        { event: 'stop', reason: 'r1', session: 7 },
        { event: 'session', state: 'started', session: 7 },
        { event: 'stop', reason: 'r2' },
      ],
    );
  });

  it('writes the time each line was written, in ISO form (formatted once per millisecond)', async () => {
    const path = join(dir, 'a.jsonl');
    const log = new JsonlAuditLog(path);
    const before = Date.now();
    log.write(event(1));
    log.write(event(2));
    const between = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    const after = Date.now();
    log.write(event(3));
    log.flush();
    const times = lines(path).map((e) => Date.parse(e.time));
    for (const t of times) assert.match(new Date(t).toISOString(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(before <= times[0]! && times[0]! <= times[1]! && times[1]! <= between, JSON.stringify(times));
    assert.ok(times[2]! >= after, 'a later line gets its own, later time');
  });

  it('cannot open the file: reports the problem and retries, and does not throw', () => {
    const problems: (string | undefined)[] = [];
    const log = new JsonlAuditLog('/dev/null/x/audit.jsonl', { onProblem: (p) => problems.push(p) });
    assert.match(log.problem ?? '', /^cannot open \/dev\/null\/x\/audit\.jsonl: ENOTDIR/);
    log.write(event(1));
    log.flush();
    log.close();
    assert.equal(problems.length, 1);
  });

  it('rotates at maxBytes keeping FILE.1 … FILE.3, newest first, dropping the oldest', () => {
    const path = join(dir, 'c.jsonl');
    const log = new JsonlAuditLog(path, { maxBytes: 200 });
    for (let i = 0; i < 40; i++) {
      log.write(event(i));
      log.flush();
    }
    log.close();
    const files = [`${path}.3`, `${path}.2`, `${path}.1`, path];
    for (const f of files) assert.ok(fs.existsSync(f), f);
    assert.ok(!fs.existsSync(`${path}.4`));
    const reasons = files.flatMap((f) => lines(f)).map((e) => Number(e.reason.slice(1)));
    // Oldest file first: the kept lines are the newest, in order, with no gap.
    assert.deepEqual(
      reasons,
      Array.from({ length: reasons.length }, (_, i) => 40 - reasons.length + i),
    );
    assert.equal(reasons.at(-1), 39);
  });

  it('when another process rotated the file first, appends to the new file instead of rotating again', () => {
    const path = join(dir, 'd.jsonl');
    const a = new JsonlAuditLog(path, { maxBytes: 300 });
    a.write(event(1));
    a.flush();
    // Another guard rotates: the path now names a fresh file.
    fs.renameSync(path, `${path}.1`);
    fs.writeFileSync(path, '');
    for (let i = 2; i < 8; i++) {
      a.write(event(i));
      a.flush();
    }
    a.close();
    const all = [...lines(`${path}.2`), ...lines(`${path}.1`), ...lines(path)].map((e) => e.reason);
    assert.deepEqual(all.sort(), ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
  });

  it('a device (no regular file) is never rotated', () => {
    const fake: Partial<AuditFs> = { writeSync: (_fd, buffer, offset) => buffer.length - offset };
    const log = new JsonlAuditLog('/dev/null', { maxBytes: 1024, fs: fake });
    for (let i = 0; i < 100; i++) {
      log.write(event(i));
      log.flush();
    }
    log.close();
    assert.equal(log.problem, undefined);
  });
});
