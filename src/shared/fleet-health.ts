import type { Keys } from './keys.js';
import type { Redis } from './redis.js';

/** What every process knows of one instance's breaker. Absent from Redis means closed. */
export interface SharedBreakerState {
  state: 'closed' | 'open';
  openedAt: number;
  /** From this moment one worker may probe the instance. */
  nextProbeAt: number;
}

export interface InstanceHealth {
  instance: string;
  breaker: SharedBreakerState;
  liveWorkers: number;
}

const closed: SharedBreakerState = { state: 'closed', openedAt: 0, nextProbeAt: 0 };

/** Reads breaker states and live-worker counts of many instances in one round trip. */
export async function readFleetHealth(
  redis: Redis,
  keys: Keys,
  instances: readonly string[],
  now = Date.now(),
): Promise<InstanceHealth[]> {
  if (instances.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const instance of instances) {
    pipeline.hgetall(keys.breaker(instance));
    pipeline.zcount(keys.workers(instance), now, '+inf');
  }
  const replies = (await pipeline.exec()) ?? [];
  return instances.map((instance, index) => {
    const [breakerError, breaker] = replies[index * 2] ?? [];
    const [workersError, live] = replies[index * 2 + 1] ?? [];
    if (breakerError) throw breakerError;
    if (workersError) throw workersError;
    return {
      instance,
      breaker: parseBreaker(breaker as Record<string, string>),
      liveWorkers: Number(live ?? 0),
    };
  });
}

function parseBreaker(fields: Record<string, string> | undefined): SharedBreakerState {
  if (fields?.['state'] !== 'open') return closed;
  return { state: 'open', openedAt: Number(fields['openedAt']), nextProbeAt: Number(fields['nextProbeAt']) };
}

export async function writeBreakerOpen(
  redis: Redis,
  keys: Keys,
  instance: string,
  resetTimeoutMs: number,
  now = Date.now(),
): Promise<void> {
  const key = keys.breaker(instance);
  // The TTL outlives a few probe periods; if every worker of the instance dies, the open state fades.
  await redis
    .multi()
    .hset(key, { state: 'open', openedAt: String(now), nextProbeAt: String(now + resetTimeoutMs) })
    .pexpire(key, Math.max(resetTimeoutMs * 6, 60_000))
    .exec();
}

export async function writeBreakerClosed(redis: Redis, keys: Keys, instance: string): Promise<void> {
  await redis.del(keys.breaker(instance));
}

/** True when an instance should go to the back of new plans: its breaker is open, or nobody serves it. */
export function isUnhealthy(health: InstanceHealth, now = Date.now()): boolean {
  return health.liveWorkers === 0 || (health.breaker.state === 'open' && now < health.breaker.nextProbeAt);
}
