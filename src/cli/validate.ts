/** `mcp-guard validate`: checks policy files with the editor's validator and prints each problem with its position. */
import { readPolicyText } from './read-policy';
import type { PolicyDiagnostic } from '../guard/policy/diagnostics';
import { validatePolicyText } from '../guard/language/diagnostics';
import { loadPolicyFile } from '../guard/io/policy-source';
import type { BaseLayer } from '../guard/policy/base';
import { UsageError } from './args';

/** `--base-policy FILE` (or `--base-policy=FILE`) anywhere among the arguments, and the rest. */
export function splitBaseFlag(argv: readonly string[]): { files: string[]; baseFile?: string } {
  const files: string[] = [];
  let baseFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let value: string | undefined;
    if (a === '--base-policy') {
      value = argv[++i];
      if (value === undefined || value.trim() === '') throw new UsageError('--base-policy needs a file name');
    } else if (a.startsWith('--base-policy=')) {
      value = a.slice('--base-policy='.length);
      if (value.trim() === '') throw new UsageError('--base-policy needs a file name');
    } else {
      files.push(a);
      continue;
    }
    if (baseFile !== undefined) throw new UsageError('--base-policy is given twice');
    baseFile = value;
  }
  return { files, ...(baseFile !== undefined ? { baseFile } : {}) };
}

/** `FILE:LINE:COL: error|warning|info: message`, one-based, as compilers print it. */
export function formatValidateLine(file: string, d: PolicyDiagnostic): string {
  const severity = d.severity === 'information' ? 'info' : d.severity;
  return `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${severity}: ${d.message}`;
}

/**
 * Prints every problem of every file (the editor's validator: syntax, schema, tool names, risks,
 * dead entries); exit code 1 when any file has an error, warnings and infos alone exit 0.
 */
export function validateFiles(files: readonly string[], out: (line: string) => void, base?: BaseLayer): number {
  let failed = false;
  for (const file of files) {
    const text = readPolicyText(file, out);
    if (text === undefined) {
      failed = true;
      continue;
    }
    const diagnostics = validatePolicyText(text, undefined, base);
    for (const d of diagnostics) out(formatValidateLine(file, d));
    if (diagnostics.some((d) => d.severity === 'error')) failed = true;
  }
  return failed ? 1 : 0;
}

/**
 * `mcp-guard validate [--base-policy FILE] FILE...`: with a base policy, also warns of entries it
 * overrides (`base-stricter`), and tests expect the decision of both layers. A base that is missing or
 * invalid is an error (a running guard would block every call): its problems are printed, exit 1.
 */
export function validateCommand(argv: readonly string[], out: (line: string) => void): number {
  const { files, baseFile } = splitBaseFlag(argv);
  if (files.length === 0) throw new UsageError('validate needs at least one policy file');
  if (baseFile === undefined) return validateFiles(files, out);
  const load = loadPolicyFile(baseFile, {}, 'base');
  if (load.state.kind === 'invalid' || load.state.base === undefined) {
    for (const p of load.problems) if (p.includes(': error: ')) out(p);
    if (load.state.kind === 'invalid' && load.problems.length === 0) out(load.state.error);
    out(`${baseFile}: the base policy is missing or invalid, so a running guard blocks every call`);
    validateFiles(files, out);
    return 1;
  }
  return validateFiles(files, out, load.state.base);
}
