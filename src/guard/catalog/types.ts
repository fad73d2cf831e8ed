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
