import { strict as assert } from 'node:assert';
import { classifyTool, type Classification, type ToolAnnotations } from '../../src/guard/catalog/classify';
import { evaluatePolicy, PolicyIndex, type PolicyVerdict } from '../../src/guard/policy/evaluate';
import { BUILT_IN_POLICY, type Policy } from '../../src/guard/policy/model';
import { parsePolicy } from '../../src/guard/policy/parse';
import { SPEC_EXAMPLE } from '../support/spec-policy';

function policyOf(yaml: string): Policy {
  const r = parsePolicy(yaml);
  assert.ok(r.policy, `policy did not parse: ${JSON.stringify(r.diagnostics)}`);
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return r.policy;
}

function evalYaml(yaml: string, tool: string, args: Record<string, unknown> = {}, annotations?: ToolAnnotations): PolicyVerdict {
  return evaluatePolicy(new PolicyIndex(policyOf(yaml)), tool, args, classifyTool(tool, annotations));
}

const UNKNOWN_WRITE: Classification = classifyTool('not_in_catalog_tool');

describe('policy evaluate: matching entries', () => {
  it('an exact key applies to that tool only', () => {
    const yaml = 'version: 1\ntools:\n  search_records: { action: deny }\n';
    const v = evalYaml(yaml, 'search_records');
    assert.equal(v.action, 'deny');
    assert.equal(v.rule, 'tools.search_records');
    assert.deepEqual(
      v.applicable.map((e) => e.key),
      ['search_records'],
    );
    const other = evalYaml(yaml, 'search_records_x');
    assert.equal(other.action, 'allow');
    assert.equal(other.rule, 'default');
    assert.deepEqual(other.applicable, []);
  });

  it('a glob with * applies to every matching name', () => {
    const yaml = 'version: 1\ntools:\n  "search_*": { action: deny }\n';
    assert.equal(evalYaml(yaml, 'search_records').action, 'deny');
    assert.equal(evalYaml(yaml, 'search_employee').action, 'deny');
    assert.equal(evalYaml(yaml, 'search_').action, 'deny');
    assert.equal(evalYaml(yaml, 'search_records').rule, 'tools.search_*');
    assert.equal(evalYaml(yaml, 'read_record').action, 'allow');
    assert.equal(evalYaml(yaml, 'xsearch_records').action, 'allow');
  });

  it('a glob with ? matches exactly one character', () => {
    const yaml = 'version: 1\ntools:\n  "read_recor?": { action: deny }\n';
    assert.equal(evalYaml(yaml, 'read_record').action, 'deny');
    assert.equal(evalYaml(yaml, 'read_recorx', {}, { readOnlyHint: true }).action, 'deny');
    assert.equal(evalYaml(yaml, 'read_recor', {}, { readOnlyHint: true }).action, 'allow');
    assert.equal(evalYaml(yaml, 'read_records', {}, { readOnlyHint: true }).action, 'allow');
  });

  it('the specification example: write_field_* denies write_field_from_file with its reason', () => {
    const v = evalYaml(SPEC_EXAMPLE, 'write_field_from_file');
    assert.equal(v.action, 'deny');
    assert.equal(v.rule, 'tools.write_field_*');
    assert.equal(v.reason, 'No file transfers between the Odoo host and agents');
    assert.deepEqual(v.source, { kind: 'entry', entry: v.applicable[0] });
  });
});

