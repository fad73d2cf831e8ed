// CDP mode smoke: the extension loaded as a development extension WITHOUT tests, and the workbench
// page driven by playwright-core over CDP (connectOverCDP to the headless Debian chromium that
// launch() started; no downloaded browser). Checks that the workbench renders as an Extension
// Development Host, that the page asked nothing off-machine, and saves a screenshot to
// .cache/integration/workbench.png.
//
// Run: node scripts/integration/run.mjs --cdp-smoke   (installs and builds first)
//  or: node scripts/integration/cdp-smoke.mjs         (after an install and a build)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CACHE, ROOT, isMain, log } from './common.mjs';
import { launch } from './launch.mjs';

export const SCREENSHOT = join(CACHE, 'workbench.png');

/** The first page of the CDP-connected browser (the one launch() opened), waited for. */
export async function firstPage(browser, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = browser.contexts().flatMap((c) => c.pages())[0];
    if (page) return page;
    if (Date.now() > deadline) throw new Error(`no page in the browser after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** @returns {Promise<boolean>} true when every check passed */
export async function cdpSmoke({ timeoutMs = 90_000 } = {}) {
  const started = Date.now();
  const checks = [];
  const check = (title, ok, detail = '') => {
    checks.push({ title, ok });
    console.log(`    ${ok ? '✔' : '✘'} ${title}${detail ? ` — ${detail}` : ''}`);
  };
  let handle;
  let browser;
  try {
    // about:blank first, so every request of the workbench is seen.
    handle = await launch({ withTests: false, openUrl: false, env: { MCP_GUARD_INTEGRATION: '1' } });
    browser = await chromium.connectOverCDP(handle.cdpUrl, { timeout: 30_000 });
    const page = await firstPage(browser);
    const offMachine = new Set();
    page.context().on('request', (req) => {
      const url = req.url();
      if (/^(https?|wss?):/.test(url) && !/^(https?|wss?):\/\/(127\.0\.0\.1|localhost)[:/]/.test(url)) offMachine.add(url);
    });
    await page.goto(handle.url, { timeout: timeoutMs });

    console.log('\n  CDP mode (extensionDevelopmentPath only, playwright-core over CDP)');
    await page.waitForSelector('.monaco-workbench', { state: 'visible', timeout: timeoutMs });
    // The status bar and activity bar come up once the remote connection and extensions are in.
    await page.waitForSelector('.part.statusbar', { state: 'visible', timeout: timeoutMs });
    await page.waitForTimeout(2000); // let the first layout settle before the picture
    check('workbench rendered (.monaco-workbench)', true);
    const csLog = readFileSync(handle.logs.codeServer, 'utf8');
    check('code-server loaded the development extension', csLog.includes(`Loading development extension at ${ROOT}`));
    const title = await page.title();
    check('window is an Extension Development Host', title.includes('Extension Development Host'), JSON.stringify(title));
    await page.screenshot({ path: SCREENSHOT });
    check('screenshot saved', true, SCREENSHOT);
    check('page requested nothing off-machine', offMachine.size === 0, [...offMachine].slice(0, 5).join(' '));
  } catch (err) {
    check('CDP smoke ran to the end', false, err.message.split('\n')[0]);
  } finally {
    await browser?.close().catch(() => {});
    await handle?.cleanup();
  }
  log(`CDP smoke took ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return checks.every((c) => c.ok);
}

if (isMain(import.meta.url)) {
  cdpSmoke().then(
    (ok) => {
      console.log(`${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed`);
      process.exit(ok ? 0 : 1);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
