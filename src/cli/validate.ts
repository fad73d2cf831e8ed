import { readFileSync } from 'node:fs';
import { formatDiagnostic } from '../guard/policy/diagnostics';
import { parsePolicy } from '../guard/policy/parse';

/** Prints every problem of every file; exit code 1 when any file has an error. */
export function validateFiles(files: readonly string[], out: (line: string) => void): number {
  let failed = false;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      out(`${file}:1:1: error: cannot read the file: ${err.code === 'ENOENT' ? 'it does not exist' : err.message}`);
      failed = true;
      continue;
    }
    const { diagnostics } = parsePolicy(text);
    for (const d of diagnostics) out(formatDiagnostic(file, d));
    if (diagnostics.some((d) => d.severity === 'error')) failed = true;
  }
  return failed ? 1 : 0;
}
