/** Problems found in a policy file, with their positions, and how they are printed. */
export type Severity = 'error' | 'warning' | 'information';

/** A zero-based position, as editors count. */
export interface Position {
  readonly line: number;
  readonly character: number;
}

export interface Range {
  readonly start: Position;
  readonly end: Position;
}

export interface PolicyDiagnostic {
  readonly severity: Severity;
  readonly message: string;
  readonly range: Range;
  /** Stable identifier for quick fixes and tests, e.g. `unknown-key`. */
  readonly code: string;
  /** A replacement the user probably meant, for "did you mean" fixes. */
  readonly suggestion?: string;
}

export function hasErrors(diagnostics: readonly PolicyDiagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `FILE:LINE:COL: severity: message`, one-based, as compilers print it. */
export function formatDiagnostic(file: string, d: PolicyDiagnostic): string {
  return `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity}: ${d.message}`;
}
