/** The `mcp-guard run` command line: flags read into options, with errors that say what to type instead. */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { CATALOG_CHOICES, type CatalogChoice } from '../guard/catalog/identity';
import { MODES, type Mode } from '../guard/policy/model';
import { DEFAULT_SCAN_RESULTS, SCAN_RESULTS_MODES, type ScanResultsMode } from '../guard/result-secrets';

export class UsageError extends Error {}

export interface RunOptions {
  readonly policy?: string;
  readonly audit?: string;
  readonly auditIncludeArgs: boolean;
  /** Present (true) only with --audit-fail-open. */
  readonly auditFailOpen?: boolean;
  /** --audit-max-bytes: rotate the audit file at this size; 0 never. */
  readonly auditMaxBytes?: number;
  readonly approvalTimeoutSeconds?: number;
  /** --call-timeout: seconds to wait for the server's answer to a tools/call; 0 waits forever. */
  readonly callTimeoutSeconds?: number;
  /** --max-message-bytes: the longest JSON-RPC message accepted from either side. */
  readonly maxMessageBytes?: number;
  /** --max-restarts: restarts of a crashed server within 60 s before it stays down; 0 never restarts. */
  readonly maxRestarts?: number;
  /** --pins: the pins file whose definitions are trusted (none: trust on first use). */
  readonly pins?: string;
  readonly mode: Mode;
  /** --scan-results: secrets in tool results and resource contents are redacted (default), flagged, or not looked for. */
  readonly scanResults: ScanResultsMode;
  /** --catalog: which catalog classes the server's tools (auto: odoo-mcp's when the server is odoo-mcp). */
  readonly catalog: CatalogChoice;
  readonly name: string;
  readonly command: string;
  readonly commandArgs: readonly string[];
}

/** `mcp-guard pin`: where to write the pins, and the server to read them from. */
export interface PinOptions {
  readonly pins: string;
  readonly name: string;
  readonly command: string;
  readonly commandArgs: readonly string[];
}

export const USAGE = `Usage:
  mcp-guard run [--policy FILE] [--audit FILE] [--audit-include-args] [--mode enforce|monitor|lockdown]
                [--approval-timeout SECONDS] [--name NAME] [--call-timeout SECONDS]
                [--max-message-bytes N] [--max-restarts N] [--audit-max-bytes N] [--audit-fail-open]
                [--catalog auto|odoo-mcp|none] [--scan-results off|flag|redact] [--pins FILE] -- COMMAND [ARGS...]
      Start COMMAND (an MCP server over stdio) behind the guard; serve MCP on stdin/stdout.
      --catalog: auto (default) applies the odoo-mcp catalog when the server's initialize answer names
      odoo-mcp; odoo-mcp forces it; none treats the server as another one (catalog names only raise classes).
      With --pins, only tools whose definition matches its pin in FILE are listed and callable.
  mcp-guard pin --pins FILE [--name NAME] -- COMMAND [ARGS...]
      Start COMMAND, read its tool list, and write each tool's fingerprint and definition to FILE
      (JSON, to commit beside the policy); prints what changed since FILE was last written.
  mcp-guard validate FILE...
      Check policy files; print FILE:LINE:COL: error|warning|info: message; exit 1 on any error.
  mcp-guard explain --policy FILE [--mode MODE] [--json] TOOL ['{"arg": ...}']
  mcp-guard explain --policy FILE [--json] --resource URI
      Tell what the policy does with that call and why: the decision, the entries that applied,
      those whose conditions failed, and the fallback used.
  mcp-guard test FILE...
      Run each policy file's tests: list (calls with the decision they must get); print
      FILE:LINE:COL: pass|FAIL: call TOOL ARGS → actual (expected EXPECT) and a summary;
      exit 1 when a test fails or the policy is invalid.
  mcp-guard demo [--policy FILE] [--interactive]
      Run the guard in front of a bundled stand-in Odoo server (sample data, no network) and play a short
      agent session, showing each decision; --interactive lets you type the calls and answer approvals.
  mcp-guard --version | --help`;

/** `uvx odoo-mcp` for `uvx odoo-mcp`; `node server.js` for `/usr/bin/node /x/server.js`. */
function defaultName(command: string, args: readonly string[]): string {
  const words = [command, ...args.slice(0, 2)].map((w) => basename(w));
  const name = words.join(' ');
  return name.length > 60 ? `${name.slice(0, 57)}...` : name;
}

function numberOption(text: string | undefined, flag: string, what: string, ok: (n: number) => boolean): number | undefined {
  if (text === undefined) return undefined;
  const n = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(n) || !ok(n)) throw new UsageError(`${flag} must be ${what}, not ${JSON.stringify(text)}`);
  return n;
}

function nonEmpty(text: string, flag: string): string {
  if (text.trim() === '') throw new UsageError(`${flag} needs a file name`);
  return text;
}

