import { Queue } from 'bullmq';
import type { WorkerSettings } from '../config/settings.js';
import { generationJobOptions } from '../job-options.js';
import type { GenerationJob } from '../jobs.js';
import type { Keys } from '../keys.js';
import type { Redis } from '../redis.js';

/** The generation queues of every instance, opened on first use and shared by everything in a process. */
export class GenerationQueues {
  private readonly queues = new Map<string, Queue<GenerationJob>>();

  constructor(
    private readonly connection: Redis,
    private readonly keys: Keys,
    private readonly settings: WorkerSettings,
    /** Only reads (status, doctor): opening a queue writes nothing, not even BullMQ's version marker. */
    private readonly options: { readOnly?: boolean } = {},
  ) {}

  get(instance: string): Queue<GenerationJob> {
    let queue = this.queues.get(instance);
    if (!queue) {
      queue = new Queue<GenerationJob>(this.keys.generationQueue(instance), {
        connection: this.connection,
        prefix: this.keys.bullPrefix,
        defaultJobOptions: generationJobOptions(this.settings),
        ...(this.options.readOnly ? { skipMetasUpdate: true } : {}),
      });
      // Connection errors surface on the calls that meet them; the queue's own event would only repeat them.
      queue.on('error', () => undefined);
      this.queues.set(instance, queue);
    }
    return queue;
  }

  /** Adds attempt `attempt` of a request to its instance's queue; the job id makes a repeated add a no-op. */
  async addAttempt(input: {
    instance: string;
    requestId: string;
    attempt: number;
    delayMs?: number;
  }): Promise<void> {
    const { instance, requestId, attempt, delayMs = 0 } = input;
    await this.get(instance).add(
      'generate',
      { requestId, attempt },
      { jobId: this.keys.generationJobId(requestId, attempt), ...(delayMs > 0 ? { delay: delayMs } : {}) },
    );
  }

  /** True while the job of that attempt exists in its queue (waiting, delayed, active, or kept once finished). */
  async hasAttempt(input: { instance: string; requestId: string; attempt: number }): Promise<boolean> {
    const job = await this.get(input.instance).getJob(
      this.keys.generationJobId(input.requestId, input.attempt),
    );
    return job !== undefined;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }
}
