import type { Keys } from '../shared/keys.js';
import type { Logger } from '../shared/log.js';
import type { Redis } from '../shared/redis.js';

/**
 * Tells the fleet this process serves some instances: each beat puts the worker in each instance's
 * sorted set, scored by when the beat expires. A process that dies simply stops beating; its entry
 * ages out after three intervals.
 */
export async function startHeartbeat(options: {
  redis: Redis;
  keys: Keys;
  instances: readonly string[];
  workerId: string;
  intervalMs: number;
  log: Logger;
}): Promise<{ stop(): Promise<void> }> {
  const { redis, keys, instances, workerId, intervalMs, log } = options;
  const beat = async () => {
    const now = Date.now();
    const pipeline = redis.pipeline();
    for (const instance of instances) {
      pipeline.zadd(keys.workers(instance), now + intervalMs * 3, workerId);
      pipeline.zremrangebyscore(keys.workers(instance), '-inf', now);
    }
    await pipeline.exec();
  };
  let stopped = false;
  const timer = setInterval(() => {
    beat().catch((error: unknown) => {
      // A beat still queued when the host gave up on Redis fails then; that is no news.
      if (!stopped) log.warn({ err: error }, 'heartbeat failed');
    });
  }, intervalMs);
  timer.unref();
  // The first beat lands before the workers count as started, so producers see them at once.
  await beat();
  return {
    /** Stops beating; the caller bounds the wait for leaving the sets (Redis may be gone). */
    async stop() {
      stopped = true;
      clearInterval(timer);
      const pipeline = redis.pipeline();
      for (const instance of instances) pipeline.zrem(keys.workers(instance), workerId);
      await pipeline.exec().catch(() => undefined);
    },
  };
}
