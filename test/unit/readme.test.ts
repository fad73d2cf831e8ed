import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogTableRows } from '../../src/guard/catalog/markdown';
import { ODOO_MCP_CATALOG } from '../../src/guard/catalog/odoo-mcp';

const ROOT = join(__dirname, '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('shows the catalog as it is (run `npx tsx scripts/update-readme-catalog.ts` after changing it)', () => {
    const table = /<!-- catalog:start -->\n([\s\S]*)\n<!-- catalog:end -->/.exec(readme)?.[1];
    assert.equal(table, catalogTableRows(ODOO_MCP_CATALOG));
  });

  it('gives the test command that .ci/run runs', () => {
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    assert.match(readme, /^npm test$/m);
    assert.match(ci, /^npm test$/m);
    assert.match(readme, /^npm ci && npm run build$/m);
  });
});
