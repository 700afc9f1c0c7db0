import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createRedis, type Redis, type RedisTarget } from '../../src/shared/redis.js';

export { deletePrefix } from '../../src/shared/redis.js';

export function redisUrl(): string {
  return inject('redisUrl');
}

/** Node URLs of the run's Redis Cluster, when the run is on one (`ATLAS_TEST_CLUSTER=1`). */
export function redisCluster(): string[] | undefined {
  const nodes = inject('redisCluster');
  return nodes ? nodes.split(',') : undefined;
}

/** The run's Redis as settings name it: one server, or (`ATLAS_TEST_CLUSTER=1`) a Cluster. */
export function redisTarget(): RedisTarget & { cluster?: string[] } {
  const cluster = redisCluster();
  return cluster ? { url: redisUrl(), cluster } : { url: redisUrl() };
}

/**
 * A prefix no other test file uses, so tests never see each other's keys (or a shared Redis's); on a
 * Cluster it is a hash tag, as Atlas requires there.
 */
export function freshPrefix(label = 'test'): string {
  const prefix = `atlas-${label}-${randomUUID().slice(0, 8)}`;
  return redisCluster() ? `{${prefix}}` : prefix;
}

export function connect(): Redis {
  return createRedis(redisTarget());
}

/** Every value stored under a prefix, whatever the key's type: job data, failedReason, stacktrace, records, streams. */
export async function everyValue(redis: Redis, prefix: string): Promise<string[]> {
  const values: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      values.push(key);
      if (type === 'string') values.push((await redis.get(key)) ?? '');
      if (type === 'hash') values.push(...Object.entries(await redis.hgetall(key)).flat());
      if (type === 'list') values.push(...(await redis.lrange(key, 0, -1)));
      if (type === 'set') values.push(...(await redis.smembers(key)));
      if (type === 'zset') values.push(...(await redis.zrange(key, '0', '-1')));
      if (type === 'stream')
        values.push(...(await redis.xrange(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]));
    }
  } while (cursor !== '0');
  return values;
}
