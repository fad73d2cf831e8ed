/**
 * The policy parser's public API: `parsePolicy` and `parsePolicyDetailed`, and everything other modules import from the parser.
 *
 * Why: callers (the guard, `validate`, `test`, the editor) need one entry point, which picks the incremental reader when the
 * layout allows and the whole-file reader otherwise; the parts live in `parse/`, and are re-exported here so no importer
 * depends on how the parser is cut:
 *
 * - `lines.ts`: line index, locators, shifting ranges and diagnostics by lines;
 * - `yaml-nodes.ts`: questions about `yaml` nodes, shared with `language/`;
 * - `keys.ts`: the keys allowed at each level;
 * - `checker.ts`: the diagnostics collector and the generic value checks;
 * - `tool-names.ts`: tool names that differ from a catalog tool only in capitals;
 * - `check-top.ts`, `check-entry.ts`, `check-condition.ts`, `check-tests.ts`: the schema, part by part;
 * - `types.ts`: the result types and the options;
 * - `units.ts`: entry records, units and the final result, which both readers build;
 * - `read-yaml.ts`: the `yaml` options and reading one piece with the library;
 * - `whole.ts`: the whole-file reader (the reference);
 * - `layout.ts`: where the text can be cut into pieces;
 * - `fast-nodes.ts`: simple entries read without the library;
 * - `incremental.ts`: the incremental reader.
 */
import { parseIncremental } from './parse/incremental';
import { LineIndex } from './parse/lines';
import type { DetailedParseResult, ParseOptions, ParseResult } from './parse/types';
import { parseWhole } from './parse/whole';

export {
  CONDITION_KEYS,
  ENTRY_KEYS,
  RATE_LIMIT_KEYS,
  RATE_LIMIT_REQUIRED_KEYS,
  RESOURCE_ENTRY_KEYS,
  TEST_KEYS,
  TOP_LEVEL_KEYS,
} from './parse/keys';
export { LineIndex, locatorRange, shiftDiagnostic, type Locator } from './parse/lines';
export { caseOnlyToolMatch } from './parse/tool-names';
export type { DetailedParseResult, EntryRecord, EntryUnit, ParseOptions, ParseResult, TopUnit } from './parse/types';

/**
 * Parses and validates a policy file. Never throws: every problem, from YAML syntax to
 * a bad regex, comes back as a diagnostic with its range, and no policy is returned
 * while any error remains.
 */
export function parsePolicy(text: string, options: ParseOptions = {}): ParseResult {
  const r = parsePolicyDetailed(text, options);
  return r.policy ? { policy: r.policy, diagnostics: r.diagnostics } : { diagnostics: r.diagnostics };
}

/**
 * `parsePolicy` with the YAML nodes and their places, for editors. Pass the previous result of the
 * same document as `previous` to reuse every entry whose text did not change: the result is the same
 * as without it, only faster.
 */
export function parsePolicyDetailed(text: string, options: ParseOptions = {}, previous?: DetailedParseResult): DetailedParseResult {
  const lines = new LineIndex(text);
  if (options.strategy !== 'whole') {
    const r = parseIncremental(lines, options, previous?.cache);
    if (r) return r;
  }
  return parseWhole(lines, options);
}
