import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WorkerSettings } from '../config/settings.js';
import type { GenerationJob } from '../jobs.js';
import type { Keys } from '../keys.js';

/** The generation queues of every instance, opened on first use and shared by everything in a process. */
export class GenerationQueues {
  private readonly queues = new Map<string, Queue<GenerationJob>>();

  constructor(
    private readonly connection: Redis,
    private readonly keys: Keys,
    private readonly settings: WorkerSettings,
  ) {}

  get(instance: string): Queue<GenerationJob> {
    let queue = this.queues.get(instance);
    if (!queue) {
      queue = new Queue<GenerationJob>(this.keys.generationQueue(instance), {
        connection: this.connection,
        prefix: this.keys.bullPrefix,
        defaultJobOptions: {
          removeOnComplete: {
            age: this.settings.keepCompleted.ageSeconds,
            count: this.settings.keepCompleted.count,
          },
          removeOnFail: { age: this.settings.keepFailed.ageSeconds, count: this.settings.keepFailed.count },
          // Provider failures are handled inside the job; these attempts cover a worker that died or lost Redis.
          attempts: 5,
          backoff: { type: 'exponential', delay: 200 },
        },
      });
      // Connection errors surface on the calls that meet them; the queue's own event would only repeat them.
      queue.on('error', () => undefined);
      this.queues.set(instance, queue);
    }
    return queue;
  }

  /** Adds hop `hop` of a request to its instance's queue; the job id makes a repeated add a no-op. */
  async addHop(instance: string, requestId: string, hop: number, delayMs = 0): Promise<void> {
    await this.get(instance).add(
      'generate',
      { requestId, hop },
      { jobId: this.keys.generationJobId(requestId, hop), ...(delayMs > 0 ? { delay: delayMs } : {}) },
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }
}
