/**
 * The guard's JavaScript heap after a full collection, for `GET /healthz?heap=1`: only when node runs
 * with `--expose-gc` (a diagnostic flag, e.g. `NODE_OPTIONS=--expose-gc`), so an ordinary guard offers
 * no way to make it collect. Unlike RSS, which the allocator keeps or returns as it likes, this says
 * whether the guard still holds what its sessions used.
 */
export interface HeapFigures {
  /** V8's used heap after the collection, in bytes. */
  readonly usedAfterGc: number;
  /** The process's resident set at the same moment, in bytes. */
  readonly rss: number;
}

export function heapAfterCollection(): HeapFigures | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return undefined;
  gc();
  const m = process.memoryUsage();
  return { usedAfterGc: m.heapUsed, rss: m.rss };
}
