/** "Turn a Recent Call into a Rule…": the questions, the edit of the policy in the editor, the outcome. */
import * as vscode from 'vscode';
import { argumentChoices, ruleFromCall, type RuleIntent } from '../guard/language/rule-from-call';
import type { ReportedTool } from '../guard/language';
import { isRuleCandidate, type AuditRow } from './audit-table';
import { DEMO_NAME, demoServer } from './demo';
import type { GuardHub } from './guard-hub';
import { demoFiles, guardedServers, policyFor } from './locations';
import { ensureDemoPolicy, ensurePolicyFile } from './policy-files';
import { ruleOutcomeMessage, type CallRef, callRefOf, parseCallRef, parseRuleOptions } from './rule-text';

const INTENTS: readonly { intent: RuleIntent; label: string; detail: string }[] = [
  { intent: 'allow', label: '$(check) Allow calls like this', detail: 'Write an entry that lets such calls through without asking.' },
  { intent: 'deny', label: '$(circle-slash) Always deny', detail: 'Write an entry that blocks such calls, with a reason the agent reads.' },
];

export interface RuleCommandDeps {
  readonly context: vscode.ExtensionContext;
  readonly hub: GuardHub;
  readonly reportedTools: () => ReportedTool[] | undefined;
  readonly recentRows: () => readonly AuditRow[];
  readonly log: vscode.LogOutputChannel;
}

/** What the command did, for scripts and tests. */
export interface RuleCommandResult {
  readonly ok: boolean;
  readonly message: string;
  readonly policy?: string;
  readonly changes?: readonly string[];
  readonly summary?: string;
  readonly failingTests?: readonly string[];
}

async function pickCall(rows: readonly AuditRow[]): Promise<CallRef | undefined> {
  const candidates = rows.filter(isRuleCandidate).slice(0, 200);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage('MCP Guard: no blocked or approved calls in the audit log yet.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    candidates.map((r) => ({
      label: r.tool,
      description: `${r.decision} by ${r.rule}`,
      detail: `${r.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} · ${r.server}`,
      row: r,
    })),
    { title: 'MCP Guard: Turn a Recent Call into a Rule', placeHolder: 'Which call?', matchOnDescription: true },
  );
  return pick ? callRefOf(pick.row) : undefined;
}

/**
 * "Allow calls like this" / "Always deny" for one call of the audit log: asks which arguments make a
 * call "like this" (and, to deny, the reason the agent reads), writes the entry and a test into the
 * policy as an edit to review (unsaved unless auto save is on; Undo reverts it), and reports the
 * policy's tests.
 */
export async function runRuleCommand(
  deps: RuleCommandDeps,
  callArg?: unknown,
  intentArg?: unknown,
  optionsArg?: unknown,
): Promise<RuleCommandResult | undefined> {
  const call = parseCallRef(callArg) ?? (callArg === undefined ? await pickCall(deps.recentRows()) : undefined);
  if (!call) return undefined;
  const options = parseRuleOptions(optionsArg);
  const intent =
    intentArg === 'allow' || intentArg === 'deny'
      ? intentArg
      : (
          await vscode.window.showQuickPick(INTENTS, {
            title: `MCP Guard: ${call.tool} (${call.decision})`,
            placeHolder: 'What should the policy do with calls like this?',
          })
        )?.intent;
  if (!intent) return undefined;

  const args = call.arguments ?? deps.hub.argumentsOf(call.tool, call.argsSha256);
  const choices = argumentChoices(args);
  let conditions = choices.filter((c) => options.conditions?.includes(c.path));
  if (options.conditions) {
    const missing = options.conditions.filter((p) => !choices.some((c) => c.path === p));
    if (missing.length > 0) return { ok: false, message: `The call has no argument ${missing.join(', ')} to use as a condition.` };
  } else if (choices.length > 0) {
    const picked = await vscode.window.showQuickPick(
      choices.map((c) => ({ label: c.label, choice: c })),
      {
        title: `${intent === 'allow' ? 'Allow' : 'Always deny'} calls to ${call.tool} like this one: which arguments must match?`,
        placeHolder: `Pick none to cover every call to ${call.tool}`,
        canPickMany: true,
      },
    );
    if (!picked) return undefined;
    conditions = picked.map((p) => p.choice);
  }
  let reason = options.reason;
  if (reason === undefined && intent === 'deny') {
    reason = await vscode.window.showInputBox({
      title: `Always deny ${call.tool}`,
      prompt: 'The reason the agent reads when this entry denies a call',
      value: `Denied after review of a ${call.decision} call on ${new Date().toISOString().slice(0, 10)}`,
      ignoreFocusOut: true,
    });
    if (reason === undefined) return undefined;
  }

  // A call of the demo server goes to the demo's policy, also after the demo was removed.
  const server =
    guardedServers(deps.context).servers.find((s) => s.name === call.server) ??
    (call.server === DEMO_NAME ? demoServer(process.execPath, demoFiles(deps.context)) : undefined);
  const policy = policyFor(deps.context, server).path;
  if (server?.demo ? ensureDemoPolicy(policy) : ensurePolicyFile(policy)) deps.log.info(`created the starter policy ${policy}`);
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(policy));
  const result = ruleFromCall(
    doc.getText(),
    {
      tool: call.tool,
      intent,
      ...(args ? { args } : {}),
      conditions: conditions.map((c) => ({ path: c.path, value: c.value })),
      ...(reason ? { reason } : {}),
    },
    deps.reportedTools(),
  );
  if (!result.ok) {
    const editor = await vscode.window.showTextDocument(doc);
    if (result.focus) {
      const range = new vscode.Range(
        result.focus.start.line,
        result.focus.start.character,
        result.focus.end.line,
        result.focus.end.character,
      );
      editor.selection = new vscode.Selection(range.start, range.end);
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
    void vscode.window.showWarningMessage(`MCP Guard: ${result.message}`);
    deps.log.warn(`rule from ${call.tool} (${intent}) not written: ${result.message}`);
    return { ok: false, message: result.message, policy };
  }
  // Applied as an edit of the open document, like a quick fix: unsaved (so running guards do not
  // see it yet) unless auto save is on, and undone with Undo either way.
  const edit = new vscode.WorkspaceEdit();
  for (const e of result.edits) {
    edit.replace(
      doc.uri,
      new vscode.Range(e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character),
      e.newText,
    );
  }
  if (!(await vscode.workspace.applyEdit(edit))) return { ok: false, message: 'VS Code did not apply the edit to the policy.', policy };
  const shown = await vscode.window.showTextDocument(doc);
  const focus = new vscode.Range(result.focus.start.line, result.focus.start.character, result.focus.end.line, result.focus.end.character);
  shown.selection = new vscode.Selection(focus.start, focus.end);
  shown.revealRange(focus, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  const autoSave = vscode.workspace.getConfiguration('files', doc.uri).get<string>('autoSave', 'off') !== 'off';
  const outcome = ruleOutcomeMessage({
    tool: call.tool,
    changes: result.changes,
    results: result.results,
    argumentsKnown: args !== undefined,
    autoSave,
  });
  deps.log.info(`rule from ${call.tool} (${intent}): ${result.changes.join('; ')}; ${result.summary}`);
  if (outcome.severity === 'warning') void vscode.window.showWarningMessage(outcome.text);
  else void vscode.window.showInformationMessage(outcome.text);
  return {
    ok: true,
    message: outcome.text,
    policy,
    changes: result.changes,
    summary: result.summary,
    failingTests: result.results.filter((r) => !r.passed).map((r) => r.name ?? `${r.call} (test ${r.index + 1})`),
  };
}
