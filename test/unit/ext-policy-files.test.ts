// src/extension/policy-files.ts: writing policy files without ever replacing one.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ODOO_MCP_CATALOG } from '../../src/guard/catalog/odoo-mcp';
import { starterPolicy } from '../../src/guard/policy/starter';
import { createdPolicyPath, ensurePolicyFile, writeNewPolicy } from '../../src/extension/policy-files';
import { tempDir } from '../support/temp';

describe('extension policy-files', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('ensurePolicyFile writes the catalog starter, creating folders, and says it did', () => {
    const path = join(tmp.dir, 'a', 'b', 'mcp-policy.yaml');
    assert.equal(ensurePolicyFile(path), true);
    const tools = Object.entries(ODOO_MCP_CATALOG).map(([name, e]) => ({ name, ...e }));
    assert.equal(readFileSync(path, 'utf8'), starterPolicy('the Odoo MCP server (odoo-mcp 1.3.0)', tools));
  });

  it('ensurePolicyFile leaves an existing policy as it is', () => {
    const path = join(tmp.dir, 'mcp-policy.yaml');
    writeFileSync(path, 'version: 1\n');
    assert.equal(ensurePolicyFile(path), false);
    assert.equal(readFileSync(path, 'utf8'), 'version: 1\n');
  });

  it('writeNewPolicy writes text or the result of a function, and never replaces a file', () => {
    const path = join(tmp.dir, 'new', 'p.yaml');
    assert.equal(writeNewPolicy(path, 'first\n'), true);
    assert.equal(writeNewPolicy(path, 'second\n'), false);
    let built = false;
    assert.equal(
      writeNewPolicy(path, () => {
        built = true;
        return 'third\n';
      }),
      false,
    );
    assert.equal(built, false, 'the text is not built for a file that exists');
    assert.equal(readFileSync(path, 'utf8'), 'first\n');
  });

  it('createdPolicyPath: the workspace .vscode/mcp-policy.yaml when trusted, else the window policy', () => {
    const fallback = () => '/user/mcp-policy.yaml';
    assert.equal(createdPolicyPath('/ws', true, fallback), join('/ws', '.vscode', 'mcp-policy.yaml'));
    assert.equal(createdPolicyPath('/ws', false, fallback), '/user/mcp-policy.yaml');
    assert.equal(createdPolicyPath(undefined, true, fallback), '/user/mcp-policy.yaml');
    assert.equal(
      createdPolicyPath('/ws', true, () => assert.fail('not asked when the workspace file applies')),
      join('/ws', '.vscode', 'mcp-policy.yaml'),
    );
  });
});
