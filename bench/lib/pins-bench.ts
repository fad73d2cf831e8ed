/**
 * In-process timing of pinned tool definitions on the Odoo server's real tool list (43 tools):
 * fingerprinting the whole list (definition of each tool, canonical JSON, SHA-256), and what the
 * guard runs each time it sees a tool list (ToolTrust.observe: fingerprints and comparison).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint } from '../../src/guard/pins/fingerprint';
import { pinsOf } from '../../src/guard/pins/pins-file';
import { listedDefinitions, ToolTrust } from '../../src/guard/pins/trust';
import { median } from './stats';

export interface PinsBenchResult {
  readonly tools: number;
  /** Bytes of the tools/list result as JSON. */
  readonly listBytes: number;
  /** Median time to fingerprint every tool of the list, in ms. */
  readonly fingerprintListMs: number;
  /** The best round's time: the cost without other processes' interference, on a busy machine. */
  readonly fingerprintListBestMs: number;
  /** Median CPU time (user + system) of this process per list: what the work costs, however busy the machine. */
  readonly fingerprintListCpuMs: number;
  /** Median time of ToolTrust.observe on the list against pins of the same list, in ms. */
  readonly observeListMs: number;
}

function timeMs(rounds: number, repeat: number, work: () => void): { median: number; best: number; cpu: number } {
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < repeat; i++) work();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6 / repeat);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000 / repeat);
  }
  return { median: median(samples), best: Math.min(...samples), cpu: median(cpu) };
}

export function runPinsBench(root: string, rounds = 15, repeat = 50): PinsBenchResult {
  const text = readFileSync(join(root, 'src', 'guard', 'catalog', 'odoo-mcp-1.3.0.tools.json'), 'utf8');
  const items = (JSON.parse(text) as { tools: unknown[] }).tools;
  const pins = pinsOf('odoo-mcp', listedDefinitions(items));
  let sink = 0;
  // Warm-up, so the figures are of the running guard, not of the first call's compilation.
  for (let i = 0; i < 200; i++) for (const t of listedDefinitions(items)) sink += fingerprint(t.name, t.definition).length;
  const fingerprinted = timeMs(rounds, repeat, () => {
    for (const t of listedDefinitions(items)) sink += fingerprint(t.name, t.definition).length;
  });
  const trust = new ToolTrust({ kind: 'pins', path: 'odoo.pins.json', pins });
  const observed = timeMs(rounds, repeat, () => {
    sink += trust.observe(listedDefinitions(items)).length;
  });
  if (sink === 0) throw new Error('nothing was fingerprinted');
  return {
    tools: items.length,
    listBytes: Buffer.byteLength(JSON.stringify({ tools: items })),
    fingerprintListMs: fingerprinted.median,
    fingerprintListBestMs: fingerprinted.best,
    fingerprintListCpuMs: fingerprinted.cpu,
    observeListMs: observed.median,
  };
}
