/** The policy a guard enforces, re-read whenever the file (or any link on its path) changes; an invalid change keeps the last good one. */
import { readFileSync, readlinkSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, isAbsolute, join, parse } from 'node:path';
import type { PolicyState } from '../decider';
import { PolicyIndex } from '../policy/evaluate';
import { BUILT_IN_POLICY } from '../policy/model';
import { formatDiagnostic, type PolicyDiagnostic } from '../policy/diagnostics';
import { parsePolicy, type ParseOptions } from '../policy/parse';
import { baseLayerFromText } from '../policy/base';

/**
 * Which file a source reads: the workspace policy, or the organisation's base policy (`--base-policy`),
 * whose valid state carries the parsed layer in `base` (see policy/base.ts) and whose invalid state says
 * `layer: 'base'`.
 */
export type PolicyLayerKind = 'policy' | 'base';

/** What the guard's gate and lists read of the policy in force, and how it is let go. */
export interface PolicyHolder {
  readonly state: PolicyState;
  close(): void;
}

export interface PolicyLoad {
  readonly state: PolicyState;
  /** Printable `FILE:LINE:COL: severity: message` lines. */
  readonly problems: readonly string[];
}

function describeErrors(file: string, diagnostics: readonly PolicyDiagnostic[]): string[] {
  return diagnostics.map((d) => formatDiagnostic(file, d));
}

export function loadPolicyFile(file: string, options: ParseOptions = {}, layer: PolicyLayerKind = 'policy'): PolicyLoad {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'the file does not exist' : err.message;
    const line = `${file}:1:1: error: cannot read the ${layer === 'base' ? 'base policy' : 'policy'} file: ${why}`;
    return { state: { kind: 'invalid', error: line, ...(layer === 'base' ? { layer } : {}) }, problems: [line] };
  }
  return policyFromText(file, text, options, layer);
}

