/** VS Code glue for the policy language service: diagnostics, hovers, completion, quick fixes and test lenses on policy files. */
import * as vscode from 'vscode';
import {
  analyzePolicy,
  policyCodeActions,
  policyCompletions,
  policyDiagnostics,
  policyHover,
  policyTestLens,
  type PolicyDiagnostic,
  type PolicyDocument,
  type Range,
  type ReportedTool,
} from '../guard/language';
import { LANGUAGE_ID } from './ids';
import type { BasePolicyWatch } from './base-policy';
import type { BaseLayer } from '../guard/policy/base';

const SELECTOR: vscode.DocumentSelector = { language: LANGUAGE_ID };
const DEBOUNCE_MS = 150;

function toRange(r: Range): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

function fromRange(r: vscode.Range): Range {
  return { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
}

const SEVERITY: Record<PolicyDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
};

/** Keeps the core's diagnostic next to the editor's, so quick fixes get the exact original. */
const ORIGINAL = new WeakMap<vscode.Diagnostic, PolicyDiagnostic>();

function toDiagnostic(d: PolicyDiagnostic): vscode.Diagnostic {
  const out = new vscode.Diagnostic(toRange(d.range), d.message, SEVERITY[d.severity]);
  out.source = 'MCP Guard';
  out.code = d.code;
  ORIGINAL.set(out, d);
  return out;
}

/**
 * The thin editor adapter over the core's pure language functions: every result is computed by
 * `src/guard/language` from the document text, the position and the known tools.
 */
export class PolicyLanguage implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection(LANGUAGE_ID);
  private readonly parsed = new Map<string, { version: number; doc: PolicyDocument }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly lensesChanged = new vscode.EventEmitter<void>();

  constructor(
    private readonly reportedTools: () => readonly ReportedTool[] | undefined,
    private readonly basePolicy?: BasePolicyWatch,
  ) {
    if (basePolicy) this.disposables.push(basePolicy.onDidChange(() => this.revalidateAll()));
    this.disposables.push(
      this.diagnostics,
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, DEBOUNCE_MS)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.diagnostics.delete(d.uri);
        this.parsed.delete(d.uri.toString());
      }),
      vscode.languages.registerHoverProvider(SELECTOR, {
        provideHover: (document, position) => {
          const hover = policyHover(
            this.document(document),
            { line: position.line, character: position.character },
            this.reportedTools(),
            this.baseFor(document),
          );
          if (!hover) return undefined;
          const md = new vscode.MarkdownString(hover.contents);
          return new vscode.Hover(md, toRange(hover.range));
        },
      }),
      vscode.languages.registerCompletionItemProvider(
        SELECTOR,
        {
          provideCompletionItems: (document, position) =>
            policyCompletions(this.document(document), { line: position.line, character: position.character }, this.reportedTools()).map(
              (c) => {
                const item = new vscode.CompletionItem(c.label, vscode.CompletionItemKind[c.kind]);
                if (c.detail) item.detail = c.detail;
                if (c.documentation) item.documentation = new vscode.MarkdownString(c.documentation);
                // VS Code indents every inserted line like the current one; text that already carries
                // the document's indentation loses that prefix so it is not indented twice.
                const indent = /^\s*/.exec(document.lineAt(c.range.start.line).text)?.[0] ?? '';
                const text =
                  c.insertTextMode === 'asIs' && indent
                    ? c.insertText
                        .split('\n')
                        .map((l, i) => (i > 0 && l.startsWith(indent) ? l.slice(indent.length) : l))
                        .join('\n')
                    : c.insertText;
                item.insertText = c.isSnippet ? new vscode.SnippetString(text) : text;
                item.range = toRange(c.range);
                if (c.sortText) item.sortText = c.sortText;
                if (c.filterText) item.filterText = c.filterText;
                return item;
              },
            ),
        },
        ':',
        ' ',
        '-',
        '.',
      ),
      // "4 tests pass" / "1 of 4 tests fails" over the policy's tests: section.
      vscode.languages.registerCodeLensProvider(SELECTOR, {
        onDidChangeCodeLenses: this.lensesChanged.event,
        provideCodeLenses: (document) => {
          const lens = policyTestLens(this.document(document), this.reportedTools(), this.baseFor(document));
          if (!lens) return [];
          return [new vscode.CodeLens(toRange(lens.range), { title: `$(beaker) ${lens.title}`, command: '' })];
        },
      }),
      vscode.languages.registerCodeActionsProvider(
        SELECTOR,
        {
          provideCodeActions: (document, range, context) => {
            const shown = context.diagnostics.map((d) => ORIGINAL.get(d)).filter((d): d is PolicyDiagnostic => d !== undefined);
            const actions = policyCodeActions(
              this.document(document),
              fromRange(range),
              this.reportedTools(),
              shown.length ? shown : undefined,
            );
            return actions.map((a) => {
              const action = new vscode.CodeAction(a.title, vscode.CodeActionKind.QuickFix);
              const edit = new vscode.WorkspaceEdit();
              for (const e of a.edits) edit.replace(document.uri, toRange(e.range), e.newText);
              action.edit = edit;
              action.isPreferred = a.isPreferred ?? false;
              const editorDiagnostic = context.diagnostics.find((d) => ORIGINAL.get(d) === a.diagnostic);
              if (editorDiagnostic) action.diagnostics = [editorDiagnostic];
              return action;
            });
          },
        },
        { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
      ),
    );
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  /** Parses once per document version; a new version re-reads only the entries that changed. */
  private document(document: vscode.TextDocument): PolicyDocument {
    const key = document.uri.toString();
    const cached = this.parsed.get(key);
    if (cached && cached.version === document.version) return cached.doc;
    const doc = analyzePolicy(document.getText(), cached?.doc);
    this.parsed.set(key, { version: document.version, doc });
    return doc;
  }

  private schedule(document: vscode.TextDocument, delayMs: number): void {
    if (document.languageId !== LANGUAGE_ID) return;
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.validate(document);
      }, delayMs),
    );
  }

  /** The organisation's base policy under a document: none for the base file itself, which is analysed as a normal policy. */
  private baseFor(document: vscode.TextDocument): BaseLayer | undefined {
    if (!this.basePolicy || (document.uri.scheme === 'file' && this.basePolicy.isBaseFile(document.uri.fsPath))) return undefined;
    return this.basePolicy.layer;
  }

  validate(document: vscode.TextDocument): void {
    if (document.isClosed) return;
    const found = policyDiagnostics(this.document(document), this.reportedTools(), this.baseFor(document)).map(toDiagnostic);
    const base = this.basePolicy?.state;
    if (base?.kind === 'invalid' && !this.basePolicy!.isBaseFile(document.uri.fsPath)) {
      const d = new vscode.Diagnostic(
        new vscode.Range(0, 0, 0, 0),
        `The organisation's base policy ${base.path} (mcpGuard.basePolicyFile) is missing or invalid, so guards block every call: ${base.problem}`,
        vscode.DiagnosticSeverity.Error,
      );
      d.source = 'MCP Guard';
      d.code = 'base-invalid';
      found.unshift(d);
    }
    this.diagnostics.set(document.uri, found);
  }

  /** The guard reported a new tool list: names that were unknown may be known now. */
  revalidateAll(): void {
    for (const d of vscode.workspace.textDocuments) if (d.languageId === LANGUAGE_ID) this.validate(d);
    this.lensesChanged.fire();
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
    this.lensesChanged.dispose();
  }
}
