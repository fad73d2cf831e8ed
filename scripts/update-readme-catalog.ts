// Rewrites the tool table in README.md from the catalog: `npx tsx scripts/update-readme-catalog.ts`.
import { readFileSync, writeFileSync } from 'node:fs';
import { catalogTableRows } from '../src/guard/catalog/markdown';
import { ODOO_MCP_CATALOG } from '../src/guard/catalog/odoo-mcp';

const readme = readFileSync('README.md', 'utf8');
const next = readme.replace(
  /<!-- catalog:start -->[\s\S]*<!-- catalog:end -->/,
  `<!-- catalog:start -->\n${catalogTableRows(ODOO_MCP_CATALOG)}\n<!-- catalog:end -->`,
);
writeFileSync('README.md', next);
