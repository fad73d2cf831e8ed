// The policy language as a person sees it, photographed for the README: MCP Guard loaded as a
// development extension WITHOUT tests, the workbench driven over CDP (playwright-core on the
// headless Debian chromium that launch() started), a policy file with realistic mistakes opened
// through Quick Open (Ctrl+P), then:
//   1. the mouse rests on the tool key `execute_method`: the hover shows its category (Execute) and
//      risk (critical), photographed to media/policy-hover.png;
//   2. the Problems panel (Ctrl+Shift+M) lists the file's error and warnings, photographed to
//      media/policy-problems.png.
// The pictures are written only when every check passed (the committed ones stay otherwise).
//
// Run: node scripts/integration/run.mjs --screenshots   (installs and builds first)
//  or: node scripts/integration/screenshots.mjs          (after an install and a build of run.mjs)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { CACHE, ROOT, isMain, log, onExitCleanup, runScenario } from './common.mjs';
import { firstPage } from './cdp-smoke.mjs';
import { launch } from './launch.mjs';
import { makeWorkspace } from './workspace.mjs';

/** Committed: the README shows them. Rewritten only when the checks passed. */
// Test runs keep their pictures in .cache; MCP_GUARD_UPDATE_SCREENSHOTS=1 refreshes the README's.
const PICTURES = process.env.MCP_GUARD_UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'media') : CACHE;
export const HOVER_SCREENSHOT = join(PICTURES, 'policy-hover.png');
export const PROBLEMS_SCREENSHOT = join(PICTURES, 'policy-problems.png');
/** What the page looked like when something went wrong (not committed). */
export const FAILURE_SCREENSHOT = join(CACHE, 'screenshots-failure.png');

// Tall enough for the longest hover (execute_method: its classes by method, its parameters, this policy's decision).
const VIEWPORT = { width: 1280, height: 900 };
export const REVIEW_FILE = 'review.mcp-policy.yaml';
/**
 * Parseable YAML with schema and tool mistakes only (a YAML syntax error would hide the rest):
 * a misspelled action (error, did you mean), a misspelled tool (unknown tool, did you mean), allow on
 * a critical tool, and a condition on a parameter the tool does not have (did you mean).
 */
export const REVIEW_POLICY = [
  'version: 1',
  'default: allow',
  'tools:',
  '  cancel_async_task:',
  '    action: alow',
  '  search_recods:',
  '    rate_limit: { max: 10, window: 60 }',
  '  execute_method:',
  '    action: allow',
  '    when:',
  '      - { path: args.modle, op: in, value: [res.partner] }',
  '',
].join('\n');

/** What the Problems panel must list, by severity (the validator's messages, loosely). */
const EXPECTED_PROBLEMS = [
  { severity: 'error', what: 'the misspelled action "alow", with did you mean "allow"', re: /"alow".*did you mean "allow"/ },
  {
    severity: 'warning',
    what: 'the unknown tool "search_recods", with did you mean "search_records"',
    re: /Unknown tool "search_recods".*did you mean "search_records"/,
  },
  { severity: 'warning', what: 'allow on execute_method, a critical-risk tool', re: /allow lets execute_method through.*critical-risk/ },
  {
    severity: 'warning',
    what: 'the unknown parameter args.modle, with did you mean "args.model"',
    re: /args\.modle.*did you mean "args\.model"/,
  },
];

import { clearToasts, sleep, textRect, until } from './page-helpers.mjs';

/** Opens a workspace file through Quick Open (Ctrl+P, its name, Enter), retried if the keys were lost. */
async function quickOpen(page, name, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const tab = page.locator(`.tabs-container .tab[aria-label^="${name}"]`);
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(name);
      await page
        .locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: name })
        .first()
        .waitFor({ state: 'visible', timeout: 10_000 });
      await page.keyboard.press('Enter');
      await tab.first().waitFor({ state: 'visible', timeout: 10_000 });
      return attempt;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`Quick Open could not open ${name} (${attempt} attempts): ${err.message.split('\n')[0]}`, { cause: err });
      await sleep(1000);
    }
  }
}

