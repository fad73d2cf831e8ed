// The `resources:` section: parse and validation (both reading strategies), evaluation, and decideResource.
import { strict as assert } from 'node:assert';
import { decideResource, type PolicyState } from '../../src/guard/decider';
import { evaluateResource, PolicyIndex } from '../../src/guard/policy/evaluate';
import { parsePolicy, parsePolicyDetailed, type DetailedParseResult } from '../../src/guard/policy/parse';
import { RateLimiter } from '../../src/guard/rate-limiter';

function observable(r: DetailedParseResult): string {
  const policy = r.policy && {
    ...r.policy,
    hide: r.policy.hide.map((h) => h.source),
    entries: r.policy.entries.map((e) => ({ ...e, pattern: e.pattern.source, when: e.when.length })),
    resources: r.policy.resources?.map((e) => ({ ...e, pattern: e.pattern.source })),
  };
  const partial = r.partial?.resources?.map((e) => ({ ...e, pattern: e.pattern.source }));
  return JSON.stringify({ d: r.diagnostics, policy, partial, top: r.yamlOk ? r.top.map((t) => [t.key, t.line, t.endLine]) : null });
}

function same(text: string, previous?: DetailedParseResult): DetailedParseResult {
  const fast = parsePolicyDetailed(text, {}, previous);
  const whole = parsePolicyDetailed(text, { strategy: 'whole' });
  assert.equal(observable(fast), observable(whole), `for ${JSON.stringify(text)}`);
  return fast;
}

const EXAMPLE = `version: 1
default: allow
hide: ["odoo://models"]
tools:
  search_records:
    rate_limit: { max: 10, window: 60 }
resources:
  "odoo://record/*":
    action: require_approval
    reason: Record reads need a person
    approval_timeout: 30
  odoo://record/res.partner/*:
    action: deny
  "odoo://search/*":
    rate_limit: { max: 2, window: 60 }
  odoo://model/?*: { action: allow, reason: Schema is fine }
`;

function stateOf(yaml: string): PolicyState {
  const r = parsePolicy(yaml);
  assert.ok(r.policy, JSON.stringify(r.diagnostics));
  return { kind: 'valid', index: new PolicyIndex(r.policy) };
}

function codes(text: string): string[] {
  return parsePolicy(text).diagnostics.map((d) => `${d.severity}:${d.code}`);
}

describe('policy resources: parse', () => {
  it('reads resource entries with action, reason, rate_limit and approval_timeout', () => {
    const r = parsePolicy(EXAMPLE);
    assert.deepEqual(r.diagnostics, []);
    const res = r.policy!.resources!;
    assert.deepEqual(
      res.map((e) => [e.key, e.index, e.action, e.reason, e.rateLimit, e.approvalTimeoutSeconds]),
      [
        ['odoo://record/*', 0, 'require_approval', 'Record reads need a person', undefined, 30],
        ['odoo://record/res.partner/*', 1, 'deny', undefined, undefined, undefined],
        ['odoo://search/*', 2, undefined, undefined, { max: 2, windowSeconds: 60 }, undefined],
        ['odoo://model/?*', 3, 'allow', 'Schema is fine', undefined, undefined],
      ],
    );
    assert.equal(r.policy!.entries.length, 1, 'tools entries are unchanged');
  });

  it('leaves resources out of a policy that has none (existing policies are unchanged)', () => {
    assert.equal('resources' in parsePolicy('version: 1\ntools:\n  a: { action: deny }\n').policy!, false);
    assert.deepEqual(parsePolicy('version: 1\nresources:\n').policy!.resources, []);
  });

  it('lets * span / in a URI glob', () => {
    const e = parsePolicy(EXAMPLE).policy!.resources![0]!;
    assert.ok(e.pattern.test('odoo://record/res.partner/2'));
    assert.ok(!e.pattern.test('odoo://models'));
  });

  it('reports when under resources as an error with a clear message', () => {
    const r = parsePolicy(
      'version: 1\nresources:\n  "odoo://record/*":\n    action: deny\n    when:\n      - { path: args.x, op: exists }\n',
    );
    assert.equal(r.policy, undefined);
    assert.equal(r.diagnostics.length, 1);
    const d = r.diagnostics[0]!;
    assert.equal(d.code, 'resource-when');
    assert.match(d.message, /when is not supported under resources/);
    assert.deepEqual(d.range, { start: { line: 4, character: 4 }, end: { line: 4, character: 8 } });
  });

  it('reports unknown keys (with did you mean), bad actions, bad rate limits, wrong types and bad keys', () => {
    assert.deepEqual(codes('version: 1\nresources:\n  odoo://models:\n    acton: deny\n'), ['error:unknown-key']);
    assert.match(
      parsePolicy('version: 1\nresources:\n  odoo://models:\n    acton: deny\n').diagnostics[0]!.message,
      /did you mean "action"/,
    );
    assert.deepEqual(codes('version: 1\nresources:\n  odoo://models: { action: block }\n'), ['error:bad-action']);
    assert.deepEqual(codes('version: 1\nresources:\n  odoo://models: { rate_limit: { max: 0, window: 60 } }\n'), ['error:out-of-range']);
    assert.deepEqual(codes('version: 1\nresources: [odoo://models]\n'), ['error:wrong-type']);
    assert.deepEqual(codes('version: 1\nresources:\n  odoo://models: deny\n'), ['error:wrong-type']);
    assert.deepEqual(codes('version: 1\nresources:\n  "": { action: deny }\n'), ['error:bad-key']);
    assert.deepEqual(codes('version: 1\nresources:\n  odoo://models: { approval_timeout: -1 }\n'), ['error:out-of-range']);
    assert.deepEqual(codes('version: 1\nresource:\n  odoo://models: { action: deny }\n'), ['error:unknown-key']);
  });

  it('warns about a resource entry that changes nothing', () => {
    assert.deepEqual(codes('version: 1\nresources:\n  odoo://models:\n'), ['warning:no-effect']);
    assert.deepEqual(codes('version: 1\nresources:\n  odoo://models: { reason: why }\n'), ['warning:no-effect']);
  });

  it('gives the same result one piece at a time as reading the whole file', () => {
    const texts = [
      EXAMPLE,
      'version: 1\nresources:\n  "odoo://record/*":\n    action: deny\n    when: []\n',
      'version: 1\nresources:\n  odoo://models:\n    acton: deny\ntools:\n  a: { action: deny }\n',
      'resources:\n  odoo://models: { action: deny }\nversion: 1\n',
      'version: 1\nresources: { "odoo://*": { action: deny } }\n',
      'version: 1\nresources:\n  # comment\n  odoo://models:\n    rate_limit:\n      max: 1\n      window: 5\n\n  odoo://x: {}\n',
      'version: 1\nresources:\n  odoo://models: { action: deny }\nresources:\n  odoo://x: { action: deny }\n',
      'version: 1\nresources:\n  odoo://models: [\n',
    ];
    for (const t of texts) same(t);
    const first = same(EXAMPLE);
    assert.equal(first.strategy, 'segments', 'resources go through the fast path');
    // Incremental: an edit inside resources, with the previous parse passed in.
    same(EXAMPLE.replace('action: deny', 'action: allow'), first);
    same(EXAMPLE.replace('max: 2', 'max: 0'), first);
  });
});

