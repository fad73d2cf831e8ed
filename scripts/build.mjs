// Bundles the extension, the guard, `mcp-guard demo` and the demo's Odoo stand-in; with --fixtures also the benchmarks.
// One script so `npm run build`, `npm test` and `npm run bench` always run what the source says.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

const withFixtures = process.argv.includes('--fixtures');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
  define: { MCP_GUARD_VERSION: JSON.stringify(pkg.version) },
};

const builds = [
  esbuild.build({
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: 'dist',
    external: ['vscode'],
    // jsonc-parser's main entry is UMD, whose require() of its own parts esbuild cannot follow: its ES modules instead.
    alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  }),
  esbuild.build({
    ...common,
    entryPoints: { 'mcp-guard': 'src/cli/mcp-guard.ts' },
    outdir: 'dist',
    banner: { js: '#!/usr/bin/env node' },
  }),
  // `mcp-guard demo`, loaded by dist/mcp-guard.js only for that command: the SDK client it bundles
  // stays out of the guard, which every MCP session starts.
  esbuild.build({
    ...common,
    entryPoints: { 'mcp-guard-demo': 'src/cli/demo/main.ts' },
    outdir: 'dist',
  }),
  // `mcp-guard serve`, loaded by dist/mcp-guard.js only for that command: its HTTP server and
  // Streamable HTTP client stay out of the stdio guard.
  esbuild.build({
    ...common,
    entryPoints: { 'mcp-guard-serve': 'src/cli/serve/main.ts' },
    outdir: 'dist',
  }),
  // `run --upstream-url`'s Streamable HTTP client, loaded by dist/mcp-guard.js only with that flag: a stdio
  // guard in front of a process does without it.
  esbuild.build({
    ...common,
    entryPoints: { 'mcp-guard-http-upstream': 'src/cli/http-upstream.ts' },
    outdir: 'dist',
  }),
  // The audit's OpenTelemetry export (the SDK's LoggerProvider and OTLP/HTTP exporter), loaded by dist/mcp-guard.js
  // and dist/mcp-guard-serve.js only with --otlp-endpoint (or OTEL_EXPORTER_OTLP_*): a guard without it does without the SDK.
  esbuild.build({
    ...common,
    entryPoints: { 'mcp-guard-otlp': 'src/cli/otlp-audit.ts' },
    outdir: 'dist',
  }),
  // Shared rate limits in Redis (`--state redis://…`) with the Redis client (ioredis), loaded by dist/mcp-guard.js and
  // dist/mcp-guard-serve.js only with that flag: a guard without it never loads the client.
  esbuild.build({
    ...common,
    entryPoints: { 'mcp-guard-redis': 'src/cli/redis-state.ts' },
    outdir: 'dist',
  }),
  // The stand-in Odoo MCP server: the demo's server (STANDIN_DEMO=1) and the tests' (without).
  esbuild.build({
    ...common,
    entryPoints: { 'odoo-demo-server': 'src/demo/odoo-standin/server.ts' },
    outdir: 'dist',
  }),
];

if (withFixtures) {
  rmSync('dist-test', { recursive: true, force: true });
  const benchEntries = readdirSync('bench')
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join('bench', f));
  builds.push(
    esbuild.build({
      ...common,
      entryPoints: benchEntries,
      outbase: '.',
      outdir: 'dist-test',
    }),
  );
}

await Promise.all(builds);