/** The policy a guard enforces: its `tests:` section is not read (see `ParseOptions.tests`). */
export function policyFromText(file: string, text: string, options: ParseOptions = {}, layer: PolicyLayerKind = 'policy'): PolicyLoad {
  if (layer === 'base') {
    const load = baseLayerFromText(file, text, options);
    const problems = describeErrors(file, load.diagnostics);
    if (!load.ok) return { state: { kind: 'invalid', error: load.errors.join('; '), layer: 'base' }, problems };
    return { state: { kind: 'valid', index: load.layer.index, base: load.layer }, problems };
  }
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
/** How often a path through symlinks is resolved again, in case the event of a swap was lost. */
const RECHECK_MS = 2000;
/** Linux's MAXSYMLINKS: more hops than this is a loop. */
const MAX_HOPS = 40;

interface Chain {
  /** The file the path ends at, all links followed. */
  readonly target: string;
  /** Each directory holding a symlink met on the way, with the names of those links. */
  readonly links: ReadonlyMap<string, ReadonlySet<string>>;
  /** Differs as soon as any link on the way points elsewhere or the target is another file. */
  readonly key: string;
}

const parts = (path: string) => path.split(process.platform === 'win32' ? /[\\/]+/ : /\/+/).filter(Boolean);

/**
 * Resolves `file` one name at a time, as the kernel does, noting every symlink met: a watch only
 * sees the file a path led to when it was set, so each of these links needs watching too, and
 * `realpath` names only the end of the chain.
 */
function resolveChain(file: string): Chain {
  const links = new Map<string, Set<string>>();
  const hops: string[] = [];
  let at = isAbsolute(file) ? parse(file).root : process.cwd();
  let rest = parts(isAbsolute(file) ? file.slice(at.length) : file);
  while (rest.length > 0) {
    const name = rest.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      at = dirname(at);
      continue;
    }
    const path = join(at, name);
    let to: string;
    try {
      to = readlinkSync(path);
    } catch {
      at = path; // not a link, or not there
      continue;
    }
    hops.push(`${path} -> ${to}`);
    const names = links.get(at) ?? new Set<string>();
    links.set(at, names.add(name));
    if (hops.length > MAX_HOPS) {
      at = path; // watching it fails (ELOOP), so it is retried like a missing file
      break;
    }
    if (isAbsolute(to)) at = parse(to).root;
    rest = [...parts(isAbsolute(to) ? to.slice(at.length) : to), ...rest];
  }
  let id = 'missing';
  try {
    const stat = statSync(at);
    id = `${stat.dev}:${stat.ino}`;
  } catch {
    // Not there (yet): the watch on it fails and is retried.
  }
  return { target: at, links, key: [...hops, at, id].join('\n') };
}

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
  private watchers: FSWatcher[] = [];
  /** The resolved path the watches were set for (see `resolveChain`). */
  private armedKey: string | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;
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
    private readonly layer: PolicyLayerKind = 'policy',
  ) {
    if (file === undefined) {
      const approvalTimeoutSeconds = options.defaultApprovalTimeoutSeconds ?? BUILT_IN_POLICY.approvalTimeoutSeconds;
      this.current = { kind: 'valid', index: new PolicyIndex({ ...BUILT_IN_POLICY, approvalTimeoutSeconds }) };
      this.initialProblems = [];
      return;
    }
    const load = loadPolicyFile(file, options, layer);
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
   *
   * A watch stays on the file the path led to when it was set, so repointing a symlink on the way
   * (`ln -sfn`, the kubelet swapping a ConfigMap's `..data`) would leave the old policy in force
   * without a word. So when the path goes through symlinks, each directory holding one is watched
   * too, for the names of those links only, and the slow re-check covers a lost event.
   */
  watch(): void {
    if (this.file === undefined || this.watchers.length > 0 || this.closed) return;
    this.arm(this.file);
  }

  private arm(file: string): void {
    this.disarm();
    const chain = resolveChain(file);
    try {
      const watcher = watch(chain.target, { persistent: false }, (event) => {
        this.scheduleReload();
        if (event === 'rename') this.rearmSoon(file);
      });
      watcher.on('error', () => this.rearmSoon(file));
      this.watchers.push(watcher);
    } catch {
      // Nothing at the path right now (an editor between delete and create, say): look again soon.
      this.rearmSoon(file);
      return;
    }
    for (const [dir, names] of chain.links) {
      try {
        // Other names here (an audit log, the kubelet's `..data_tmp`) are ignored; an event without
        // a name might be ours, and following costs a few readlinks, never a read of the policy.
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(name)) this.followChain(file);
        });
        watcher.on('error', () => this.rearmSoon(file));
        this.watchers.push(watcher);
      } catch {
        // The re-check below still notices a swap there, only later.
      }
    }
    if (chain.links.size > 0) {
      this.recheckTimer = setInterval(() => this.followChain(file), RECHECK_MS);
      this.recheckTimer.unref();
    }
    this.missingSince = undefined;
    this.armedKey = chain.key;
    // A swap between resolving and watching raised no event that these watches could see.
    if (resolveChain(file).key !== chain.key) this.rearmSoon(file);
  }

  /** Moves the watches, and reloads, when a link on the way now points elsewhere. */
  private followChain(file: string): void {
    if (this.closed || resolveChain(file).key === this.armedKey) return;
    this.arm(file);
    this.scheduleReload();
  }

  private disarm(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    clearInterval(this.recheckTimer);
  }

  private rearmSoon(file: string): void {
    if (this.closed) return;
    this.disarm();
    clearTimeout(this.rearmTimer);
    this.missingSince ??= Date.now();
    // Quick at first (a save by rename takes microseconds), then once a second while it stays away.
    const delay = Date.now() - this.missingSince < 2000 ? REARM_FIRST_MS : REARM_SLOW_MS;
    this.rearmTimer = setTimeout(() => {
      this.arm(file);
      if (this.watchers.length > 0) this.scheduleReload();
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
      this.events.onReload({
        applied: false,
        problems: [
          `${this.file}:1:1: error: the ${this.layer === 'base' ? 'base policy' : 'policy'} file cannot be read; keeping the last ${this.layer === 'base' ? 'base policy' : 'policy'}`,
        ],
      });
      return;
    }
    if (text === this.lastText) return;
    this.lastText = text;
    const load = policyFromText(this.file, text, this.options, this.layer);
    if (load.state.kind === 'valid' || this.current.kind === 'invalid') this.current = load.state;
    this.events.onReload({ applied: load.state.kind === 'valid', problems: load.problems });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.rearmTimer);
    this.disarm();
  }
}

/**
 * The workspace policy with the organisation's base policy under it (`--base-policy`): each file is
 * watched and reloaded on its own (an invalid change keeps that file's last valid version); a base that
 * is missing or invalid from the start blocks every request, as an invalid policy does.
 */
export class LayeredPolicySource implements PolicyHolder {
  private seen: readonly [PolicyState, PolicyState] | undefined;
  private combined: PolicyState | undefined;

  constructor(
    readonly policy: PolicySource,
    readonly base: PolicySource,
  ) {}

  get state(): PolicyState {
    const p = this.policy.state;
    const b = this.base.state;
    // One object per pair of states: the gate reads this on every call.
    if (this.seen !== undefined && this.seen[0] === p && this.seen[1] === b) return this.combined!;
    let combined: PolicyState;
    if (b.kind === 'invalid') combined = b;
    else if (p.kind === 'invalid') combined = p;
    else if (b.base === undefined) combined = { kind: 'invalid', error: 'the base policy was not read as one', layer: 'base' };
    else combined = { kind: 'valid', index: p.index, base: b.base };
    this.seen = [p, b];
    this.combined = combined;
    return combined;
  }

  watch(): void {
    this.policy.watch();
    this.base.watch();
  }

  close(): void {
    this.policy.close();
    this.base.close();
  }
}
