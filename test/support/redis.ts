import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createRedis, type Redis } from '../../src/shared/redis.js';

export { deletePrefix } from '../../src/shared/redis.js';

export function redisUrl(): string {
  return inject('redisUrl');
}

/** A prefix no other test file uses, so tests never see each other's keys (or a shared Redis's). */
export function freshPrefix(label = 'test'): string {
  return `atlas-${label}-${randomUUID().slice(0, 8)}`;
}

export function connect(): Redis {
  return createRedis(redisUrl());
}
