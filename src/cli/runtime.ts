import { loadSettings, type Settings } from '../shared/config.js';
import { createLogger, type Logger } from '../shared/log.js';
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
}): Promise<CliRuntime> {
  const loaded = loadSettings();
  const explicit = !options.startRedisIfMissing || Boolean(process.env['REDIS_URL']);
  const redis = await useOrStartRedis(loaded.redisUrl, explicit);
  if (redis.owned)
    console.error(`atlas: no Redis at ${loaded.redisUrl}; started a temporary one at ${redis.url}`);
  const settings: Settings = { ...loaded, redisUrl: redis.url };
  const log = createLogger({
    level: process.env['ATLAS_LOG_LEVEL'] ? settings.logLevel : (options.logLevel ?? 'warn'),
    redactPrompts: settings.redactPrompts,
  });
  return { settings, redis, log, close: () => redis.stop() };
}
