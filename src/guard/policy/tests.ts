/**
 * Policy tests: the top-level `tests:` list of a policy file, each a call with the decision the
 * policy must give it. Run statically with `explainCall` (rate limits are not counted; the mode is
 * the test's, `enforce` unless it says `lockdown`). The guard never runs them: `mcp-guard test`
 * and the editor (diagnostics, code lens, hovers) do.
 */
import { classifyCall, type CatalogUse, type Classification } from '../catalog/classify';
import { ODOO_MCP_CATALOG } from '../catalog/odoo-mcp';
import type { Catalog } from '../catalog/types';
import type { Range } from './diagnostics';
import { PolicyIndex } from './evaluate';
import {
  explainCall,
  explainLayeredCall,
  formatExplanation,
  formatLayeredExplanation,
  shortExplanation,
  type Explanation,
} from './explain';
import type { BaseLayer } from './base';
import type { Action, Policy, PolicyTest, TestMode } from './model';
import { parsePolicy } from './parse';

export interface PolicyTestResult {
  /** Position of the test in the `tests:` list. */
  readonly index: number;
  readonly name?: string;
  readonly call: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly mode: TestMode;
  readonly expect: Action;
  readonly actual: Action;
  readonly passed: boolean;
  /** The whole explanation of the decision. */
  readonly explanation: Explanation;
  /** One line: `deny by tools.X (entries: a, b)`. */
  readonly short: string;
  /** What `mcp-guard explain` prints for the call. */
  readonly full: string;
  /** The test item in the file. */
  readonly range: Range;
  /** The `expect` value in the file (where the editor reports a failure). */
  readonly expectRange: Range;
  /** The `call` value in the file. */
  readonly callRange: Range;
}

export interface RunPolicyTestsOptions {
  /** The tests to run; the policy's own `tests` by default. */
  readonly tests?: readonly PolicyTest[];
  /** How to classify a call; by default `classifyCall(name, undefined, args, catalog)`, by its arguments as a guard does. */
  readonly classify?: (tool: string, args: Readonly<Record<string, unknown>>) => Classification;
  /** The catalog for the default classification (the Odoo MCP catalog by default). */
  readonly catalog?: Catalog;
  /** A PolicyIndex of `policy`, when the caller has one. */
  readonly index?: PolicyIndex;
  /**
   * The organisation's base policy under this one: tests then expect the effective decision of both
   * layers (policy/base.ts), and `full` shows both. `policyFile` names this policy in `full`.
   */
  readonly base?: BaseLayer;
  readonly policyFile?: string;
}

/** Runs policy tests against a policy. Pure: no clock, no rate-limit counters. */
export function runPolicyTests(policy: Policy, options: RunPolicyTestsOptions = {}): PolicyTestResult[] {
  const tests = options.tests ?? policy.tests ?? [];
  if (tests.length === 0) return [];
  const index = options.index ?? new PolicyIndex(policy);
  const use: CatalogUse = { kind: 'own', catalog: options.catalog ?? ODOO_MCP_CATALOG };
  const classify =
    options.classify ?? ((tool: string, args: Readonly<Record<string, unknown>>) => classifyCall(tool, undefined, args, use));
  return tests.map((t) => {
    const cls = classify(t.call, t.args);
    const layered = options.base ? explainLayeredCall(index, options.base, t.call, t.args, cls, t.mode) : undefined;
    const explanation = layered ? layered.effective : explainCall(index, t.call, t.args, cls, t.mode);
    return {
      index: t.index,
      ...(t.name !== undefined ? { name: t.name } : {}),
      call: t.call,
      args: t.args,
      mode: t.mode,
      expect: t.expect,
      actual: explanation.decision,
      passed: explanation.decision === t.expect,
      explanation,
      short: shortExplanation(explanation),
      full: layered ? formatLayeredExplanation(layered, options.policyFile ?? 'this policy') : formatExplanation(explanation),
      range: t.range,
      expectRange: t.expectRange,
      callRange: t.callRange,
    };
  });
}

export interface PolicyTestRun {
  /** Absent when the policy has errors (then no test runs). */
  readonly results?: readonly PolicyTestResult[];
  readonly diagnostics: ReturnType<typeof parsePolicy>['diagnostics'];
}

/** Parses a policy text and runs its tests; no results while the policy has errors. */
export function runPolicyTestsOnText(text: string, options: Omit<RunPolicyTestsOptions, 'tests' | 'index'> = {}): PolicyTestRun {
  const r = parsePolicy(text);
  return r.policy ? { results: runPolicyTests(r.policy, options), diagnostics: r.diagnostics } : { diagnostics: r.diagnostics };
}

/** `call TOOL ARGS → actual (expected EXPECT)`, as `mcp-guard test` prints it. */
export function describeTestResult(r: PolicyTestResult): string {
  return `call ${r.call} ${JSON.stringify(r.args)} → ${r.actual} (expected ${r.expect})`;
}

/** "4 tests pass", "1 test passes", "1 of 4 tests fails", "2 of 4 tests fail", "no tests". */
export function summarizeTestResults(results: readonly PolicyTestResult[]): string {
  const n = results.length;
  if (n === 0) return 'no tests';
  const failed = results.filter((r) => !r.passed).length;
  if (failed === 0) return n === 1 ? '1 test passes' : `${n} tests pass`;
  return `${failed} of ${n} ${n === 1 ? 'test' : 'tests'} ${failed === 1 ? 'fails' : 'fail'}`;
}
