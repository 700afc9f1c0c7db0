import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Keys } from '../../shared/keys.js';
import type { RequestRecord } from '../../shared/requests/request-store.js';

/** Data of a continuation job: the finished request's result and the payload its producer attached. */
export interface ContinuationJob {
  requestId: string;
  result: RequestRecord['result'];
  payload: unknown;
}

/**
 * Enqueues a request's continuation once its result is recorded. The job id is derived from the
 * request, so enqueueing again after a crash (the job is retried and finds the request completed) adds
 * nothing twice.
 */
export class ContinuationQueues {
  private readonly queues = new Map<string, Queue<ContinuationJob>>();

  constructor(
    private readonly connection: Redis,
    private readonly keys: Keys,
  ) {}

  async enqueue(record: RequestRecord): Promise<void> {
    const continuation = record.request.continuation;
    if (!continuation || !record.result) return;
    let queue = this.queues.get(continuation.queue);
    if (!queue) {
      queue = new Queue<ContinuationJob>(continuation.queue, {
        connection: this.connection,
        prefix: this.keys.bullPrefix,
      });
      this.queues.set(continuation.queue, queue);
    }
    await queue.add(
      'continuation',
      { requestId: record.id, result: record.result, payload: continuation.payload },
      { jobId: `${record.id}.continuation` },
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }
}
