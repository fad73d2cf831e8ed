/** The window's mode (enforce, monitor, lockdown) and how it is kept across reloads. */
import type { Mode } from '../guard/policy/model';

/** The workspace-state key the mode is kept under across window reloads. */
export const MODE_STATE_KEY = 'mcpGuard.mode';

/**
 * The window's guard mode. Toggling lockdown remembers the mode it left, so a second toggle
 * returns there rather than always to enforce.
 */
export class ModeState {
  constructor(
    private current: Mode = 'enforce',
    private beforeLockdown: Exclude<Mode, 'lockdown'> = 'enforce',
  ) {}

  get mode(): Mode {
    return this.current;
  }

  /** The mode to return to when lockdown is toggled off. */
  get resumeMode(): Exclude<Mode, 'lockdown'> {
    return this.beforeLockdown;
  }

  set(mode: Mode): boolean {
    if (mode === this.current) return false;
    if (mode === 'lockdown') this.beforeLockdown = this.current as Exclude<Mode, 'lockdown'>;
    this.current = mode;
    return true;
  }

  toggleLockdown(): Mode {
    this.set(this.current === 'lockdown' ? this.beforeLockdown : 'lockdown');
    return this.current;
  }

  /** For workspace state, so the mode survives a window reload. */
  toJSON(): { mode: Mode; beforeLockdown: Exclude<Mode, 'lockdown'> } {
    return { mode: this.current, beforeLockdown: this.beforeLockdown };
  }

  static fromJSON(value: unknown): ModeState {
    const v = (value ?? {}) as { mode?: unknown; beforeLockdown?: unknown };
    const mode = v.mode === 'enforce' || v.mode === 'monitor' || v.mode === 'lockdown' ? v.mode : 'enforce';
    const before = v.beforeLockdown === 'monitor' ? 'monitor' : 'enforce';
    return new ModeState(mode, before);
  }
}
