// extensionTestsPath entry: VS Code's extension host (here code-server's) loads this module and
// awaits run(). The host's own exit code does not reflect test failures under code-server, so the
// verdict goes to a JSON results file that scripts/integration/run.mjs reads.
import { readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';
import * as vscode from 'vscode';

export interface IntegrationResults {
  passed: number;
  failed: number;
  pending: number;
  durationMs: number;
  vscodeVersion: string;
  tests: { title: string; state: 'passed' | 'failed' | 'pending'; durationMs?: number }[];
  failures: { title: string; error: string }[];
  output: string[];
}

function resultsPath(): string {
  const fromEnv = process.env.MCP_GUARD_INTEGRATION_RESULTS;
  if (fromEnv) return fromEnv;
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('MCP_GUARD_INTEGRATION_RESULTS is not set and no workspace folder is open');
  return join(folder.uri.fsPath, '.mcp-guard-integration-results.json');
}

function writeResults(results: IntegrationResults): void {
  const path = resultsPath();
  writeFileSync(`${path}.tmp`, JSON.stringify(results, null, 2) + '\n');
  renameSync(`${path}.tmp`, path); // the runner never sees a half-written file
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack || `${err.name}: ${err.message}`;
  return format('%o', err);
}

export async function run(): Promise<void> {
  const started = Date.now();
  const results: IntegrationResults = {
    passed: 0,
    failed: 0,
    pending: 0,
    durationMs: 0,
    vscodeVersion: vscode.version,
    tests: [],
    failures: [],
    output: [],
  };

  // Keep what the tests print: the extension host's console does not reach the runner's terminal.
  // The host defines console.log & co. as accessors, so plain assignment would not stick.
  const levels = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = levels.map((level) => [level, Object.getOwnPropertyDescriptor(console, level)] as const);
  for (const level of levels) {
    const forward = console[level].bind(console);
    Object.defineProperty(console, level, {
      configurable: true,
      writable: true,
      value: (...args: unknown[]) => {
        results.output.push(format(...args));
        forward(...args);
      },
    });
  }

  try {
    const mocha = new Mocha({
      ui: 'bdd',
      color: false,
      timeout: Number(process.env.MCP_GUARD_INTEGRATION_TIMEOUT_MS) || 20_000,
      reporter: function SilentReporter() {} as unknown as Mocha.ReporterConstructor,
    });
    const grep = process.env.MCP_GUARD_INTEGRATION_GREP;
    if (grep) mocha.grep(grep);

    const suiteDir = join(__dirname, 'suite');
    const files = readdirSync(suiteDir)
      .filter((f) => f.endsWith('.test.js'))
      .sort();
    for (const f of files) mocha.addFile(join(suiteDir, f));
    await mocha.loadFilesAsync();

    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('pass', (test) => {
        results.passed++;
        results.tests.push({ title: test.fullTitle(), state: 'passed', durationMs: test.duration });
      });
      runner.on('fail', (test, err) => {
        results.failed++;
        results.tests.push({ title: test.fullTitle(), state: 'failed', durationMs: test.duration });
        results.failures.push({ title: test.fullTitle(), error: errorText(err) });
      });
      runner.on('pending', (test) => {
        results.pending++;
        results.tests.push({ title: test.fullTitle(), state: 'pending' });
      });
    });
  } catch (err) {
    results.failed++;
    results.failures.push({ title: 'integration harness (loading or running mocha)', error: errorText(err) });
  } finally {
    for (const [level, descriptor] of saved) {
      if (descriptor) Object.defineProperty(console, level, descriptor);
      else delete (console as unknown as Record<string, unknown>)[level];
    }
    results.durationMs = Date.now() - started;
    writeResults(results);
  }
}
