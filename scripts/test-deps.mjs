// What the unit and end-to-end suites need beyond node_modules, installed when missing (as
// scripts/integration/install.mjs does for the editor tests): Debian's redis-server, which the tests of
// shared rate limits (test/support/redis.ts) and `npm run bench` start on a free loopback port of their own.
// Usage: node scripts/test-deps.mjs   (exits 1 with what to run when it cannot install)
import { spawnSync } from 'node:child_process';
import { isMain, run } from './integration/common.mjs';

const MIN = 60_000;
export const REDIS_SERVER = process.env.MCP_GUARD_REDIS_SERVER || 'redis-server';

function redisVersion() {
  const r = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Installs the Debian package redis-server with apt-get when `redis-server` is not on PATH; throws with what to do when it cannot. */
export async function ensureRedisServer() {
  const found = redisVersion();
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0)
    throw new Error(
      `redis-server is not installed, and the tests of shared rate limits need it: run sudo apt-get install -y redis-server ` +
        `(or set MCP_GUARD_REDIS_SERVER to a redis-server binary)`,
    );
  console.log('[test] apt-get install redis-server (the tests of shared rate limits start their own)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update'], { timeoutMs: 10 * MIN, env, quiet: true });
    await run('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], { timeoutMs: 10 * MIN, env, quiet: true });
  } catch (e) {
    throw new Error(`could not install redis-server with apt-get (${e.message}); run sudo apt-get install -y redis-server`, { cause: e });
  }
  const installed = redisVersion();
  if (installed === undefined) throw new Error('apt-get installed redis-server, but redis-server --version still fails');
  return installed;
}

if (isMain(import.meta.url)) {
  ensureRedisServer().then(
    (version) => console.log(`[test] ${version}`),
    (e) => {
      console.error(`[test] ${e.message}`);
      process.exit(1);
    },
  );
}