/** The visible editor hover's text and box, or undefined. */
async function visibleHover(page) {
  return page.evaluate(() => {
    for (const h of document.querySelectorAll('.monaco-hover')) {
      const r = h.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || h.classList.contains('hidden')) continue;
      const style = getComputedStyle(h);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      const text = h.innerText.trim();
      if (text) return { text, box: { x: r.x, y: r.y, width: r.width, height: r.height } };
    }
    return undefined;
  });
}

/** Rows of the Problems panel: the markers (message, severity), file rows apart. */
async function problemRows(page) {
  return page.evaluate(() => {
    const rows = [...document.querySelectorAll('.markers-panel .monaco-list-row')];
    return rows.map((row) => {
      // Tree view: <div class="marker-icon error"><div class="codicon codicon-error">; table view:
      // <div class="marker-icon error codicon codicon-error">.
      const icon = row.querySelector('.marker-icon');
      const cls = icon ? [icon, ...icon.querySelectorAll('*')].map((e) => e.className).join(' ') : '';
      const has = (s) => new RegExp(`(^|\\s)(codicon-)?${s}(\\s|$)`).test(cls);
      const severity = !icon ? 'resource' : has('error') ? 'error' : has('warning') ? 'warning' : has('info') ? 'info' : `other (${cls})`;
      return {
        severity,
        text: (row.querySelector('.marker-message-details, .marker-message') ?? row).textContent.trim().replace(/\s+/g, ' '),
        aria: row.getAttribute('aria-label') ?? '',
      };
    });
  });
}

/** Whether a workbench part (`sidebar`, `auxiliarybar`, `panel`) is on screen. */
async function partShown(page, part) {
  return page.evaluate((part) => {
    const el = document.querySelector(`.monaco-workbench .part.${part}`);
    return !!el && getComputedStyle(el).display !== 'none' && el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().height > 0;
  }, part);
}

/** Hides a side bar with its toggle key (Ctrl+B, Ctrl+Alt+B), for a wider editor and panel. */
async function hidePart(page, part, key, timeoutMs = 5000) {
  for (let attempt = 0; attempt < 2 && (await partShown(page, part)); attempt++) {
    await page.keyboard.press(key);
    await until(`${part} hidden`, async () => !(await partShown(page, part)), timeoutMs).catch(() => {});
  }
  return !(await partShown(page, part));
}

/**
 * The editor hover opens at most max(editor height / 4, 250 px) tall and scrolls the rest; a person
 * drags its bottom edge to see it all, and so does this (the south sash of .monaco-resizable-hover).
 * Returns how many pixels stay hidden afterwards (0: all of it is shown).
 */
function hoverHiddenPx(page) {
  return page.evaluate(() => {
    const h = [...document.querySelectorAll('.monaco-resizable-hover .monaco-hover')].find((e) => e.getBoundingClientRect().height > 0);
    if (!h) return undefined;
    // The content scrolls inside a custom scrollable element (overflow hidden), not in .monaco-hover.
    const content = h.querySelector('.monaco-hover-content');
    const viewport = content?.parentElement ?? h;
    return Math.max(
      0,
      h.scrollHeight - h.clientHeight,
      content ? content.scrollHeight - viewport.clientHeight : 0,
      content ? content.scrollHeight - h.clientHeight : 0,
    );
  });
}

async function growHover(page, bottomLimit) {
  const before = await hoverHiddenPx(page);
  if (!before) return before;
  const sash = page.locator('.monaco-resizable-hover .monaco-sash.orthogonal-edge-south:not(.disabled)').first();
  const box = await sash.boundingBox({ timeout: 2000 }).catch(() => null);
  if (!box) return before;
  const x = box.x + box.width * 0.75;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y, { steps: 2 });
  await page.mouse.down();
  // Exactly as far as the content needs: the mouse is released on the new bottom edge, then rests
  // just inside the hover (leaving it, or clicking the editor, would close it; a new hover opens at
  // the default height again).
  const to = Math.min(y + before, bottomLimit);
  await page.mouse.move(x, to, { steps: 8 });
  await page.mouse.up();
  await page.mouse.move(x, to - 12, { steps: 2 });
  await sleep(300);
  return hoverHiddenPx(page);
}

