/** The upstream's own tool list as the guard last read it: which tools exist and what they claim about themselves. */
import type { ToolAnnotations } from '../catalog/classify';
import type { ToolDefinition } from '../catalog/types';
import { definitionOf, type PinnedDefinition } from '../pins/fingerprint';
import { isPlainObject } from '../util/json';

export interface ListedTool {
  readonly name: string;
  readonly annotations?: ToolAnnotations;
  /** What the guard pins of it (see pins/fingerprint.ts). */
  readonly definition: PinnedDefinition;
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

/** What of a listed tool the editor's policy language uses: name, title, description, input schema, annotations. */
function toolDefinition(t: Record<string, unknown> & { name: string }): ToolDefinition {
  return {
    name: t.name,
    ...(typeof t['title'] === 'string' ? { title: t['title'] } : {}),
    ...(typeof t['description'] === 'string' ? { description: t['description'] } : {}),
    ...(isPlainObject(t['inputSchema']) ? { inputSchema: t['inputSchema'] as ToolDefinition['inputSchema'] } : {}),
    ...(isPlainObject(t['annotations']) ? { annotations: t['annotations'] as ToolDefinition['annotations'] } : {}),
  };
}

/**
 * Reads the server's whole tool list, page by page (`nextCursor`), through `request`; `onToolsRead`
 * gets the definitions once the list is complete.
 */
export async function readToolList(
  request: (cursor: string | undefined) => Promise<unknown>,
  onToolsRead?: (tools: readonly ToolDefinition[]) => void,
): Promise<ListedTool[]> {
  const tools: ListedTool[] = [];
  const definitions: ToolDefinition[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await request(cursor);
    if (!isPlainObject(result) || !Array.isArray(result['tools'])) throw new Error('the server answered tools/list without a tools array');
    for (const t of result['tools']) {
      if (isPlainObject(t) && typeof t['name'] === 'string') {
        tools.push({
          name: t['name'],
          ...(isPlainObject(t['annotations']) ? { annotations: t['annotations'] } : {}),
          definition: definitionOf(t),
        });
        if (onToolsRead) definitions.push(toolDefinition(t as Record<string, unknown> & { name: string }));
      }
    }
    cursor = typeof result['nextCursor'] === 'string' ? result['nextCursor'] : undefined;
    if (cursor === undefined) {
      onToolsRead?.(definitions);
      return tools;
    }
  }
  throw new Error('the server kept paging tools/list past 100 pages');
}
