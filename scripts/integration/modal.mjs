// Modal approval, end to end, as a person sees it: MCP Guard and the test-only driver extension
// (test/integration/driver) are loaded as two development extensions WITHOUT tests, so VS Code
// shows its dialogs (under extensionTestsPath it refuses them). The driver plays the agent through
// vscode.lm.invokeTool (no chat request, toolInvocationToken undefined); this script is the person,
// over CDP (playwright-core on the headless Debian chromium that launch() started):
//   1. cancel_async_task (critical; the policy asks): the guard's modal is checked (tool, critical,
//      task id, rule), photographed to media/approval-dialog.png and answered Deny: the call is
//      refused and never reaches the server, the task keeps running.
//   2. cancel_async_task again: Allow once: the server cancels the task (one call in the journal).
//   3. chatter_post (high: approval by default): VS Code's own "Run `chatter_post`" confirmation is
//      answered Cancel: the call fails in VS Code and the guard is never asked.
//   4. chatter_post again: VS Code's confirmation accepted, the guard's denied: refused.
//   5. From the audit view, "Always deny" on that chatter_post (scripts/integration/audit-rule.mjs):
//      the code lenses, the questions and the policy edit, photographed to media/audit-view.png
//      and media/audit-rule.png.
//
// How the two confirmations combine (VS Code 1.139, LanguageModelToolsService.invokeTool): outside
// a chat request VS Code asks with a modal confirm dialog ("Run <tool>", detail = the tool's
// description, buttons Cancel / Yes) BEFORE it sends tools/call, and only when the tool is not
// declared readOnlyHint: true (or is auto-approved: chat.tools.global.autoApprove, a stored
// "always allow"). The guard asks AFTER, when the call reaches it, whatever the server declares and
// whatever VS Code auto-approves. Odoo's server declares cancel_async_task read-only, so there
// VS Code asks nothing and the guard's dialog is the only confirmation; for chatter_post both ask,
// VS Code's first. Cancelling VS Code's stops the call before the guard; accepting it never
// answers the guard's.
//
// Run: node scripts/integration/run.mjs --modal   (installs and builds first)
//  or: node scripts/integration/modal.mjs          (after an install and a build of run.mjs)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, ROOT, isMain, runScenario } from './common.mjs';
import { auditToRule } from './audit-rule.mjs';
import { driverScenario, photograph } from './driver-scenario.mjs';
import { STANDIN, makeWorkspace, readJournal } from './workspace.mjs';

/** Committed: the README shows it. Rewritten only when the dialog it shows passed its checks. */
// Test runs keep their pictures in .cache; MCP_GUARD_UPDATE_SCREENSHOTS=1 refreshes the README's.
const PICTURES = process.env.MCP_GUARD_UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'media') : CACHE;
export const SCREENSHOT = join(PICTURES, 'approval-dialog.png');
/** The audit view with its code lenses, and the policy after "Always deny" (README pictures too). */
export const AUDIT_SCREENSHOT = join(PICTURES, 'audit-view.png');
export const RULE_SCREENSHOT = join(PICTURES, 'audit-rule.png');
/** What the page looked like when something went wrong (not committed). */
export const FAILURE_SCREENSHOT = join(CACHE, 'modal-failure.png');

const GUARD_TITLE = 'MCP Guard: allow cancel_async_task';

/**
 * @param {object} [opts]
 * @param {number} [opts.timeoutMs]   bound for the whole scenario once the workbench is up (default 150 s)
 * @param {{title: string, ok: boolean}[]} [opts.checks]  filled with one entry per check (for counting)
 * @param {string} [opts.screenshot] where the picture of the first approval goes (default media/approval-dialog.png)
 * @returns {Promise<boolean>} true when every check passed
 */
