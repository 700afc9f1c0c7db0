import { AtlasError } from '../../shared/errors.js';
import { readFleetHealth } from '../../shared/fleet-health.js';
import { generationJobSchema } from '../../shared/jobs.js';
import { forwardRequest, hopOf } from './failover.js';
import type { GenerationContext } from './generation-context.js';

/**
 * Moves requests out of queues nobody serves. Any worker may run it; a lock makes one sweep at a time
 * across the fleet. A request waiting longer than `sweepAfterMs` in the queue of an instance with no
 * live worker goes to its next hop as if that instance had been unavailable; so does one left active
 * by a worker that died, once its lock has expired (BullMQ's stalled check needs a live worker of that
 * queue, and there is none).
 */
export async function sweepOnce(
  context: GenerationContext,
  workerId: string,
  instances: readonly string[],
): Promise<number> {
  const { redis, keys, queues, store, settings, log } = context;
  const lockMs = Math.max(settings.generation.sweepAfterMs, 5_000);
  if ((await redis.set(keys.sweeperLock, workerId, 'PX', lockMs, 'NX')) !== 'OK') return 0;
  let moved = 0;
  try {
    const now = Date.now();
    const health = await readFleetHealth(redis, keys, instances, now);
    for (const { instance, liveWorkers } of health) {
      if (liveWorkers > 0) continue;
      const queue = queues.get(instance);
      const waiting = await queue.getWaiting(0, 199);
      const active = await queue.getActive(0, 199);
      const abandoned = [];
      for (const job of active) {
        const locked = await redis.exists(queue.toKey(`${job.id}:lock`));
        if (!locked && now - (job.processedOn ?? job.timestamp) >= settings.generation.sweepAfterMs)
          abandoned.push(job);
      }
      for (const job of [...waiting, ...abandoned]) {
        if (now - job.timestamp < settings.generation.sweepAfterMs) continue;
        const parsed = generationJobSchema.safeParse(job.data);
        if (!parsed.success) continue;
        const record = await store.get(parsed.data.requestId);
        if (
          record &&
          record.hop === parsed.data.hop &&
          record.instance === instance &&
          (record.status === 'queued' || record.status === 'running')
        ) {
          const model = record.plan.find((step) => step.provider === instance)?.model ?? '';
          const error = new AtlasError('unavailable', `${instance}: no live worker serves this instance`, {
            provider: instance,
          });
          const hops = [...record.hops, hopOf(instance, model, now - job.timestamp, error)];
          // A dead worker may have streamed part of an answer: the reader is told to start over.
          const deltasMayHaveBeenSent = record.status === 'running' && record.request.stream === true;
          await forwardRequest(context, record, error, hops, deltasMayHaveBeenSent);
          moved++;
        }
        // The next hop (or the failure) is recorded first; only then does the stranded job go.
        await job.remove().catch(() => undefined);
      }
    }
  } finally {
    await redis.del(keys.sweeperLock).catch(() => undefined);
  }
  if (moved > 0) log.info({ moved }, 'swept requests from queues with no live worker');
  return moved;
}
