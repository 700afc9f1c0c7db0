import { Queue } from 'bullmq';
import * as z from 'zod';
import type { WorkerSettings } from '../config/settings.js';
import { errorKinds } from '../errors.js';
import { continuationJobOptions } from '../job-options.js';
import { generationResultSchema } from '../jobs.js';
import type { Keys } from '../keys.js';
import type { Redis } from '../redis.js';
import { isTerminal, type RequestRecord } from './request-store.js';

/**
 * Data of a continuation job: how the request ended, its result or its error, and the payload its
 * producer attached. Every ending enqueues it, so whatever waits on the request (an agent workflow,
 * say) always resumes.
 */
export const continuationJobSchema = z.object({
  requestId: z.string(),
  status: z.enum(['completed', 'failed', 'cancelled']),
  result: generationResultSchema.optional(),
  error: z
    .object({
      kind: z.enum(errorKinds),
      message: z.string(),
      provider: z.string().optional(),
      status: z.number().optional(),
      retryAfterMs: z.number().optional(),
    })
    .optional(),
  payload: z.unknown(),
});
export type ContinuationJob = z.infer<typeof continuationJobSchema>;

/**
 * Enqueues a request's continuation once its ending is recorded. The job id (`<requestId>.continuation`)
 * is derived from the request, so enqueueing again after a crash (the step is retried and finds the
 * request over) adds nothing twice.
 */
export class ContinuationQueues {
  private readonly queues = new Map<string, Queue<ContinuationJob>>();

  constructor(
    private readonly connection: Redis,
    private readonly keys: Keys,
    private readonly settings: WorkerSettings,
  ) {}

  /** Enqueues the continuation of a request that has ended; does nothing for one without, or still going. */
  async enqueue(record: RequestRecord): Promise<void> {
    const continuation = record.request.continuation;
    if (!continuation || !isTerminal(record.status)) return;
    let queue = this.queues.get(continuation.queue);
    if (!queue) {
      queue = new Queue<ContinuationJob>(continuation.queue, {
        connection: this.connection,
        prefix: this.keys.bullPrefix,
        defaultJobOptions: continuationJobOptions(this.settings),
      });
      queue.on('error', () => undefined);
      this.queues.set(continuation.queue, queue);
    }
    const data: ContinuationJob = {
      requestId: record.id,
      status: record.status as ContinuationJob['status'],
      ...(record.result ? { result: record.result } : {}),
      ...(record.error ? { error: record.error } : {}),
      payload: continuation.payload,
    };
    await queue.add('continuation', data, { jobId: this.keys.continuationJobId(record.id) });
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }
}
