// Rewrites the performance figures in README.md (between <!-- bench:start --> and <!-- bench:end -->)
// from bench-results/latest.json, as written by `npm run bench`: `npx tsx scripts/update-readme-bench.ts`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

interface Verdict {
  value: string;
  ok: boolean | null | undefined;
}

interface TargetRow {
  metric: string;
  target: string;
  reference: Verdict;
  raw: Verdict;
}

interface Seq {
  p50: number;
  p99: number;
}

interface Section {
  sequential: { direct: Seq; passthrough: Seq; guarded: Seq; addedP50Ms: number; extraHopP50Ms: number; guardWorkP50Ms: number };
  pipelined: { depth: number; direct: { callsPerSec: number }; guarded: { callsPerSec: number }; ratio: number };
}

interface Results extends Section {
  valid: boolean;
  problems: string[];
  machine: {
    cpu: string;
    cores: number;
    memoryGB: number;
    os: string;
    node: string;
    date: string;
    loadavg: number[];
    loadavgAtEnd?: number[];
  };
  config: { audit: boolean; guardNodeArgs: string[] };
  sectionSeconds?: { raw: number; sdk: number; policy: number; serve?: number };
  sdk?: Section;
  targetsTable?: TargetRow[];
}

const ROOT = resolve(__dirname, '..');
const RESULTS = join(ROOT, 'bench-results', 'latest.json');
const README = join(ROOT, 'README.md');
const MARKERS = /<!-- bench:start -->[\s\S]*?<!-- bench:end -->/;

function fail(message: string): never {
  process.stderr.write(`update-readme-bench: ${message}\n`);
  process.exit(1);
}

const r = JSON.parse(readFileSync(RESULTS, 'utf8')) as Results;
if (!r.valid) fail(`the figures in ${RESULTS} are invalid (${r.problems.join('; ')}); not updating the README`);
if (!r.sdk || !r.targetsTable) fail(`${RESULTS} has no SDK-client section: run npm run bench again`);
if (!r.config.audit || r.config.guardNodeArgs.length > 0)
  fail('the run was not in the target configuration (BENCH_AUDIT=0 or BENCH_GUARD_NODE_ARGS set)');
const sdk = r.sdk;

const ms = (x: number) => `${x.toFixed(3)} ms`;
const rate = (x: number) => `${Math.round(x).toLocaleString('en-US')} calls/s`;
const verdict = (v: Verdict) => `${v.value} — ${v.ok === true ? 'met' : v.ok === false ? '**not met**' : 'n/a'}`;
const goal = (t: string) => t.replace('<=', '≤').replace('>=', '≥');
const date = r.machine.date.replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
const m = r.machine;