describe('policy resources: evaluate', () => {
  const index = new PolicyIndex(parsePolicy(EXAMPLE).policy!);

  it('the strictest action of the matching entries wins, named by the first entry with it', () => {
    const v = evaluateResource(index, 'odoo://record/res.partner/2');
    assert.equal(v.action, 'deny');
    assert.equal(v.rule, 'resources.odoo://record/res.partner/*');
    assert.deepEqual(
      v.applicable.map((e) => e.key),
      ['odoo://record/*', 'odoo://record/res.partner/*'],
    );
    const w = evaluateResource(index, 'odoo://record/sale.order/1');
    assert.equal(w.action, 'require_approval');
    assert.equal(w.reason, 'Record reads need a person');
    assert.equal(w.approvalTimeoutSeconds, 30);
  });

  it('falls back to default when no entry sets an action (resources have no risk class)', () => {
    const v = evaluateResource(index, 'odoo://search/res.partner/[]');
    assert.equal(v.action, 'allow');
    assert.equal(v.rule, 'default');
    assert.deepEqual(
      v.rateLimited.map((e) => e.key),
      ['odoo://search/*'],
    );
    assert.ok(!v.reason.includes('odoo://'), 'reasons never carry the URI');
    const strict = new PolicyIndex(parsePolicy('version: 1\ndefault: require_approval\n').policy!);
    assert.equal(evaluateResource(strict, 'odoo://models').action, 'require_approval');
  });

  it('tools entries never apply to resources', () => {
    const i = new PolicyIndex(parsePolicy('version: 1\ntools:\n  "*": { action: deny }\n').policy!);
    assert.equal(evaluateResource(i, 'odoo://models').action, 'allow');
  });
});

describe('policy resources: decideResource', () => {
  const limiter = () => new RateLimiter(() => 0);

  it('blocks everything while the policy is invalid', () => {
    const d = decideResource({ kind: 'invalid', error: 'bad' }, 'enforce', 'odoo://models', limiter());
    assert.equal(d.kind, 'deny');
    assert.equal(d.rule, 'policy');
  });

  it('denies a URI matched by hide, without the URI in the reason', () => {
    const d = decideResource(stateOf(EXAMPLE), 'enforce', 'odoo://models', limiter());
    assert.deepEqual([d.kind, d.rule], ['deny', 'hide']);
    assert.ok(!d.reason.includes('odoo://models'));
  });

  it('does not block reads in lockdown mode unless the policy does', () => {
    const s = stateOf('version: 1\n');
    assert.equal(decideResource(s, 'lockdown', 'odoo://record/a/1', limiter()).kind, 'allow');
  });

  it('rate-limits with the resources.KEY namespace, counting only what the caller consumes', () => {
    const s = stateOf(EXAMPLE);
    const l = limiter();
    for (let i = 0; i < 2; i++) {
      const d = decideResource(s, 'enforce', 'odoo://search/x/y', l);
      assert.equal(d.kind, 'allow');
      if (d.kind === 'allow') {
        assert.deepEqual(
          d.limits.map((x) => x.key),
          ['resources.odoo://search/*'],
        );
        l.tryConsume(d.limits);
      }
    }
    const d = decideResource(s, 'enforce', 'odoo://search/x/y', l);
    assert.equal(d.kind, 'rate_limited');
    assert.equal(d.rule, 'resources.odoo://search/*');
    assert.match(d.reason, /Retry in [\d.]+ s\./);
  });

  it('asks for approval with the entry timeout', () => {
    const d = decideResource(stateOf(EXAMPLE), 'enforce', 'odoo://record/sale.order/1', limiter());
    assert.equal(d.kind, 'require_approval');
    if (d.kind === 'require_approval') assert.equal(d.timeoutMs, 30_000);
  });
});
