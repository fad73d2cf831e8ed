/**
 * The whole-file reader: the policy read as one YAML document.
 *
 * Why: it is the reference behaviour (the incremental reader must give exactly its results), and what runs whenever the
 * layout is unusual, the YAML is broken or the caller asks for it (`strategy: 'whole'`).
 */
import { isMap, isScalar, parseDocument, visit, type Document, type Node } from 'yaml';
import type { PolicyDiagnostic } from '../diagnostics';
import { Checker, expectMap } from './checker';
import { checkTopPair, newTopState } from './check-top';
import type { LineIndex, Locator } from './lines';
import { YAML_OPTIONS } from './read-yaml';
import type { DetailedParseResult, ParseOptions, TopUnit } from './types';
import { EMPTY_CACHE, finish, toolsFromMap } from './units';
import { isNullNode, keyName, offsetsOf } from './yaml-nodes';

/** The file read as one YAML document: the reference behaviour, used whenever the layout is unusual. */
export function parseWhole(lines: LineIndex, options: ParseOptions): DetailedParseResult {
  const text = lines.text;
  const atDoc: Locator = { lines, lineShift: 0 };
  let doc: Document;
  try {
    doc = parseDocument(text, YAML_OPTIONS);
  } catch (e) {
    return {
      diagnostics: [
        {
          severity: 'error',
          code: 'yaml-syntax',
          message: `Cannot read the file as YAML: ${(e as Error).message}`,
          range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        },
      ],
      text,
      lines,
      strategy: 'whole',
      yamlOk: false,
      top: [],
      entries: [],
      cache: EMPTY_CACHE,
    };
  }
  const diagnostics: PolicyDiagnostic[] = [];
  const c = new Checker(atDoc, doc, diagnostics);
  const root = doc.contents as Node | null;
  const topUnits = (): TopUnit[] => {
    if (!isMap(root)) return [];
    const fallback = offsetsOf(root, [0, 0]);
    const keyLines = root.items.map((p) => lines.lineOf(offsetsOf(p.key as Node, fallback)[0]));
    return root.items.map((pair, i) => {
      const key = keyName(pair);
      return {
        ...(key !== undefined ? { key } : {}),
        doc,
        pair,
        at: atDoc,
        line: keyLines[i]!,
        endLine: Math.max(keyLines[i]! + 1, keyLines[i + 1] ?? lines.lineCount),
      };
    });
  };
  const broken = (): DetailedParseResult => {
    const top = topUnits();
    const tools = top.find((u) => u.key === 'tools');
    const value = tools?.pair.value as Node | null | undefined;
    const entries = tools && isMap(value) ? toolsFromMap(undefined, doc, value, lines, 0, tools.endLine, false) : [];
    return { diagnostics, text, lines, strategy: 'whole', yamlOk: false, top, entries, cache: EMPTY_CACHE };
  };

  for (const e of doc.errors)
    c.error([e.pos[0], e.pos[1]], 'yaml-syntax', e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''));
  if (doc.errors.length > 0) return broken();

  // Aliases are refused outright: a policy is read by people, and an alias bomb should not
  // be able to stall the guard or the editor.
  visit(doc, {
    Alias(_key, node) {
      const r = node.range;
      c.error(r ? [r[0], r[1]] : [0, 0], 'alias', `YAML aliases (*${node.source}) are not supported in a policy file: write the value out`);
    },
  });
  if (diagnostics.length > 0) return broken();

  const s = newTopState(options);
  const none = (): DetailedParseResult => ({
    diagnostics,
    text,
    lines,
    strategy: 'whole',
    yamlOk: true,
    top: [],
    entries: [],
    cache: EMPTY_CACHE,
  });
  if (root === null || (isScalar(root) && root.value === null)) {
    c.error([0, 0], 'empty-policy', 'The policy file is empty: start it with version: 1');
    return none();
  }
  const map = expectMap(c, root, [0, 0], 'A policy file');
  if (!map) return none();

  const top = topUnits();
  const fallback = offsetsOf(map, [0, 0]);
  let entryIndent: number | undefined;
  map.items.forEach((pair, i) => {
    checkTopPair(c, pair, fallback, s, (tc, value, at) => {
      if (isNullNode(value)) return;
      const tools = expectMap(tc, value, at, 'tools');
      if (!tools) return;
      if (!tools.flow && tools.items.length > 0) {
        const k = offsetsOf(tools.items[0]!.key as Node, fallback)[0];
        entryIndent = k - lines.starts[lines.lineOf(k)]!;
      }
      s.units = toolsFromMap(tc, doc, tools, lines, 0, top[i]!.endLine, true);
      s.entries = s.units.flatMap((u) => (u.entry ? [u.entry] : []));
    });
  });
  if (!s.sawVersion)
    c.error(offsetsOf(map.items[0]?.key as Node, [0, 0]), 'missing-version', 'Missing version: add version: 1 as the first line');
  return finish(lines, 'whole', diagnostics, s, top, entryIndent, EMPTY_CACHE);
}
