// The demo server, end to end, as a person who has just installed MCP Guard sees it: a workspace with
// nothing configured, MCP Guard and the test driver (test/integration/driver, scenario "demo") loaded
// as development extensions WITHOUT tests, so VS Code shows its dialogs. The driver plays the person
// at the palette and the agent:
//   1. "MCP Guard: Try the Demo Server": "Odoo demo (guarded)" is added, labelled as a demo;
//   2. VS Code starts it: its tools appear in vscode.lm.tools;
//   3. submit_async_task (allowed by the starter policy), then cancel_async_task: the guard's modal
//      names the demo server; this script, the person, clicks Deny over CDP. The call is refused,
//      the stand-in's journal shows it never ran, and the task is still running;
//   4. "MCP Guard: Remove the Demo Server": its tools leave vscode.lm.tools.
//
// Run: node scripts/integration/run.mjs --demo   (installs and builds first)
//  or: node scripts/integration/demo.mjs          (after an install and a build of run.mjs)
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, ROOT, isMain, runScenario } from './common.mjs';
import { driverScenario, notifications, photograph } from './driver-scenario.mjs';
import { readJournalAt } from './workspace.mjs';

/** The bundled stand-in the demo runs, as `npm run build` makes it. */
export const DEMO_SERVER = join(ROOT, 'dist', 'odoo-demo-server.js');
/** The demo's approval dialog (not committed: the README and the walkthrough show approval-dialog.png). */
export const DEMO_SCREENSHOT = join(CACHE, 'demo-dialog.png');
/** The walkthrough the demo's message opens (not committed either). */
export const WALKTHROUGH_SCREENSHOT = join(CACHE, 'walkthrough.png');
export const DEMO_FAILURE_SCREENSHOT = join(CACHE, 'demo-failure.png');

const GUARD_TITLE = 'MCP Guard: allow cancel_async_task on Odoo demo?';

/**
 * @param {object} [opts]
 * @param {number} [opts.timeoutMs]  bound for the whole scenario once the workbench is up (default 120 s)
 * @param {{title: string, ok: boolean}[]} [opts.checks]  filled with one entry per check (for counting)
 * @returns {Promise<boolean>} true when every check passed
 */
