import { Queue, type Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/log.js';
import { type Subsystem, startWorkerHost } from '../../src/workers/worker-host.js';
import { testSettings } from '../support/generation-harness.js';
import { connect, deletePrefix } from '../support/redis.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One queue whose jobs return their number; the worker the host gave out is kept, to break it. */
function echoSubsystem(queue: string, seen: { worker?: Worker }): Subsystem {
  return {
    name: 'echo',
    async start(host) {
      seen.worker = host.worker<{ n: number }>(queue, async (job) => job.data.n, {
        concurrency: 2,
      }) as Worker;
      return { serves: [queue], close: async () => undefined };
    },
  };
}

async function setup(label: string) {
  const settings = testSettings({ workers: { livenessCheckMs: 400 } }, label);
  const redis = connect();
  const queue = new Queue('echo', { connection: redis, prefix: settings.redis.prefix });
  const seen: { worker?: Worker } = {};
  const host = await startWorkerHost({
    settings,
    log: createLogger({ level: 'silent' }),
    subsystems: [echoSubsystem('echo', seen)],
  });
  cleanups.push(async () => {
    await host.close();
    await queue.close();
    await deletePrefix(redis, settings.redis.prefix);
    redis.disconnect();
  });
  const finishes = async (count: number) => {
    const jobs = await queue.addBulk(
      Array.from({ length: count }, (_, n) => ({ name: 'echo', data: { n } })),
    );
    const deadline = Date.now() + 8_000;
    for (const job of jobs) {
      while ((await queue.getJobState(job.id!)) !== 'completed') {
        if (Date.now() > deadline) throw new Error(`job ${job.id} never completed`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  return { host, seen, finishes };
}

describe('worker liveness: a worker that stops consuming is replaced', () => {
  it('replaces a worker that stopped running behind the host’s back', async () => {
    const { host, seen, finishes } = await setup('live-stop');
    await finishes(3);
    expect(host.restarts).toBe(0);
    await seen.worker!.close();
    await finishes(5);
    expect(host.restarts).toBe(1);
  });

  it('replaces a worker that takes no job while jobs wait (paused, as if wedged)', async () => {
    const { host, seen, finishes } = await setup('live-wedge');
    await seen.worker!.pause(true);
    await finishes(4);
    expect(host.restarts).toBe(1);
  });

  it('leaves alone a worker that is busy or has nothing to do', async () => {
    const { host, finishes } = await setup('live-ok');
    await finishes(20);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(host.restarts).toBe(0);
  });
});
