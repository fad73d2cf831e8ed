// src/guard/policy-source.ts: the guard's policy, reloaded when the file changes, however it is saved.
import { strict as assert } from 'node:assert';
import { appendFileSync, mkdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyTool } from '../../src/guard/catalog/classify';
import { PolicySource } from '../../src/guard/policy-source';
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

  async function until(action: string): Promise<void> {
    await waitFor(`the policy to say ${action}`, () => actionNow() === action, 5000);
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
});