/** Parses `pin` options; everything after `--` is the server command, untouched. */
export function parsePinArgs(argv: readonly string[]): PinOptions {
  const dash = argv.indexOf('--');
  if (dash === -1 || dash === argv.length - 1)
    throw new UsageError('pin needs the server command after --, e.g. mcp-guard pin --pins odoo.pins.json -- uvx odoo-mcp');
  const { values, positionals } = parseArgs({
    args: argv.slice(0, dash) as string[],
    options: { pins: { type: 'string' }, name: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')} before --`);
  if (values.pins === undefined) throw new UsageError('pin needs --pins FILE, the pins file to write');
  const [command, ...commandArgs] = argv.slice(dash + 1);
  return { pins: nonEmpty(values.pins, '--pins'), name: values.name ?? defaultName(command!, commandArgs), command: command!, commandArgs };
}

/** Parses `run` options; everything after `--` is the upstream command, untouched. */
export function parseRunArgs(argv: readonly string[]): RunOptions {
  const dash = argv.indexOf('--');
  if (dash === -1 || dash === argv.length - 1)
    throw new UsageError('run needs the server command after --, e.g. mcp-guard run --policy policy.yaml -- uvx odoo-mcp');
  const { values, positionals } = parseArgs({
    args: argv.slice(0, dash) as string[],
    options: {
      policy: { type: 'string' },
      audit: { type: 'string' },
      'audit-include-args': { type: 'boolean', default: false },
      'audit-fail-open': { type: 'boolean', default: false },
      'audit-max-bytes': { type: 'string' },
      'approval-timeout': { type: 'string' },
      'call-timeout': { type: 'string' },
      'max-message-bytes': { type: 'string' },
      'max-restarts': { type: 'string' },
      mode: { type: 'string', default: 'enforce' },
      catalog: { type: 'string', default: 'auto' },
      'scan-results': { type: 'string', default: DEFAULT_SCAN_RESULTS },
      name: { type: 'string' },
      pins: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')} before --`);
  const mode = values.mode as string;
  if (!(MODES as readonly string[]).includes(mode))
    throw new UsageError(`--mode must be enforce, monitor or lockdown, not ${JSON.stringify(mode)}`);
  const catalog = values.catalog as string;
  if (!(CATALOG_CHOICES as readonly string[]).includes(catalog))
    throw new UsageError(`--catalog must be auto, odoo-mcp or none, not ${JSON.stringify(catalog)}`);
  const scanResults = values['scan-results'] as string;
  if (!(SCAN_RESULTS_MODES as readonly string[]).includes(scanResults))
    throw new UsageError(`--scan-results must be off, flag or redact, not ${JSON.stringify(scanResults)}`);
  const timeoutText = values['approval-timeout'];
  const approvalTimeoutSeconds = timeoutText === undefined ? undefined : Number(timeoutText);
  if (approvalTimeoutSeconds !== undefined && !(Number.isFinite(approvalTimeoutSeconds) && approvalTimeoutSeconds > 0)) {
    throw new UsageError(`--approval-timeout must be a number of seconds greater than 0, not ${JSON.stringify(timeoutText)}`);
  }
  const callTimeoutSeconds = numberOption(values['call-timeout'], '--call-timeout', 'a number of seconds, 0 or more', (n) => n >= 0);
  const maxMessageBytes = numberOption(
    values['max-message-bytes'],
    '--max-message-bytes',
    'a whole number of bytes, at least 1024',
    (n) => Number.isInteger(n) && n >= 1024,
  );
  const maxRestarts = numberOption(
    values['max-restarts'],
    '--max-restarts',
    'a whole number, 0 or more',
    (n) => Number.isInteger(n) && n >= 0,
  );
  const auditMaxBytes = numberOption(
    values['audit-max-bytes'],
    '--audit-max-bytes',
    'a whole number of bytes, 0 (never rotate) or at least 1024',
    (n) => Number.isInteger(n) && (n === 0 || n >= 1024),
  );
  const [command, ...commandArgs] = argv.slice(dash + 1);
  return {
    ...(values.policy !== undefined ? { policy: values.policy } : {}),
    ...(values.audit !== undefined ? { audit: values.audit } : {}),
    auditIncludeArgs: values['audit-include-args'] === true,
    ...(values['audit-fail-open'] === true ? { auditFailOpen: true } : {}),
    ...(auditMaxBytes !== undefined ? { auditMaxBytes } : {}),
    ...(approvalTimeoutSeconds !== undefined ? { approvalTimeoutSeconds } : {}),
    ...(callTimeoutSeconds !== undefined ? { callTimeoutSeconds } : {}),
    ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}),
    ...(maxRestarts !== undefined ? { maxRestarts } : {}),
    ...(values.pins !== undefined ? { pins: nonEmpty(values.pins, '--pins') } : {}),
    mode: mode as Mode,
    catalog: catalog as CatalogChoice,
    scanResults: scanResults as ScanResultsMode,
    name: values.name ?? defaultName(command!, commandArgs),
    command: command!,
    commandArgs,
  };
}
