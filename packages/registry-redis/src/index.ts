export {
  RedisServiceRegistry,
  DEFAULT_REDIS_URL,
  DEFAULT_TTL_MS,
  MIN_TTL_MS,
  DEFAULT_KEY_PREFIX,
} from './redis-registry.js';
export type { RedisServiceRegistryOptions, LeaseLossReason } from './redis-registry.js';
