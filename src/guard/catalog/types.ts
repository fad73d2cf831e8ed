/** What a tool does to the system it reaches, from least to most harmful. */
export type ToolCategory = 'Read' | 'Write' | 'Destructive' | 'Execute';

/** How bad the worst outcome of one call is, from least to most severe. */
export type RiskClass = 'low' | 'medium' | 'high' | 'critical';

export const RISK_CLASSES: readonly RiskClass[] = ['low', 'medium', 'high', 'critical'];
export const TOOL_CATEGORIES: readonly ToolCategory[] = ['Read', 'Write', 'Destructive', 'Execute'];

/** A category and risk class with the project's one-line reason for them. */
export interface ClassJudgement {
  readonly category: ToolCategory;
  readonly risk: RiskClass;
  /** One line, in the project's words: why this category and risk. */
  readonly reason: string;
}

/**
 * How the value of one argument classes a call of a tool whose risk depends on it. Only the
 * values listed here can move a call away from the tool's own class, and only when the
 * argument holds exactly that string (no case folding, no trimming); anything else (another
 * string, a non-string, an array) keeps the tool's own class, the strictest.
 */
export interface ArgumentClasses {
  /** The top-level argument that decides, e.g. `method`. */
  readonly argument: string;
  /** Exact string values and the class a call with that value gets. */
  readonly values?: Readonly<Record<string, ClassJudgement>>;
  /**
   * The class when the argument is absent or JSON null, for an argument whose schema default
   * is null and whose absence the server reads as its own safe setting.
   */
  readonly absent?: ClassJudgement;
  /**
   * Name prefixes (`action_`) whose calls keep the tool's own class, with a reason of their own
   * so that the explanation says why; they can never lower a class.
   */
  readonly strictPrefixes?: readonly { readonly prefix: string; readonly reason: string }[];
  /** Why any other value keeps the tool's own class. */
  readonly otherReason: string;
}

/** The project's own judgement of one known tool: its class (the strictest, for any arguments) and, if any, classes by argument. */
export interface CatalogEntry extends ClassJudgement {
  readonly byArgument?: ArgumentClasses;
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
