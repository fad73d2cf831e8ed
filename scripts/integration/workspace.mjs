// The workspace both launch modes open: its settings run the stand-in Odoo server (bundled by
// run.mjs to out/integration/standin.js) behind the guard, and its policy asks for approval before
// cancel_async_task. The stand-in appends one line per call it executed to journal.jsonl.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLines } from './common.mjs';
import { TESTS_DIR } from './launch.mjs';

export const STANDIN = join(TESTS_DIR, 'standin.js');

/**
 * Writes <parent>/workspace and returns its path. The stand-in's journal and the guard's log go
 * into the workspace (the suites read <workspace>/journal.jsonl); with `forScreenshot` (the modal
 * scenario, whose picture shows the Explorer and an editor) they go next to it, in <parent>, and the
 * minimap is off. readJournal() finds the journal either way.
 */
export function makeWorkspace(parent, { forScreenshot = false } = {}) {
  const outside = forScreenshot;
  const ws = join(parent, 'workspace');
  mkdirSync(join(ws, '.vscode'), { recursive: true });
  const journal = outside ? join(parent, 'journal.jsonl') : join(ws, 'journal.jsonl');
  const guardLog = outside ? join(parent, 'guard.log') : join(ws, 'guard.log');
  writeFileSync(
    join(ws, '.vscode', 'settings.json'),
    JSON.stringify(
      {
        'mcpGuard.servers': [
          {
            name: 'Odoo',
            command: process.execPath,
            args: [STANDIN],
            odoo: true,
            env: { STANDIN_JOURNAL: journal, ODOO_PASSWORD: 'integration-secret', MCP_GUARD_LOG_FILE: guardLog },
          },
        ],
        'mcpGuard.odoo.url': 'http://odoo.invalid',
        'mcpGuard.odoo.db': 'integration',
        'mcpGuard.odoo.username': 'bot',
        'chat.mcp.autostart': 'never',
        ...(forScreenshot ? { 'editor.minimap.enabled': false } : {}),
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(ws, '.vscode', 'mcp-policy.yaml'),
    [
      'version: 1',
      'tools:',
      '  cancel_async_task:',
      '    action: require_approval',
      '    reason: Cancelling a background task is irreversible',
      '    approval_timeout: 30',
      '  health_check:',
      '    action: allow',
      '',
    ].join('\n'),
  );
  return ws;
}

export function journalPath(ws) {
  const inside = join(ws, 'journal.jsonl');
  const outside = join(ws, '..', 'journal.jsonl');
  return !existsSync(inside) && existsSync(outside) ? outside : inside;
}

/** The calls the stand-in executed, oldest first ([] before the first). */
export function readJournal(ws) {
  return readJournalAt(journalPath(ws));
}

/** The calls a stand-in journaled to `path` (STANDIN_JOURNAL), oldest first ([] before the first). */
export function readJournalAt(path) {
  return readLines(path);
}
