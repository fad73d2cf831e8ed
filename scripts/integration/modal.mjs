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
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { CACHE, ROOT, isMain, log, onExitCleanup, runScenario } from './common.mjs';
import { auditToRule } from './audit-rule.mjs';
import { firstPage } from './cdp-smoke.mjs';
import { launch } from './launch.mjs';
import { STANDIN, makeWorkspace, readJournal } from './workspace.mjs';

export const DRIVER_DIR = join(ROOT, 'test', 'integration', 'driver');
export const DRIVER_ENTRY = join(DRIVER_DIR, 'out', 'driver.js');
/** Committed: the README shows it. Rewritten only when the dialog it shows passed its checks. */
// Test runs keep their pictures in .cache; MCP_GUARD_UPDATE_SCREENSHOTS=1 refreshes the README's.
const PICTURES = process.env.MCP_GUARD_UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'media') : CACHE;
export const SCREENSHOT = join(PICTURES, 'approval-dialog.png');
/** The audit view with its code lenses, and the policy after "Always deny" (README pictures too). */
export const AUDIT_SCREENSHOT = join(PICTURES, 'audit-view.png');
export const RULE_SCREENSHOT = join(PICTURES, 'audit-rule.png');
/** What the page looked like when something went wrong (not committed). */
export const FAILURE_SCREENSHOT = join(CACHE, 'modal-failure.png');

const VIEWPORT = { width: 1280, height: 800 };
const GUARD_TITLE = 'MCP Guard: allow cancel_async_task';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Bundles test/integration/driver/driver.ts to test/integration/driver/out/driver.js (gitignored). */
export async function buildDriver() {
  rmSync(join(DRIVER_DIR, 'out'), { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [join(DRIVER_DIR, 'driver.ts')],
    outfile: DRIVER_ENTRY,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    logLevel: 'warning',
    external: ['vscode'],
  });
}

export function readLines(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  // The last line may be half-written: only complete lines count.
  return text
    .split('\n')
    .slice(0, -1)
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

/**
 * What a scenario that went wrong prints, for the next person to see why: the page, the driver's
 * results, the events seen and the launch's diagnostics.
 */
export async function reportFailure({ page, screenshot, resultsFile, events, handle, width = 400 }) {
  if (page)
    await page.screenshot({ path: screenshot }).then(
      () => console.log(`    page at the failure: ${screenshot}`),
      () => {},
    );
  console.log(
    `    driver results:\n${
      readLines(resultsFile)
        .map((l) => `      ${JSON.stringify(l).slice(0, width)}`)
        .join('\n') || '      (none)'
    }`,
  );
  console.log(`    events: ${JSON.stringify(events).slice(0, 2000)}`);
  if (handle) console.log(handle.diagnostics().replace(/^/gm, '    '));
}

/** Ends a scenario, whatever happened: the browser, the editor it launched, its folder, its exit hook. */
export async function tearDown({ browser, handle, removeDir, unregister }) {
  await browser?.close().catch(() => {});
  await handle?.cleanup();
  removeDir();
  unregister();
}

/** The first dialog not yet answered by this script, read; undefined when none is showing. */
export async function openDialog(page) {
  return page.evaluate(() => {
    const box = [...document.querySelectorAll('.monaco-dialog-box')].find(
      (b) => !b.hasAttribute('data-mcp-guard-seen') && b.getClientRects().length > 0,
    );
    if (!box) return undefined;
    const id = `d${Date.now()}${Math.random().toString(16).slice(2, 8)}`;
    box.setAttribute('data-mcp-guard-seen', id);
    const text = (sel) => box.querySelector(sel)?.textContent?.trim() ?? '';
    return {
      id,
      title: text('.dialog-message-text'),
      detail: box.querySelector('.dialog-message-detail')?.innerText?.trim() ?? '',
      buttons: [...box.querySelectorAll('.dialog-buttons .monaco-button')].map((b) => b.textContent.trim()),
    };
  });
}

/** Clicks the dialog's button with exactly this text, and waits for that dialog to go. */
export async function clickButton(page, dialog, label) {
  const box = page.locator(`.monaco-dialog-box[data-mcp-guard-seen="${dialog.id}"]`);
  await box
    .locator('.dialog-buttons .monaco-button', { hasText: new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) })
    .first()
    .click({ timeout: 5000 });
  await box.waitFor({ state: 'detached', timeout: 10_000 });
}

/** A picture of the whole window with the dialog in front (the viewport is 1280x800). */
export async function photograph(page, path) {
  mkdirSync(join(path, '..'), { recursive: true });
  await page.mouse.move(0, VIEWPORT.height - 1); // no hover highlight on a button
  await page.waitForTimeout(300);
  await page.screenshot({ path, animations: 'disabled' });
}

/**
 * @param {object} [opts]
 * @param {number} [opts.timeoutMs]   bound for the whole scenario once the workbench is up (default 150 s)
 * @param {{title: string, ok: boolean}[]} [opts.checks]  filled with one entry per check (for counting)
 * @param {string} [opts.screenshot] where the picture of the first approval goes (default media/approval-dialog.png)
 * @returns {Promise<boolean>} true when every check passed
 */
