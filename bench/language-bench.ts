/**
 * Policy language benchmark (`npm run bench` runs it after the proxy bench; alone:
 * `node scripts/build.mjs --fixtures && node dist-test/bench/language-bench.js`, or
 * `npx tsx bench/language-bench.ts`). Prints a table of figures against the targets; exits non-zero
 * only when the figures are invalid (the generated policy does not validate as expected).
 *
 * The policy: 1,000 entries mixing the 43 catalog tools (exact names), synthetic tools the server
 * "reported" (exact names, some with a rate limit, some with conditions on their parameters),
 * globs (some matching nothing) and a few names nobody knows; a risk section and a hide list.
 *
 * - full validation: `policyDiagnostics(analyzePolicy(text), tools)` from scratch (no previous
 *   document): YAML, schema and every tool-aware check;
 * - incremental re-validation: typing one character at a time into the reason of an entry in the
 *   middle of the file, each keystroke `analyzePolicy(next, previousDocument)` then
 *   `policyDiagnostics`; also a line break typed inside an entry (every later entry moves);
 * - hover: on an exact catalog tool key (evaluates the policy for it), a glob key, a condition path;
 * - completion: tool names under tools (every tool, minus the 1,000 keys present), `path:` values,
 *   actions.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as os from 'node:os';
import { ODOO_MCP_CATALOG } from '../src/guard/catalog/odoo-mcp';
import type { ToolDefinition } from '../src/guard/catalog/types';
import { analyzePolicy, type PolicyDocument } from '../src/guard/language/analyze';
import { policyCompletions } from '../src/guard/language/completion';
import { policyDiagnostics } from '../src/guard/language/diagnostics';
import { policyHover } from '../src/guard/language/hover';
import { createToolIndex, type ToolIndex } from '../src/guard/language/tool-index';
import type { Position } from '../src/guard/policy/diagnostics';
import { table } from './lib/report';

export const LANGUAGE_ENTRIES = 1000;

const pad = (n: number, w = 4) => String(n).padStart(w, '0');

/** The synthetic tools the "server" reports, besides the catalog's. */
export function syntheticTools(count = 1100): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      name: `tool_${pad(i)}`,
      description: `Synthetic tool ${i}: does something to one ${i % 2 ? 'record' : 'report'}.`,
      inputSchema: {
        type: 'object',
        properties: {
          model: { type: 'string', description: 'Technical model name.' },
          limit: { type: 'integer', default: 80 },
          state: { type: 'string', enum: ['draft', 'posted', 'cancel'] },
        },
        required: ['model'],
      },
      annotations: i % 9 === 0 ? { destructiveHint: true } : i % 3 === 0 ? { readOnlyHint: true } : {},
    });
  }
  return out;
}

/**
 * A 1,000-entry policy: the 43 catalog tools first (exact names), then synthetic entries: every
 * 10th a glob (`grp_042_*`, matching nothing, or `tool_01*`-style prefixes that match), every 10th
 * (offset 5) with conditions on real parameters, every 25th with a rate limit, every 97th an
 * unknown name with a typo; actions mixed.
 */