describe('policy evaluate: the strictest applicable action wins', () => {
  const entries: Record<string, string> = {
    allow: '  "search_*": { action: allow, reason: R-allow }\n',
    approve: '  "search_rec*": { action: require_approval, reason: R-approve }\n',
    deny: '  search_records: { action: deny, reason: R-deny }\n',
  };
  const permutations = (xs: string[]): string[][] =>
    xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));

  for (const order of permutations(['allow', 'approve', 'deny'])) {
    it(`3 entries in order ${order.join(', ')}: deny wins`, () => {
      const yaml = 'version: 1\ntools:\n' + order.map((k) => entries[k]).join('');
      const v = evalYaml(yaml, 'search_records');
      assert.equal(v.action, 'deny');
      assert.equal(v.rule, 'tools.search_records');
      assert.equal(v.reason, 'R-deny');
      assert.equal(v.applicable.length, 3);
    });
  }

  for (const [a, b, want, rule] of [
    ['allow', 'approve', 'require_approval', 'tools.search_rec*'],
    ['approve', 'allow', 'require_approval', 'tools.search_rec*'],
    ['allow', 'deny', 'deny', 'tools.search_records'],
    ['deny', 'allow', 'deny', 'tools.search_records'],
    ['approve', 'deny', 'deny', 'tools.search_records'],
    ['deny', 'approve', 'deny', 'tools.search_records'],
  ] as const) {
    it(`2 entries ${a} then ${b}: ${want} wins`, () => {
      const v = evalYaml('version: 1\ntools:\n' + entries[a] + entries[b], 'search_records');
      assert.equal(v.action, want);
      assert.equal(v.rule, rule);
      assert.equal(v.applicable.length, 2);
    });
  }

  it('an entry action overrides the risk default even when it is less strict', () => {
    // cancel_async_task is critical (built-in deny), but its entry asks for approval.
    const v = evalYaml(SPEC_EXAMPLE, 'cancel_async_task');
    assert.equal(v.action, 'require_approval');
    assert.equal(v.rule, 'tools.cancel_async_task');
    assert.equal(v.reason, 'Cancelling a background task is irreversible');
    assert.equal(v.approvalTimeoutSeconds, 60);
    const allowCritical = evalYaml('version: 1\ntools:\n  execute_method: { action: allow }\n', 'execute_method');
    assert.equal(allowCritical.action, 'allow');
    assert.equal(allowCritical.rule, 'tools.execute_method');
  });

  it('among entries with the winning action the first in file order names the rule', () => {
    const yaml = 'version: 1\ntools:\n  "search_*": { action: deny }\n  search_records: { action: deny, reason: Second }\n';
    const v = evalYaml(yaml, 'search_records');
    assert.equal(v.rule, 'tools.search_*');
    // The first one that explains itself gives the reason.
    assert.equal(v.reason, 'Second');
  });

  it('without any reason, the reason names the entry and the action', () => {
    const v = evalYaml('version: 1\ntools:\n  search_records: { action: deny }\n', 'search_records');
    assert.equal(v.reason, 'The policy entry tools.search_records says deny.');
  });
});

describe('policy evaluate: conditions decide whether an entry applies', () => {
  const yaml = `version: 1
tools:
  search_records:
    action: deny
    reason: No partner searches
    when:
      - { path: args.model, op: eq, value: res.partner }
      - { path: args.limit, op: gt, value: 100 }
`;

  it('applies when all conditions hold', () => {
    const v = evalYaml(yaml, 'search_records', { model: 'res.partner', limit: 500 });
    assert.equal(v.action, 'deny');
    assert.equal(v.reason, 'No partner searches');
  });

  it('does not apply when one condition fails: falls to default', () => {
    const v = evalYaml(yaml, 'search_records', { model: 'res.partner', limit: 50 });
    assert.equal(v.action, 'allow');
    assert.equal(v.rule, 'default');
    assert.deepEqual(v.applicable, []);
    assert.deepEqual(v.source, { kind: 'default' });
  });

  it('does not apply when the path is missing', () => {
    assert.equal(evalYaml(yaml, 'search_records', { limit: 500 }).action, 'allow');
  });

  it('a non-applying entry on a high-risk tool falls to the risk default', () => {
    const v = evalYaml(
      'version: 1\ntools:\n  chatter_post:\n    action: allow\n    when:\n      - { path: args.model, op: eq, value: crm.lead }\n',
      'chatter_post',
      { model: 'res.partner' },
    );
    assert.equal(v.action, 'require_approval');
    assert.equal(v.rule, 'risk.high (built-in)');
    assert.deepEqual(v.applicable, []);
  });

  it('execute_method from the specification: listed model needs approval', () => {
    for (const model of ['res.partner', 'sale.order']) {
      const v = evalYaml(SPEC_EXAMPLE, 'execute_method', { model, method: 'action_confirm' });
      assert.equal(v.action, 'require_approval');
      assert.equal(v.rule, 'tools.execute_method');
      assert.equal(v.approvalTimeoutSeconds, 120);
      assert.equal(v.reason, 'The policy entry tools.execute_method says require_approval.');
    }
  });

  it('execute_method from the specification: another model is denied as critical', () => {
    const v = evalYaml(SPEC_EXAMPLE, 'execute_method', { model: 'account.move', method: 'action_post' });
    assert.equal(classifyTool('execute_method').risk, 'critical');
    assert.equal(v.action, 'deny');
    // The example file sets critical: deny itself.
    assert.equal(v.rule, 'risk.critical');
    assert.deepEqual(v.source, { kind: 'risk', risk: 'critical', builtIn: false });
    const noArgs = evalYaml(SPEC_EXAMPLE, 'execute_method', {});
    assert.equal(noArgs.action, 'deny');
  });

  it('execute_method with a file silent on risk: another model is denied by the built-in critical default', () => {
    const yaml = SPEC_EXAMPLE.replace('risk:\n  critical: deny\n  high: require_approval\n', '');
    const v = evalYaml(yaml, 'execute_method', { model: 'account.move' });
    assert.equal(v.action, 'deny');
    assert.equal(v.rule, 'risk.critical (built-in)');
    assert.deepEqual(v.source, { kind: 'risk', risk: 'critical', builtIn: true });
    assert.ok(v.reason.startsWith('execute_method is Execute / critical risk: '), v.reason);
    assert.ok(v.reason.endsWith('Critical-risk tools are blocked unless the policy says otherwise.'), v.reason);
  });
});

