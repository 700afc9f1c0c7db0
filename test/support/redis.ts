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
