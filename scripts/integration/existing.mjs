// "Guard Existing Servers…", end to end, as a person whose .vscode/mcp.json runs the Odoo stand-in
// around the guard sees it: the workspace of the suites (the stand-in guarded as "Odoo (guarded)",
// whose policy here denies cancel_async_task) plus a .vscode/mcp.json that runs the same stand-in
// unguarded. MCP Guard and the test driver (test/integration/driver, scenario "existing") are loaded
// as development extensions WITHOUT tests, so VS Code shows its notifications and pickers:
//   1. MCP Guard warns: "Odoo in .vscode/mcp.json is not guarded: agents can call cancel_async_task
//      without the policy" (a notification, and the status bar);
//   2. the driver starts every server: two offer cancel_async_task, one guard runs (the bypass);
//   3. this script, the person, clicks the warning's "Guard Existing Servers…" and confirms the pick
//      (over CDP); the edits of .vscode/mcp.json and .vscode/settings.json arrive unsaved;
//   4. the driver saves them and starts the moved server: as many servers offer cancel_async_task as
//      guards run, and the call is denied on each, never reaching a stand-in.
//
// Run: node scripts/integration/run.mjs --existing   (installs and builds first)
//  or: node scripts/integration/existing.mjs          (after an install and a build of run.mjs)
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, isMain, runScenario } from './common.mjs';
import { VIEWPORT, driverScenario, notifications, photograph } from './driver-scenario.mjs';
import { STANDIN, journalPath, makeWorkspace, readJournalAt } from './workspace.mjs';

export const EXISTING_SCREENSHOT = join(CACHE, 'existing-pick.png');
export const EXISTING_FAILURE_SCREENSHOT = join(CACHE, 'existing-failure.png');

const WARNING = 'Odoo in .vscode/mcp.json is not guarded: agents can call cancel_async_task without the policy';
const DENY_REASON = 'Cancelling a background task is irreversible';

/** The suites' workspace, its policy denying cancel_async_task, and the same stand-in unguarded in .vscode/mcp.json. */
function existingWorkspace(dir) {
  const ws = makeWorkspace(dir);
  writeFileSync(
    join(ws, '.vscode', 'mcp-policy.yaml'),
    [
      'version: 1',
      'tools:',
      '  cancel_async_task:',
      '    action: deny',
      `    reason: ${DENY_REASON}`,
      '  health_check:',
      '    action: allow',
      '',
    ].join('\n'),
  );
  const unguardedJournal = join(dir, 'unguarded-journal.jsonl');
  writeFileSync(
    join(ws, '.vscode', 'mcp.json'),
    [
      '{',
      '  // Added by hand, before MCP Guard: the stand-in straight, no guard.',
      '  "servers": {',
      '    "Odoo": {',
      '      "type": "stdio",',
      `      "command": ${JSON.stringify(process.execPath)},`,
      `      "args": [${JSON.stringify(STANDIN)}],`,
      `      "env": { "STANDIN_JOURNAL": ${JSON.stringify(unguardedJournal)} },`,
      '    },',
      '  },',
      '}',
      '',
    ].join('\n'),
  );
  return { ws, unguardedJournal };
}

/** The open quick pick: its title and rows, with whether each is ticked. */
async function quickPick(page) {
  await page.locator('.quick-input-widget').first().waitFor({ state: 'visible', timeout: 15_000 });
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first().waitFor({ state: 'visible', timeout: 15_000 });
  return page.evaluate(() => {
    const widget = [...document.querySelectorAll('.quick-input-widget')].find((w) => w.getClientRects().length > 0);
    const rows = [...(widget?.querySelectorAll('.quick-input-list .monaco-list-row') ?? [])].map((r) => {
      const box = r.querySelector('input[type=checkbox]');
      const toggle = r.querySelector('[aria-checked]');
      const checked = box ? box.checked : (r.getAttribute('aria-checked') ?? toggle?.getAttribute('aria-checked')) === 'true';
      return { text: (r.textContent ?? '').trim().replace(/\s+/g, ' '), checked };
    });
    return { title: widget?.querySelector('.quick-input-title')?.textContent?.trim() ?? '', rows };
  });
}

/**
 * @param {object} [opts]
 * @param {number} [opts.timeoutMs]  bound for the whole scenario once the workbench is up (default 150 s)
 * @param {{title: string, ok: boolean}[]} [opts.checks]  filled with one entry per check (for counting)
 * @returns {Promise<boolean>} true when every check passed
 */
