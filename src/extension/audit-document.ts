import { existsSync, readFileSync, statSync } from 'node:fs';
import * as vscode from 'vscode';
import { auditMarkdown, parseAuditLines } from './audit-table';

export const AUDIT_SCHEME = 'mcp-guard-audit';

/** The last megabyte is plenty for "recent decisions" and keeps opening the view instant. */
const TAIL_BYTES = 1024 * 1024;

function readTail(path: string): string {
  if (!existsSync(path)) return '';
  const size = statSync(path).size;
  const text = readFileSync(path, 'utf8');
  return size > TAIL_BYTES ? text.slice(text.length - TAIL_BYTES) : text;
}

/** Read-only documents `mcp-guard-audit:/Recent decisions.md?filter=denied`. */
export class AuditDocumentProvider implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly auditPath: () => string) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    const filter = new URLSearchParams(uri.query).get('filter') ?? undefined;
    const path = this.auditPath();
    return auditMarkdown(parseAuditLines(readTail(path)), filter, path);
  }

  refresh(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }
}
