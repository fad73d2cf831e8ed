// What the CDP scenarios (modal.mjs, demo.mjs, existing.mjs) share. Each loads MCP Guard and the test
// driver (test/integration/driver) as development extensions WITHOUT tests, so VS Code shows its dialogs;
// the driver plays the agent (and the person at the palette) and writes one JSON line per step; this
// script plays the person over CDP (playwright-core on the headless Debian chromium launch() started),
// checking each step and answering each dialog.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { ROOT, log, onExitCleanup, readLines } from './common.mjs';
import { firstPage } from './cdp-smoke.mjs';
import { launch } from './launch.mjs';

export const DRIVER_DIR = join(ROOT, 'test', 'integration', 'driver');
export const DRIVER_ENTRY = join(DRIVER_DIR, 'out', 'driver.js');
export const VIEWPORT = { width: 1280, height: 800 };
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
 * The notifications, as the notification center lists them. (With enable-smoke-test-driver, which
 * the harness needs, VS Code shows no toasts: every notification goes only to the center.)
 */
export async function notifications(page) {
  const center = page.locator('.notifications-center');
  if (!(await center.isVisible().catch(() => false))) await page.locator('[id="status.notifications"]').first().click({ timeout: 5000 });
  const items = page.locator('.notifications-center .notification-list-item');
  await items.first().waitFor({ state: 'visible', timeout: 5000 });
  return page.evaluate(() =>
    [...document.querySelectorAll('.notifications-center .notification-list-item')].map((t) =>
      (t.getAttribute('aria-label') || t.textContent || '').trim().replace(/\s+/g, ' '),
    ),
  );
}

/**
 * What a scenario that went wrong prints, for the next person to see why: the page, the driver's
 * results, the events seen and the launch's diagnostics.
 */
async function reportFailure({ page, screenshot, resultsFile, events, handle, width }) {
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

/**
 * Runs one scenario: a fresh folder, the editor launched with the driver, then turns until the driver
 * says `done`: every new driver line goes to `onStep`; then `onTurn` may act on the page (true: it did,
 * look again); else a dialog showing goes to `onDialog`, whose answer is clicked. Ends with `finish`.
 *
 * @param {object} s
 * @param {string} s.title         what the scenario is, printed first and in the failure check
 * @param {string} s.name          short name: the folder prefix, the driver's MCP_GUARD_DRIVER_SCENARIO unless `driverScenario` is null
 * @param {string | null} [s.driverScenario]
 * @param {number} s.timeoutMs     bound for the turns once the workbench is up
 * @param {{title: string, ok: boolean}[]} s.checks  filled with one entry per check
 * @param {string} s.failureScreenshot
 * @param {number} [s.failureWidth] how much of each driver line a failure prints
 * @param {(dir: string) => string} s.workspace     makes the workspace folder in the scenario's folder
 * @param {(dir: string) => Record<string, string>} [s.launchEnv]  more environment for the editor (and so the driver)
 * @param {(line: object, ctx: object) => void | Promise<void>} s.onStep
 * @param {(ctx: object) => Promise<boolean>} [s.onTurn]
 * @param {(dialog: object, event: object, ctx: object) => string | Promise<string>} s.onDialog  throws on a dialog it does not expect
 * @param {(ctx: object) => void | Promise<void>} [s.finish]
 * @returns {Promise<boolean>} true when every check passed
 */
export async function driverScenario(s) {
  const started = Date.now();
  const checks = s.checks;
  const check = (title, ok, detail = '') => {
    checks.push({ title, ok: !!ok });
    console.log(`    ${ok ? '✔' : '✘'} ${title}${detail && !ok ? ` — ${detail}` : ''}`);
    return !!ok;
  };
  const dir = mkdtempSync(join(tmpdir(), `mcp-guard-${s.name}-`));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const unregister = onExitCleanup(removeDir);
  const resultsFile = join(dir, 'driver-results.jsonl');
  const events = []; // what happened, in order: driver steps, dialogs, clicks
  let handle;
  let browser;
  let page;
  console.log(`\n  ${s.title}`);
  try {
    await buildDriver();
    const workspace = s.workspace(dir);
    const scenario = s.driverScenario === undefined ? s.name : s.driverScenario;
    handle = await launch({
      withTests: false,
      workspace,
      extensionDevelopmentPath: [ROOT, DRIVER_DIR],
      env: {
        MCP_GUARD_INTEGRATION: '1',
        MCP_GUARD_DRIVER_RESULTS: resultsFile,
        ...(scenario !== null ? { MCP_GUARD_DRIVER_SCENARIO: scenario } : {}),
        ...s.launchEnv?.(dir),
      },
      windowSize: `${VIEWPORT.width},${VIEWPORT.height}`,
    });
    browser = await chromium.connectOverCDP(handle.cdpUrl, { timeout: 30_000 });
    page = await firstPage(browser);
    await page.setViewportSize(VIEWPORT);
    await page.waitForSelector('.monaco-workbench', { state: 'visible', timeout: 90_000 });
    const t0 = Date.now();
    const deadline = t0 + s.timeoutMs;
    const ctx = { page, check, events, dir, workspace, at: () => Date.now() - t0 };

    let seenLines = 0;
    let done;
    for (;;) {
      for (const [name, child] of [
        ['code-server', handle.codeServer],
        ['chromium', handle.chromium],
      ]) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode})`);
      }
      // What the driver did since the last turn.
      for (const line of readLines(resultsFile).slice(seenLines)) {
        seenLines++;
        events.push({ atMs: ctx.at(), kind: 'step', step: line.step });
        if (line.step === 'done') done = line;
        else await s.onStep(line, ctx);
      }
      if (done) break;
      if (Date.now() > deadline) {
        const last = events.at(-1);
        throw new Error(
          `timed out after ${s.timeoutMs / 1000}s; last event: ${last ? JSON.stringify(last).slice(0, 300) : 'none (did the driver activate?)'}`,
        );
      }
      if (s.onTurn && (await s.onTurn(ctx))) continue;
      // A dialog waiting for the person?
      const dialog = await openDialog(page);
      if (!dialog) {
        await sleep(150);
        continue;
      }
      const event = { atMs: ctx.at(), kind: 'dialog', title: dialog.title, detail: dialog.detail, buttons: dialog.buttons };
      events.push(event);
      const answer = await s.onDialog(dialog, event, ctx);
      event.clicked = answer;
      await clickButton(page, dialog, answer);
    }
    check('the driver ran to the end without an error', !done.error, done.error);
    await s.finish?.(ctx);
  } catch (err) {
    check(`${s.title.split(' (')[0].toLowerCase()} scenario ran to the end`, false, err.message.split('\n')[0]);
    await reportFailure({ page, screenshot: s.failureScreenshot, resultsFile, events, handle, width: s.failureWidth ?? 400 });
  } finally {
    await browser?.close().catch(() => {});
    await handle?.cleanup();
    removeDir();
    unregister();
  }
  log(`${s.name} took ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return checks.length > 0 && checks.every((c) => c.ok);
}
