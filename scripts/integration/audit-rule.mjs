// "From a blocked call to a rule", as a person does it, over CDP, after the modal scenario has left
// blocked and approved calls in the audit log: the palette's Show Audit Log → All decisions; the
// code lenses "Allow calls like this" / "Always deny" over blocked and approved rows (photographed);
// a click on "Always deny" over the newest row (chatter_post, denied in the guard's dialog); the
// arguments quick pick (args.model ticked) and the reason box; then the policy editor with the
// new entry and its test, and the message with the tests' outcome (photographed).
import { clearToasts, sleep, textRect, until } from './page-helpers.mjs';

const REASON = 'No chatter posts from agents';

/** Runs a palette command by its title (F1, the title, Enter), retried if the keys were lost. */
async function runCommand(page, title, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (;;) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${title}`);
      await page
        .locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title })
        .first()
        .waitFor({ state: 'visible', timeout: 5000 });
      await page.keyboard.press('Enter');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the palette did not run "${title}": ${err.message.split('\n')[0]}`, { cause: err });
      await sleep(500);
    }
  }
}

/** The quick input's title, once one with `text` in it is open. */
async function quickInput(page, text, timeoutMs = 15_000) {
  return until(
    `a quick input about "${text}"`,
    () =>
      page.evaluate((text) => {
        const w = document.querySelector('.quick-input-widget');
        if (!w || getComputedStyle(w).display === 'none') return undefined;
        const title = w.querySelector('.quick-input-title')?.textContent ?? '';
        return title.includes(text) ? title : undefined;
      }, text),
    timeoutMs,
  );
}

/**
 * @param {import('playwright-core').Page} page  the workbench, with the audit log of the modal scenario
 * @param {(title: string, ok: unknown, detail?: string) => boolean} check
 * @param {(path: string) => Promise<void>} photograph
 * @param {{ auditScreenshot: string, ruleScreenshot: string }} pictures
 */
export async function auditToRule(page, check, photograph, { auditScreenshot, ruleScreenshot }) {
  await clearToasts(page);
  await runCommand(page, 'MCP Guard: Show Audit Log');
  await quickInput(page, 'Show Audit Log');
  await page.keyboard.press('Enter'); // "All decisions", the first item
  const deny = page.locator('.codelens-decoration a', { hasText: 'Always deny' });
  await deny.first().waitFor({ state: 'visible', timeout: 20_000 });
  const titles = await page.locator('.codelens-decoration a').allInnerTexts();
  check(
    'the audit view shows "Allow calls like this" and "Always deny" over the blocked and approved calls',
    titles.filter((t) => t.includes('Allow calls like this')).length >= 2 && titles.filter((t) => t.includes('Always deny')).length >= 2,
    JSON.stringify(titles),
  );
  await photograph(auditScreenshot);

  // The newest row is the chatter_post the guard's dialog denied.
  await deny.first().click();
  const pickTitle = await quickInput(page, 'which arguments must match');
  check('"Always deny" asks which arguments of the call must match', pickTitle.includes('chatter_post'), pickTitle);
  const model = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'args.model' }).first();
  await model.waitFor({ state: 'visible', timeout: 5000 });
  // A click on a row of a multi-select quick pick ticks it; OK accepts the ticked ones.
  await model.click();
  const count = await until(
    'one argument ticked',
    () => page.evaluate(() => document.querySelector('.quick-input-widget .quick-input-count')?.textContent?.includes('1') || undefined),
    5000,
  ).catch(() => false);
  check('the argument args.model can be ticked', count);
  await page.locator('.quick-input-widget .quick-input-action', { hasText: 'OK' }).first().click();
  await quickInput(page, 'Always deny chatter_post');
  await page.locator('.quick-input-widget .quick-input-box input').fill(REASON);
  await page.keyboard.press('Enter');

  // Headless, VS Code files the message in the notification centre without a toast: open it there.
  const opened = await until(
    'the policy editor with the edit',
    () => page.evaluate(() => !!document.querySelector('.tabs-container .tab.active[aria-label*="mcp-policy.yaml"]')),
    10_000,
  ).catch(() => false);
  await runCommand(page, 'Notifications: Show Notifications');
  const notices = () =>
    page.evaluate(() =>
      [...document.querySelectorAll('.notifications-center .notification-list-item, .notifications-toasts .notification-toast')].map((t) =>
        t.textContent.replace(/\s+/g, ' '),
      ),
    );
  const toast = await until(
    'the message after the edit',
    async () => (await notices()).find((t) => t.includes('MCP Guard:') && t.includes('Policy tests')),
    10_000,
  ).catch(async (e) => {
    throw new Error(`${e.message}; notifications: ${JSON.stringify(await notices())}`);
  });
  // (code-server turns auto save on by default, and the message says so)
  check(
    'the message says what was added, how it takes effect, and that the policy tests pass',
    /Added entry "chatter_post": deny when args\.model = "res\.partner"/.test(toast) &&
      /(save the policy to apply it|Auto save writes it)/.test(toast) &&
      /Policy tests: 1 test passes/.test(toast),
    toast,
  );
  check('the policy is open in the editor with the edit', opened);
  const shown = await until(
    'the new entry on screen',
    async () => ((await textRect(page, 'chatter_post')) && (await textRect(page, 'agents')) ? true : undefined),
    10_000,
  ).catch(() => false);
  check('the editor shows the new chatter_post entry with its reason', shown);
  await photograph(ruleScreenshot);
}
