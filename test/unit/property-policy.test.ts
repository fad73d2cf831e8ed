import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { classifyTool } from '../../src/guard/catalog/classify';
import { decide, type PolicyState, type Verdict } from '../../src/guard/decider';
import { PolicyIndex } from '../../src/guard/policy/evaluate';
import type { Action, Mode } from '../../src/guard/policy/model';
import { parsePolicy } from '../../src/guard/policy/parse';
import { RateLimiter } from '../../src/guard/rate-limiter';

/** Property-based checks of the policy parser and of evaluation (fast-check). */
describe('property: the policy parser and evaluation', function () {
  this.timeout(20_000);

  describe('parsePolicy never throws', () => {
    const POLICY_WORDS = [
      'version: 1',
      'version: 2',
      'default: allow',
      'default: deny',
      'default: maybe',
      'risk:',
      '  critical: deny',
      '  high: require_approval',
      'hide: [a, "b*"]',
      'hide:',
      '  - x',
      'tools:',
      '  search_records:',
      '    action: allow',
      '    action: deny',
      '    rate_limit: { max: 0, window: -1 }',
      '    rate_limit: { max: 3, window: 60 }',
      '    when:',
      '      - { path: args.model, op: in, value: [res.partner] }',
      '      - { path: args.x, op: regex, value: "(" }',
      '      - { path: model, op: eq }',
      '    approval_timeout: 0',
      '    reason: |',
      'approval_timeout: 5',
      '&a [1, 2]',
      '*a',
      '<<: *a',
      '---',
      '...',
      '? complex',
      '!!binary AAAA',
      '%YAML 1.2',
      '"unterminated',
      '{',
      ']',
      '\t',
      '  ',
      '#',
    ];
    const yamlish = fc
      .array(fc.oneof(fc.constantFrom(...POLICY_WORDS), fc.string({ maxLength: 12 })), { maxLength: 25 })
      .map((lines) => lines.join('\n'));

    for (const [name, text] of [
      ['arbitrary Unicode text', fc.string({ unit: 'binary', maxLength: 300 })],
      ['YAML-like lines of policy keys and junk', yamlish],
    ] as const) {
      it(`on ${name}: returns diagnostics, and a policy only when there is no error`, () => {
        fc.assert(
          fc.property(text, (t) => {
            const r = parsePolicy(t);
            assert.ok(Array.isArray(r.diagnostics));
            const errors = r.diagnostics.filter((d) => d.severity === 'error');
            assert.equal(r.policy !== undefined, errors.length === 0, JSON.stringify(r.diagnostics));
            for (const d of r.diagnostics) {
              assert.ok(typeof d.message === 'string' && d.message.length > 0);
              assert.ok(d.range.start.line >= 0 && d.range.start.character >= 0);
            }
          }),
          { numRuns: 400 },
        );
      });
    }
  });

  describe('evaluation is monotone', () => {
    const TOOLS = [
      'health_check',
      'search_records',
      'submit_async_task',
      'chatter_post',
      'cancel_async_task',
      'execute_method',
      'custom_read',
      'custom_plain',
    ];
    const ANNOTATIONS: Record<string, Record<string, unknown>> = { custom_read: { readOnlyHint: true }, custom_plain: {} };
    const KEYS = [
      'health_check',
      'search_records',
      'submit_async_task',
      'chatter_post',
      'cancel_async_task',
      'execute_method',
      'custom_read',
      'custom_*',
      '*',
      's*',
      '*_task',
      '?ealth_check',
      'execute_*',
      '*c*',
    ];
    const ACTIONS: Action[] = ['allow', 'deny', 'require_approval'];

    interface Cond {
      path: string;
      op: string;
      value: unknown;
    }
    interface Entry {
      key: string;
      action?: Action;
      rate?: { max: number; window: number };
      when: Cond[];
    }
    const cond: fc.Arbitrary<Cond> = fc.oneof(
      fc.record({ path: fc.constant('args.model'), op: fc.constantFrom('eq', 'neq'), value: fc.constantFrom('res.partner', 'sale.order') }),
      fc.record({
        path: fc.constant('args.model'),
        op: fc.constantFrom('in', 'not_in'),
        value: fc.constant(['res.partner', 'account.move']),
      }),
      fc.record({ path: fc.constant('args.n'), op: fc.constantFrom('lt', 'gte'), value: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ path: fc.constant('args.n'), op: fc.constant('exists'), value: fc.boolean() }),
    );
    const rate = fc.record({ max: fc.integer({ min: 1, max: 3 }), window: fc.constantFrom(1, 60) });
    const entry = (keys: readonly string[], actions: readonly Action[], withRate: boolean): fc.Arbitrary<Entry> =>
      fc
        .record({
          key: fc.constantFrom(...keys),
          action: fc.option(fc.constantFrom(...actions), { nil: undefined }),
          rate: withRate ? fc.option(rate, { nil: undefined }) : fc.constant(undefined),
          when: fc.array(cond, { maxLength: 2 }),
        })
        .map((e) => (e.action === undefined && e.rate === undefined ? { ...e, action: 'allow' as Action } : e));
    const policy = fc.record({
      default: fc.constantFrom(...ACTIONS),
      risk: fc.dictionary(fc.constantFrom('low', 'medium', 'high', 'critical'), fc.constantFrom(...ACTIONS), { maxKeys: 3 }),
      hide: fc.subarray(['custom_plain', 'chatter_*']),
      entries: fc.uniqueArray(entry(KEYS, ACTIONS, true), { selector: (e) => e.key, maxLength: 6 }),
    });
    const call = fc.record({
      tool: fc.constantFrom(...TOOLS),
      args: fc.record(
        { model: fc.constantFrom('res.partner', 'sale.order', 'account.move'), n: fc.integer({ min: 0, max: 6 }) },
        { requiredKeys: [] },
      ),
      mode: fc.constantFrom<Mode>('enforce', 'lockdown'),
    });
    // Calls already counted against some entries, so rate limits can bite.
    const spent = fc.array(fc.record({ key: fc.constantFrom(...KEYS), n: fc.integer({ min: 1, max: 3 }) }), { maxLength: 4 });

    function yaml(p: { default: Action; risk: Record<string, Action>; hide: string[]; entries: Entry[] }): string {
      const out = ['version: 1', `default: ${p.default}`];
      if (Object.keys(p.risk).length > 0) out.push('risk:', ...Object.entries(p.risk).map(([k, v]) => `  ${k}: ${v}`));
      if (p.hide.length > 0) out.push(`hide: [${p.hide.map((h) => JSON.stringify(h)).join(', ')}]`);
      if (p.entries.length > 0) {
        out.push('tools:');
        for (const e of p.entries) {
          out.push(`  ${JSON.stringify(e.key)}:`);
          if (e.action) out.push(`    action: ${e.action}`);
          if (e.rate) out.push(`    rate_limit: { max: ${e.rate.max}, window: ${e.rate.window} }`);
          if (e.when.length > 0)
            out.push('    when:', ...e.when.map((c) => `      - { path: ${c.path}, op: ${c.op}, value: ${JSON.stringify(c.value)} }`));
        }
      }
      return `${out.join('\n')}\n`;
    }

    function state(text: string): PolicyState {
      const r = parsePolicy(text);
      assert.ok(r.policy, `${text}\n${JSON.stringify(r.diagnostics)}`);
      return { kind: 'valid', index: new PolicyIndex(r.policy) };
    }

    const RANK: Record<Verdict['kind'], number> = { allow: 0, require_approval: 1, rate_limited: 2, deny: 3 };

    function verdicts(
      base: Parameters<typeof yaml>[0],
      added: Entry,
      c: { tool: string; args: Record<string, unknown>; mode: Mode },
      used: { key: string; n: number }[],
    ): [Verdict, Verdict] {
      const now = 1_000_000;
      const limiter = new RateLimiter(() => now);
      for (const u of used)
        for (let i = 0; i < u.n; i++) limiter.tryConsume([{ key: `tools.${u.key}`, limit: { max: 1000, windowSeconds: 3600 } }]);
      const facts = { tool: c.tool, args: c.args, classification: classifyTool(c.tool, ANNOTATIONS[c.tool]) };
      const before = decide(state(yaml(base)), c.mode, facts, limiter);
      const after = decide(state(yaml({ ...base, entries: [...base.entries, added] })), c.mode, facts, limiter);
      return [before, after];
    }

    it('adding a deny entry never lets through a call that was blocked, and never loosens any verdict', () => {
      fc.assert(
        fc.property(policy, entry(KEYS, ['deny'], true), call, spent, (base, added, c, used) => {
          fc.pre(!base.entries.some((e) => e.key === added.key));
          const [before, after] = verdicts(base, { ...added, action: 'deny' }, c, used);
          if (before.kind === 'deny') assert.equal(after.kind, 'deny');
          assert.ok(RANK[after.kind] >= RANK[before.kind], `${before.kind} → ${after.kind}`);
        }),
        { numRuns: 500 },
      );
    });

    it('adding an allow entry never blocks a call that was allowed, except by its rate limit; without one it never tightens any verdict', () => {
      fc.assert(
        fc.property(policy, entry(KEYS, ['allow'], true), call, spent, (base, added, c, used) => {
          fc.pre(!base.entries.some((e) => e.key === added.key));
          const [before, after] = verdicts(base, { ...added, action: 'allow' }, c, used);
          if (before.kind === 'allow')
            assert.ok(after.kind === 'allow' || (after.kind === 'rate_limited' && added.rate !== undefined), `allow → ${after.kind}`);
          if (added.rate === undefined) assert.ok(RANK[after.kind] <= RANK[before.kind], `${before.kind} → ${after.kind}`);
        }),
        { numRuns: 500 },
      );
    });

    it('hiding more tools never lets through a call that was blocked', () => {
      fc.assert(
        fc.property(policy, fc.constantFrom(...KEYS), call, (base, pattern, c) => {
          const limiter = new RateLimiter(() => 0);
          const facts = { tool: c.tool, args: c.args, classification: classifyTool(c.tool, ANNOTATIONS[c.tool]) };
          const before = decide(state(yaml(base)), c.mode, facts, limiter);
          const after = decide(state(yaml({ ...base, hide: [...base.hide, pattern] })), c.mode, facts, limiter);
          assert.ok(RANK[after.kind] >= RANK[before.kind]);
        }),
        { numRuns: 300 },
      );
    });
  });
});
