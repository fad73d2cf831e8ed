/** `mcp-guard test`: runs the `tests:` section of policy files and prints one line per test. */
import { readPolicyText } from './read-policy';
import { validatePolicyText } from '../guard/language/diagnostics';
import { parsePolicy } from '../guard/policy/parse';
import { describeTestResult, runPolicyTests } from '../guard/policy/tests';
import { UsageError } from './args';
import { formatValidateLine, splitBaseFlag } from './validate';

export { splitBaseFlag };
import { loadPolicyFile } from '../guard/io/policy-source';
import type { BaseLayer } from '../guard/policy/base';

/**
 * `mcp-guard test FILE...`: runs the `tests:` of each policy file. One line per test,
 * `FILE:LINE:COL: pass|FAIL: call TOOL ARGS → actual (expected EXPECT)`, the explanation indented
 * under a failure, then `N tests, M passed, K failed`. Exit 0 when every test passes, 1 when one
 * fails or a policy is invalid (its errors are printed, its tests not run).
 */
export function testCommand(argv: readonly string[], out: (line: string) => void): number {
  const { files, baseFile } = splitBaseFlag(argv);
  if (files.length === 0) throw new UsageError('test needs at least one policy file');
  const flag = files.find((f) => f.startsWith('-'));
  if (flag !== undefined) throw new UsageError(`test takes policy files only (and --base-policy FILE), not ${JSON.stringify(flag)}`);
  let base: BaseLayer | undefined;
  if (baseFile !== undefined) {
    const load = loadPolicyFile(baseFile, {}, 'base');
    if (load.state.kind === 'invalid' || load.state.base === undefined) {
      for (const p of load.problems) if (p.includes(': error: ')) out(p);
      if (load.state.kind === 'invalid' && load.problems.length === 0) out(load.state.error);
      out(`${baseFile}: the base policy is missing or invalid (a running guard blocks every call), so no tests were run`);
      return 1;
    }
    base = load.state.base;
  }
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
    const results = runPolicyTests(parsed.policy, base ? { base, policyFile: file } : {});
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
