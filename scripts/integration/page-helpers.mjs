// Small helpers for driving the workbench page over CDP, shared by the editor-test scripts.

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` (async) until it returns a truthy value; throws `what` after timeoutMs. */
export async function until(what, probe, timeoutMs, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs / 1000}s`);
    await sleep(everyMs);
  }
}

/** The screen rectangle of the first occurrence of `text` in the editor's rendered lines. */
export async function textRect(page, text) {
  return page.evaluate((text) => {
    for (const line of document.querySelectorAll('.monaco-editor .view-lines .view-line')) {
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.textContent.indexOf(text);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + text.length);
        const r = range.getBoundingClientRect();
        if (r.width > 0) return { x: r.x, y: r.y, width: r.width, height: r.height };
      }
    }
    return undefined;
  }, text);
}

/** Toasts (e.g. a notice from an extension) would cover the Problems panel: dismiss them. */
export async function clearToasts(page) {
  const toasts = await page.evaluate(() =>
    [...document.querySelectorAll('.notifications-toasts .notification-toast')]
      .filter((t) => t.getClientRects().length > 0)
      .map((t) => t.innerText.trim().replace(/\s+/g, ' ')),
  );
  if (toasts.length === 0) return [];
  for (let i = 0; i < 5; i++) {
    const close = page.locator('.notifications-toasts .notification-toast .codicon-notifications-clear').first();
    if ((await close.count()) === 0) break;
    await close.click({ timeout: 2000 }).catch(() => {});
    await sleep(200);
  }
  return toasts;
}
