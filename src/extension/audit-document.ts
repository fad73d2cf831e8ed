/** The audit view: recent decisions as a read-only document, with rule code lenses over its rows. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as vscode from 'vscode';
import { auditView, isRuleCandidate, parseAuditLines, type AuditRow, type AuditView } from './audit-table';
import { callRefOf } from './rule-text';

export const AUDIT_SCHEME = 'mcp-guard-audit';

/** The view of recent decisions, of one decision only when `filter` names one. */
export function auditViewUri(filter: string | undefined): vscode.Uri {
  return vscode.Uri.from({ scheme: AUDIT_SCHEME, path: '/Recent decisions.md', ...(filter ? { query: `filter=${filter}` } : {}) });
}

/** The last megabyte is plenty for "recent decisions" and keeps opening the view instant. */
const TAIL_BYTES = 1024 * 1024;

function readTail(path: string): string {
  if (!existsSync(path)) return '';
  const size = statSync(path).size;
  const text = readFileSync(path, 'utf8');
  return size > TAIL_BYTES ? text.slice(text.length - TAIL_BYTES) : text;
}

/**
 * Read-only documents `mcp-guard-audit:/Recent decisions.md?filter=denied`, with "Allow calls like
 * this" and "Always deny" code lenses over the rows of blocked and approved calls.
 */
export class AuditDocumentProvider implements vscode.TextDocumentContentProvider, vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  /** What each open view shows, so lenses land on the rows the text has. */
  private readonly views = new Map<string, AuditView>();

  constructor(
    private readonly auditPath: () => string,
    private readonly ruleCommand: string,
  ) {}

  /** The recent decisions, newest first. */
  rows(): AuditRow[] {
    return parseAuditLines(readTail(this.auditPath()));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const filter = new URLSearchParams(uri.query).get('filter') ?? undefined;
    const view = auditView(this.rows(), filter, this.auditPath());
    this.views.set(uri.toString(), view);
    this.lensesChanged.fire();
    return view.text;
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const view = this.views.get(document.uri.toString());
    if (!view) return [];
    const lenses: vscode.CodeLens[] = [];
    view.shown.forEach((row, i) => {
      if (!isRuleCandidate(row)) return;
      const line = view.firstRowLine + i;
      if (line >= document.lineCount) return;
      const range = new vscode.Range(line, 0, line, 0);
      const call = callRefOf(row);
      lenses.push(
        new vscode.CodeLens(range, {
          title: 'Allow calls like this',
          tooltip: `Write a policy entry that allows calls to ${row.tool} like this one`,
          command: this.ruleCommand,
          arguments: [call, 'allow'],
        }),
        new vscode.CodeLens(range, {
          title: 'Always deny',
          tooltip: `Write a policy entry that denies calls to ${row.tool} like this one`,
          command: this.ruleCommand,
          arguments: [call, 'deny'],
        }),
      );
    });
    return lenses;
  }

  refresh(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }

  dispose(): void {
    this.changed.dispose();
    this.lensesChanged.dispose();
  }
}
