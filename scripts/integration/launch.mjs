// Starts code-server (VS Code server, Node 24) with the repo as the development extension and opens
// the workbench in headless Debian chromium, everything on 127.0.0.1 and in a fresh temp dir.
//
//   const h = await launch({ withTests: true, workspace, env });
//   ... h.url, h.cdpPort, h.cdpUrl, h.codeServer, h.chromium, h.tmpDir, h.logs ...
//   await h.cleanup();   // kills code-server and chromium (whole process groups), removes the temp dir
//
// withTests: true  -> the payload also carries extensionTestsPath (out/integration/index.js):
//                     the extension host runs the mocha suites and writes the results file.
// withTests: false -> only extensionDevelopmentPath: the extension is loaded as in a person's
//                     session; drive the page over CDP (playwright-core connectOverCDP(h.cdpUrl)).
// extensionDevelopmentPath may be an array: e.g. [repo, test/integration/driver] loads a test-only
// driver extension next to ours (scripts/integration/modal.mjs); see developmentFolder().
import { spawn } from 'node:child_process';
import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { CACHE, CHROMIUM, CODE_SERVER_ENTRY, NODE24_BIN, ROOT, killGroupSync, killTree, log, onExitCleanup } from './common.mjs';
import { isInstalled } from './install.mjs';

const HOST = '127.0.0.1';
// Not under dist-test/: `npm test`'s pretest (scripts/build.mjs --fixtures) wipes that folder, and a
// concurrent run would delete the bundle under a running extension host. out/ is gitignored.
export const TESTS_DIR = join(ROOT, 'out', 'integration');
export const TESTS_ENTRY = join(TESTS_DIR, 'index.js');

// Variables that would make code-server talk to another instance or take other settings.
const STRIPPED_ENV = [/^VSCODE_/, /^CS_/, /^CODE_SERVER_/, /^PORT$/, /^PASSWORD$/, /^HASHED_PASSWORD$/, /^GITHUB_TOKEN$/, /^ELECTRON_/];

/** Quiet, deterministic workbench: no welcome page, no trust prompt, no update or telemetry traffic. */
export const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  // AI features stay on: MCP servers and vscode.lm.tools live behind them.
  'chat.disableAIFeatures': false,
  'git.enabled': false,
  'window.dialogStyle': 'custom',
};

