/**
 * The entry of dist/mcp-guard-redis.js: shared rate limits in Redis, with the Redis client (ioredis) they
 * need. dist/mcp-guard.js and dist/mcp-guard-serve.js load it only when `--state` names Redis.
 */
export { RedisSharedLimits, type RedisLimitsOptions, type RedisTarget } from '../guard/state/redis-limits';
