/** What a demo run needs on disk: the two bundles it starts, its private temp folder, and the policies it plays with. */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { starterPolicyFor } from '../../guard/language/starter';
import { validatePolicyText } from '../../guard/language/diagnostics';
import { formatValidateLine } from '../validate';
import { readPolicyText } from '../read-policy';

/** The guarded server's name (`--name`): in the audit log, approvals and logs. The extension's demo uses the same. */
export const DEMO_SERVER_NAME = 'Odoo demo';

export class DemoError extends Error {}

export interface DemoFiles {
  /** dist/mcp-guard.js: the guard, run exactly as users run it. */
  readonly guard: string;
  /** dist/odoo-demo-server.js: the stand-in, started by the guard with STANDIN_DEMO=1. */
  readonly standin: string;
  /** The run's own folder under the system temp folder, kept afterwards so its audit log can be read. */
  readonly dir: string;
  readonly audit: string;
  /** The stand-in's journal: one line per call that reached it. */
  readonly journal: string;
  /** The policy of the main steps: the starter (written here) or the person's --policy file. */
  readonly policy: string;
  /** True when `policy` is the starter: the demo then knows every decision and checks it. */
  readonly starter: boolean;
}

/** The bundles sit next to each other in dist/ (the repository's or the installed package's). */
export function findBundles(distDir: string): { guard: string; standin: string } {
  const guard = join(distDir, 'mcp-guard.js');
  const standin = join(distDir, 'odoo-demo-server.js');
  for (const f of [guard, standin]) {
    if (!existsSync(f)) throw new DemoError(`${f} is missing: run npm run build (in a clone of MCP Guard), or reinstall the package.`);
  }
  return { guard, standin };
}

/** The starter policy as the extension writes it, headed as the demo's. */
export function demoStarterPolicy(): string {
  return (
    '# The policy of "mcp-guard demo": MCP Guard\'s starter policy, in front of the bundled Odoo stand-in (not a real Odoo).\n' +
    '#\n' +
    starterPolicyFor()
  );
}

/**
 * The second policy the scripted demo runs, for what the starter does not do: hide a tool and rate-limit one.
 * Small on purpose, so it can be printed whole.
 */
export const LIMITS_POLICY = [
  'version: 1',
  'default: allow',
  'hide: [read_field_to_file]          # gone from tools/list, denied if called anyway',
  'tools:',
  '  search_records:',
  '    rate_limit: { max: 2, window: 60 }  # at most 2 calls in any 60 s',
  '',
].join('\n');

/** Checks the person's policy first: a policy with errors would block every call, which shows nothing but that. */
function checkPolicy(file: string): void {
  const lines: string[] = [];
  const text = readPolicyText(file, (l) => lines.push(l));
  const errors = text === undefined ? [] : validatePolicyText(text).filter((d) => d.severity === 'error');
  if (text !== undefined && errors.length === 0) return;
  for (const d of errors) lines.push(formatValidateLine(file, d));
  throw new DemoError(
    `${lines.join('\n')}\nThe policy ${file} cannot be used: fix it (mcp-guard validate ${file} lists the problems), ` +
      'or run mcp-guard demo without --policy to use the starter policy.',
  );
}

/** Makes the run's folder and writes the starter policy there, or checks the person's. */
export function prepareFiles(distDir: string, policyArg: string | undefined): DemoFiles {
  const bundles = findBundles(distDir);
  if (policyArg !== undefined) checkPolicy(resolve(policyArg));
  const dir = mkdtempSync(join(tmpdir(), 'mcp-guard-demo-'));
  let policy: string;
  if (policyArg === undefined) {
    policy = join(dir, 'policy.yaml');
    writeFileSync(policy, demoStarterPolicy());
  } else {
    // Used where it is, not copied: in --interactive, saving it changes the running guard's next decision.
    policy = resolve(policyArg);
  }
  return {
    ...bundles,
    dir,
    audit: join(dir, 'audit.jsonl'),
    journal: join(dir, 'journal.jsonl'),
    policy,
    starter: policyArg === undefined,
  };
}