function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what, probe, { timeoutMs, everyMs = 200, abort }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = abort?.();
    if (why) throw new Error(`${what}: ${why}`);
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: timed out after ${timeoutMs / 1000}s`);
    await sleep(everyMs);
  }
}

async function httpOk(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

function exitReason(child, name) {
  if (child.exitCode !== null || child.signalCode !== null) return `${name} exited early (${child.exitCode ?? child.signalCode})`;
  return undefined;
}

function tail(path, lines = 40) {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function findFiles(dir, re, found = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) findFiles(p, re, found);
    else if (re.test(e.name)) found.push(p);
  }
  return found;
}

/**
 * @param {object} opts
 * @param {boolean} opts.withTests         load out/integration/index.js as extensionTestsPath
 * @param {string} [opts.workspace]        folder to open (default: an empty folder in the temp dir)
 * @param {Record<string,string>} [opts.env] extra environment for code-server and so the extension host
 *                                         (wins over the isolated HOME and XDG_* dirs)
 * @param {string|string[]} [opts.extensionDevelopmentPath] default: the repo root (the extension manifest);
 *                                         several folders load several development extensions (see
 *                                         developmentFolder())
 * @param {number} [opts.startTimeoutMs]   bound for code-server and chromium to come up (default 90 s)
 * @param {string} [opts.windowSize]       chromium window size (default 1440,900)
 * @param {string[]} [opts.codeServerArgs] extra code-server arguments (e.g. ['--log', 'trace'])
 * @param {boolean} [opts.openUrl]         chromium opens the workbench at once (default); false: it
 *                                         starts on about:blank and the CDP driver does page.goto(h.url)
 */
export async function launch({
  withTests,
  workspace,
  env = {},
  extensionDevelopmentPath = ROOT,
  startTimeoutMs = 90_000,
  windowSize = '1440,900',
  openUrl = true,
  codeServerArgs = [],
} = {}) {
  if (!isInstalled()) throw new Error('integration tools are not installed: run node scripts/integration/install.mjs');
  if (withTests && !existsSync(TESTS_ENTRY)) throw new Error(`${TESTS_ENTRY} is missing: build the integration tests first`);

  const tmpDir = mkdtempSync(join(tmpdir(), 'mcp-guard-integ-'));
  const dirs = {
    home: join(tmpDir, 'home'),
    config: join(tmpDir, 'xdg-config'),
    data: join(tmpDir, 'xdg-data'),
    cache: join(tmpDir, 'xdg-cache'),
    userData: join(tmpDir, 'user-data'),
    extensions: join(tmpDir, 'extensions'),
    chromiumProfile: join(tmpDir, 'chromium-profile'),
    tmp: join(tmpDir, 'tmp'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2) + '\n');
  if (!workspace) {
    workspace = join(tmpDir, 'workspace');
    mkdirSync(workspace, { recursive: true });
  }
  workspace = resolve(workspace);
  const logs = { codeServer: join(tmpDir, 'code-server.log'), chromium: join(tmpDir, 'chromium.log'), userData: dirs.userData };

  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !STRIPPED_ENV.some((re) => re.test(k))));
  const isolated = {
    // No extension gallery: code-server would otherwise query open-vsx.org (off-machine).
    EXTENSIONS_GALLERY: '{}',
    HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    // code-server's IPC sockets and what the extension host makes in os.tmpdir() (the guard's
    // bridge socket dir) are not removed when the process group is killed: keep them in the temp dir.
    TMPDIR: dirs.tmp,
  };

  const handle = {
    tmpDir,
    workspace,
    logs,
    port: 0,
    url: '',
    cdpPort: 0,
    cdpUrl: '',
    codeServer: undefined,
    chromium: undefined,
    /** True once code-server logged that the extension host process exited (the tests are over, or failed to load). */
    extensionHostExited() {
      try {
        return /Extension Host Process exited with code/.test(readFileSync(logs.codeServer, 'utf8'));
      } catch {
        return false;
      }
    },
    /** Tails of the code-server log and the extension host logs, for a failure report. */
    diagnostics() {
      const parts = [`--- code-server log (tail) ---\n${tail(logs.codeServer, 25)}`];
      for (const f of findFiles(join(dirs.userData, 'logs'), /(remoteexthost|exthost)\.log$/)) {
        parts.push(`--- ${f.slice(tmpDir.length + 1)} (tail) ---\n${tail(f, 25)}`);
      }
      return parts.join('\n');
    },
    /** Last resort, synchronous: also run on exit and on SIGINT/SIGTERM/SIGHUP of this process. */
    killSync() {
      killGroupSync(handle.chromium);
      killGroupSync(handle.codeServer);
      rmSync(tmpDir, { recursive: true, force: true });
      unregister();
    },
    /** Kills chromium and code-server (process groups), keeps a copy of the logs, removes the temp dir. */
    async cleanup({ keepLogs = true } = {}) {
      await killTree(handle.chromium);
      await killTree(handle.codeServer);
      if (keepLogs) saveLogs(handle);
      for (let i = 0; i < 5; i++) {
        try {
          rmSync(tmpDir, { recursive: true, force: true });
          break;
        } catch {
          await sleep(200);
        }
      }
      unregister();
    },
  };
  const unregister = onExitCleanup(() => handle.killSync());

  try {
    // code-server, run by Node 24 (absolute path: PATH stays as the caller had it, so what the
    // extension host spawns as `node` is the project's node).
    handle.port = await freePort();
    const csLog = createWriteStream(logs.codeServer);
    const csArgs = [
      CODE_SERVER_ENTRY,
      '--auth',
      'none',
      '--bind-addr',
      `${HOST}:${handle.port}`,
      '--user-data-dir',
      dirs.userData,
      '--extensions-dir',
      dirs.extensions,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      '--vscode-option',
      'enable-smoke-test-driver',
      ...codeServerArgs,
      workspace,
    ];
    handle.codeServer = spawn(join(NODE24_BIN, 'node'), csArgs, {
      cwd: workspace,
      env: { ...baseEnv, ...isolated, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    handle.codeServer.stdout.pipe(csLog, { end: false });
    handle.codeServer.stderr.pipe(csLog, { end: false });
    const base = `http://${HOST}:${handle.port}`;
    await waitUntil('code-server /healthz', () => httpOk(`${base}/healthz`), {
      timeoutMs: startTimeoutMs,
      abort: () => exitReason(handle.codeServer, 'code-server'),
    }).catch((err) => {
      throw new Error(`${err.message}\n--- code-server log ---\n${tail(logs.codeServer)}`);
    });

    // The payload is honoured by a built workbench only with enable-smoke-test-driver.
    const authority = `${HOST}:${handle.port}`;
    const remote = (p) => `vscode-remote://${authority}${resolve(p).split('/').map(encodeURIComponent).join('/')}`;
    const payload = [['extensionDevelopmentPath', remote(developmentFolder(extensionDevelopmentPath, tmpDir))]];
    if (withTests) payload.push(['extensionTestsPath', remote(TESTS_ENTRY)]);
    handle.url = `${base}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

    // Headless Debian chromium; DevTools on an ephemeral loopback port read back from the profile.
    const chLog = createWriteStream(logs.chromium);
    handle.chromium = spawn(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-default-apps',
        '--disable-extensions',
        '--no-first-run',
        '--no-default-browser-check',
        '--disable-dev-shm-usage',
        '--password-store=basic',
        '--use-mock-keychain',
        `--window-size=${windowSize}`,
        `--user-data-dir=${dirs.chromiumProfile}`,
        '--remote-debugging-address=127.0.0.1',
        '--remote-debugging-port=0',
        openUrl ? handle.url : 'about:blank',
      ],
      { env: { ...baseEnv, ...isolated }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    handle.chromium.stdout.pipe(chLog, { end: false });
    handle.chromium.stderr.pipe(chLog, { end: false });
    const activePort = join(dirs.chromiumProfile, 'DevToolsActivePort');
    handle.cdpPort = await waitUntil(
      'chromium DevTools port',
      () => {
        try {
          const port = Number(readFileSync(activePort, 'utf8').split('\n')[0]);
          return port > 0 ? port : undefined;
        } catch {
          return undefined;
        }
      },
      { timeoutMs: startTimeoutMs, abort: () => exitReason(handle.chromium, 'chromium') },
    ).catch((err) => {
      throw new Error(`${err.message}\n--- chromium log ---\n${tail(logs.chromium)}`);
    });
    handle.cdpUrl = `http://${HOST}:${handle.cdpPort}`;
    return handle;
  } catch (err) {
    await handle.cleanup();
    throw err;
  }
}

