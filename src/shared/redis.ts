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
  return quiet(new Redis(url, redisOptions));
}

/**
 * ioredis reconnects by itself; without an `error` listener it would also print every failed attempt
 * (`[ioredis] Unhandled error event`). A `duplicate()` (ours, or one BullMQ makes) starts with no
 * listener, so duplicates are made quiet too. Whoever cares about an outage listens on top of this.
 */
function quiet(redis: Redis): Redis {
  redis.on('error', () => undefined);
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = (override) => quiet(duplicate(override));
  return redis;
}

/** Deletes every key under a prefix (a demo's or a test's), in batches. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}