describe('policy evaluate: entries without an action', () => {
  it('a rate_limit-only entry is applicable and rate-limited but does not set the action', () => {
    const v = evalYaml(SPEC_EXAMPLE, 'search_records', { model: 'res.partner' });
    assert.equal(v.action, 'allow');
    assert.equal(v.rule, 'default');
    assert.deepEqual(
      v.applicable.map((e) => e.key),
      ['search_records'],
    );
    assert.deepEqual(
      v.rateLimited.map((e) => [e.key, e.rateLimit]),
      [['search_records', { max: 10, windowSeconds: 60 }]],
    );
  });

  it('a rate_limit-only entry on a critical tool still lets the risk default decide', () => {
    const v = evalYaml('version: 1\ntools:\n  execute_method: { rate_limit: { max: 1, window: 1 } }\n', 'execute_method');
    assert.equal(v.action, 'deny');
    assert.equal(v.rule, 'risk.critical (built-in)');
    assert.equal(v.rateLimited.length, 1);
  });

  it('every applicable rate-limited entry is listed, also when another entry decides', () => {
    const yaml = `version: 1
tools:
  "search_*": { rate_limit: { max: 5, window: 10 } }
  search_records: { action: require_approval, rate_limit: { max: 2, window: 60 } }
  read_record: { rate_limit: { max: 1, window: 1 } }
`;
    const v = evalYaml(yaml, 'search_records');
    assert.equal(v.action, 'require_approval');
    assert.deepEqual(
      v.rateLimited.map((e) => e.key),
      ['search_*', 'search_records'],
    );
  });
});

