import { readFileSync, watch, type FSWatcher } from 'node:fs';
import type { PolicyState } from './decider';
import { PolicyIndex } from './policy/evaluate';
import { BUILT_IN_POLICY } from './policy/model';
import { formatDiagnostic, type PolicyDiagnostic } from './policy/diagnostics';
import { parsePolicy, type ParseOptions } from './policy/parse';

export interface PolicyLoad {
  readonly state: PolicyState;
  /** Printable `FILE:LINE:COL: severity: message` lines. */
  readonly problems: readonly string[];
}

function describeErrors(file: string, diagnostics: readonly PolicyDiagnostic[]): string[] {
  return diagnostics.map((d) => formatDiagnostic(file, d));
}

export function loadPolicyFile(file: string, options: ParseOptions = {}): PolicyLoad {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'the file does not exist' : err.message;
    const line = `${file}:1:1: error: cannot read the policy file: ${why}`;
    return { state: { kind: 'invalid', error: line }, problems: [line] };
  }
  return policyFromText(file, text, options);
}

/** The policy a guard enforces: its `tests:` section is not read (see `ParseOptions.tests`). */
export function policyFromText(file: string, text: string, options: ParseOptions = {}): PolicyLoad {
  const { policy, diagnostics } = parsePolicy(text, { ...options, tests: 'ignore' });
  const problems = describeErrors(file, diagnostics);
  if (!policy) {
    const errors = problems.filter((p) => p.includes(': error: '));
    return { state: { kind: 'invalid', error: errors.join('; ') }, problems };
  }
  return { state: { kind: 'valid', index: new PolicyIndex(policy) }, problems };
}

/** How soon, and then how often, a policy path that has no file is looked at again. */
const REARM_FIRST_MS = 50;
const REARM_SLOW_MS = 1000;

export interface PolicySourceEvents {
  /** A reload was tried: `applied` false means the last good policy stays in force. */
  onReload(result: { applied: boolean; problems: readonly string[] }): void;
}

/**
 * The policy in force for a guard: loaded at start, then re-read whenever the file changes.
 * An invalid change keeps the last good policy; an invalid start fails closed.
 */
export class PolicySource {
  private current: PolicyState;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastText: string | undefined;
  private rearmTimer: NodeJS.Timeout | undefined;
  /** When the watched path was last found empty (while it stays so, it is looked at less often). */
  private missingSince: number | undefined;
  private closed = false;

  constructor(
    readonly file: string | undefined,
    private readonly events: PolicySourceEvents,
    private readonly options: ParseOptions = {},
    private readonly debounceMs = 50,
  ) {
    if (file === undefined) {
      const approvalTimeoutSeconds = options.defaultApprovalTimeoutSeconds ?? BUILT_IN_POLICY.approvalTimeoutSeconds;
      this.current = { kind: 'valid', index: new PolicyIndex({ ...BUILT_IN_POLICY, approvalTimeoutSeconds }) };
      this.initialProblems = [];
      return;
    }
    const load = loadPolicyFile(file, options);
    this.current = load.state;
    this.initialProblems = load.problems;
    this.lastText = this.readText();
  }

  readonly initialProblems: readonly string[];

  get state(): PolicyState {
    return this.current;
  }

  private readText(): string | undefined {
    try {
      return this.file === undefined ? undefined : readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
  }

  /**
   * Watches the file itself, not its directory: an audit log beside the policy would otherwise
   * wake the guard on every decision. A save by rename (most editors) replaces the file, so on a
   * `rename` the watch moves to whatever is at the path now, retrying while nothing is.
   */
  watch(): void {
    if (this.file === undefined || this.watcher || this.closed) return;
    this.arm(this.file);
  }

  private arm(file: string): void {
    this.watcher?.close();
    this.watcher = undefined;
    try {
      this.watcher = watch(file, { persistent: false }, (event) => {
        this.scheduleReload();
        if (event === 'rename') this.rearmSoon(file);
      });
      this.watcher.on('error', () => this.rearmSoon(file));
      this.missingSince = undefined;
    } catch {
      // Nothing at the path right now (an editor between delete and create, say): look again soon.
      this.rearmSoon(file);
    }
  }

  private rearmSoon(file: string): void {
    if (this.closed) return;
    this.watcher?.close();
    this.watcher = undefined;
    clearTimeout(this.rearmTimer);
    this.missingSince ??= Date.now();
    // Quick at first (a save by rename takes microseconds), then once a second while it stays away.
    const delay = Date.now() - this.missingSince < 2000 ? REARM_FIRST_MS : REARM_SLOW_MS;
    this.rearmTimer = setTimeout(() => {
      this.arm(file);
      if (this.watcher) this.scheduleReload();
    }, delay);
    this.rearmTimer.unref();
  }

  private scheduleReload(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(), this.debounceMs);
  }

  reload(): void {
    if (this.file === undefined) return;
    const text = this.readText();
    if (text === undefined) {
      this.events.onReload({ applied: false, problems: [`${this.file}:1:1: error: the policy file cannot be read; keeping the last policy`] });
      return;
    }
    if (text === this.lastText) return;
    this.lastText = text;
    const load = policyFromText(this.file, text, this.options);
    if (load.state.kind === 'valid' || this.current.kind === 'invalid') this.current = load.state;
    this.events.onReload({ applied: load.state.kind === 'valid', problems: load.problems });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.rearmTimer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
