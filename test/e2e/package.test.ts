import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/paths';
import { tempDir } from '../support/temp';

const VSCE = join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');

describe('the packaged extension (.vsix)', function () {
  this.timeout(120_000);

  it('holds only the bundles, the manifest, docs and media, and stays under 2 MB', () => {
    const listed = execFileSync(process.execPath, [VSCE, 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .sort();
    assert.ok(listed.includes('dist/extension.js'));
    assert.ok(listed.includes('dist/mcp-guard.js'));
    assert.ok(listed.includes('dist/mcp-guard-http-upstream.js'), 'a mcpGuard.servers entry with a url needs it');
    assert.ok(listed.includes('dist/mcp-guard-otlp.js'), 'mcpGuard.audit.otlpEndpoint needs it');
    assert.ok(listed.includes('dist/mcp-guard-redis.js'), 'the setting mcpGuard.state (redis://…) needs it');
    assert.ok(listed.includes('dist/odoo-demo-server.js'), 'the demo server ships in the .vsix');
    assert.ok(listed.includes('package.json'));
    assert.ok(listed.includes('README.md'));
    assert.ok(listed.includes('media/icon.png'));
    for (const f of [
      'language-configuration.json',
      'syntaxes/mcp-policy.tmLanguage.json',
      'schemas/mcp-policy.schema.json',
      'media/policy-file-icon.svg',
    ])
      assert.ok(listed.includes(f), f);
    const unexpected = listed.filter(
      (f) =>
        !/^(dist\/(extension|mcp-guard|mcp-guard-http-upstream|mcp-guard-otlp|mcp-guard-redis|odoo-demo-server)\.js|package\.json|README\.md|CHANGELOG\.md|LICENSE|language-configuration\.json|media\/.+|syntaxes\/.+|schemas\/.+)$/.test(
          f,
        ),
    );
    assert.deepEqual(unexpected, [], 'no sources, tests, maps or node_modules in the package');

    const t = tempDir();
    try {
      const out = join(t.dir, 'mcp-guard.vsix');
      execFileSync(process.execPath, [VSCE, 'package', '--no-dependencies', '--out', out], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
      const size = statSync(out).size;
      assert.ok(size < 2 * 1024 * 1024, `${size} bytes`);
    } finally {
      t.cleanup();
    }
  });
});