/** Smallest box holding all of `boxes`, padded and kept inside the viewport. */
function clipAround(boxes, pad = 12) {
  const x0 = Math.max(0, Math.floor(Math.min(...boxes.map((b) => b.x)) - pad));
  const y0 = Math.max(0, Math.floor(Math.min(...boxes.map((b) => b.y)) - pad));
  const x1 = Math.min(VIEWPORT.width, Math.ceil(Math.max(...boxes.map((b) => b.x + b.width)) + pad));
  const y1 = Math.min(VIEWPORT.height, Math.ceil(Math.max(...boxes.map((b) => b.y + b.height)) + pad));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * @param {object} [opts]
 * @param {number} [opts.timeoutMs]  bound for the scenario once the workbench is up (default 120 s)
 * @param {{title: string, ok: boolean}[]} [opts.checks]  filled with one entry per check (for counting)
 * @param {string} [opts.hoverScreenshot]     default media/policy-hover.png
 * @param {string} [opts.problemsScreenshot]  default media/policy-problems.png
 * @returns {Promise<boolean>} true when every check passed (and the pictures were written)
 */
export async function policyScreenshots({
  timeoutMs = 120_000,
  checks = [],
  hoverScreenshot = HOVER_SCREENSHOT,
  problemsScreenshot = PROBLEMS_SCREENSHOT,
} = {}) {
  const started = Date.now();
  const check = (title, ok, detail = '') => {
    checks.push({ title, ok: !!ok });
    console.log(`    ${ok ? '✔' : '✘'} ${title}${detail && !ok ? ` — ${detail}` : ''}`);
    return !!ok;
  };
  const firstCheck = checks.length;
  const dir = mkdtempSync(join(tmpdir(), 'mcp-guard-shots-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const unregister = onExitCleanup(removeDir);
  const timings = [];
  let handle;
  let browser;
  let page;
  let pictures;
  console.log('\n  Policy language screenshots (MCP Guard as a development extension, no tests; playwright-core over CDP)');
  try {
    const workspace = makeWorkspace(dir, { forScreenshot: true });
    writeFileSync(join(workspace, REVIEW_FILE), REVIEW_POLICY);
    handle = await launch({
      withTests: false,
      workspace,
      env: { MCP_GUARD_INTEGRATION: '1' },
      windowSize: `${VIEWPORT.width},${VIEWPORT.height}`,
    });
    browser = await chromium.connectOverCDP(handle.cdpUrl, { timeout: 30_000 });
    page = await firstPage(browser);
    await page.setViewportSize(VIEWPORT);
    await page.waitForSelector('.monaco-workbench', { state: 'visible', timeout: 90_000 });
    await page.waitForSelector('.part.statusbar', { state: 'visible', timeout: 60_000 });
    const t0 = Date.now();
    const deadline = t0 + timeoutMs;
    const left = (capMs) => Math.max(1000, Math.min(capMs, deadline - Date.now()));
    const mark = (what) => timings.push([what, Date.now() - t0]);
    mark('workbench up');
    // The Explorer shows the workspace once the remote file system answers.
    await page
      .locator('.explorer-folders-view .monaco-list-row', { hasText: REVIEW_FILE })
      .first()
      .waitFor({ state: 'visible', timeout: left(60_000) });
    mark('explorer listed the file');

    // Room for the editor, the hover and the panel: no Chat view in the secondary side bar.
    if (!(await hidePart(page, 'auxiliarybar', 'Control+Alt+B'))) console.log('      (the secondary side bar stayed open)');

    // Open the file as a person would.
    const attempts = await quickOpen(page, REVIEW_FILE, left(45_000));
    mark(`opened through Quick Open${attempts > 1 ? ` (${attempts} attempts)` : ''}`);
    await until('the editor shows the policy', async () => (await textRect(page, 'search_recods')) !== undefined, left(15_000));
    // The cursor on the empty last line: no word highlight on `version` in the pictures.
    const editorBox = await page.locator('.editor-group-container .editor-container').first().boundingBox();
    const lastLine = await textRect(page, 'res.partner');
    if (editorBox && lastLine)
      await page.mouse.click(editorBox.x + editorBox.width - 120, Math.min(lastLine.y + 120, editorBox.y + editorBox.height - 20));
    const language = page.locator('[id="status.editor.mode"]');
    const languageText = await until(
      'the status bar names the language',
      async () => {
        const t = (
          (await language
            .first()
            .textContent({ timeout: 1000 })
            .catch(() => '')) ?? ''
        ).trim();
        return t.includes('MCP Guard Policy') ? t : undefined;
      },
      left(15_000),
    ).catch(
      async () =>
        `(${
          (
            (await language
              .first()
              .textContent({ timeout: 1000 })
              .catch(() => '')) ?? ''
          ).trim() || 'no language indicator'
        })`,
    );
    check('the file opened as "MCP Guard Policy" (status bar language indicator)', languageText.includes('MCP Guard Policy'), languageText);

    // Squiggles: the extension activated (onStartupFinished) and validated the file.
    const squiggles = await until(
      'squiggles',
      () =>
        page.evaluate(() => {
          const errors = document.querySelectorAll('.monaco-editor .squiggly-error').length;
          const warnings = document.querySelectorAll('.monaco-editor .squiggly-warning').length;
          return errors > 0 && warnings > 0 ? { errors, warnings } : undefined;
        }),
      left(60_000),
    ).catch(() => undefined);
    mark('squiggles drawn');
    check('squiggles in the editor: errors and warnings', squiggles, 'no .squiggly-error and .squiggly-warning together');
    if (squiggles) console.log(`      (${squiggles.errors} error and ${squiggles.warnings} warning squiggle decorations)`);

    // 1. The hover on the tool key execute_method.
    let hover;
    for (let attempt = 0; attempt < 4 && !hover; attempt++) {
      const r = await textRect(page, 'execute_method');
      if (!r) throw new Error('execute_method is not on screen');
      await page.mouse.move(r.x + r.width / 2 + 20, r.y - 40); // away, then onto the token
      await sleep(150);
      await page.mouse.move(r.x + r.width / 2 - 4 + attempt * 3, r.y + r.height / 2, { steps: 4 });
      hover = await until(
        'the hover',
        async () => {
          const h = await visibleHover(page);
          return h && /execute_method/.test(h.text) ? h : undefined;
        },
        left(8000),
      ).catch(() => undefined);
    }
    mark('hover shown');
    const hoverText = hover?.text ?? '';
    check('a hover appears over the tool key execute_method', hover, 'no visible .monaco-hover');
    // Its heading: "execute_method · Execute · critical risk" (the catalog's category and risk).
    const heading = hoverText.split('\n')[0] ?? '';
    check(
      'the hover names the category (Execute) and the risk (critical)',
      /\bExecute\b/.test(heading) && /\bcritical\b/.test(heading),
      JSON.stringify(hoverText.slice(0, 300)),
    );
    let hoverPng;
    if (hover) {
      await sleep(400); // the hover fades in
      const editor = await page.locator('.editor-group-container .editor-container').first().boundingBox();
      const bottom = editor ? editor.y + editor.height - 8 : VIEWPORT.height - 40;
      const grown = await growHover(page, bottom);
      await sleep(300);
      const shown = await visibleHover(page);
      const stillHidden = await hoverHiddenPx(page);
      check(
        'the whole hover is on screen (its bottom edge dragged down, nothing left to scroll)',
        shown && /execute_method/.test(shown.text) && /This policy/.test(shown.text) && stillHidden === 0,
        `hidden ${stillHidden} px (after the drag: ${grown}); hover ${shown ? 'shown' : 'gone'}`,
      );
      if (shown) {
        // The editor part (tabs, breadcrumbs, code) down to just below the hover.
        const part = (await page.locator('.part.editor').first().boundingBox()) ?? editor ?? shown.box;
        const clip = clipAround(
          [{ x: part.x, y: part.y, width: part.width, height: shown.box.y + shown.box.height - part.y }, shown.box],
          0,
        );
        clip.height = Math.min(VIEWPORT.height - clip.y, clip.height + 24);
        hoverPng = await page.screenshot({ clip, animations: 'disabled' });
        console.log(`      (hover picture: ${clip.width}x${clip.height} at ${clip.x},${clip.y})`);
      }
    }

    // 2. The Problems panel.
    await page.mouse.move(VIEWPORT.width - 40, 60);
    await page.keyboard.press('Escape');
    await until('the hover to go', async () => !(await visibleHover(page)), left(5000)).catch(() => {});
    const toasts = await clearToasts(page);
    if (toasts.length) console.log(`      (dismissed notifications: ${toasts.map((t) => JSON.stringify(t.slice(0, 120))).join(', ')})`);
    // The panel as wide as the window allows: the messages are long.
    if (!(await hidePart(page, 'sidebar', 'Control+B'))) console.log('      (the side bar stayed open)');
    await page.keyboard.press('Control+Shift+M');
    await page
      .locator('.markers-panel')
      .first()
      .waitFor({ state: 'visible', timeout: left(15_000) });
    await sleep(300);
    await page.keyboard.press('Escape'); // the list's focus and selection go (no light bulb in place of the first icon)
    mark('problems panel open');
    const matched = (rows) => EXPECTED_PROBLEMS.map((e) => rows.find((r) => r.severity === e.severity && e.re.test(r.text)));
    let rows = [];
    await until(
      'the expected problems',
      async () => {
        rows = await problemRows(page);
        return matched(rows).every(Boolean);
      },
      left(20_000),
    ).catch(() => {});
    mark('problems listed');
    const found = matched(rows);
    const markers = rows.filter((r) => r.severity !== 'resource');
    check(
      'the Problems panel lists the file with its markers',
      rows.some((r) => r.severity === 'resource' && r.text.includes(REVIEW_FILE)) && markers.length > 0,
      JSON.stringify(rows).slice(0, 600),
    );
    check(
      'at least one error and one warning',
      markers.some((r) => r.severity === 'error') && markers.some((r) => r.severity === 'warning'),
      JSON.stringify(markers.map((r) => r.severity)),
    );
    EXPECTED_PROBLEMS.forEach((e, i) =>
      check(`${e.severity}: ${e.what}`, found[i], JSON.stringify(markers.map((r) => `${r.severity}: ${r.text}`)).slice(0, 800)),
    );
    console.log('    problems, as listed:');
    for (const r of markers) console.log(`      ${r.severity.padEnd(7)} ${r.text.slice(0, 160)}`);
    await clearToasts(page);
    // Focus back in the editor (the list's selection goes grey), cursor on the empty last line,
    // and the mouse resting on empty editor space (no tooltip).
    const editorNow = await page.locator('.editor-group-container .editor-container').first().boundingBox();
    const lastNow = await textRect(page, 'res.partner');
    if (editorNow && lastNow) {
      const spot = { x: editorNow.x + editorNow.width - 160, y: Math.min(lastNow.y + 60, editorNow.y + editorNow.height - 12) };
      await page.mouse.click(spot.x, spot.y);
    }
    await sleep(600);
    const problemsPng = await page.screenshot({ animations: 'disabled' });
    pictures = { hoverPng, problemsPng };
  } catch (err) {
    check('policy screenshots scenario ran to the end', false, err.message.split('\n')[0]);
    if (page)
      await page.screenshot({ path: FAILURE_SCREENSHOT }).then(
        () => console.log(`    page at the failure: ${FAILURE_SCREENSHOT}`),
        () => {},
      );
    if (handle) console.log(handle.diagnostics().replace(/^/gm, '    '));
  } finally {
    await browser?.close().catch(() => {});
    await handle?.cleanup();
    removeDir();
    unregister();
  }
  const mine = checks.slice(firstCheck);
  const ok = mine.length > 0 && mine.every((c) => c.ok);
  if (ok && pictures?.hoverPng && pictures?.problemsPng) {
    for (const [path, png] of [
      [hoverScreenshot, pictures.hoverPng],
      [problemsScreenshot, pictures.problemsPng],
    ]) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, png);
    }
    console.log(`    pictures written: ${[hoverScreenshot, problemsScreenshot].map((p) => p.replace(`${ROOT}/`, '')).join(', ')}`);
  } else {
    console.log('    pictures NOT written (a check failed)');
  }
  console.log(`    timings (ms after the workbench came up): ${timings.map(([w, ms]) => `${w} ${ms}`).join('; ')}`);
  log(`policy screenshots took ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return ok && !!pictures;
}

if (isMain(import.meta.url)) runScenario(policyScreenshots);
