/** Plain-text table for the benchmark report. */

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

export const ms = (x: number, digits = 3) => `${x.toFixed(digits)} ms`;
export const us = (ns: number) => `${(ns / 1000).toFixed(2)} µs`;
export const mb = (kb: number | undefined) => (kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);
export const met = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'met' : 'NOT MET');