export async function modalApproval({ timeoutMs = 150_000, checks = [], screenshot = SCREENSHOT } = {}) {
  const started = Date.now();
  const check = (title, ok, detail = '') => {
    checks.push({ title, ok: !!ok });
    console.log(`    ${ok ? '✔' : '✘'} ${title}${detail && !ok ? ` — ${detail}` : ''}`);
    return !!ok;
  };
  const dir = mkdtempSync(join(tmpdir(), 'mcp-guard-modal-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const unregister = onExitCleanup(removeDir);
  const resultsFile = join(dir, 'driver-results.jsonl');
  const events = []; // what happened, in order: dialogs seen and driver steps
  let handle;
  let browser;
  let page;
  console.log('\n  Modal approval (MCP Guard + test driver as development extensions, no tests; playwright-core over CDP)');
  try {
    if (!existsSync(STANDIN)) throw new Error(`${STANDIN} is missing: run node scripts/integration/run.mjs --modal`);
    await buildDriver();
    const workspace = makeWorkspace(dir, { forScreenshot: true });
    handle = await launch({
      withTests: false,
      workspace,
      extensionDevelopmentPath: [ROOT, DRIVER_DIR],
      env: { MCP_GUARD_INTEGRATION: '1', MCP_GUARD_DRIVER_RESULTS: resultsFile },
      windowSize: `${VIEWPORT.width},${VIEWPORT.height}`,
    });
    browser = await chromium.connectOverCDP(handle.cdpUrl, { timeout: 30_000 });
    page = await firstPage(browser);
    await page.setViewportSize(VIEWPORT);
    await page.waitForSelector('.monaco-workbench', { state: 'visible', timeout: 90_000 });
    const t0 = Date.now();
    const deadline = t0 + timeoutMs;
    const at = () => Date.now() - t0;

    let seenLines = 0;
    let taskId;
    let done;
    const seen = { guard: {}, vscode: {} }; // dialogs seen so far, per kind and tool
    const dialogTool = (kind, title) =>
      (kind === 'guard' ? /^MCP Guard: allow (\S+) on /.exec(title) : /^Run\s+`?([\w.-]+)`?/.exec(title))?.[1] ?? '?';
    const count = (kind, tool) => seen[kind][tool] ?? 0;
    for (;;) {
      for (const [name, child] of [
        ['code-server', handle.codeServer],
        ['chromium', handle.chromium],
      ]) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode})`);
      }
      // What the driver did since the last turn.
      const lines = readLines(resultsFile);
      for (const line of lines.slice(seenLines)) {
        seenLines++;
        events.push({ atMs: at(), kind: 'step', step: line.step });
        const tools = () => readJournal(workspace).map((j) => j.tool);
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
          case 'done':
            done = line;
            break;
        }
      }
      if (done) break;
      if (Date.now() > deadline) {
        const last = events.at(-1);
        throw new Error(
          `timed out after ${timeoutMs / 1000}s; last event: ${last ? JSON.stringify(last).slice(0, 300) : 'none (did the driver activate?)'}`,
        );
      }

      // A dialog waiting for the person?
      const dialog = await openDialog(page);
      if (!dialog) {
        await sleep(150);
        continue;
      }
      const kind = dialog.title.startsWith('MCP Guard: allow ') ? 'guard' : /^Run\b/.test(dialog.title) ? 'vscode' : 'other';
      const tool = dialogTool(kind, dialog.title);
      const n = ((seen[kind] ??= {})[tool] = count(kind, tool) + 1);
      const event = { atMs: at(), kind: 'dialog', who: kind, tool, n, title: dialog.title, detail: dialog.detail, buttons: dialog.buttons };
      events.push(event);
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
          await photograph(page, screenshot);
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
      event.clicked = answer;
      await clickButton(page, dialog, answer);
    }

    check('the driver ran to the end without an error', !done.error, done.error);
    check(
      'the guard asked twice for cancel_async_task and once for chatter_post',
      count('guard', 'cancel_async_task') === 2 && count('guard', 'chatter_post') === 1,
      JSON.stringify(seen.guard),
    );
    // How the two confirmations combine. VS Code asks "Run <tool>" before it sends the call, and
    // only for tools the server does not declare readOnlyHint: true; the guard asks when the call
    // reaches it, whatever the server declares and whatever VS Code's auto-approval says.
    const dialogs = events.filter((e) => e.kind === 'dialog');
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
    await auditToRule(page, check, (path) => photograph(page, path), {
      auditScreenshot: AUDIT_SCREENSHOT,
      ruleScreenshot: RULE_SCREENSHOT,
    });
  } catch (err) {
    check('modal approval scenario ran to the end', false, err.message.split('\n')[0]);
    await reportFailure({ page, screenshot: FAILURE_SCREENSHOT, resultsFile, events, handle, width: 400 });
  } finally {
    await tearDown({ browser, handle, removeDir, unregister });
  }
  log(`modal approval took ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return checks.length > 0 && checks.every((c) => c.ok);
}

if (isMain(import.meta.url)) runScenario(modalApproval);
