import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { MODES, type Mode } from '../guard/policy/model';

export class UsageError extends Error {}

export interface RunOptions {
  readonly policy?: string;
  readonly audit?: string;
  readonly auditIncludeArgs: boolean;
  readonly approvalTimeoutSeconds?: number;
  readonly mode: Mode;
  readonly name: string;
  readonly command: string;
  readonly commandArgs: readonly string[];
}

export const USAGE = `Usage:
  mcp-guard run [--policy FILE] [--audit FILE] [--audit-include-args] [--mode enforce|monitor|lockdown]
                [--approval-timeout SECONDS] [--name NAME] -- COMMAND [ARGS...]
      Start COMMAND (an MCP server over stdio) behind the guard; serve MCP on stdin/stdout.
  mcp-guard validate FILE...
      Check policy files; print FILE:LINE:COL: error|warning: message; exit 1 on any error.
  mcp-guard --version | --help`;

/** `uvx odoo-mcp` for `uvx odoo-mcp`; `node server.js` for `/usr/bin/node /x/server.js`. */
function defaultName(command: string, args: readonly string[]): string {
  const words = [command, ...args.slice(0, 2)].map((w) => basename(w));
  const name = words.join(' ');
  return name.length > 60 ? `${name.slice(0, 57)}...` : name;
}

/** Parses `run` options; everything after `--` is the upstream command, untouched. */
export function parseRunArgs(argv: readonly string[]): RunOptions {
  const dash = argv.indexOf('--');
  if (dash === -1 || dash === argv.length - 1) throw new UsageError('run needs the server command after --, e.g. mcp-guard run --policy policy.yaml -- uvx odoo-mcp');
  const { values, positionals } = parseArgs({
    args: argv.slice(0, dash) as string[],
    options: {
      policy: { type: 'string' },
      audit: { type: 'string' },
      'audit-include-args': { type: 'boolean', default: false },
      'approval-timeout': { type: 'string' },
      mode: { type: 'string', default: 'enforce' },
      name: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')} before --`);
  const mode = values.mode as string;
  if (!(MODES as readonly string[]).includes(mode)) throw new UsageError(`--mode must be enforce, monitor or lockdown, not ${JSON.stringify(mode)}`);
  const timeoutText = values['approval-timeout'];
  const approvalTimeoutSeconds = timeoutText === undefined ? undefined : Number(timeoutText);
  if (approvalTimeoutSeconds !== undefined && !(Number.isFinite(approvalTimeoutSeconds) && approvalTimeoutSeconds > 0)) {
    throw new UsageError(`--approval-timeout must be a number of seconds greater than 0, not ${JSON.stringify(timeoutText)}`);
  }
  const [command, ...commandArgs] = argv.slice(dash + 1);
  return {
    ...(values.policy !== undefined ? { policy: values.policy } : {}),
    ...(values.audit !== undefined ? { audit: values.audit } : {}),
    auditIncludeArgs: values['audit-include-args'] === true,
    ...(approvalTimeoutSeconds !== undefined ? { approvalTimeoutSeconds } : {}),
    mode: mode as Mode,
    name: values.name ?? defaultName(command!, commandArgs),
    command: command!,
    commandArgs,
  };
}
