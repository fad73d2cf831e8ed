/** The tools the running guards reported, merged into the one list the policy language checks against. */
import type { ToolDefinition } from '../guard/catalog/types';
import type { ReportedTool } from '../guard/language';

/** What the guard hub keeps, per server name. */
export interface ReportedToolsSource {
  /** Tool names, in the order each server listed them. */
  readonly reportedTools: ReadonlyMap<string, readonly string[]>;
  /** Full definitions (schemas, annotations), when they fitted in the guard's message. */
  readonly reportedDefinitions: ReadonlyMap<string, readonly ToolDefinition[]>;
}

/**
 * One entry per tool name across servers, the first server's wins; a name without a definition is
 * still a known tool. `undefined` when no guard reported any, so the catalog alone applies.
 */
export function mergeReportedTools(source: ReportedToolsSource): ReportedTool[] | undefined {
  const byName = new Map<string, ReportedTool>();
  for (const [server, names] of source.reportedTools) {
    const definitions = new Map((source.reportedDefinitions.get(server) ?? []).map((t) => [t.name, t]));
    for (const name of names) if (!byName.has(name)) byName.set(name, definitions.get(name) ?? { name });
  }
  return byName.size > 0 ? [...byName.values()] : undefined;
}

/**
 * The merged list, kept as the same object until a guard reports again: the language service
 * indexes tools by the list's identity, so a new list on every keystroke would rebuild the index.
 */
export class ReportedToolsCache {
  private merged: ReportedTool[] | undefined;

  constructor(private readonly source: ReportedToolsSource) {}

  get(): ReportedTool[] | undefined {
    return (this.merged ??= mergeReportedTools(this.source));
  }

  /** A guard reported a new list. */
  invalidate(): void {
    this.merged = undefined;
  }
}