/**
 * The one folder the payload names. The web workbench keeps its payload in a Map
 * (BrowserWorkbenchEnvironmentService: `this.payload = new Map(payload)`), so of several
 * extensionDevelopmentPath entries only the last survives. But the server scans a development
 * folder without a package.json as a folder of extensions (scanOneOrMultipleExtensions): several
 * extensions are loaded from a folder of symlinks to them, made in the launch's temp dir.
 */
function developmentFolder(paths, tmpDir) {
  const list = (Array.isArray(paths) ? paths : [paths]).map((p) => resolve(p));
  if (list.length === 0) throw new Error('launch(): extensionDevelopmentPath is empty');
  if (list.length === 1) return list[0];
  const dir = join(tmpDir, 'development-extensions');
  mkdirSync(dir, { recursive: true });
  list.forEach((p, i) => {
    if (!existsSync(join(p, 'package.json'))) throw new Error(`launch(): ${p} has no package.json`);
    symlinkSync(p, join(dir, `${i}-${basename(p)}`), 'dir');
  });
  return dir;
}

/** Copies the logs of the last launch to .cache/integration/last-run/ (overwritten each run). */
function saveLogs(handle) {
  const dest = join(CACHE, 'last-run');
  try {
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    for (const f of [handle.logs.codeServer, handle.logs.chromium]) if (existsSync(f)) cpSync(f, join(dest, f.split('/').pop()));
    const vsLogs = join(handle.logs.userData, 'logs');
    if (existsSync(vsLogs)) cpSync(vsLogs, join(dest, 'vscode-logs'), { recursive: true });
  } catch (err) {
    log(`could not keep logs: ${err.message}`);
  }
}

export function lastRunLogs() {
  return join(CACHE, 'last-run');
}