describe('policy evaluate: risk defaults', () => {
  it('built-in: critical -> deny, high -> require_approval when the file is silent', () => {
    const yaml = 'version: 1\n';
    const crit = evalYaml(yaml, 'cancel_async_task');
    assert.equal(crit.action, 'deny');
    assert.equal(crit.rule, 'risk.critical (built-in)');
    const high = evalYaml(yaml, 'chatter_post');
    assert.equal(high.action, 'require_approval');
    assert.equal(high.rule, 'risk.high (built-in)');
    assert.deepEqual(high.source, { kind: 'risk', risk: 'high', builtIn: true });
    assert.ok(high.reason.endsWith('High-risk tools need approval unless the policy says otherwise.'), high.reason);
  });

  it('built-in risk defaults apply even when default: allow is explicit', () => {
    const yaml = 'version: 1\ndefault: allow\n';
    assert.equal(evalYaml(yaml, 'execute_approved_write').action, 'deny');
    assert.equal(evalYaml(yaml, 'write_field_from_file').action, 'require_approval');
  });

  it('the built-in policy applies the same defaults', () => {
    const index = new PolicyIndex(BUILT_IN_POLICY);
    assert.equal(evaluatePolicy(index, 'execute_method', {}, classifyTool('execute_method')).action, 'deny');
    assert.equal(evaluatePolicy(index, 'chatter_post', {}, classifyTool('chatter_post')).action, 'require_approval');
    assert.equal(evaluatePolicy(index, 'validate_write', {}, classifyTool('validate_write')).action, 'allow');
    assert.equal(evaluatePolicy(index, 'search_records', {}, classifyTool('search_records')).action, 'allow');
  });

  it('risk: from the file overrides the built-in (critical: require_approval)', () => {
    const v = evalYaml('version: 1\nrisk:\n  critical: require_approval\n', 'cancel_async_task');
    assert.equal(v.action, 'require_approval');
    assert.equal(v.rule, 'risk.critical');
    assert.deepEqual(v.source, { kind: 'risk', risk: 'critical', builtIn: false });
    assert.ok(v.reason.endsWith('Critical-risk tools need approval unless the policy says otherwise.'), v.reason);
  });

  it('risk: from the file can allow a class (high: allow)', () => {
    const v = evalYaml('version: 1\ndefault: deny\nrisk:\n  high: allow\n', 'chatter_post');
    assert.equal(v.action, 'allow');
    assert.equal(v.rule, 'risk.high');
    assert.equal(v.reason, `chatter_post is Write / high risk: ${classifyTool('chatter_post').reason}`);
  });

  it('setting one class keeps the built-in for the other', () => {
    const yaml = 'version: 1\nrisk:\n  high: deny\n';
    assert.equal(evalYaml(yaml, 'chatter_post').rule, 'risk.high');
    assert.equal(evalYaml(yaml, 'chatter_post').action, 'deny');
    assert.equal(evalYaml(yaml, 'execute_method').rule, 'risk.critical (built-in)');
    assert.equal(evalYaml(yaml, 'execute_method').action, 'deny');
  });

  it('medium and low follow default: allow when unset', () => {
    const yaml = 'version: 1\n';
    for (const tool of ['validate_write', 'scan_addons_source', 'search_records', 'index_knowledge']) {
      const v = evalYaml(yaml, tool);
      assert.equal(v.action, 'allow', tool);
      assert.equal(v.rule, 'default', tool);
    }
  });

  it('medium and low follow default: deny', () => {
    const yaml = 'version: 1\ndefault: deny\n';
    for (const tool of ['validate_write', 'search_records']) {
      const v = evalYaml(yaml, tool);
      assert.equal(v.action, 'deny', tool);
      assert.equal(v.rule, 'default', tool);
    }
    const v = evalYaml(yaml, 'search_records');
    assert.equal(v.reason, "No entry or risk class decides search_records (Read / low risk), so the policy's default applies.");
  });

  it('medium and low follow default: require_approval', () => {
    const yaml = 'version: 1\ndefault: require_approval\n';
    for (const tool of ['submit_async_task', 'read_record']) {
      const v = evalYaml(yaml, tool);
      assert.equal(v.action, 'require_approval', tool);
      assert.equal(v.rule, 'default', tool);
    }
    // High and critical keep their own defaults.
    assert.equal(evalYaml(yaml, 'execute_method').action, 'deny');
  });

  it('a file risk for medium or low takes precedence over default', () => {
    const yaml = 'version: 1\ndefault: deny\nrisk:\n  medium: require_approval\n  low: allow\n';
    const med = evalYaml(yaml, 'validate_write');
    assert.equal(med.action, 'require_approval');
    assert.equal(med.rule, 'risk.medium');
    const low = evalYaml(yaml, 'search_records');
    assert.equal(low.action, 'allow');
    assert.equal(low.rule, 'risk.low');
  });

  it('tools outside the catalog are classified by annotations for the risk defaults', () => {
    const yaml = 'version: 1\ndefault: deny\n';
    const destructive = evalYaml(yaml, 'drop_everything', {}, { destructiveHint: true });
    assert.equal(destructive.action, 'require_approval');
    assert.equal(destructive.rule, 'risk.high (built-in)');
    const read = evalYaml(yaml, 'peek', {}, { readOnlyHint: true });
    assert.equal(read.action, 'deny');
    assert.equal(read.rule, 'default');
    const unknown = evaluatePolicy(new PolicyIndex(policyOf('version: 1\nrisk:\n  medium: deny\n')), 'x', {}, UNKNOWN_WRITE);
    assert.equal(unknown.action, 'deny');
    assert.equal(unknown.rule, 'risk.medium');
  });
});

