import { existsSync, readFileSync } from 'node:fs';

/** The JSON lines of a file the guard or a server appends to (audit log, journal); none while it does not exist. */
export function readJsonLines(path: string): any[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}
