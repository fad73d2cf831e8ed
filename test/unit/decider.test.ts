import { strict as assert } from 'node:assert';
import { classifyTool, type ToolAnnotations } from '../../src/guard/catalog/classify';
import {
  decide,
  isLockdownSafe,
  limitRefs,
  rateLimitedReason,
  type CallFacts,
  type PolicyState,
  type Verdict,
} from '../../src/guard/decider';
import { PolicyIndex } from '../../src/guard/policy/evaluate';
import type { Mode } from '../../src/guard/policy/model';
import { parsePolicy } from '../../src/guard/policy/parse';
import { RateLimiter } from '../../src/guard/rate-limiter';
import { SPEC_EXAMPLE } from '../support/spec-policy';

function stateOf(yaml: string): PolicyState {
  const r = parsePolicy(yaml);
  assert.ok(r.policy, JSON.stringify(r.diagnostics));
  return { kind: 'valid', index: new PolicyIndex(r.policy) };
}

function call(tool: string, args: Record<string, unknown> = {}, annotations?: ToolAnnotations): CallFacts {
  return { tool, args, classification: classifyTool(tool, annotations) };
}

function kind<K extends Verdict['kind']>(v: Verdict, k: K): Extract<Verdict, { kind: K }> {
  assert.equal(v.kind, k, `verdict ${JSON.stringify({ kind: v.kind, rule: v.rule, reason: v.reason })}`);
  return v as Extract<Verdict, { kind: K }>;
}

