/**
 * Where `scope: shared` rate limits are counted (`--state`): in this process (`memory`), or in Redis through
 * dist/mcp-guard-redis.js, a bundle of its own loaded only then, so a guard without `--state` never loads
 * the Redis client. Reachability changes are said on stderr, written to the audit log and told to `onState`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditSink } from '../guard/audit-events';
import { MemorySharedLimits, monotonicClock, type SharedLimits } from '../guard/rate-limiter';
import type { RunOptions } from './args';
import type * as RedisStateModule from './redis-state';

/** The store's reachability, as the editor's status bar shows it. */
export interface StateNotice {
  readonly store: string;
  readonly reachable: boolean;
  readonly failOpen: boolean;
  readonly cause?: string;
}

export function openSharedLimits(
  opts: Pick<RunOptions, 'state' | 'stateFailOpen' | 'name'>,
  audit: AuditSink,
  log: (message: string) => void,
  onState?: (notice: StateNotice) => void,
): SharedLimits {
  const state = opts.state;
  if (state.kind === 'memory') return new MemorySharedLimits(monotonicClock);
  const bundle = join(__dirname, 'mcp-guard-redis.js');
  if (!existsSync(bundle))
    throw new Error(`--state ${state.label} is not installed: ${bundle} is missing. Run npm run build, or reinstall.`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a separate bundle, found next to this one at run time
  const redis = require(bundle) as typeof RedisStateModule;
  const failOpen = opts.stateFailOpen === true;
  const label = state.label;
  const meanwhile = failOpen
    ? 'calls under a shared rate limit go ahead uncounted until it can be (--state-fail-open)'
    : 'calls under a shared rate limit are denied until it can be (--state-fail-open would let them through)';
  log(`shared rate limits (scope: shared) are counted in ${label} for "${opts.name}" (--state)`);
  if (failOpen) log(`--state-fail-open: while ${label} cannot be reached, calls under a shared rate limit go ahead uncounted (fail open)`);
  let everReachable = false;
  return new redis.RedisSharedLimits({
    target: state,
    serverName: opts.name,
    failOpen,
    onReachable: (reachable, cause) => {
      if (reachable) {
        log(everReachable ? `state store reachable again: ${label}` : `state store reachable: ${label}`);
        everReachable = true;
      } else log(`the shared rate-limit store ${label} cannot be reached (${cause ?? 'unknown'}): ${meanwhile}`);
      audit.write({
        event: 'state_store',
        store: label,
        state: reachable ? 'reachable' : 'unreachable',
        ...(cause !== undefined && !reachable ? { cause } : {}),
        ...(failOpen ? { fail_open: true as const } : {}),
      });
      onState?.({ store: label, reachable, failOpen, ...(cause !== undefined && !reachable ? { cause } : {}) });
    },
  });
}