export async function modalApproval({ timeoutMs = 150_000, checks = [], screenshot = SCREENSHOT } = {}) {
  let workspace;
  let taskId;
  const seen = { guard: {}, vscode: {} }; // dialogs seen so far, per kind and tool
  const dialogTool = (kind, title) =>
    (kind === 'guard' ? /^MCP Guard: allow (\S+) on /.exec(title) : /^Run\s+`?([\w.-]+)`?/.exec(title))?.[1] ?? '?';
  const count = (kind, tool) => seen[kind][tool] ?? 0;
  const tools = () => readJournal(workspace).map((j) => j.tool);
  return driverScenario({
    title: 'Modal approval (MCP Guard + test driver as development extensions, no tests; playwright-core over CDP)',
    name: 'modal',
    driverScenario: null,
    timeoutMs,
    checks,
    failureScreenshot: FAILURE_SCREENSHOT,
    workspace: (dir) => {
      if (!existsSync(STANDIN)) throw new Error(`${STANDIN} is missing: run node scripts/integration/run.mjs --modal`);
      workspace = makeWorkspace(dir, { forScreenshot: true });
      return workspace;
    },
    onStep: (line, { check }) => {
      switch (line.step) {
        case 'submitted':
          taskId = line.taskId;
          check('the driver submitted an async task through the guard', taskId && !line.threw, line.text);
          break;
        case 'cancel-1':
          check('Deny: the first cancel_async_task answers "did not get approval"', /did not get approval/.test(line.text), line.text);
          check(
            'Deny: the call never reached the server (no cancel_async_task in the journal)',
            !tools().includes('cancel_async_task'),
            JSON.stringify(tools()),
          );
          break;
        case 'status-1':
          check('Deny: the task is still running', /"status":\s*"running"/.test(line.text), line.text);
          break;
        case 'cancel-2':
          check(
            'Allow once: the second cancel_async_task succeeds',
            !line.threw && /"success":\s*true/.test(line.text) && /"status":\s*"cancelled"/.test(line.text),
            line.text,
          );
          break;
        case 'status-2':
          check('Allow once: the task is now cancelled', /"status":\s*"cancelled"/.test(line.text), line.text);
          check(
            'the journal has exactly one cancel_async_task (the allowed one)',
            tools().filter((t) => t === 'cancel_async_task').length === 1,
            JSON.stringify(tools()),
          );
          break;
        case 'post-1':
          check(
            "VS Code's confirmation cancelled: the call fails before the guard sees it",
            line.threw && /cancel/i.test(line.text) && count('guard', 'chatter_post') === 0,
            `${line.text}; guard dialogs for chatter_post: ${count('guard', 'chatter_post')}`,
          );
          break;
        case 'post-2':
          check(
            "VS Code's confirmation accepted, the guard's denied: the call is refused",
            /did not get approval/.test(line.text),
            line.text,
          );
          check('chatter_post never reached the server', !tools().includes('chatter_post'), JSON.stringify(tools()));
          break;
      }
    },
    onDialog: async (dialog, event, ctx) => {
      const { check } = ctx;
      const kind = dialog.title.startsWith('MCP Guard: allow ') ? 'guard' : /^Run\b/.test(dialog.title) ? 'vscode' : 'other';
      const tool = dialogTool(kind, dialog.title);
      const n = ((seen[kind] ??= {})[tool] = count(kind, tool) + 1);
      Object.assign(event, { who: kind, tool, n });
      let answer;
      if (kind === 'vscode') {
        // VS Code's own "Run <tool>" confirmation: yes, except the first time for chatter_post.
        const yes = dialog.buttons.find((b) => b !== 'Cancel');
        answer = tool === 'chatter_post' && n === 1 ? 'Cancel' : yes;
        if (!answer || !dialog.buttons.includes(answer))
          throw new Error(`VS Code's confirmation has no button "${answer}": ${JSON.stringify(dialog)}`);
      } else if (kind === 'guard' && tool === 'cancel_async_task' && n === 1) {
        check(`the guard's modal asks: "${dialog.title}"`, dialog.title.includes(GUARD_TITLE), dialog.title);
        const d = dialog.detail;
        const detailOk = [
          check('its detail names the tool', d.includes('Tool: cancel_async_task'), d),
          check('its detail says the risk is critical', /Risk: critical/.test(d), d),
          check('its detail shows the task id argument', !!taskId && d.includes(`"task_id": "${taskId}"`), `task ${taskId}: ${d}`),
          check('its detail names the rule tools.cancel_async_task', d.includes('Rule: tools.cancel_async_task'), d),
          check(
            'it offers Deny and Allow once, no "Allow for this session" (critical)',
            dialog.buttons.includes('Deny') && dialog.buttons.includes('Allow once') && !dialog.buttons.includes('Allow for this session'),
            JSON.stringify(dialog.buttons),
          ),
        ].every(Boolean);
        if (detailOk) {
          await photograph(ctx.page, screenshot);
          check('screenshot of the dialog saved', existsSync(screenshot), screenshot);
        }
        answer = 'Deny';
      } else if (kind === 'guard' && tool === 'cancel_async_task' && n === 2) {
        answer = 'Allow once';
      } else if (kind === 'guard' && tool === 'chatter_post' && n === 1) {
        check(
          'the guard asks for chatter_post (high risk: built-in approval, session allowance offered)',
          /Rule: risk\.high/.test(dialog.detail) && dialog.buttons.includes('Allow for this session'),
          `${dialog.detail} ${JSON.stringify(dialog.buttons)}`,
        );
        answer = 'Deny';
      } else {
        throw new Error(`unexpected dialog: ${JSON.stringify(dialog)}`);
      }
      return answer;
    },
    finish: async (ctx) => {
      const { check } = ctx;
      check(
        'the guard asked twice for cancel_async_task and once for chatter_post',
        count('guard', 'cancel_async_task') === 2 && count('guard', 'chatter_post') === 1,
        JSON.stringify(seen.guard),
      );
      // How the two confirmations combine. VS Code asks "Run <tool>" before it sends the call, and
      // only for tools the server does not declare readOnlyHint: true; the guard asks when the call
      // reaches it, whatever the server declares and whatever VS Code's auto-approval says.
      const dialogs = ctx.events.filter((e) => e.kind === 'dialog');
      check(
        "VS Code asked nothing for cancel_async_task (declared readOnlyHint: true upstream): the guard's dialog was the only one",
        count('vscode', 'cancel_async_task') === 0,
        JSON.stringify(seen.vscode),
      );
      const guardPost = dialogs.findIndex((e) => e.who === 'guard' && e.tool === 'chatter_post');
      check(
        "for chatter_post VS Code's confirmation came first, then the guard's",
        count('vscode', 'chatter_post') === 2 &&
          guardPost > 0 &&
          dialogs[guardPost - 1].who === 'vscode' &&
          dialogs[guardPost - 1].tool === 'chatter_post',
        dialogs.map((e) => `${e.who}:${e.tool}`).join(' '),
      );
      console.log('    dialogs, in order:');
      for (const e of dialogs)
        console.log(`      ${String(e.atMs).padStart(6)} ms  ${e.who.padEnd(6)} "${e.title}" [${e.buttons.join(' | ')}] -> ${e.clicked}`);
      const vs = dialogs.find((e) => e.who === 'vscode');
      if (vs) console.log(`    VS Code's own confirmation: "${vs.title}" / ${JSON.stringify(vs.detail.slice(0, 200))}`);

      // The audit log now holds blocked and approved calls: turn one into a rule, as a person would.
      await auditToRule(ctx.page, check, (path) => photograph(ctx.page, path), {
        auditScreenshot: AUDIT_SCREENSHOT,
        ruleScreenshot: RULE_SCREENSHOT,
      });
    },
  });
}

if (isMain(import.meta.url)) runScenario(modalApproval);
