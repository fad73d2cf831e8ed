/**
 * The audit log file: one JSON line per event, appended atomically, rotated by size, failing visibly (never silently)
 * when it cannot write.
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import type { AuditEvent, AuditSink } from '../audit-events';

export type { AuditDecision, AuditEvent, AuditSink, DecisionEvent, UpstreamOutcome } from '../audit-events';

/** The default for `--audit-max-bytes`: 10 MiB. */
export const DEFAULT_AUDIT_MAX_BYTES = 10 * 1024 * 1024;
/** Rotated files kept: FILE.1 (newest) to FILE.3. */
export const AUDIT_KEEP_FILES = 3;
/** Unwritten audit text kept while the file cannot be written, before lines are dropped. */
const MAX_RETAINED_BYTES = 8 * 1024 * 1024;
/** How often a log that could not be opened is tried again. */
const REOPEN_EVERY_MS = 1000;

/** The file-system calls the log makes; replaceable in tests to simulate a full disk. */
export interface AuditFs {
  mkdirSync: typeof fs.mkdirSync;
  openSync: typeof fs.openSync;
  writeSync: (fd: number, buffer: Buffer, offset: number) => number;
  closeSync: typeof fs.closeSync;
  fstatSync: typeof fs.fstatSync;
  statSync: typeof fs.statSync;
  renameSync: typeof fs.renameSync;
}

const REAL_FS: AuditFs = {
  mkdirSync: fs.mkdirSync,
  openSync: fs.openSync,
  writeSync: (fd, buffer, offset) => fs.writeSync(fd, buffer, offset),
  closeSync: fs.closeSync,
  fstatSync: fs.fstatSync,
  statSync: fs.statSync,
  renameSync: fs.renameSync,
};

export interface JsonlAuditOptions {
  /** Rotate when the file reaches this many bytes; 0 never rotates. Default 10 MiB. */
  readonly maxBytes?: number;
  /** Rotated files kept (FILE.1 … FILE.N). Default 3. */
  readonly keep?: number;
  /** Told when the log stops being writable (with why) and when it is writable again (`undefined`). */
  readonly onProblem?: (problem: string | undefined, lostLines: number) => void;
  /** Other errors worth a log line (a failed rotation). */
  readonly onError?: (error: Error) => void;
  readonly fs?: Partial<AuditFs>;
}

/**
 * Append-only JSON Lines. The events of one turn of the event loop are written together in
 * one `write(2)` on a file opened with O_APPEND, so whole lines never interleave, even with
 * another process appending to the same file, and a burst of calls costs one system call.
 * A short write is continued; a failed write keeps the unwritten text (bounded) and says so
 * through `problem`, and later flushes try again. The file is rotated by size.
 */
export class JsonlAuditLog implements AuditSink {
  private fd: number | undefined;
  private pending: string[] = [];
  /** Text a failed write left unwritten, from the middle of a line if the write was short. */
  private stuck: Buffer | undefined;
  private scheduled = false;
  private closed = false;
  private size = 0;
  private lastOpenAttempt = 0;
  private lost = 0;
  private currentProblem: string | undefined;
  private readonly fs: AuditFs;
  private readonly maxBytes: number;
  private readonly keep: number;

  constructor(
    readonly path: string,
    private readonly options: JsonlAuditOptions = {},
  ) {
    this.fs = { ...REAL_FS, ...options.fs };
    this.maxBytes = options.maxBytes ?? DEFAULT_AUDIT_MAX_BYTES;
    this.keep = Math.max(1, options.keep ?? AUDIT_KEEP_FILES);
    this.open();
  }

  get problem(): string | undefined {
    return this.currentProblem;
  }

  private setProblem(problem: string | undefined): void {
    if (problem === this.currentProblem) return;
    const wasBroken = this.currentProblem !== undefined;
    this.currentProblem = problem;
    if (problem !== undefined || wasBroken) {
      const lost = this.lost;
      if (problem === undefined) this.lost = 0;
      this.options.onProblem?.(problem, lost);
    }
  }

  private open(): boolean {
    this.lastOpenAttempt = Date.now();
    try {
      this.fs.mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      this.fd = this.fs.openSync(this.path, 'a', 0o600);
    } catch (e) {
      this.fd = undefined;
      this.setProblem(`cannot open ${this.path}: ${(e as Error).message}`);
      return false;
    }
    try {
      const st = this.fs.fstatSync(this.fd);
      this.size = st.isFile() ? st.size : 0;
    } catch {
      this.size = 0;
    }
    return true;
  }

