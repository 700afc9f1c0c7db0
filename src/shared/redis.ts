import { Redis, type RedisOptions } from 'ioredis';

export type { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  /**
   * `blocking` connections (BullMQ workers, stream readers) must wait out a Redis restart rather than
   * fail their commands, so they retry every request forever; `command` connections fail fast.
   * @default 'command'
   */
  role?: 'command' | 'blocking';
  name?: string;
}

export function createRedis(url: string, options: RedisConnectionOptions = {}): Redis {
  const redisOptions: RedisOptions = {
    maxRetriesPerRequest: options.role === 'blocking' ? null : 3,
    enableReadyCheck: true,
    lazyConnect: false,
    ...(options.name ? { connectionName: options.name } : {}),
  };
  return new Redis(url, redisOptions);
}
