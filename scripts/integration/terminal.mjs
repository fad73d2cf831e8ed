// An agent in VS Code's integrated terminal, end to end, as a person sees it: MCP Guard and the test driver
// (test/integration/driver, scenario "terminal") are loaded as development extensions WITHOUT tests, so
// VS Code shows its dialogs. The driver starts test/fixtures/terminal-agent.cjs in an integrated terminal:
// the agent runs `mcp-guard run` in front of the stand-in, which finds the bridge the extension handed the
// terminals, and calls cancel_async_task (the workspace policy asks). The guard's modal names the process
// that asked; this script, the person, clicks Allow once over CDP, and the call reaches the stand-in.
// (test/integration/suite/terminal-agent.test.ts covers the refusal: VS Code's test mode dismisses the dialog.)
//
// Run: node scripts/integration/run.mjs --terminal   (installs and builds first)
//  or: node scripts/integration/terminal.mjs          (after an install and a build of run.mjs)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, ROOT, isMain, runScenario } from './common.mjs';
import { driverScenario } from './driver-scenario.mjs';
import { makeWorkspace } from './workspace.mjs';

export const TERMINAL_FAILURE_SCREENSHOT = join(CACHE, 'terminal-failure.png');
const GUARD_TITLE = 'MCP Guard: allow cancel_async_task on terminal-odoo? (asked from a terminal)';

/**
 * @param {object} [opts]
 * @param {number} [opts.timeoutMs]  bound for the whole scenario once the workbench is up (default 120 s)
 * @param {{title: string, ok: boolean}[]} [opts.checks]  filled with one entry per check (for counting)
 * @returns {Promise<boolean>} true when every check passed
 */
export async function terminalAgent({ timeoutMs = 120_000, checks = [] } = {}) {
  let guardDialogs = 0;
  return driverScenario({
    title: 'A terminal agent (an agent in the integrated terminal runs mcp-guard run; playwright-core over CDP)',
    name: 'terminal',
    timeoutMs,
    checks,
    failureScreenshot: TERMINAL_FAILURE_SCREENSHOT,
    workspace: (dir) => {
      for (const f of ['dist/mcp-guard.js', 'dist/odoo-demo-server.js', 'test/fixtures/terminal-agent.cjs'])
        if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run node scripts/integration/run.mjs, which builds it`);
      return makeWorkspace(dir);
    },
    launchEnv: (dir) => ({ MCP_GUARD_DRIVER_SCRATCH: dir }),
    onStep: (line, { check }) => {
      if (line.step !== 'answered') return;
      const answer = line.answer ?? {};
      const text = JSON.stringify(answer);
      check('the agent got the bridge in its terminal', answer.bridgeEnv === true, text.slice(0, 400));
      check(
        'Allow once: its cancel_async_task was answered by the stand-in, not refused',
        answer.answer?.result !== undefined && !/did not get approval|blocked|denied/i.test(text),
        text.slice(0, 600),
      );
      const calls = (line.journal ?? '')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l).tool);
      check(
        "the stand-in's journal shows the allowed call ran once",
        calls.filter((t) => t === 'cancel_async_task').length === 1,
        JSON.stringify(calls),
      );
      check(
        'the status of MCP Guard recorded the approval for terminal-odoo',
        line.guard?.lastDecision?.tool === 'cancel_async_task' && line.guard?.lastDecision?.decision === 'approved',
        JSON.stringify(line.guard?.lastDecision),
      );
    },
    onDialog: (dialog, event, { check }) => {
      if (dialog.title.startsWith('MCP Guard: allow ') && guardDialogs === 0) {
        guardDialogs++;
        check(`the guard's modal says it was asked from a terminal: "${dialog.title}"`, dialog.title === GUARD_TITLE, dialog.title);
        check(
          'its detail names the process that asked',
          /^Asked by a process in an integrated terminal: .*terminal-agent\.cjs .*\(pid \d+\)/.test(dialog.detail),
          dialog.detail,
        );
        check('it names the rule', dialog.detail.includes('Rule: tools.cancel_async_task'), dialog.detail);
        return 'Allow once';
      }
      throw new Error(`unexpected dialog: ${JSON.stringify(dialog)}`);
    },
    finish: ({ check }) => {
      check('the guard asked exactly once', guardDialogs === 1, String(guardDialogs));
    },
  });
}

if (isMain(import.meta.url)) runScenario(terminalAgent);