const lines = [
  `One run of \`npm run bench\` on ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB RAM, ${m.os}; Node ${m.node}; ${date}` +
    ` (load average ${m.loadavg.join(' ')} at the start${m.loadavgAtEnd?.length ? `, ${m.loadavgAtEnd.join(' ')} at the end` : ''}).`,
  '',
  '| target | goal | SDK client (reference) | raw client (worst case) |',
  '|---|---|---|---|',
  ...r.targetsTable.map((row) => `| ${row.metric} | ${goal(row.target)} | ${verdict(row.reference)} | ${verdict(row.raw)} |`),
  '',
  `Sequential p50, direct → guarded: SDK client ${ms(sdk.sequential.direct.p50)} → ${ms(sdk.sequential.guarded.p50)}` +
    ` (of the ${ms(sdk.sequential.addedP50Ms)} added, ${ms(sdk.sequential.extraHopP50Ms)} is what a bare Node pipe in front of the server already costs);` +
    ` raw client ${ms(r.sequential.direct.p50)} → ${ms(r.sequential.guarded.p50)}.` +
    ` Pipelined, ${sdk.pipelined.depth} in flight, direct → guarded: SDK client ${rate(sdk.pipelined.direct.callsPerSec)} → ${rate(sdk.pipelined.guarded.callsPerSec)};` +
    ` raw client ${rate(r.pipelined.direct.callsPerSec)} → ${rate(r.pipelined.guarded.callsPerSec)}.`,
  '',
  `Method: \`tools/call health_check {}\` on the stand-in Odoo server, directly and through \`mcp-guard run\` (enforce mode, audit log on, a small policy that allows the tool),` +
    ' each also against a bare Node stdio pipe for reference; the processes stay up and warm, and blocks of calls alternate between them so machine noise hits all.' +
    " Targets are evaluated with the MCP TypeScript SDK's `Client` + `StdioClientTransport`, the client of the issue's reference measurement;" +
    ' the raw client is a minimal JSON-RPC client that costs almost nothing, so the extra process hop weighs most there.' +
    ' Every call is checked (no error, no `isError`) and every guarded call has an `allowed` audit decision.' +
    " Policy evaluation is timed in-process on a generated 1,000-entry policy; peak RSS is the guard's VmHWM.",
  '',
  `Reproduce: \`npm run bench\` (its proxy part, these figures, about ${Math.round(((r.sectionSeconds?.raw ?? 0) + (r.sectionSeconds?.sdk ?? 0) + (r.sectionSeconds?.policy ?? 0) + (r.sectionSeconds?.serve ?? 0)) / 10) * 10 || 'a hundred'} s, all in \`bench-results/latest.json\`;` +
    ' then the policy language, the OTLP export and the shared rate limits, some eight minutes in all),' +
    ' then `npx tsx scripts/update-readme-bench.ts` to rewrite this section.',
];

// The policy-language figures (bench/language-bench.ts), when that part of the run wrote them.
const LANGUAGE = join(ROOT, 'bench-results', 'language.json');
interface Timing {
  medianMs: number;
  p90Ms: number;
}
try {
  const l = JSON.parse(readFileSync(LANGUAGE, 'utf8')) as {
    entries: number;
    lines: number;
    reportedTools: number;
    full: Timing;
    fullFirstMs: number;
    incremental: Timing;
    hoverTool: Timing;
    completionTools?: Timing;
    [key: string]: unknown;
  };
  const row = (name: string, goalMs: number, t: Timing | undefined) =>
    t
      ? `| ${name} | ≤ ${goalMs} ms | ${t.medianMs.toFixed(2)} ms (p90 ${t.p90Ms.toFixed(2)} ms) — ${t.medianMs <= goalMs ? 'met' : '**not met**'} |`
      : undefined;
  const completion = (l.completionTools ?? (l as Record<string, unknown>)['completionToolNames']) as Timing | undefined;
  lines.push(
    '',
    `Policy language (editor features), on a generated ${l.entries.toLocaleString('en-US')}-entry policy (${l.lines.toLocaleString('en-US')} lines) with ${l.reportedTools.toLocaleString('en-US')} reported tools, medians:`,
    '',
    '| measure | goal | this run |',
    '|---|---|---|',
    ...[
      row('full validation', 50, l.full),
      row('re-validation after a one-character edit', 20, l.incremental),
      row('hover on a tool', 5, l.hoverTool),
      row('completion of tool names', 10, completion),
    ].filter((x): x is string => x !== undefined),
    '',
    `The first validation in a fresh process, before the JIT warms up, took ${l.fullFirstMs.toFixed(0)} ms.`,
  );
} catch {
  // No language figures in this run: the section shows the proxy figures only.
}

const readme = readFileSync(README, 'utf8');
const found = readme.match(new RegExp(MARKERS.source, 'g'));
if (!found || found.length !== 1) fail('README.md must contain exactly one <!-- bench:start --> ... <!-- bench:end --> block');
writeFileSync(
  README,
  readme.replace(MARKERS, () => `<!-- bench:start -->\n${lines.join('\n')}\n<!-- bench:end -->`),
);
process.stdout.write(`README.md: bench figures from ${r.machine.date}\n`);