export function generateLanguagePolicy(entries = LANGUAGE_ENTRIES): string {
  const lines: string[] = [
    '# Generated for the policy language benchmark.',
    'version: 1',
    'default: require_approval',
    'approval_timeout: 60',
    'risk:',
    '  critical: deny',
    '  high: require_approval',
    'hide:',
    '  - internal_debug_*',
    '  - read_field_to_file',
    'tools:',
  ];
  const catalog = Object.entries(ODOO_MCP_CATALOG);
  for (let i = 0; i < entries; i++) {
    if (i < catalog.length) {
      const [name, e] = catalog[i]!;
      lines.push(`  ${name}:  # ${e.category} · ${e.risk} risk`);
      lines.push(`    action: ${e.risk === 'critical' || e.risk === 'high' ? 'require_approval' : 'allow'}`);
      lines.push(`    reason: ${JSON.stringify(e.reason)}`);
      if (name === 'execute_method') lines.push('    when:', '      - { path: args.model, op: in, value: [res.partner, sale.order] }');
      continue;
    }
    let key: string;
    if (i % 10 === 0) key = i % 20 === 0 ? `"grp_${pad(i / 10, 3)}_*"` : `"tool_${pad(i, 4).slice(0, 3)}?"`;
    else if (i % 97 === 0)
      key = `tol_${pad(i)}`; // a typo: unknown, with "did you mean"
    else key = `tool_${pad(i)}`;
    lines.push(`  ${key}:`);
    const action = i % 7 === 3 ? 'deny' : i % 11 === 4 ? 'require_approval' : 'allow';
    lines.push(`    action: ${action}`);
    lines.push(`    reason: "Entry ${i} says ${action}."`);
    if (i % 25 === 0) lines.push('    rate_limit: { max: 100, window: 60 }');
    if (i % 10 === 5) {
      lines.push('    when:');
      lines.push(
        i % 20 === 5
          ? '      - { path: args.model, op: in, value: [res.partner, sale.order] }'
          : '      - path: args.limit\n        op: lte\n        value: 100',
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

interface Timing {
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly firstMs?: number;
  readonly runs: number;
}

function timeIt(runs: number, warmup: number, fn: (i: number) => unknown): Timing {
  for (let i = 0; i < warmup; i++) fn(i);
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn(warmup + i);
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  xs.sort((a, b) => a - b);
  return { medianMs: xs[Math.floor(xs.length / 2)]!, p90Ms: xs[Math.floor(xs.length * 0.9)]!, runs };
}

function positionOf(text: string, needle: string, offsetInNeedle = 0): Position {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`not in the generated policy: ${needle}`);
  const before = text.slice(0, at + offsetInNeedle);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - before.lastIndexOf('\n') - 1 };
}

export interface LanguageBenchResult {
  readonly entries: number;
  readonly policyBytes: number;
  readonly lines: number;
  readonly reportedTools: number;
  readonly diagnostics: Readonly<Record<string, number>>;
  readonly fullFirstMs: number;
  readonly full: Timing;
  readonly incremental: Timing;
  readonly incrementalNewline: Timing;
  readonly hoverTool: Timing;
  readonly hoverGlob: Timing;
  readonly hoverPath: Timing;
  readonly completionTools: Timing & { readonly items: number };
  readonly completionPaths: Timing & { readonly items: number };
  readonly completionActions: Timing & { readonly items: number };
}

export function runLanguageBench(): LanguageBenchResult {
  const text = generateLanguagePolicy();
  const reported = [...syntheticTools()];
  const index: ToolIndex = createToolIndex(reported);

  // Full validation, the very first time in this process (includes JIT warm-up), then warm.
  const f0 = process.hrtime.bigint();
  const firstDoc = analyzePolicy(text);
  const firstDiagnostics = policyDiagnostics(firstDoc, index);
  const fullFirstMs = Number(process.hrtime.bigint() - f0) / 1e6;
  if (!firstDoc.policy)
    throw new Error(
      `generated policy has errors: ${firstDiagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => d.message)
        .join('; ')}`,
    );
  if (firstDoc.entries.length !== LANGUAGE_ENTRIES) throw new Error(`expected ${LANGUAGE_ENTRIES} entries, got ${firstDoc.entries.length}`);
  const counts: Record<string, number> = {};
  for (const d of firstDiagnostics) counts[d.code] = (counts[d.code] ?? 0) + 1;
  if (!counts['unknown-tool'] || !counts['unmatched-glob'])
    throw new Error(`expected unknown-tool and unmatched-glob warnings, got ${JSON.stringify(counts)}`);

  const full = timeIt(40, 20, () => policyDiagnostics(analyzePolicy(text), index).length);

  // Incremental: type "abcdefghij…" into the reason of an entry in the middle, one character per keystroke.
  const anchor = 'reason: "Entry 500 says';
  const insertAt = text.indexOf(anchor) + anchor.length;
  if (insertAt < anchor.length) throw new Error('entry 500 not found');
  let prevDoc: PolicyDocument = firstDoc;
  let typed = '';
  const keystroke = () => {
    typed += String.fromCharCode(97 + (typed.length % 26));
    if (typed.length > 200) typed = 'a';
    const next = text.slice(0, insertAt) + typed + text.slice(insertAt);
    const doc = analyzePolicy(next, prevDoc);
    const n = policyDiagnostics(doc, index).length;
    prevDoc = doc;
    return n;
  };
  const incremental = timeIt(200, 50, keystroke);
  const check = policyDiagnostics(prevDoc, index);
  if (check.some((d) => d.severity === 'error')) throw new Error('incremental edit produced errors');

  // A line break typed inside an entry: every later entry moves down one line.
  const nlAt = text.indexOf('\n', text.indexOf('  tool_0501:')) + 1;
  let toggle = false;
  let nlPrev: PolicyDocument = analyzePolicy(text);
  policyDiagnostics(nlPrev, index);
  const incrementalNewline = timeIt(60, 10, () => {
    toggle = !toggle;
    const next = toggle ? `${text.slice(0, nlAt)}\n${text.slice(nlAt)}` : text;
    const doc = analyzePolicy(next, nlPrev);
    const n = policyDiagnostics(doc, index).length;
    nlPrev = doc;
    return n;
  });

  const doc = analyzePolicy(text);
  policyDiagnostics(doc, index);
  const hoverAt = (p: Position) => timeIt(300, 50, () => policyHover(doc, p, index)?.contents.length ?? 0);
  const hoverTool = hoverAt(positionOf(text, '  execute_method:', 4));
  const hoverGlob = hoverAt(positionOf(text, '"tool_061?"', 3));
  const hoverPath = hoverAt(positionOf(text, 'path: args.limit', 9));
  if (!policyHover(doc, positionOf(text, '  execute_method:', 4), index)?.contents.includes('This policy'))
    throw new Error('hover on a tool shows no decision');

  // Completion: a new key under tools at the end of the file; a `path:` value; an `action:` value.
  const withKey = `${text}  tool_05\n`;
  const keyDoc = analyzePolicy(withKey, doc);
  const keyPos: Position = { line: keyDoc.lines.lineCount - 2, character: 9 };
  const toolItems = policyCompletions(keyDoc, keyPos, index).length;
  const completionTools = { ...timeIt(100, 20, () => policyCompletions(keyDoc, keyPos, index).length), items: toolItems };
  const pathPos = positionOf(text, 'path: args.limit', 6);
  const completionPaths = {
    ...timeIt(300, 50, () => policyCompletions(doc, pathPos, index).length),
    items: policyCompletions(doc, pathPos, index).length,
  };
  const actionPos = positionOf(text, '    action: deny', 12);
  const completionActions = {
    ...timeIt(300, 50, () => policyCompletions(doc, actionPos, index).length),
    items: policyCompletions(doc, actionPos, index).length,
  };
  if (toolItems < 100 || completionPaths.items !== 3 || completionActions.items !== 3) {
    throw new Error(`unexpected completions: ${toolItems} tools, ${completionPaths.items} paths, ${completionActions.items} actions`);
  }

  return {
    entries: firstDoc.entries.length,
    policyBytes: Buffer.byteLength(text),
    lines: firstDoc.lines.lineCount,
    reportedTools: reported.length,
    diagnostics: counts,
    fullFirstMs,
    full,
    incremental,
    incrementalNewline,
    hoverTool,
    hoverGlob,
    hoverPath,
    completionTools,
    completionPaths,
    completionActions,
  };
}

function findRoot(): string {
  let dir = resolve(__dirname);
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

const ms = (x: number) => `${x.toFixed(2)} ms`;

export const TARGETS = { fullMs: 50, incrementalMs: 20, hoverMs: 5, completionMs: 10 } as const;

function main(): void {
  const started = Date.now();
  const load0 = os.loadavg();
  const r = runLanguageBench();
  const load1 = os.loadavg();
  const met = (x: number, goal: number) => (x <= goal ? 'met' : 'NOT MET');
  const rows: string[][] = [
    [
      'full validation, 1,000 entries (warm median)',
      `≤ ${TARGETS.fullMs} ms`,
      ms(r.full.medianMs),
      ms(r.full.p90Ms),
      met(r.full.medianMs, TARGETS.fullMs),
    ],
    ['  first run in the process (cold JIT)', '', ms(r.fullFirstMs), '', ''],
    [
      'incremental re-validation, 1-char edit in an entry',
      `≤ ${TARGETS.incrementalMs} ms`,
      ms(r.incremental.medianMs),
      ms(r.incremental.p90Ms),
      met(r.incremental.medianMs, TARGETS.incrementalMs),
    ],
    [
      '  a line break typed in an entry (later entries move)',
      `≤ ${TARGETS.incrementalMs} ms`,
      ms(r.incrementalNewline.medianMs),
      ms(r.incrementalNewline.p90Ms),
      met(r.incrementalNewline.medianMs, TARGETS.incrementalMs),
    ],
    [
      'hover: exact tool key (with its decision)',
      `≤ ${TARGETS.hoverMs} ms`,
      ms(r.hoverTool.medianMs),
      ms(r.hoverTool.p90Ms),
      met(r.hoverTool.medianMs, TARGETS.hoverMs),
    ],
    [
      'hover: glob key',
      `≤ ${TARGETS.hoverMs} ms`,
      ms(r.hoverGlob.medianMs),
      ms(r.hoverGlob.p90Ms),
      met(r.hoverGlob.medianMs, TARGETS.hoverMs),
    ],
    [
      'hover: condition path',
      `≤ ${TARGETS.hoverMs} ms`,
      ms(r.hoverPath.medianMs),
      ms(r.hoverPath.p90Ms),
      met(r.hoverPath.medianMs, TARGETS.hoverMs),
    ],
    [
      `completion: tool names under tools (${r.completionTools.items} items)`,
      `≤ ${TARGETS.completionMs} ms`,
      ms(r.completionTools.medianMs),
      ms(r.completionTools.p90Ms),
      met(r.completionTools.medianMs, TARGETS.completionMs),
    ],
    [
      `completion: path: values (${r.completionPaths.items} items)`,
      `≤ ${TARGETS.completionMs} ms`,
      ms(r.completionPaths.medianMs),
      ms(r.completionPaths.p90Ms),
      met(r.completionPaths.medianMs, TARGETS.completionMs),
    ],
    [
      `completion: action: values (${r.completionActions.items} items)`,
      `≤ ${TARGETS.completionMs} ms`,
      ms(r.completionActions.medianMs),
      ms(r.completionActions.p90Ms),
      met(r.completionActions.medianMs, TARGETS.completionMs),
    ],
  ];
  console.log('');
  console.log(
    `Policy language: ${r.entries} entries, ${r.lines} lines, ${(r.policyBytes / 1024).toFixed(1)} KiB; ${r.reportedTools} reported tools + ${Object.keys(ODOO_MCP_CATALOG).length} catalog tools.`,
  );
  console.log(
    `Diagnostics of the generated policy: ${Object.entries(r.diagnostics)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
  );
  console.log('');
  console.log(table(['target', 'goal', 'median', 'p90', ''], rows));
  console.log('');
  console.log(
    `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, Node ${process.version}; load average ${load0.map((x) => x.toFixed(2)).join(' ')} at the start, ${load1.map((x) => x.toFixed(2)).join(' ')} at the end; ${((Date.now() - started) / 1000).toFixed(1)} s.`,
  );
  const root = findRoot();
  const outDir = join(root, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'language.json'),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, targets: TARGETS, ...r }, null, 2)}\n`,
  );
  console.log(`Figures written to ${join('bench-results', 'language.json')}.`);
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(`language bench failed: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  }
}