export async function guardExisting({ timeoutMs = 150_000, checks = [] } = {}) {
  let cancels = () => 0;
  let confirmNow = false;
  return driverScenario({
    title: 'Guard Existing Servers (an unguarded stand-in in .vscode/mcp.json next to the guarded one; playwright-core over CDP)',
    name: 'existing',
    timeoutMs,
    checks,
    failureScreenshot: EXISTING_FAILURE_SCREENSHOT,
    failureWidth: 600,
    workspace: (dir) => {
      if (!existsSync(STANDIN)) throw new Error(`${STANDIN} is missing: run node scripts/integration/run.mjs, which builds it`);
      const { ws, unguardedJournal } = existingWorkspace(dir);
      cancels = () =>
        [...readJournalAt(journalPath(ws)), ...readJournalAt(unguardedJournal)].filter((j) => j.tool === 'cancel_async_task').length;
      return ws;
    },
    onStep: (line, { check }) => {
      switch (line.step) {
        case 'flagged':
          check(
            'MCP Guard flags the stand-in in .vscode/mcp.json, in the words of the issue',
            line.guard?.unguarded?.[0] === WARNING,
            JSON.stringify(line.guard),
          );
          check('and only it (the guarded one is not flagged)', line.guard?.unguarded?.length === 1, JSON.stringify(line.guard?.unguarded));
          check('the status bar counts it', /\$\(warning\) 1 unguarded/.test(line.guard?.statusText ?? ''), line.guard?.statusText);
          break;
        case 'started':
          check(
            'before: two servers offer cancel_async_task while one guard runs (the bypass)',
            line.tools.length === 2 && line.guard?.guards === 1,
            JSON.stringify({ tools: line.tools, guards: line.guard?.guards }),
          );
          confirmNow = true;
          break;
        case 'edited': {
          const text = line.mcpJson ?? '';
          check(
            'the edits arrive unsaved: .vscode/mcp.json and .vscode/settings.json are dirty, the file on disk still has the server',
            line.dirty.some((p) => p.endsWith('mcp.json')) &&
              line.dirty.some((p) => p.endsWith('settings.json')) &&
              /"Odoo"/.test(line.mcpJsonOnDisk),
            JSON.stringify(line.dirty),
          );
          check(
            'the edited mcp.json has no server left and keeps its comment',
            !/"Odoo"/.test(text) && text.includes('// Added by hand, before MCP Guard'),
            text,
          );
          check(
            'the edited settings add "Odoo 2" with the same command and args, next to "Odoo"',
            /"name": "Odoo"/.test(line.settings) &&
              /"name": "Odoo 2"/.test(line.settings) &&
              line.settings.includes(JSON.stringify(STANDIN)),
            line.settings,
          );
          check('nothing changed for the agent before saving', line.tools.length === 2, JSON.stringify(line.tools));
          break;
        }
        case 'saved':
          // (saveAll's own answer is not checked: it says false now and then although every file was written.)
          check(
            'saving writes both files',
            line.dirty.length === 0 && !/"Odoo"/.test(line.mcpJsonOnDisk) && /"name": "Odoo 2"/.test(line.settingsOnDisk),
            JSON.stringify(line),
          );
          break;
        case 'after':
          check(
            'after saving: as many servers offer cancel_async_task as guards run (only guarded tools remain)',
            line.tools.length === 2 && line.guard?.guards === 2,
            JSON.stringify({ tools: line.tools, guards: line.guard?.guards, lastError: line.lastError }),
          );
          check(
            'and the warning is gone from the status bar',
            (line.guard?.unguarded ?? ['?']).length === 0 && !/unguarded/.test(line.guard?.statusText ?? ''),
            JSON.stringify(line.guard),
          );
          break;
        case 'denied':
          check(
            'cancel_async_task is denied by the policy on every server',
            line.outcomes.length === 2 && line.outcomes.every((o) => o.text.includes(DENY_REASON)),
            JSON.stringify(line.outcomes),
          );
          check('and never reached a stand-in', cancels() === 0, String(cancels()));
          break;
      }
    },
    // Once the servers started, the person answers the warning: its button, then the pick.
    onTurn: async (ctx) => {
      const { page, check, events } = ctx;
      if (!confirmNow) return false;
      confirmNow = false;
      const listed = await notifications(page);
      const warning = listed.find((t) => t.includes(WARNING));
      check('a notification shows the warning', !!warning, JSON.stringify(listed));
      const statusBar = await page.evaluate(() =>
        [...document.querySelectorAll('.statusbar-item')].map((i) => (i.textContent ?? '').trim()).find((t) => /unguarded/.test(t)),
      );
      check('the status bar shows "1 unguarded"', /1 unguarded/.test(statusBar ?? ''), String(statusBar));
      // The bell's "Hide Notifications" hover can lie over the button: move the pointer away first.
      await page.mouse.move(VIEWPORT.width / 2, VIEWPORT.height / 3);
      await page.waitForTimeout(500);
      await page
        .locator('.notifications-center .notification-list-item', { hasText: 'is not guarded' })
        .first()
        .locator('.monaco-button', { hasText: 'Guard Existing Servers…' })
        .first()
        .click({ timeout: 10_000 });
      events.push({ atMs: ctx.at(), kind: 'click', what: 'Guard Existing Servers…' });
      const pick = await quickPick(page);
      events.push({ atMs: ctx.at(), kind: 'pick', pick });
      check('its button opens "MCP Guard: Guard Existing Servers…"', pick.title.includes('MCP Guard: Guard Existing Servers…'), pick.title);
      check(
        'which offers the stand-in of .vscode/mcp.json, ticked',
        pick.rows.length === 1 &&
          pick.rows[0].text.includes('Odoo') &&
          pick.rows[0].text.includes('.vscode/mcp.json') &&
          pick.rows[0].checked,
        JSON.stringify(pick.rows),
      );
      await photograph(page, EXISTING_SCREENSHOT);
      const ok = page.locator('.quick-input-widget .quick-input-action .monaco-button', { hasText: /^\s*OK\s*$/ }).first();
      if (await ok.isVisible().catch(() => false)) await ok.click({ timeout: 5000 });
      else await page.keyboard.press('Enter');
      events.push({ atMs: ctx.at(), kind: 'click', what: 'OK' });
      return true;
    },
    onDialog: (dialog) => {
      // VS Code asks before it runs a server from mcp.json the first time: the person trusts their own file.
      const trust = /trust/i.test(dialog.title)
        ? dialog.buttons.find((b) => /trust|allow|yes|run/i.test(b) && !/don'?t|cancel/i.test(b))
        : undefined;
      if (!trust) throw new Error(`unexpected dialog: ${JSON.stringify(dialog)}`);
      return trust;
    },
    finish: () => console.log(`    picture: ${EXISTING_SCREENSHOT}`),
  });
}

if (isMain(import.meta.url)) runScenario(guardExisting);
