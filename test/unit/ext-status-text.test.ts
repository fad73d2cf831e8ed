// src/extension/status-text.ts: the status bar shield's text, tooltip and colour.
import { strict as assert } from 'node:assert';
import { BLOCKED_DECISIONS, statusView, type StatusInput } from '../../src/extension/status-text';

const BASE: StatusInput = { mode: 'enforce', blocked: 0, trusted: true, guards: 1 };

describe('extension status-text: statusView', () => {
  it('text per mode with its icon', () => {
    assert.equal(statusView({ ...BASE, mode: 'enforce' }).text, '$(shield) Enforce');
    assert.equal(statusView({ ...BASE, mode: 'monitor' }).text, '$(eye) Monitor only');
    assert.equal(statusView({ ...BASE, mode: 'lockdown' }).text, '$(lock) Lockdown');
  });

  it('shows the blocked count only when above zero', () => {
    assert.equal(statusView({ ...BASE, blocked: 0 }).text, '$(shield) Enforce');
    assert.equal(statusView({ ...BASE, blocked: 1 }).text, '$(shield) Enforce · 1 blocked');
    assert.equal(statusView({ ...BASE, mode: 'lockdown', blocked: 12 }).text, '$(lock) Lockdown · 12 blocked');
  });

  it('marks an untrusted workspace as restricted, after the count', () => {
    assert.equal(statusView({ ...BASE, trusted: false }).text, '$(shield) Enforce · restricted');
    assert.equal(statusView({ ...BASE, trusted: false, blocked: 3, mode: 'monitor' }).text, '$(eye) Monitor only · 3 blocked · restricted');
  });

  it('background: monitor warning, lockdown error, enforce none', () => {
    assert.equal(statusView({ ...BASE, mode: 'monitor' }).background, 'statusBarItem.warningBackground');
    assert.equal(statusView({ ...BASE, mode: 'lockdown' }).background, 'statusBarItem.errorBackground');
    const enforce = statusView({ ...BASE, mode: 'enforce', blocked: 5, trusted: false });
    assert.equal(enforce.background, undefined);
    assert.equal('background' in enforce, false);
  });

  it('tooltip: mode, explanation, counts, click hint', () => {
    assert.equal(
      statusView({ ...BASE, mode: 'enforce', guards: 2, blocked: 3 }).tooltip,
      [
        'MCP Guard: Enforce',
        'Enforcing the policy.',
        '2 guarded servers running; 3 calls blocked this session.',
        'Click for MCP Guard actions.',
      ].join('\n'),
    );
  });

  it('tooltip: singular forms for one guard and one block', () => {
    assert.match(statusView({ ...BASE, guards: 1, blocked: 1 }).tooltip, /^1 guarded server running; 1 call blocked this session\.$/m);
    assert.match(statusView({ ...BASE, guards: 0, blocked: 0 }).tooltip, /^0 guarded servers running; 0 calls blocked this session\.$/m);
  });

  it('counts secrets found in results: in the text (key icon) and, redacted and flagged apart, in the tooltip', () => {
    assert.equal(statusView({ ...BASE, secrets: { redacted: 0, flagged: 0 } }).text, '$(shield) Enforce');
    assert.doesNotMatch(statusView({ ...BASE, secrets: { redacted: 0, flagged: 0 } }).tooltip, /secret/);
    const view = statusView({ ...BASE, blocked: 2, secrets: { redacted: 3, flagged: 1 } });
    assert.equal(view.text, '$(shield) Enforce · 2 blocked · $(key) 4');
    assert.match(view.tooltip, /^3 secrets redacted from tool results and resources this session\.$/m);
    assert.match(view.tooltip, /^1 secret in tool results and resources passed on to the agent \(scan results: flag\)\.$/m);
    assert.match(statusView({ ...BASE, secrets: { redacted: 1, flagged: 0 } }).tooltip, /^1 secret redacted from/m);
  });

  it('tooltip explains monitor and lockdown', () => {
    assert.match(
      statusView({ ...BASE, mode: 'monitor' }).tooltip,
      /^MCP Guard: Monitor only\nMonitor only: decisions are logged, nothing is blocked\.$/m,
    );
    assert.match(
      statusView({ ...BASE, mode: 'lockdown' }).tooltip,
      /^MCP Guard: Lockdown\nLockdown: every tool that is not Read \/ low risk is denied\.$/m,
    );
  });

  it('tooltip: restricted line only when untrusted', () => {
    assert.doesNotMatch(statusView(BASE).tooltip, /Restricted mode/);
    assert.match(
      statusView({ ...BASE, trusted: false }).tooltip,
      /^Restricted mode: the workspace policy and workspace servers are ignored; the user policy applies\.$/m,
    );
  });

  it('tooltip: the last decision with its time of day, and an audit problem, before the click hint', () => {
    const v = statusView({
      ...BASE,
      trusted: false,
      lastDecision: { tool: 'cancel_async_task', decision: 'denied', rule: 'risk.critical (built-in)', time: '2025-03-04T13:45:07.123Z' },
      auditProblem: 'cannot write /x/audit.jsonl',
    });
    const lines = v.tooltip.split('\n');
    assert.deepEqual(lines.slice(-4), [
      'Restricted mode: the workspace policy and workspace servers are ignored; the user policy applies.',
      'Last: cancel_async_task denied (risk.critical (built-in)) at 13:45:07',
      'Audit: cannot write /x/audit.jsonl',
      'Click for MCP Guard actions.',
    ]);
  });

  it('tooltip has no Last or Audit line without them', () => {
    const t = statusView(BASE).tooltip;
    assert.doesNotMatch(t, /^Last:/m);
    assert.doesNotMatch(t, /^Audit:/m);
  });

  it('BLOCKED_DECISIONS are denied, declined and rate_limited only', () => {
    assert.deepEqual([...BLOCKED_DECISIONS].sort(), ['declined', 'denied', 'rate_limited']);
    for (const d of ['allowed', 'approved', 'monitored']) assert.equal(BLOCKED_DECISIONS.has(d), false, d);
  });
});

describe('status text when the audit log cannot be written', () => {
  it('shows a warning marker, the error colour and the problem in the tooltip', () => {
    const v = statusView({ mode: 'enforce', blocked: 0, trusted: true, guards: 1, auditProblem: 'ENOSPC: no space left on device' });
    assert.match(v.text, /\$\(warning\) audit/);
    assert.equal(v.background, 'statusBarItem.errorBackground');
    assert.match(v.tooltip, /Audit: ENOSPC/);
  });
});
