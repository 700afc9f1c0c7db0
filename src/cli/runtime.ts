import { loadSettings, type Settings } from '../shared/config/settings.js';
import { createLogger, type Logger } from '../shared/log.js';
import { type CliContext, processContext } from './context.js';
import { type RedisHandle, useOrStartRedis } from './local-redis.js';

export interface CliRuntime {
  settings: Settings;
  redis: RedisHandle;
  log: Logger;
  close(): Promise<void>;
}

/**
 * Settings and Redis for a command. Commands that must work on a bare machine (`query`, `demo`) may
 * start their own Redis when none answers and REDIS_URL was not given; the others need a real one.
 */
export async function openRuntime(options: {
  startRedisIfMissing: boolean;
  logLevel?: string;
  context?: CliContext;
}): Promise<CliRuntime> {
  const context = options.context ?? processContext();
  const loaded = loadSettings({ env: context.env });
  const explicit = !options.startRedisIfMissing || Boolean(context.env['REDIS_URL']);
  // A Cluster is never replaced by a local server: its nodes are named on purpose.
  const redis: RedisHandle = loaded.redis.cluster
    ? { url: loaded.redis.url, owned: false, stop: async () => {} }
    : await useOrStartRedis(loaded.redis.url, explicit);
  if (redis.owned)
    context.warn(`atlas: no Redis at ${loaded.redis.url}; started a temporary one at ${redis.url}`);
  const settings: Settings = { ...loaded, redis: { ...loaded.redis, url: redis.url } };
  const log = createLogger({
    level: context.env['ATLAS_LOG_LEVEL'] ? settings.log.level : (options.logLevel ?? 'warn'),
    redactPrompts: settings.log.redactPrompts,
  });
  return { settings, redis, log, close: () => redis.stop() };
}