describe('decider', () => {
  let now = 0;
  const clock = () => now;
  let limiter: RateLimiter;
  const spec = stateOf(SPEC_EXAMPLE);

  beforeEach(() => {
    now = 0;
    limiter = new RateLimiter(clock);
  });

  describe('invalid policy', () => {
    const invalid: PolicyState = { kind: 'invalid', error: 'policy.yaml:3:5: error: Unknown key "acton"' };

    it('denies every call with rule policy and the error text', () => {
      for (const tool of ['search_records', 'execute_method', 'anything']) {
        for (const mode of ['enforce', 'monitor', 'lockdown'] as Mode[]) {
          const v: Extract<Verdict, { kind: 'deny' }> = kind(decide(invalid, mode, call(tool), limiter), 'deny');
          assert.equal(v.rule, 'policy');
          assert.ok(v.reason.includes('policy.yaml:3:5: error: Unknown key "acton"'), v.reason);
          assert.ok(v.reason.startsWith('The policy file is invalid'), v.reason);
          assert.equal(v.policy, undefined);
        }
      }
    });
  });

  describe('hide', () => {
    it('denies a hidden tool with rule hide, before any entry or risk', () => {
      const v = kind(decide(spec, 'enforce', call('read_field_to_file'), limiter), 'deny');
      assert.equal(v.rule, 'hide');
      assert.equal(v.reason, 'The policy hides read_field_to_file; it cannot be called through this guard.');
    });

    it('hide wins over an entry that allows the tool, and globs hide too', () => {
      const s = stateOf('version: 1\nhide: ["search_*"]\ntools:\n  search_records: { action: allow }\n');
      assert.equal(kind(decide(s, 'enforce', call('search_records'), limiter), 'deny').rule, 'hide');
      assert.equal(kind(decide(s, 'enforce', call('search_employee'), limiter), 'deny').rule, 'hide');
      assert.equal(kind(decide(s, 'enforce', call('read_record'), limiter), 'allow').rule, 'default');
    });

    it('hide applies in lockdown too, with rule hide', () => {
      const s = stateOf('version: 1\nhide: [search_records]\n');
      assert.equal(kind(decide(s, 'lockdown', call('search_records'), limiter), 'deny').rule, 'hide');
    });
  });

  describe('lockdown', () => {
    it('denies every tool that is not Read and low risk, even when the policy allows it', () => {
      const s = stateOf('version: 1\nrisk:\n  critical: allow\n  high: allow\ntools:\n  "*": { action: allow }\n');
      for (const tool of [
        'execute_method', // Execute / critical
        'chatter_post', // Write / high
        'validate_write', // Write / medium
        'scan_addons_source', // Read / medium
        'index_knowledge', // Write / low
      ]) {
        const v: Extract<Verdict, { kind: 'deny' }> = kind(decide(s, 'lockdown', call(tool), limiter), 'deny');
        assert.equal(v.rule, 'mode.lockdown', tool);
        assert.ok(v.reason.startsWith('Lockdown mode blocks every tool that is not Read / low risk'), v.reason);
        assert.equal(v.policy, undefined);
      }
      const cls = classifyTool('index_knowledge');
      const v = kind(decide(s, 'lockdown', call('index_knowledge'), limiter), 'deny');
      assert.ok(v.reason.endsWith(`index_knowledge is ${cls.category} / ${cls.risk}.`), v.reason);
    });

    it('denies unknown tools without annotations (Write / medium) and allows readOnlyHint ones through', () => {
      assert.equal(kind(decide(spec, 'lockdown', call('mystery'), limiter), 'deny').rule, 'mode.lockdown');
      assert.equal(kind(decide(spec, 'lockdown', call('peek', {}, { readOnlyHint: true }), limiter), 'allow').rule, 'default');
    });

    it('lets Read / low tools through to the policy, which still decides', () => {
      const allow = kind(decide(spec, 'lockdown', call('read_record'), limiter), 'allow');
      assert.equal(allow.rule, 'default');
      const s = stateOf(
        'version: 1\ntools:\n  read_record: { action: deny, reason: No reads }\n  get_async_task: { action: require_approval }\n',
      );
      const deny = kind(decide(s, 'lockdown', call('read_record'), limiter), 'deny');
      assert.equal(deny.rule, 'tools.read_record');
      assert.equal(deny.reason, 'No reads');
      assert.equal(kind(decide(s, 'lockdown', call('get_async_task'), limiter), 'require_approval').rule, 'tools.get_async_task');
    });

    it('rate limits still apply to Read / low tools in lockdown', () => {
      const s = stateOf('version: 1\ntools:\n  search_records: { rate_limit: { max: 1, window: 60 } }\n');
      const first = kind(decide(s, 'lockdown', call('search_records'), limiter), 'allow');
      limiter.tryConsume(first.limits);
      kind(decide(s, 'lockdown', call('search_records'), limiter), 'rate_limited');
    });

    it('isLockdownSafe is exactly Read and low', () => {
      assert.equal(isLockdownSafe({ category: 'Read', risk: 'low', reason: '', source: 'catalog' }), true);
      assert.equal(isLockdownSafe({ category: 'Read', risk: 'medium', reason: '', source: 'catalog' }), false);
      assert.equal(isLockdownSafe({ category: 'Write', risk: 'low', reason: '', source: 'catalog' }), false);
    });
  });

  describe('policy verdicts', () => {
    it('deny: rule and reason of the entry', () => {
      const v = kind(decide(spec, 'enforce', call('write_field_from_file'), limiter), 'deny');
      assert.equal(v.rule, 'tools.write_field_*');
      assert.equal(v.reason, 'No file transfers between the Odoo host and agents');
      assert.ok(v.policy);
      assert.equal(v.policy.action, 'deny');
    });

    it('deny: by the risk default', () => {
      const v = kind(decide(spec, 'enforce', call('execute_method', { model: 'account.move' }), limiter), 'deny');
      assert.equal(v.rule, 'risk.critical');
    });

    it('require_approval with timeoutMs from the entry', () => {
      const v = kind(decide(spec, 'enforce', call('cancel_async_task', { task_id: 'x' }), limiter), 'require_approval');
      assert.equal(v.rule, 'tools.cancel_async_task');
      assert.equal(v.reason, 'Cancelling a background task is irreversible');
      assert.equal(v.timeoutMs, 60_000);
      assert.deepEqual(v.limits, []);
    });

    it('require_approval with the default 120 s timeout', () => {
      const v = kind(decide(spec, 'enforce', call('execute_method', { model: 'sale.order' }), limiter), 'require_approval');
      assert.equal(v.rule, 'tools.execute_method');
      assert.equal(v.timeoutMs, 120_000);
      const high = kind(decide(spec, 'enforce', call('chatter_post'), limiter), 'require_approval');
      assert.equal(high.rule, 'risk.high');
      assert.equal(high.timeoutMs, 120_000);
    });

    it('require_approval with a fractional timeout', () => {
      const s = stateOf('version: 1\napproval_timeout: 2.5\n');
      assert.equal(kind(decide(s, 'enforce', call('chatter_post'), limiter), 'require_approval').timeoutMs, 2500);
    });

    it('allow, carrying the limits to count once the call goes ahead', () => {
      const v = kind(decide(spec, 'enforce', call('search_records', { model: 'res.partner' }), limiter), 'allow');
      assert.equal(v.rule, 'default');
      assert.deepEqual(v.limits, [{ key: 'tools.search_records', limit: { max: 10, windowSeconds: 60 } }]);
      const plain = kind(decide(spec, 'enforce', call('read_record'), limiter), 'allow');
      assert.deepEqual(plain.limits, []);
    });

    it('monitor mode is decided like enforce (the proxy, not the decider, lets it through)', () => {
      assert.equal(kind(decide(spec, 'monitor', call('write_field_from_file'), limiter), 'deny').rule, 'tools.write_field_*');
      assert.equal(kind(decide(spec, 'monitor', call('read_field_to_file'), limiter), 'deny').rule, 'hide');
      kind(decide(spec, 'monitor', call('cancel_async_task'), limiter), 'require_approval');
      kind(decide(spec, 'monitor', call('read_record'), limiter), 'allow');
    });
  });

  describe('rate limits', () => {
    it('the 10th call passes, the 11th is rate_limited with a retry time', () => {
      for (let i = 1; i <= 10; i++) {
        now = i * 100;
        const v = kind(decide(spec, 'enforce', call('search_records'), limiter), 'allow');
        assert.equal(limiter.tryConsume(v.limits).ok, true);
      }
      now = 2000;
      const v = kind(decide(spec, 'enforce', call('search_records'), limiter), 'rate_limited');
      assert.equal(v.rule, 'tools.search_records');
      assert.equal(v.retryAfterMs, 100 + 60_000 - 2000);
      assert.equal(v.reason, 'Rate limit reached: at most 10 calls per 60 s. Retry in 58.1 s.');
      assert.ok(v.reason.includes('Retry in'));
      assert.equal(v.policy.action, 'allow');
      now = 60_100;
      kind(decide(spec, 'enforce', call('search_records'), limiter), 'allow');
    });

    it('rate limits are checked before approval is asked', () => {
      const s = stateOf('version: 1\ntools:\n  chatter_post: { rate_limit: { max: 1, window: 30 } }\n');
      const first = kind(decide(s, 'enforce', call('chatter_post'), limiter), 'require_approval');
      assert.deepEqual(first.limits, [{ key: 'tools.chatter_post', limit: { max: 1, windowSeconds: 30 } }]);
      limiter.tryConsume(first.limits);
      const second = kind(decide(s, 'enforce', call('chatter_post'), limiter), 'rate_limited');
      assert.equal(second.reason, 'Rate limit reached: at most 1 call per 30 s. Retry in 30 s.');
    });

    it('every applicable rate limit counts; the one that frees up last is reported', () => {
      const s = stateOf(`version: 1
tools:
  "search_*": { rate_limit: { max: 2, window: 10 } }
  search_records: { rate_limit: { max: 1, window: 60 } }
`);
      const v = kind(decide(s, 'enforce', call('search_records'), limiter), 'allow');
      assert.deepEqual(
        v.limits.map((l) => l.key),
        ['tools.search_*', 'tools.search_records'],
      );
      limiter.tryConsume(v.limits);
      now = 1000;
      const r = kind(decide(s, 'enforce', call('search_records'), limiter), 'rate_limited');
      assert.equal(r.rule, 'tools.search_records');
      assert.equal(r.retryAfterMs, 59_000);
      // The glob's counter is shared by every tool it matches: one call left.
      const e = kind(decide(s, 'enforce', call('search_employee'), limiter), 'allow');
      limiter.tryConsume(e.limits);
      assert.equal(kind(decide(s, 'enforce', call('search_holidays'), limiter), 'rate_limited').rule, 'tools.search_*');
    });

    it('deciding never consumes quota: allow verdicts repeated without tryConsume stay allowed', () => {
      const s = stateOf('version: 1\ntools:\n  search_records: { rate_limit: { max: 1, window: 60 } }\n');
      for (let i = 0; i < 20; i++) kind(decide(s, 'enforce', call('search_records'), limiter), 'allow');
    });

    it('denied calls do not consume quota', () => {
      const s = stateOf(`version: 1
tools:
  search_records:
    rate_limit: { max: 1, window: 60 }
  "search_*":
    action: deny
    when:
      - { path: args.model, op: eq, value: res.users }
`);
      for (let i = 0; i < 5; i++) {
        const d = kind(decide(s, 'enforce', call('search_records', { model: 'res.users' }), limiter), 'deny');
        assert.equal(d.rule, 'tools.search_*');
        // The verdict still names the limit, but the decider counted nothing.
        assert.equal(d.policy!.rateLimited.length, 1);
      }
      assert.equal(limiter.check(limitRefs(decide(s, 'enforce', call('search_records'), limiter).policy!)).ok, true);
      const ok = kind(decide(s, 'enforce', call('search_records', { model: 'res.partner' }), limiter), 'allow');
      assert.equal(limiter.tryConsume(ok.limits).ok, true);
      kind(decide(s, 'enforce', call('search_records', { model: 'res.partner' }), limiter), 'rate_limited');
    });

    it('rate_limited calls do not consume quota either', () => {
      const s = stateOf('version: 1\ntools:\n  search_records: { rate_limit: { max: 1, window: 10 } }\n');
      limiter.tryConsume(kind(decide(s, 'enforce', call('search_records'), limiter), 'allow').limits);
      now = 1000;
      for (let i = 0; i < 5; i++) kind(decide(s, 'enforce', call('search_records'), limiter), 'rate_limited');
      now = 10_000;
      kind(decide(s, 'enforce', call('search_records'), limiter), 'allow');
    });

    it('hidden and lockdown-denied calls do not touch the limiter', () => {
      const s = stateOf('version: 1\nhide: [search_employee]\ntools:\n  "*": { rate_limit: { max: 1, window: 60 } }\n');
      for (let i = 0; i < 3; i++) {
        kind(decide(s, 'enforce', call('search_employee'), limiter), 'deny');
        kind(decide(s, 'lockdown', call('validate_write'), limiter), 'deny');
      }
      const v = kind(decide(s, 'enforce', call('read_record'), limiter), 'allow');
      assert.deepEqual(v.limits, [{ key: 'tools.*', limit: { max: 1, windowSeconds: 60 } }]);
      assert.equal(limiter.tryConsume(v.limits).ok, true);
    });
  });

  describe('rateLimitedReason', () => {
    const check = (retryAfterMs: number, max = 10, windowSeconds = 60) =>
      ({ ok: false, key: 'k', limit: { max, windowSeconds }, retryAfterMs }) as const;

    it('rounds the wait up to a tenth of a second, at least 0.1 s', () => {
      assert.equal(rateLimitedReason(check(60_000)), 'Rate limit reached: at most 10 calls per 60 s. Retry in 60 s.');
      assert.equal(rateLimitedReason(check(1500)), 'Rate limit reached: at most 10 calls per 60 s. Retry in 1.5 s.');
      assert.equal(rateLimitedReason(check(1501)), 'Rate limit reached: at most 10 calls per 60 s. Retry in 1.6 s.');
      assert.equal(rateLimitedReason(check(1)), 'Rate limit reached: at most 10 calls per 60 s. Retry in 0.1 s.');
      assert.equal(rateLimitedReason(check(0)), 'Rate limit reached: at most 10 calls per 60 s. Retry in 0.1 s.');
    });

    it('singular call for max 1', () => {
      assert.equal(rateLimitedReason(check(500, 1, 5)), 'Rate limit reached: at most 1 call per 5 s. Retry in 0.5 s.');
    });
  });
});
