import type { Settings } from './config/settings.js';
import { readFleetHealth } from './fleet-health.js';
import type { Keys } from './keys.js';
import type { Redis } from './redis.js';
import { redactRedisUrl } from './redis.js';
import type { GenerationQueues } from './requests/generation-queues.js';

export interface InstanceStatus {
  instance: string;
  type: string;
  breaker: 'closed' | 'open' | 'half-open';
  nextProbeAt?: number;
  liveWorkers: number;
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
}

export interface FleetStatus {
  redis: { url: string; version: string; maxmemoryPolicy: string; aofEnabled: boolean };
  instances: InstanceStatus[];
  warnings: string[];
}

/** Queues, live workers and breaker states of every configured instance, plus Redis's fitness for production. */
export async function readFleetStatus(
  redis: Redis,
  keys: Keys,
  queues: GenerationQueues,
  settings: Settings,
): Promise<FleetStatus> {
  const names = Object.keys(settings.providers);
  const now = Date.now();
  const [health, counts, info] = await Promise.all([
    readFleetHealth(redis, keys, names, now),
    Promise.all(
      names.map((name) =>
        queues.get(name).getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'),
      ),
    ),
    redis.info(),
  ]);
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
  const maxmemoryPolicy = field('maxmemory_policy');
  const aofEnabled = field('aof_enabled') === '1';
  const warnings: string[] = [];
  if (maxmemoryPolicy !== 'noeviction') {
    warnings.push(
      `Redis maxmemory-policy is '${maxmemoryPolicy}': under memory pressure Redis may evict queued jobs; set it to noeviction`,
    );
  }
  if (!aofEnabled)
    warnings.push('Redis AOF is off: a Redis restart can lose recently accepted jobs; set appendonly yes');
  const instances = names.map((instance, index): InstanceStatus => {
    const { breaker, liveWorkers } = health[index]!;
    const count = counts[index]!;
    const state = breaker.state === 'closed' ? 'closed' : now >= breaker.nextProbeAt ? 'half-open' : 'open';
    if (liveWorkers === 0 && (count['waiting'] ?? 0) > 0)
      warnings.push(`${instance} has waiting jobs and no live worker`);
    return {
      instance,
      type: settings.providers[instance]!.type,
      breaker: state,
      ...(breaker.state === 'open' ? { nextProbeAt: breaker.nextProbeAt } : {}),
      liveWorkers,
      waiting: (count['waiting'] ?? 0) + (count['prioritized'] ?? 0),
      active: count['active'] ?? 0,
      delayed: count['delayed'] ?? 0,
      completed: count['completed'] ?? 0,
      failed: count['failed'] ?? 0,
    };
  });
  return {
    redis: {
      url: redactRedisUrl(settings.redis.url),
      version: field('redis_version'),
      maxmemoryPolicy,
      aofEnabled,
    },
    instances,
    warnings,
  };
}
