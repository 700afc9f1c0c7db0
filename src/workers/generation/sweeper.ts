import { AtlasError } from '../../shared/errors.js';
import { readFleetHealth } from '../../shared/fleet-health.js';
import { generationJobSchema } from '../../shared/jobs.js';
import { finishRequest } from '../../shared/requests/finish-request.js';
import { failUnreadableJobs } from '../unreadable-jobs.js';
import { forwardRequest, hopOf } from './failover.js';
import type { GenerationContext } from './generation-context.js';
import { StrandedRequests } from './stranded-requests.js';

/**
 * Moves requests out of queues nobody serves. Any worker may run it; a lock makes one sweep at a time
 * across the fleet. A request waiting longer than `sweepAfterMs` in the queue of an instance with no
 * live worker goes to its next attempt as if that instance had been unavailable; so does one left
 * active by a worker that died, once its lock has expired (BullMQ's stalled check needs a live worker of
 * that queue, and there is none).
 * It also repairs acceptance: a request accepted longer than `acceptRepairMs` ago whose first attempt
 * never started and whose job does not exist (its producer died, or lost Redis, between writing the
 * record and adding the job) gets that job now, or fails with the reason once past its deadline.
 * And it ends requests nothing else will: those whose job BullMQ gave up on (stalled out, failed for
 * good), whose job vanished, whose record cannot be read, or still open past their deadline.
 */
export async function sweepOnce(
  context: GenerationContext,
  workerId: string,
  instances: readonly string[],
  stranded: StrandedRequests = new StrandedRequests(),
): Promise<number> {
  const { redis, keys, queues, store, settings, log } = context;
  const lockMs = Math.max(settings.generation.sweepAfterMs, 5_000);
  if ((await redis.set(keys.sweeperLock, workerId, 'PX', lockMs, 'NX')) !== 'OK') return 0;
  let moved = 0;
  try {
    const now = Date.now();
    moved += await repairAccepted(context, now);
    moved += await stranded.sweep(context, now);
    for (const instance of instances) await failUnreadableJobs(redis, queues.get(instance));
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
        // A record that cannot be read is ended by the stranded-request sweep, not moved on.
        const record = (await store.state(parsed.data.requestId))?.record;
        if (
          record &&
          record.attempt === parsed.data.attempt &&
          record.instance === instance &&
          (record.status === 'queued' || record.status === 'running')
        ) {
          const model = record.plan.find((step) => step.instance === instance)?.model ?? '';
          const error = new AtlasError('unavailable', `${instance}: no live worker serves this instance`, {
            provider: instance,
          });
          const attempts = [...record.attempts, hopOf(instance, model, now - job.timestamp, error)];
          // A dead worker may have streamed part of an answer: the reader is told to start over.
          const deltasMayHaveBeenSent = record.status === 'running' && record.request.stream === true;
          await forwardRequest(context, record, error, attempts, deltasMayHaveBeenSent);
          moved++;
        }
        // The next attempt (or the failure) is recorded first; only then does the stranded job go.
        await job.remove().catch(() => undefined);
      }
    }
  } finally {
    await redis.del(keys.sweeperLock).catch(() => undefined);
  }
  if (moved > 0) log.info({ moved }, 'swept requests left without a job or a live worker');
  return moved;
}

/** Requests looked at per sweep; the oldest first, so none is passed over for long. */
const repairBatch = 200;

/**
 * Accepted requests whose first attempt has not started after `acceptRepairMs`: each whose job exists
 * leaves the list (BullMQ has it now); each whose job is missing gets it, or fails once past its deadline.
 */
async function repairAccepted(context: GenerationContext, now: number): Promise<number> {
  const { store, queues, settings, log } = context;
  const ids = await store.unstarted({
    acceptedBefore: now - settings.generation.acceptRepairMs,
    limit: repairBatch,
  });
  let repaired = 0;
  for (const id of ids) {
    const record = (await store.state(id))?.record;
    if (record?.status !== 'queued' || record.attempt !== 0) {
      await store.forgetUnstarted({ id });
      continue;
    }
    const attempt = { instance: record.instance, requestId: id, attempt: record.attempt };
    if (!(await queues.hasAttempt(attempt))) {
      if (now >= record.deadlineAt) {
        const error = new AtlasError(
          'timeout',
          `request ${id} was accepted but never enqueued, and its deadline passed`,
        );
        await finishRequest(context, {
          record,
          status: 'failed',
          error: error.toJSON(),
          attempts: record.attempts,
        });
      } else {
        await queues.addAttempt(attempt);
        log.warn({ requestId: id, instance: record.instance }, 'enqueued a request accepted without a job');
      }
      repaired++;
    }
    await store.forgetUnstarted({ id });
  }
  return repaired;
}