export async function demoServer({ timeoutMs = 120_000, checks = [] } = {}) {
  let added;
  let taskId;
  let guardDialogs = 0;
  const tools = () => (added ? readJournalAt(added.journal).map((j) => j.tool) : []);
  return driverScenario({
    title: 'The demo server (MCP Guard + test driver as development extensions, nothing configured; playwright-core over CDP)',
    name: 'demo',
    timeoutMs,
    checks,
    failureScreenshot: DEMO_FAILURE_SCREENSHOT,
    workspace: (dir) => {
      if (!existsSync(DEMO_SERVER)) throw new Error(`${DEMO_SERVER} is missing: run node scripts/build.mjs`);
      // Nothing configured: no settings, no policy, no credentials.
      const workspace = join(dir, 'workspace');
      mkdirSync(workspace, { recursive: true });
      return workspace;
    },
    onStep: (line, { check }) => {
      switch (line.step) {
        case 'demo-added': {
          added = line.added;
          check('"Try the Demo Server" adds "Odoo demo (guarded)"', added?.label === 'Odoo demo (guarded)', JSON.stringify(line));
          check('the state says the demo is on', line.guard?.demo === true, JSON.stringify(line.guard));
          check(
            'the status bar tooltip says it is a demo, not a real Odoo',
            /Demo server on: .*not a real Odoo/.test(line.guard?.statusTooltip ?? ''),
            line.guard?.statusTooltip,
          );
          break;
        }
        case 'started':
          check(
            'its tools appear in vscode.lm.tools',
            line.tools.length >= 40 && line.tools.some((n) => n.endsWith('_cancel_async_task')),
            `${line.tools.length}: ${line.tools.slice(0, 5).join(', ')}`,
          );
          console.log(`      (${line.tools.length} tools, e.g. ${line.tools[0]})`);
          break;
        case 'submitted':
          taskId = line.taskId;
          check('submit_async_task (allowed by the starter policy) started a task on the demo', !!taskId && !line.threw, line.text);
          break;
        case 'cancel':
          check('Deny: cancel_async_task answers "did not get approval"', /did not get approval/.test(line.text), line.text);
          check(
            "Deny: the stand-in's journal shows the call never executed",
            tools().includes('submit_async_task') && !tools().includes('cancel_async_task'),
            JSON.stringify(tools()),
          );
          check(
            'the decision is recorded for "Odoo demo": declined',
            line.guard?.lastDecision?.server === 'Odoo demo' && line.guard?.lastDecision?.decision === 'declined',
            JSON.stringify(line.guard?.lastDecision),
          );
          break;
        case 'status':
          check('Deny: the task is still running', /"status":\s*"running"/.test(line.text), line.text);
          break;
        case 'removed':
          check(
            '"Remove the Demo Server" takes its tools out of vscode.lm.tools',
            line.removed === true && line.left.length === 0,
            JSON.stringify(line),
          );
          check(
            'and the status bar no longer mentions it',
            line.guard?.demo === false && !/demo/i.test(line.guard?.statusTooltip ?? ''),
            JSON.stringify(line.guard),
          );
          break;
      }
    },
    onDialog: async (dialog, event, ctx) => {
      const { check } = ctx;
      const kind = dialog.title.startsWith('MCP Guard: allow ') ? 'guard' : /^Run\b/.test(dialog.title) ? 'vscode' : 'other';
      event.who = kind;
      let answer;
      if (kind === 'vscode') {
        // VS Code's own "Run <tool>" confirmation, for a tool the server does not declare read-only.
        answer = dialog.buttons.find((b) => b !== 'Cancel');
        if (!answer) throw new Error(`VS Code's confirmation has no button to go on: ${JSON.stringify(dialog)}`);
      } else if (kind === 'guard' && guardDialogs === 0) {
        guardDialogs++;
        const d = dialog.detail;
        check(`the guard's modal names the demo server: "${dialog.title}"`, dialog.title === GUARD_TITLE, dialog.title);
        check('its detail says Server: Odoo demo', d.includes('Server: Odoo demo'), d);
        check(
          'it asks by the starter rule, for the running task',
          d.includes('Rule: tools.cancel_async_task') && !!taskId && d.includes(`"task_id": "${taskId}"`),
          `task ${taskId}: ${d}`,
        );
        check(
          'it offers Deny and Allow once, no "Allow for this session" (critical)',
          dialog.buttons.includes('Deny') && dialog.buttons.includes('Allow once') && !dialog.buttons.includes('Allow for this session'),
          JSON.stringify(dialog.buttons),
        );
        await photograph(ctx.page, DEMO_SCREENSHOT);
        answer = 'Deny';
      } else {
        throw new Error(`unexpected dialog: ${JSON.stringify(dialog)}`);
      }
      return answer;
    },
    finish: async ({ page, check }) => {
      const listed = await notifications(page);
      const said = listed.find((t) => /Odoo demo \(guarded\)/.test(t) && /not a real one/.test(t) && /cancel that task/.test(t));
      check('a notification said what was added, that it is not a real Odoo, and what to ask the agent', !!said, JSON.stringify(listed));
      if (said) console.log(`      "${said.slice(0, 400)}"`);
      // Its "Open Walkthrough" button opens the getting-started walkthrough on its steps.
      await page
        .locator('.notifications-center .notification-list-item', { hasText: 'Odoo demo (guarded)" is now among' })
        .first()
        .locator('.monaco-button', { hasText: 'Open Walkthrough' })
        .first()
        .click({ timeout: 5000 });
      const walkthrough = await page
        .locator('.gettingStartedContainer', { hasText: 'Get Started with MCP Guard' })
        .first()
        .waitFor({ state: 'visible', timeout: 15_000 })
        .then(
          () => page.evaluate(() => document.querySelector('.gettingStartedContainer')?.innerText ?? ''),
          (e) => `not shown: ${e.message.split('\n')[0]}`,
        );
      const steps = ['See a blocked call', 'Read the audit log', 'Open the policy', 'Switch modes', 'Guard your own Odoo'];
      const where = steps.map((s) => walkthrough.indexOf(`\n${s}\n`));
      check(
        'its "Open Walkthrough" button opens "Get Started with MCP Guard", with its five steps in order',
        /Get Started with MCP Guard\n/.test(walkthrough) && where.every((i, n) => i > 0 && (n === 0 || i > where[n - 1])),
        JSON.stringify(walkthrough.slice(0, 1500)),
      );
      check(
        'its first step offers "Try the Demo Server" and says what to ask the agent',
        /\nTry the Demo Server\n/.test(walkthrough) && /then cancel that task/.test(walkthrough),
        JSON.stringify(walkthrough.slice(0, 1500)),
      );
      await photograph(page, WALKTHROUGH_SCREENSHOT);
      check('the guard asked exactly once', guardDialogs === 1, String(guardDialogs));
      console.log(`    pictures: ${DEMO_SCREENSHOT}, ${WALKTHROUGH_SCREENSHOT}`);
    },
  });
}

if (isMain(import.meta.url)) runScenario(demoServer);
