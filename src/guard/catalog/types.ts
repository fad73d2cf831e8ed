/** What a tool does to the system it reaches, from least to most harmful. */
export type ToolCategory = 'Read' | 'Write' | 'Destructive' | 'Execute';

/** How bad the worst outcome of one call is, from least to most severe. */
export type RiskClass = 'low' | 'medium' | 'high' | 'critical';

export const RISK_CLASSES: readonly RiskClass[] = ['low', 'medium', 'high', 'critical'];
export const TOOL_CATEGORIES: readonly ToolCategory[] = ['Read', 'Write', 'Destructive', 'Execute'];

/** The project's own judgement of one known tool. */
export interface CatalogEntry {
  readonly category: ToolCategory;
  readonly risk: RiskClass;
  /** One line, in the project's words: why this category and risk. */
  readonly reason: string;
}

export type Catalog = Readonly<Record<string, CatalogEntry>>;

/** The part of a JSON Schema that the policy language reads (tool input schemas). */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly title?: string;
  readonly description?: string;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly items?: JsonSchema | readonly JsonSchema[] | boolean;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly [key: string]: unknown;
}

/** MCP tool annotations as a server lists them (hints only). */
export interface ToolDefinitionAnnotations {
  readonly title?: string;
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

/** One tool as an MCP server lists it in `tools/list`: what the policy language knows of a tool. */
export interface ToolDefinition {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly inputSchema?: JsonSchema;
  readonly annotations?: ToolDefinitionAnnotations;
}
