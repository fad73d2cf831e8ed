/** Reads policy files for the offline commands (validate, test), turning unreadable files into diagnostics. */
import { readFileSync } from 'node:fs';

/** The file's text, or `undefined` after printing `FILE:1:1: error: cannot read the file: …`. */
export function readPolicyText(file: string, out: (line: string) => void): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    out(`${file}:1:1: error: cannot read the file: ${err.code === 'ENOENT' ? 'it does not exist' : err.message}`);
    return undefined;
  }
}
