// Language support for the `resources:` section: diagnostics, hovers and completion.
import { strict as assert } from 'node:assert';
import { policyCompletions } from '../../src/guard/language/completion';
import { policyDiagnostics } from '../../src/guard/language/diagnostics';
import { policyHover } from '../../src/guard/language/hover';

const TEXT = [
  'version: 1', // 0
  'hide: ["odoo://models", "odoo://search/*"]', // 1
  'resources:', // 2
  '  "odoo://record/*":', // 3
  '    action: require_approval', // 4
  '    reason: Record reads need a person', // 5
  '    rate_limit: { max: 2, window: 60 }', // 6
  '  odoo://record/res.partner/*:', // 7
  '    action: deny', // 8
  '  "odoo://nothing/*": { action: allow }', // 9
  '',
].join('\n');

function codes(text: string): string[] {
  return policyDiagnostics(text).map((d) => `${d.severity}:${d.code}`);
}

describe('language resources: diagnostics', () => {
  it('a clean resources section has no diagnostics: URIs and globs matching no listed resource are fine, also in hide', () => {
    assert.deepEqual(policyDiagnostics(TEXT), []);
  });

  it('reports when under resources, unknown keys with did you mean, and bad actions', () => {
    const when = policyDiagnostics('version: 1\nresources:\n  odoo://models:\n    action: deny\n    when: []\n');
    assert.deepEqual(
      when.map((d) => [d.code, d.range.start.line]),
      [['resource-when', 4]],
    );
    assert.match(when[0]!.message, /when is not supported under resources/);
    const unknown = policyDiagnostics('version: 1\nresources:\n  odoo://models:\n    reasn: x\n    action: deny\n');
    assert.equal(unknown[0]!.code, 'unknown-key');
    assert.equal(unknown[0]!.suggestion, 'reason');
    assert.deepEqual(codes('version: 1\nresources:\n  odoo://models: { action: nope }\n'), ['error:bad-action']);
  });
});

describe('language resources: hovers', () => {
  const hover = (line: number, character: number) => policyHover(TEXT, { line, character })?.contents ?? '';

  it('on resources: what the section means', () => {
    const h = hover(2, 3);
    assert.match(h, /\*\*`resources`\*\* at the top level/);
    assert.match(h, /resources\/read/);
    assert.match(h, /no risk class/);
  });

  it('on a resource key: what it matches and the decision for that glob', () => {
    const h = hover(3, 8);
    assert.match(h, /Resource URI glob `odoo:\/\/record\/\*`/);
    assert.match(h, /`\/` included/);
    assert.match(h, /\*\*This policy:\*\* `require_approval` by `resources\.odoo:\/\/record\/\*`/);
    assert.match(h, /Reason: Record reads need a person/);
    assert.match(h, /at most 2 reads in any 60 s/);
    assert.match(hover(7, 6), /`deny` by `resources\.odoo:\/\/record\/res\.partner\/\*`/);
  });

  it('on keys and actions inside a resource entry', () => {
    assert.match(hover(4, 6), /\*\*`action`\*\* in a resource entry/);
    assert.match(hover(4, 16), /\*\*`require_approval`\*\*/);
    assert.match(hover(6, 20), /\*\*`max`\*\* in rate_limit/);
  });

  it('on a URI in hide: a resource, not an unknown tool', () => {
    const h = hover(1, 12);
    assert.match(h, /Resource URI `odoo:\/\/models`\*\* in hide/);
    assert.match(h, /hidden by `hide: odoo:\/\/models`/);
    assert.doesNotMatch(h, /unknown tool/);
  });
});

describe('language resources: completion', () => {
  const labels = (text: string, line: number, character: number) => policyCompletions(text, { line, character }).map((i) => i.label);

  it('offers resources as a top-level key, with a snippet', () => {
    const items = policyCompletions('version: 1\n', { line: 1, character: 0 });
    const r = items.find((i) => i.label === 'resources');
    assert.ok(r);
    assert.match(r.insertText, /^resources:\n {2}"\$\{1:odoo:\/\/record\/\*\}":\n {4}action: /);
  });

  it('offers the entry keys (no when) inside a resource entry, and actions for action:', () => {
    const text = 'version: 1\nresources:\n  "odoo://record/*":\n    action: \n    \n';
    assert.deepEqual(labels(text, 4, 4), ['reason', 'rate_limit', 'approval_timeout']);
    assert.deepEqual(labels(text, 3, 12), ['allow', 'deny', 'require_approval']);
    assert.deepEqual(labels('version: 1\nresources:\n  odoo://models:\n    rate_limit:\n      \n', 4, 6), ['max', 'window', 'scope']);
  });
});
