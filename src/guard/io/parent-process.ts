/** The guard's parent process, for the editor's approval dialog to name who asked (display only). */
import { readFileSync } from 'node:fs';
import { MAX_PARENT_COMMAND_CHARS, displayCommand, type ParentProcess } from '../bridge/protocol';

/** A /proc cmdline (arguments separated and ended by NUL) as one line; undefined when empty. */
export function commandFromCmdline(raw: string): string | undefined {
  const line = displayCommand(
    raw
      .split('\0')
      .filter((a) => a !== '')
      .join(' '),
    MAX_PARENT_COMMAND_CHARS,
  );
  return line === '' ? undefined : line;
}

/**
 * The parent's pid, and on Linux its command line from /proc/<ppid>/cmdline; elsewhere (or when it
 * cannot be read) the pid alone.
 */
export function parentProcess(
  ppid: number = process.ppid,
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
  platform: NodeJS.Platform = process.platform,
): ParentProcess | undefined {
  if (!Number.isSafeInteger(ppid) || ppid <= 0) return undefined;
  if (platform !== 'linux') return { pid: ppid };
  let command: string | undefined;
  try {
    command = commandFromCmdline(read(`/proc/${ppid}/cmdline`));
  } catch {
    command = undefined;
  }
  return command ? { pid: ppid, command } : { pid: ppid };
}

/** `{ parent }` for the bridge client's options, or nothing when there is no parent to name. */
export function withParent(): { parent?: ParentProcess } {
  const parent = parentProcess();
  return parent ? { parent } : {};
}