describe('policy evaluate: approval timeout', () => {
  it('the smallest approval_timeout of the applicable require_approval entries', () => {
    const yaml = `version: 1
approval_timeout: 300
tools:
  "search_*": { action: require_approval, approval_timeout: 90 }
  search_records: { action: require_approval, approval_timeout: 30 }
  "*_records": { action: require_approval, approval_timeout: 45 }
`;
    const v = evalYaml(yaml, 'search_records');
    assert.equal(v.action, 'require_approval');
    assert.equal(v.approvalTimeoutSeconds, 30);
    assert.equal(evalYaml(yaml, 'search_employee').approvalTimeoutSeconds, 90);
  });

  it('ignores timeouts of entries that do not apply or do not require approval', () => {
    const yaml = `version: 1
approval_timeout: 300
tools:
  search_records:
    action: require_approval
    approval_timeout: 5
    when:
      - { path: args.model, op: eq, value: res.users }
  "search_*": { action: allow, approval_timeout: 7 }
  "*_records": { action: require_approval }
`;
    const v = evalYaml(yaml, 'search_records', { model: 'res.partner' });
    assert.equal(v.action, 'require_approval');
    assert.equal(v.approvalTimeoutSeconds, 300);
    assert.equal(evalYaml(yaml, 'search_records', { model: 'res.users' }).approvalTimeoutSeconds, 5);
  });

  it('falls back to the top-level approval_timeout for a risk-default approval', () => {
    const v = evalYaml('version: 1\napproval_timeout: 33\n', 'chatter_post');
    assert.equal(v.action, 'require_approval');
    assert.equal(v.approvalTimeoutSeconds, 33);
  });

  it('falls back to 120 seconds when the file sets none', () => {
    assert.equal(evalYaml('version: 1\n', 'chatter_post').approvalTimeoutSeconds, 120);
    assert.equal(
      evalYaml('version: 1\ntools:\n  chatter_post: { action: require_approval }\n', 'chatter_post').approvalTimeoutSeconds,
      120,
    );
  });

  it('fractional timeouts are kept', () => {
    const v = evalYaml('version: 1\ntools:\n  chatter_post: { action: require_approval, approval_timeout: 1.5 }\n', 'chatter_post');
    assert.equal(v.approvalTimeoutSeconds, 1.5);
  });
});

describe('policy evaluate: PolicyIndex', () => {
  it('memoised lookups give the same answers on repeated calls', () => {
    const index = new PolicyIndex(policyOf(SPEC_EXAMPLE));
    const cls = classifyTool('write_field_from_file');
    for (let i = 0; i < 3; i++) {
      assert.equal(evaluatePolicy(index, 'write_field_from_file', {}, cls).action, 'deny');
    }
    assert.deepEqual(
      index.entriesFor('write_field_from_file').map((e) => e.key),
      ['write_field_*'],
    );
    assert.deepEqual(index.entriesFor('nothing'), []);
  });

  it('isHidden follows hide names and globs', () => {
    const index = new PolicyIndex(policyOf('version: 1\nhide: [read_field_to_file, "write_*"]\n'));
    assert.equal(index.isHidden('read_field_to_file'), true);
    assert.equal(index.isHidden('write_field_from_file'), true);
    assert.equal(index.isHidden('read_record'), false);
    assert.equal(index.isHidden('read_field_to_file2'), false);
  });

  it('stays correct when more names than the cache bound are looked up', () => {
    const index = new PolicyIndex(policyOf('version: 1\ntools:\n  "t_1*": { action: deny }\n'));
    for (let i = 0; i < 5000; i++) {
      const want = String(i).startsWith('1') ? 1 : 0;
      assert.equal(index.entriesFor(`t_${i}`).length, want, `t_${i}`);
    }
    assert.equal(index.entriesFor('t_1').length, 1);
  });

  it('hide does not change evaluatePolicy itself (the decider applies it)', () => {
    const v = evalYaml(SPEC_EXAMPLE, 'read_field_to_file');
    assert.equal(v.action, 'require_approval');
    assert.equal(v.rule, 'risk.high');
  });
});
