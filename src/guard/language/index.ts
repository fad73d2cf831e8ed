/**
 * The policy file language, as pure functions of (document text, position, tools): diagnostics,
 * hovers, completion, quick fixes and the starter policy. No `vscode` import: an editor adapter maps
 * these results to its own types (ranges are zero-based lines and characters, as in VS Code).
 *
 * - `analyzePolicy(text, previous?)` → `PolicyDocument` (parse once; pass the previous document
 *   of the same file to re-read only the entries that changed);
 * - `policyDiagnostics(documentOrText, tools?)` → `PolicyDiagnostic[]`;
 * - `policyHover(documentOrText, position, tools?)` → `PolicyHover | undefined`;
 * - `policyCompletions(documentOrText, position, tools?)` → `PolicyCompletionItem[]`;
 * - `policyCodeActions(documentOrText, range, tools?, diagnostics?)` → `PolicyCodeAction[]`;
 * - `starterPolicyFor(reportedTools?, serverLabel?)` → the commented starter policy text;
 * - `policyTestLens(documentOrText, tools?)` → `PolicyTestLens | undefined` (the code lens over `tests:`);
 *   `policyTestResults(documentOrText, tools?)` → the results of the file's `tests:`.
 *
 * `tools` is a `ToolIndex`, or the tool list the running guard last reported, or nothing (the
 * catalog alone). `base` (diagnostics, hovers, tests) is the organisation's base policy in force
 * under the file, parsed (`baseLayerFromText`): diagnostics then warn of entries it overrides,
 * hovers show the effective decision, and tests expect the decision of both layers.
 */
export { analyzePolicy, asDocument, entryAtLine, entryOutline, refAt, topOutline } from './analyze';
export type { EntryOutline, OutlineRef, PolicyDocument, TopOutline } from './analyze';
export { applyTextEdits, policyCodeActions } from './code-actions';
export type { PolicyCodeAction, TextEdit } from './code-actions';
export { policyCompletions } from './completion';
export type { CompletionKind, PolicyCompletionItem } from './completion';
export { cursorContext } from './context';
export type { CursorContext } from './context';
export { policyDiagnostics, validatePolicyText } from './diagnostics';
export { baseAlways, baseDecisionText, baseStricterDiagnostics } from './base-layer';
export { baseLayerFromText } from '../policy/base';
export type { BaseLayer, BaseLoad } from '../policy/base';
export { policyHover } from './hover';
export { policyTestAt, policyTestLens, policyTestMarkdown, policyTestResults } from './policy-tests';
export type { PolicyTestLens } from './policy-tests';
export { describeTestResult, runPolicyTests, runPolicyTestsOnText, summarizeTestResults } from '../policy/tests';
export type { PolicyTestResult, RunPolicyTestsOptions } from '../policy/tests';
export type { PolicyHover } from './hover';
export { ToolIndex, createToolIndex, toolIndexOf } from './tool-index';
export type { KnownTool, ReportedTool, ToolParameter, ToolSource } from './tool-index';
export { starterPolicy } from '../policy/starter';
export { starterPolicyFor, starterTools } from './starter';
export type { PolicyDiagnostic, Position, Range, Severity } from '../policy/diagnostics';
