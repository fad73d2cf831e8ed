/** `mcp-guard test`: runs the `tests:` section of policy files and prints one line per test. */
import { readPolicyText } from './read-policy';
import { validatePolicyText } from '../guard/language/diagnostics';
import { parsePolicy } from '../guard/policy/parse';
import { describeTestResult, runPolicyTests } from '../guard/policy/tests';
import { UsageError } from './args';
import { formatValidateLine } from './validate';

/**
 * `mcp-guard test FILE...`: runs the `tests:` of each policy file. One line per test,
 * `FILE:LINE:COL: pass|FAIL: call TOOL ARGS → actual (expected EXPECT)`, the explanation indented
 * under a failure, then `N tests, M passed, K failed`. Exit 0 when every test passes, 1 when one
 * fails or a policy is invalid (its errors are printed, its tests not run).
 */
export function testCommand(files: readonly string[], out: (line: string) => void): number {
  if (files.length === 0) throw new UsageError('test needs at least one policy file');
  const flag = files.find((f) => f.startsWith('-'));
  if (flag !== undefined) throw new UsageError(`test takes policy files only, not ${JSON.stringify(flag)}`);
  let total = 0;
  let passed = 0;
  let invalid = false;
  for (const file of files) {
    const text = readPolicyText(file, out);
    if (text === undefined) {
      invalid = true;
      continue;
    }
    const parsed = parsePolicy(text);
    if (!parsed.policy) {
      for (const d of validatePolicyText(text)) if (d.severity === 'error') out(formatValidateLine(file, d));
      out(`${file}: the policy is invalid, so its tests were not run`);
      invalid = true;
      continue;
    }
    const results = runPolicyTests(parsed.policy);
    if (results.length === 0) out(`${file}: no tests (add a tests: list, e.g. - { call: search_records, expect: allow })`);
    for (const r of results) {
      total++;
      if (r.passed) passed++;
      out(`${file}:${r.range.start.line + 1}:${r.range.start.character + 1}: ${r.passed ? 'pass' : 'FAIL'}: ${describeTestResult(r)}`);
      if (!r.passed) for (const line of r.full.split('\n')) out(`    ${line}`);
    }
  }
  const failed = total - passed;
  out(`${total} ${total === 1 ? 'test' : 'tests'}, ${passed} passed, ${failed} failed`);
  return failed > 0 || invalid ? 1 : 0;
}
