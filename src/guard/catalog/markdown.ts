/** The tool catalog as a Markdown table (the README's catalog section is generated from it). */
import type { Catalog } from './types';

/** The catalog as Markdown table rows (`| tool | category | risk | why |`), for the README. */
export function catalogTableRows(catalog: Catalog): string {
  return Object.entries(catalog)
    .map(([name, e]) => `| \`${name}\` | ${e.category} | ${e.risk} | ${e.reason.replace(/\|/g, '\\|')} |`)
    .join('\n');
}
