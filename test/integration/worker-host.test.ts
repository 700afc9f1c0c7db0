import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/log.js';
import { generationSubsystem } from '../../src/workers/generation/generation-subsystem.js';
import { type Subsystem, startWorkerHost, type WorkerHost } from '../../src/workers/worker-host.js';
import { mockInstances, testSettings } from '../support/generation-harness.js';
import { connect, deletePrefix } from '../support/redis.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A subsystem as a third kind of worker would write it: one queue, its jobs held until released. */
function holdingSubsystem(queue: string, seen: { host?: WorkerHost; release?: () => void }): Subsystem {
  return {
    name: 'holding',
    async start(host) {
      seen.host = host;
      const released = new Promise<void>((resolve) => {
        seen.release = resolve;
      });
      host.worker<{ n: number }>(queue, async (job) => {
        await released;
        return job.data.n;
      });
      return { serves: [queue], close: async () => undefined };
    },
  };
}

describe('worker host', () => {
  it('shares providers and breakers among its subsystems and announces what each serves', async () => {
    const settings = testSettings({ providers: mockInstances('mock-a') }, 'host');
    const redis = connect();
    cleanups.push(async () => {
      await deletePrefix(redis, settings.redis.prefix);
      redis.disconnect();
    });
    const seen: { host?: WorkerHost } = {};
    const host = await startWorkerHost({
      settings,
      log: createLogger({ level: 'silent' }),
      subsystems: [generationSubsystem({ instances: ['mock-a'] }), holdingSubsystem('held', seen)],
    });
    cleanups.push(() => host.close());
    expect(host.serves).toEqual(['mock-a', 'held']);
    expect(seen.host?.providers.get('mock-a')).toBe(host.providers.get('mock-a'));
    expect(seen.host?.breakers.get('mock-a')).toBe(seen.host?.breakers.get('mock-a'));
    expect(await redis.zrange(`${settings.redis.prefix}:workers:held`, '0', '-1')).toEqual([host.workerId]);
    expect(await redis.zrange(`${settings.redis.prefix}:workers:mock-a`, '0', '-1')).toEqual([host.workerId]);
    expect(await host.close()).toEqual({ clean: true, abandonedJobs: 0 });
    expect(await redis.zcard(`${settings.redis.prefix}:workers:held`)).toBe(0);
  });

  it('stops waiting for a running job when the grace runs out, and says so', async () => {
    const settings = testSettings({ workers: { shutdownGraceMs: 500 } }, 'host-grace');
    const redis = connect();
    const queue = new Queue('held', { connection: redis, prefix: settings.redis.prefix });
    cleanups.push(async () => {
      await queue.close();
      await deletePrefix(redis, settings.redis.prefix);
      redis.disconnect();
    });
    const seen: { release?: () => void } = {};
    cleanups.push(() => seen.release?.());
    const host = await startWorkerHost({
      settings,
      log: createLogger({ level: 'silent' }),
      subsystems: [holdingSubsystem('held', seen)],
    });
    const job = await queue.add('hold', { n: 1 });
    for (let i = 0; i < 100 && (await job.getState()) !== 'active'; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const startedAt = Date.now();
    const report = await host.close();
    expect(Date.now() - startedAt).toBeLessThan(500 + 1_000);
    expect(report).toEqual({
      clean: false,
      reason: 'grace-expired',
      abandonedJobs: 1,
      message: 'shutdown grace of 500 ms ran out; stopped without waiting for 1 running job',
    });
  });
});
