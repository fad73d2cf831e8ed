import type { ToolAnnotations } from '../catalog/classify';

export interface ListedTool {
  readonly name: string;
  readonly annotations?: ToolAnnotations;
}

export type ToolLookup =
  | { readonly kind: 'listed'; readonly annotations?: ToolAnnotations }
  | { readonly kind: 'unlisted' }
  | { readonly kind: 'unavailable'; readonly error: string };

/**
 * The upstream's own tool list, as the guard fetched it: which tools exist and what they
 * claim about themselves. Re-fetched after `notifications/tools/list_changed`.
 */
export class ToolRegistry {
  private tools: Map<string, ListedTool> | undefined;
  private error: string | undefined;
  private loading: Promise<void> | undefined;
  private stale = true;

  constructor(private readonly fetchAll: () => Promise<readonly ListedTool[]>) {}

  /** A synchronous answer when the list is settled, so the common path needs no await. */
  peek(name: string): ToolLookup | undefined {
    if (this.stale || this.loading) return undefined;
    return this.answer(name);
  }

  async lookup(name: string): Promise<ToolLookup> {
    if (this.stale || this.loading) await this.refresh();
    return this.answer(name);
  }

  private answer(name: string): ToolLookup {
    if (!this.tools) return { kind: 'unavailable', error: this.error ?? 'the tool list has not been read' };
    const tool = this.tools.get(name);
    return tool ? { kind: 'listed', ...(tool.annotations ? { annotations: tool.annotations } : {}) } : { kind: 'unlisted' };
  }

  refresh(): Promise<void> {
    if (this.loading) return this.loading;
    this.stale = false;
    this.loading = this.fetchAll()
      .then((list) => {
        this.tools = new Map(list.map((t) => [t.name, t]));
        this.error = undefined;
      })
      .catch((e: Error) => {
        this.tools = undefined;
        this.error = e.message;
        // A failed read is retried by the next call rather than trusted.
        this.stale = true;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  markStale(): void {
    this.stale = true;
  }

  get names(): readonly string[] {
    return this.tools ? [...this.tools.keys()] : [];
  }
}
