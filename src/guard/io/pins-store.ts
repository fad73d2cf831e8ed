/** The pins file on disk: read into a trust source (failing closed), written atomically. */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { parsePins, serialisePins, type PinsFile } from '../pins/pins-file';
import type { TrustSource } from '../pins/trust';

/** The trust `run --pins FILE` starts with; a file that cannot be read or parsed trusts nothing (and says why). */
export function readPinsSource(path: string): TrustSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const error =
      code === 'ENOENT'
        ? 'it does not exist; create it with `mcp-guard pin --pins FILE -- COMMAND ARGS`'
        : `it cannot be read: ${(e as Error).message}`;
    return { kind: 'unreadable', path, error };
  }
  const reading = parsePins(text);
  return reading.ok ? { kind: 'pins', path, pins: reading.pins } : { kind: 'unreadable', path, error: reading.error };
}

/** Writes the pins to a temporary file beside `path` and renames it over `path`: a reader sees the old file or the new, never half. */
export function writePinsFile(path: string, pins: PinsFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, serialisePins(pins), { mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
