import { AtlasError } from '../errors.js';
import type { Keys } from '../keys.js';
import type { Redis } from '../redis.js';
import type { ContinuationQueues } from './continuations.js';
import { finishRequest } from './finish-request.js';
import type { GenerationQueues } from './generation-queues.js';
import { isTerminal, type RequestStore } from './request-store.js';

export interface RequestCancelParts {
  redis: Redis;
  keys: Keys;
  store: RequestStore;
  continuations: ContinuationQueues;
  queues: GenerationQueues;
}

/**
 * Cancels a request: ends its record (its continuation runs, as for any ending), tells every worker
 * to abort the provider call if one runs it, and removes its job if it is still waiting. False when
 * the request was over already. The client's `cancel`, and agent workers' when a run ends.
 */
export async function cancelRequest(
  parts: RequestCancelParts,
  requestId: string,
  reason = 'cancelled by the caller',
): Promise<boolean> {
  const record = await parts.store.get(requestId);
  if (!record || isTerminal(record.status)) return false;
  const cancelled = await finishRequest(parts, {
    record,
    status: 'cancelled',
    error: new AtlasError('cancelled', reason).toJSON(),
    attempts: record.attempts,
  });
  await parts.redis.publish(parts.keys.cancelChannel, requestId);
  const job = await parts.queues
    .get(record.instance)
    .getJob(parts.keys.generationJobId(requestId, record.attempt));
  // Only a job still waiting is removed; a running one is aborted by its worker on the published cancel.
  if (job && ['waiting', 'delayed', 'prioritized'].includes(await job.getState()))
    await job.remove().catch(() => undefined);
  return cancelled;
}