  write(event: AuditEvent, session?: number): void {
    if (this.closed) return;
    // `time` first and `session` last, without copying the event into a new object on every decision.
    const body = JSON.stringify(event);
    const fields = body.length > 2 ? `,${body.slice(1, -1)}` : '';
    const tail = session === undefined || 'session' in event ? '' : `,"session":${session}`;
    this.pending.push(`{"time":"${this.isoNow()}"${fields}${tail}}\n`);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private isoMs = -1;
  private iso = '';

  /** The time as the lines write it: formatted once per millisecond (busy guards write several lines in one). */
  private isoNow(): string {
    const ms = Date.now();
    if (ms !== this.isoMs) {
      this.isoMs = ms;
      this.iso = new Date(ms).toISOString();
    }
    return this.iso;
  }

  /** Writes what is buffered now; called once per loop turn, and on close. */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0 && this.stuck === undefined) return;
    if (this.fd === undefined) {
      if (this.closed || Date.now() - this.lastOpenAttempt < REOPEN_EVERY_MS || !this.open()) {
        this.retain();
        return;
      }
    }
    const fresh =
      this.pending.length === 0 ? undefined : Buffer.from(this.pending.length === 1 ? this.pending[0]! : this.pending.join(''), 'utf8');
    this.pending = [];
    const data = this.stuck === undefined ? fresh! : fresh === undefined ? this.stuck : Buffer.concat([this.stuck, fresh]);
    this.stuck = undefined;
    let off = 0;
    try {
      while (off < data.length) off += this.fs.writeSync(this.fd!, data, off);
    } catch (e) {
      this.stuck = data.subarray(off);
      this.retain();
      this.setProblem(`cannot write ${this.path}: ${(e as Error).message}`);
      return;
    }
    this.size += data.length;
    this.setProblem(undefined);
    if (this.maxBytes > 0 && this.size >= this.maxBytes) this.rotate();
  }

  /** Keeps unwritten text for the next try, dropping whole lines beyond the bound. */
  private retain(): void {
    if (this.pending.length > 0) {
      const fresh = Buffer.from(this.pending.join(''), 'utf8');
      this.pending = [];
      this.stuck = this.stuck === undefined ? fresh : Buffer.concat([this.stuck, fresh]);
    }
    if (this.stuck === undefined || this.stuck.length <= MAX_RETAINED_BYTES) return;
    // Keep the end of a line already partly written, so the file gets no torn line; drop the rest.
    const firstEnd = this.stuck.indexOf(0x0a);
    const head = firstEnd === -1 ? this.stuck : this.stuck.subarray(0, firstEnd + 1);
    let dropped = 0;
    for (let i = head.length; i < this.stuck.length; i++) if (this.stuck[i] === 0x0a) dropped++;
    this.lost += dropped;
    this.stuck = Buffer.from(head);
  }

  /** FILE → FILE.1 → … → FILE.keep; unless another process already rotated it. */
  private rotate(): void {
    const fd = this.fd!;
    try {
      const mine = this.fs.fstatSync(fd);
      if (!mine.isFile()) {
        this.size = Number.NEGATIVE_INFINITY; // a device or pipe: never rotated
        return;
      }
      let current: fs.Stats | undefined;
      try {
        current = this.fs.statSync(this.path);
      } catch {
        current = undefined;
      }
      if (current === undefined || current.ino !== mine.ino || current.dev !== mine.dev) {
        // Someone else rotated (or removed) the file: append to the one now at the path.
        this.fs.closeSync(fd);
        this.open();
        return;
      }
      if (mine.size < this.maxBytes) {
        this.size = mine.size;
        return;
      }
      for (let i = this.keep - 1; i >= 1; i--) {
        try {
          this.fs.renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
      this.fs.renameSync(this.path, `${this.path}.1`);
      this.fs.closeSync(fd);
      this.open();
    } catch (e) {
      // Try again after another maxBytes rather than on every write.
      this.size = 0;
      this.options.onError?.(new Error(`cannot rotate ${this.path}: ${(e as Error).message}`));
    }
  }

  close(): void {
    this.flush();
    this.closed = true;
    if (this.fd !== undefined) {
      try {
        this.fs.closeSync(this.fd);
      } catch {
        // Nothing more can be done about it.
      }
    }
    this.fd = undefined;
  }
}

export const NO_AUDIT: AuditSink = { write: () => {}, flush: () => {}, close: () => {} };
