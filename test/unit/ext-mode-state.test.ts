// src/extension/mode-state.ts: the window's guard mode and the lockdown toggle.
import { strict as assert } from 'node:assert';
import { ModeState } from '../../src/extension/mode-state';

describe('extension mode-state: ModeState', () => {
  it('starts in enforce, resuming to enforce', () => {
    const s = new ModeState();
    assert.equal(s.mode, 'enforce');
    assert.equal(s.resumeMode, 'enforce');
  });

  it('set reports whether the mode changed', () => {
    const s = new ModeState();
    assert.equal(s.set('enforce'), false);
    assert.equal(s.set('monitor'), true);
    assert.equal(s.mode, 'monitor');
    assert.equal(s.set('monitor'), false);
    assert.equal(s.set('enforce'), true);
    assert.equal(s.mode, 'enforce');
  });

  it('toggleLockdown from enforce goes to lockdown and back to enforce', () => {
    const s = new ModeState();
    assert.equal(s.toggleLockdown(), 'lockdown');
    assert.equal(s.mode, 'lockdown');
    assert.equal(s.resumeMode, 'enforce');
    assert.equal(s.toggleLockdown(), 'enforce');
    assert.equal(s.mode, 'enforce');
  });

  it('toggleLockdown from monitor returns to monitor, not enforce', () => {
    const s = new ModeState('monitor');
    assert.equal(s.toggleLockdown(), 'lockdown');
    assert.equal(s.resumeMode, 'monitor');
    assert.equal(s.toggleLockdown(), 'monitor');
    assert.equal(s.mode, 'monitor');
  });

  it('set("lockdown") remembers the mode it left; setting lockdown twice keeps it', () => {
    const s = new ModeState('monitor');
    assert.equal(s.set('lockdown'), true);
    assert.equal(s.set('lockdown'), false);
    assert.equal(s.resumeMode, 'monitor');
    assert.equal(s.toggleLockdown(), 'monitor');
  });

  it('leaving lockdown by set() and re-entering from enforce resumes to enforce', () => {
    const s = new ModeState('monitor');
    s.set('lockdown');
    s.set('enforce');
    assert.equal(s.toggleLockdown(), 'lockdown');
    assert.equal(s.resumeMode, 'enforce');
    assert.equal(s.toggleLockdown(), 'enforce');
  });

  it('a long sequence of toggles alternates and always resumes to the last non-lockdown mode', () => {
    const s = new ModeState();
    s.set('monitor');
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push(s.toggleLockdown());
    assert.deepEqual(seen, ['lockdown', 'monitor', 'lockdown', 'monitor']);
  });

  it('toJSON / fromJSON round-trips every state', () => {
    const cases: [ModeState, { mode: string; beforeLockdown: string }][] = [
      [new ModeState(), { mode: 'enforce', beforeLockdown: 'enforce' }],
      [new ModeState('monitor'), { mode: 'monitor', beforeLockdown: 'enforce' }],
      [new ModeState('lockdown', 'monitor'), { mode: 'lockdown', beforeLockdown: 'monitor' }],
      [new ModeState('lockdown', 'enforce'), { mode: 'lockdown', beforeLockdown: 'enforce' }],
    ];
    for (const [state, json] of cases) {
      assert.deepEqual(state.toJSON(), json);
      const back = ModeState.fromJSON(JSON.parse(JSON.stringify(state)));
      assert.deepEqual(back.toJSON(), json);
    }
  });

  it('a restored lockdown toggles back to the saved mode', () => {
    const s = new ModeState('monitor');
    s.toggleLockdown();
    const restored = ModeState.fromJSON(s.toJSON());
    assert.equal(restored.mode, 'lockdown');
    assert.equal(restored.toggleLockdown(), 'monitor');
  });

  it('fromJSON turns garbage into enforce / enforce', () => {
    for (const garbage of [
      undefined,
      null,
      42,
      'lockdown',
      [],
      {},
      { mode: 'LOCKDOWN' },
      { mode: 'off' },
      { mode: 1, beforeLockdown: 2 },
    ]) {
      assert.deepEqual(ModeState.fromJSON(garbage).toJSON(), { mode: 'enforce', beforeLockdown: 'enforce' }, JSON.stringify(garbage));
    }
  });

  it('fromJSON never restores lockdown (or garbage) as the mode to resume to', () => {
    assert.deepEqual(ModeState.fromJSON({ mode: 'lockdown', beforeLockdown: 'lockdown' }).toJSON(), {
      mode: 'lockdown',
      beforeLockdown: 'enforce',
    });
    assert.deepEqual(ModeState.fromJSON({ mode: 'lockdown', beforeLockdown: 'sideways' }).toJSON(), {
      mode: 'lockdown',
      beforeLockdown: 'enforce',
    });
    assert.deepEqual(ModeState.fromJSON({ mode: 'monitor', beforeLockdown: 'monitor' }).toJSON(), {
      mode: 'monitor',
      beforeLockdown: 'monitor',
    });
  });
});
