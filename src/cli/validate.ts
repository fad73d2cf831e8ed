/** `mcp-guard validate`: checks policy files with the editor's validator and prints each problem with its position. */
import { readPolicyText } from './read-policy';
import type { PolicyDiagnostic } from '../guard/policy/diagnostics';
import { validatePolicyText } from '../guard/language/diagnostics';

/** `FILE:LINE:COL: error|warning|info: message`, one-based, as compilers print it. */
export function formatValidateLine(file: string, d: PolicyDiagnostic): string {
  const severity = d.severity === 'information' ? 'info' : d.severity;
  return `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${severity}: ${d.message}`;
}

/**
 * Prints every problem of every file (the editor's validator: syntax, schema, tool names, risks,
 * dead entries); exit code 1 when any file has an error, warnings and infos alone exit 0.
 */
export function validateFiles(files: readonly string[], out: (line: string) => void): number {
  let failed = false;
  for (const file of files) {
    const text = readPolicyText(file, out);
    if (text === undefined) {
      failed = true;
      continue;
    }
    const diagnostics = validatePolicyText(text);
    for (const d of diagnostics) out(formatValidateLine(file, d));
    if (diagnostics.some((d) => d.severity === 'error')) failed = true;
  }
  return failed ? 1 : 0;
}
