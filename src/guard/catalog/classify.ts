/** Every tool's category and risk class: from the catalog when it knows the tool, else from the server's annotations. */
import { ODOO_MCP_CATALOG } from './odoo-mcp';
import { RISK_CLASSES, type Catalog, type RiskClass, type ToolCategory } from './types';

/** The MCP tool annotations the classifier reads (all optional hints from the server). */
export interface ToolAnnotations {
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

export interface Classification {
  readonly category: ToolCategory;
  readonly risk: RiskClass;
  readonly reason: string;
  /** Where the class came from: our catalog, the server's annotations, or both (annotations raised it). */
  readonly source: 'catalog' | 'annotations' | 'catalog+annotations';
}

export function riskRank(risk: RiskClass): number {
  return RISK_CLASSES.indexOf(risk);
}

/** What the server's own hints say, for tools our catalog does not know. */
export function classifyFromAnnotations(annotations: ToolAnnotations | undefined): Classification {
  if (annotations?.destructiveHint === true) {
    return { category: 'Destructive', risk: 'high', reason: 'The server marks it destructive (destructiveHint).', source: 'annotations' };
  }
  if (annotations?.readOnlyHint === true) {
    return { category: 'Read', risk: 'low', reason: 'The server marks it read-only (readOnlyHint).', source: 'annotations' };
  }
  return {
    category: 'Write',
    risk: 'medium',
    reason: 'Not in the catalog and the server does not mark it read-only, so it may change data.',
    source: 'annotations',
  };
}

/**
 * Classifies a tool from the catalog when it is known there; the server's annotations
 * may raise that risk (a server knows its deployment) but never lower it, since
 * annotations are hints the server is free to get wrong.
 */
export function classifyTool(name: string, annotations?: ToolAnnotations, catalog: Catalog = ODOO_MCP_CATALOG): Classification {
  const fromHints = classifyFromAnnotations(annotations);
  const known = Object.prototype.hasOwnProperty.call(catalog, name) ? catalog[name] : undefined;
  if (!known) return fromHints;
  // Only an explicit destructive hint raises a catalog class; hints that say nothing do not.
  if (annotations?.destructiveHint === true && riskRank(fromHints.risk) > riskRank(known.risk)) {
    return {
      category: known.category,
      risk: fromHints.risk,
      reason: `${known.reason} Raised to ${fromHints.risk} because the server marks it destructive.`,
      source: 'catalog+annotations',
    };
  }
  return { category: known.category, risk: known.risk, reason: known.reason, source: 'catalog' };
}

/** Read / low risk: what lockdown mode and an unwritable audit log still let through. */
export function isLockdownSafe(cls: Classification): boolean {
  return cls.category === 'Read' && cls.risk === 'low';
}
