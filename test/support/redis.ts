import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createRedis, type Redis } from '../../src/shared/redis.js';

export function redisUrl(): string {
  return inject('redisUrl');
}

/** A prefix no other test file uses, so tests never see each other's keys (or a shared Redis's). */
export function freshPrefix(label = 'test'): string {
  return `atlas-${label}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under a prefix. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

export function connect(): Redis {
  return createRedis(redisUrl());
}
