/**
 * The editor's side of policy tests (the top-level `tests:` list): results, diagnostics, a code
 * lens on the `tests:` key and hovers on test items. Pure functions of the document and the tools.
 *
 * - a failing test is an error (`test-failed`) on its `expect` value: "Test fails: TOOL is ACTUAL,
 *   expected EXPECT — SHORT EXPLANATION";
 * - a test calling a tool that is not known is a warning (`unknown-tool`) on its `call` value;
 * - `policyTestLens(doc)` → `{ range of tests:, title: "4 tests pass" | "1 of 4 tests fails" }`;
 * - hovering a test item shows the full explanation of its call.
 *
 * Tests run only on a policy without errors (what the guard would load).
 */
import type { PolicyDiagnostic, Position, Range } from '../policy/diagnostics';
import { runPolicyTests, summarizeTestResults, type PolicyTestResult } from '../policy/tests';
import { asDocument, contains, topOutline, type PolicyDocument } from './analyze';
import { toolIndexOf, type ToolIndex, type ToolSource } from './tool-index';
import type { BaseLayer } from '../policy/base';

const memo = new WeakMap<
  PolicyDocument,
  { readonly index: ToolIndex; readonly base: BaseLayer | undefined; readonly results: readonly PolicyTestResult[] | undefined }
>();

/**
 * The results of the document's tests (classified with the tool index), or undefined when the
 * policy has errors, so its tests cannot run. Memoised per document and tool index.
 */
export function policyTestResults(
  document: PolicyDocument | string,
  tools?: ToolSource,
  base?: BaseLayer,
): readonly PolicyTestResult[] | undefined {
  const doc = asDocument(document);
  const index = toolIndexOf(tools);
  const m = memo.get(doc);
  if (m && m.index === index && m.base === base) return m.results;
  // With an organisation's base policy in force, tests expect the effective decision of both layers (as `mcp-guard test --base-policy`).
  const results = doc.policy
    ? runPolicyTests(doc.policy, { classify: (name, args) => index.classifyCall(name, args), ...(base ? { base } : {}) })
    : undefined;
  memo.set(doc, { index, base, results });
  return results;
}

/** Diagnostics of the tests: failures (errors at `expect`) and unknown tools in `call` (warnings). */
export function policyTestDiagnostics(
  doc: PolicyDocument,
  index: ToolIndex,
  knownWhere: (index: ToolIndex) => string,
  base?: BaseLayer,
): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  for (const t of doc.partial?.tests ?? []) {
    if (index.has(t.call)) continue;
    const guess = index.suggest(t.call);
    out.push({
      severity: 'warning',
      code: 'unknown-tool',
      message: `Unknown tool "${t.call}": not ${knownWhere(index)}${guess ? `; did you mean "${guess}"?` : ''}`,
      range: t.callRange,
      ...(guess ? { suggestion: guess } : {}),
    });
  }
  for (const r of policyTestResults(doc, index, base) ?? []) {
    if (r.passed) continue;
    out.push({
      severity: 'error',
      code: 'test-failed',
      message: `Test fails: ${r.call} is ${r.actual}, expected ${r.expect} — ${r.short}`,
      range: r.expectRange,
    });
  }
  return out;
}

export interface PolicyTestLens {
  /** The `tests:` key. */
  readonly range: Range;
  /** "4 tests pass", "1 test passes", "1 of 4 tests fails", "no tests", or why the tests did not run. */
  readonly title: string;
  /** The results, when the tests ran. */
  readonly results?: readonly PolicyTestResult[];
  readonly passed: number;
  readonly failed: number;
}

/** The code lens over the `tests:` key, or undefined when the file has no `tests:` key. */
export function policyTestLens(document: PolicyDocument | string, tools?: ToolSource, base?: BaseLayer): PolicyTestLens | undefined {
  const doc = asDocument(document);
  const key = topOutline(doc).keys.get('tests');
  if (!key) return undefined;
  const results = policyTestResults(doc, tools, base);
  if (!results) return { range: key.keyRange, title: 'Tests not run: the policy has errors', passed: 0, failed: 0 };
  const failed = results.filter((r) => !r.passed).length;
  return { range: key.keyRange, title: summarizeTestResults(results), results, passed: results.length - failed, failed };
}

/** The test item at a position (its result), for hovers. */
export function policyTestAt(
  document: PolicyDocument | string,
  position: Position,
  tools?: ToolSource,
  base?: BaseLayer,
): PolicyTestResult | undefined {
  const results = policyTestResults(document, tools, base);
  return results?.find((r) => contains(r.range, position));
}

/** Markdown for a test's hover: verdict, the call, and the full explanation. */
export function policyTestMarkdown(r: PolicyTestResult): string {
  const head = r.passed
    ? `**Test passes**: \`${r.call}\` is \`${r.actual}\``
    : `**Test fails**: \`${r.call}\` is \`${r.actual}\`, expected \`${r.expect}\``;
  const call = `Call: \`${r.call} ${JSON.stringify(r.args)}\`${r.mode === 'lockdown' ? ' in lockdown mode' : ''}`;
  return [head, call, '```text\n' + r.full + '\n```'].join('\n\n');
}
