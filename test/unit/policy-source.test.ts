// src/guard/policy-source.ts: the guard's policy, reloaded when the file changes, however it is saved.
import { strict as assert } from 'node:assert';
import fs, { appendFileSync, mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { classifyTool } from '../../src/guard/catalog/classify';
import { PolicySource } from '../../src/guard/io/policy-source';
import { evaluatePolicy } from '../../src/guard/policy/evaluate';
import { tempDir, waitFor } from '../support/temp';

const policy = (action: string) => `version: 1\ntools:\n  health_check:\n    action: ${action}\n`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('policy source: hot reload', function () {
  this.timeout(10_000);
  let dir = '';
  let cleanup = () => {};
  let source: PolicySource | undefined;
  let reloads: { applied: boolean }[] = [];

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    reloads = [];
  });
  afterEach(() => {
    source?.close();
    cleanup();
  });

  function start(file: string): PolicySource {
    source = new PolicySource(file, { onReload: (r) => reloads.push(r) }, {}, 20);
    source.watch();
    return source;
  }

  function actionNow(): string {
    const state = source!.state;
    assert.equal(state.kind, 'valid');
    return state.kind === 'valid' ? evaluatePolicy(state.index, 'health_check', {}, classifyTool('health_check')).action : '';
  }

  async function until(action: string, withinMs = 5000): Promise<void> {
    await waitFor(`the policy to say ${action}`, () => actionNow() === action, withinMs);
  }

  /** Repoints a symlink the way `ln -sfn` does: a new link renamed over the old one. */
  function repoint(link: string, target: string): void {
    symlinkSync(target, `${link}.tmp`);
    renameSync(`${link}.tmp`, link);
  }

  /** The Kubernetes ConfigMap volume layout: `policy.yaml -> ..data/policy.yaml`, `..data -> ..<version>`. */
  function configMap(version: string, action: string): string {
    mkdirSync(join(dir, version));
    writeFileSync(join(dir, version, 'policy.yaml'), policy(action));
    const file = join(dir, 'policy.yaml');
    symlinkSync(version, join(dir, '..data'));
    symlinkSync('..data/policy.yaml', file);
    return file;
  }

  /**
   * What the kubelet does on an update: a new directory, then `..data` swapped to it by rename.
   * It deletes the old directory next; the callers do that after checking the verdict, because
   * that deletion wakes a watch on the old file and would hide a swap that was not seen.
   */
  function configMapSwap(to: string, action: string): void {
    mkdirSync(join(dir, to));
    writeFileSync(join(dir, to, 'policy.yaml'), policy(action));
    symlinkSync(to, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  }

  /**
   * Counts reads of `file` by wrapping `fs.readFileSync` (the guard's only way to read it), while
   * an audit log beside it is appended to more slowly than the debounce, so each append would show.
   */
  async function readsWhileAuditing(file: string, during: () => Promise<void>): Promise<number> {
    const real = fs.readFileSync;
    let reads = 0;
    fs.readFileSync = ((path: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
      if (typeof path === 'string' && resolve(path) === resolve(file)) reads++;
      return (real as (...a: unknown[]) => unknown)(path, ...rest);
    }) as typeof fs.readFileSync;
    const audit = setInterval(() => appendFileSync(join(dir, 'audit.jsonl'), '{"event":"decision"}\n'), 30);
    try {
      await during();
    } finally {
      clearInterval(audit);
      fs.readFileSync = real;
    }
    return reads;
  }

  it('reloads a file written in place', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policy('allow'));
    start(file);
    writeFileSync(file, policy('deny'));
    await until('deny');
    writeFileSync(file, policy('require_approval'));
    await until('require_approval');
  });

  it('follows saves by rename, again and again (the watch moves to the new file)', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policy('allow'));
    start(file);
    for (const action of ['deny', 'require_approval', 'allow', 'deny']) {
      writeFileSync(join(dir, 'p.yaml.tmp'), policy(action));
      renameSync(join(dir, 'p.yaml.tmp'), file);
      await until(action);
    }
  });

  it('picks the file up again after it was deleted and created anew', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policy('allow'));
    start(file);
    unlinkSync(file);
    await sleep(300);
    assert.equal(actionNow(), 'allow', 'a missing file keeps the last policy');
    writeFileSync(file, policy('deny'));
    await until('deny');
  });

  it('ignores other files in the same directory (an audit log beside the policy)', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policy('allow'));
    start(file);
    for (let i = 0; i < 20; i++) appendFileSync(join(dir, 'audit.jsonl'), '{"event":"decision"}\n');
    writeFileSync(join(dir, 'other.yaml'), policy('deny'));
    await sleep(300);
    assert.deepEqual(reloads, []);
    assert.equal(actionNow(), 'allow');
  });

  it('follows a symlinked policy to its target in another directory', async function () {
    if (process.platform === 'win32') this.skip();
    const real = join(dir, 'real');
    mkdirSync(real);
    writeFileSync(join(real, 'p.yaml'), policy('allow'));
    const link = join(dir, 'p.yaml');
    symlinkSync(join(real, 'p.yaml'), link);
    start(link);
    writeFileSync(join(real, 'p.yaml'), policy('deny'));
    await until('deny');
  });

  it('keeps the last good policy on an invalid change, and says so', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policy('allow'));
    start(file);
    writeFileSync(file, policy('alow'));
    await waitFor('the rejected reload', () => reloads.some((r) => !r.applied), 5000);
    assert.equal(actionNow(), 'allow');
  });

  describe('a policy path through symlinks that are repointed', () => {
    beforeEach(function () {
      if (process.platform === 'win32') this.skip();
    });

    it('applies each new target when the policy symlink is repointed by an atomic rename, again and again', async () => {
      const file = join(dir, 'policy.yaml');
      writeFileSync(join(dir, 'v0.yaml'), policy('allow'));
      symlinkSync('v0.yaml', file);
      start(file);
      let n = 0;
      for (const action of ['deny', 'require_approval', 'allow', 'deny']) {
        const target = `v${++n}.yaml`;
        writeFileSync(join(dir, target), policy(action));
        repoint(file, target);
        await until(action, 1500);
      }
    });

    it('applies a Kubernetes ConfigMap update as soon as `..data` is swapped, before the old directory goes, twice', async () => {
      const file = configMap('..2026_12_07_a', 'allow');
      start(file);
      configMapSwap('..2026_12_07_b', 'deny');
      await until('deny', 1500);
      rmSync(join(dir, '..2026_12_07_a'), { recursive: true });
      configMapSwap('..2026_12_07_c', 'require_approval');
      await until('require_approval', 1500);
      rmSync(join(dir, '..2026_12_07_b'), { recursive: true });
      await sleep(200);
      assert.equal(actionNow(), 'require_approval');
      assert.ok(reloads.every((r) => r.applied));
    });

    it('cannot miss a loosening swap: deny becomes allow, and the old target no longer counts', async () => {
      const file = join(dir, 'policy.yaml');
      writeFileSync(join(dir, 'strict.yaml'), policy('deny'));
      writeFileSync(join(dir, 'loose.yaml'), policy('allow'));
      symlinkSync('strict.yaml', file);
      start(file);
      assert.equal(actionNow(), 'deny');
      repoint(file, 'loose.yaml');
      await until('allow', 1500);
      assert.deepEqual(reloads, [{ applied: true, problems: [] }]);
      writeFileSync(join(dir, 'strict.yaml'), policy('require_approval'));
      await sleep(300);
      assert.equal(actionNow(), 'allow');
    });

    it('is not woken by an audit log beside a ConfigMap policy, yet applies the update', async () => {
      const file = configMap('..2026_12_07_a', 'deny');
      start(file);
      const reads = await readsWhileAuditing(file, async () => {
        await sleep(300);
        configMapSwap('..2026_12_07_b', 'allow');
        await until('allow', 1500);
        rmSync(join(dir, '..2026_12_07_a'), { recursive: true });
        await sleep(300);
      });
      assert.ok(reads >= 1 && reads <= 3, `${reads} reads of the policy for one update`);
      assert.deepEqual(reloads, [{ applied: true, problems: [] }]);
    });
  });

  it('reads a plain policy file only for its own changes while an audit log beside it grows', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policy('allow'));
    start(file);
    const reads = await readsWhileAuditing(file, async () => {
      await sleep(300);
      writeFileSync(file, policy('deny'));
      await until('deny');
      await sleep(300);
    });
    assert.ok(reads >= 1 && reads <= 2, `${reads} reads of the policy for one change`);
    assert.equal(reloads.length, 1);
  });
});
