/**
 * Tool names that differ from a catalog tool only in capitals.
 *
 * Why: tool names are case-sensitive, so such a key or hide item matches nothing; the validator reports it as an error
 * (the guard then fails closed) rather than as an unknown tool, and the editor's diagnostics ask the same question.
 */
import { ODOO_MCP_CATALOG } from '../../catalog/odoo-mcp';

/** Catalog tools by their name in lower case. */
const CATALOG_BY_LOWER_CASE: ReadonlyMap<string, string> = new Map(Object.keys(ODOO_MCP_CATALOG).map((tool) => [tool.toLowerCase(), tool]));

/**
 * The catalog tool that `name` spells with other capitals (`Cancel_Async_Task` for `cancel_async_task`),
 * when `name` is not itself a catalog tool; globs are not looked at. Tool names are case-sensitive, so
 * such a key or hide item matches nothing: a `deny` written so would never apply. That is an error
 * (the guard then fails closed) rather than the "unknown tool" warning an unrelated name gets. The
 * catalog is what the guard knows of tools before the server has said anything (the editor also
 * checks the tools the running guard reported, see `language/diagnostics.ts`).
 */
export function caseOnlyToolMatch(name: string): string | undefined {
  if (name.includes('*') || name.includes('?') || Object.prototype.hasOwnProperty.call(ODOO_MCP_CATALOG, name)) return undefined;
  return CATALOG_BY_LOWER_CASE.get(name.toLowerCase());
}
