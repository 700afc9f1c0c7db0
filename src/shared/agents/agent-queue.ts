import { Queue } from 'bullmq';
import type { Keys } from '../keys.js';
import type { Redis } from '../redis.js';
import type { AgentStepJob } from './start-run.js';

/** Job id of a run's deadline watch: a delayed step that fails the run if it is still going at its deadline. */
export function deadlineJobId(runId: string): string {
  return `${runId}.deadline`;
}

/**
 * The agent queue, as producers (starting, signalling runs) and agent workers (next steps) add to it.
 * Step jobs carry no result worth keeping and their ids are deterministic, so they are removed once
 * done: a finished run leaves no job behind, and a duplicate of an old step finds a stale checkpoint.
 */
export class AgentQueue {
  readonly queue: Queue;

  constructor(connection: Redis, keys: Keys) {
    this.queue = new Queue(keys.agentQueue, {
      connection,
      prefix: keys.bullPrefix,
      defaultJobOptions: {
        removeOnComplete: true,
        removeOnFail: { age: 86_400, count: 1_000 },
        // The step itself never throws for a run's own failure; these attempts cover Redis blips.
        attempts: 5,
        backoff: { type: 'exponential', delay: 200 },
      },
    });
    this.queue.on('error', () => undefined);
  }

  async addStep(jobId: string, data: AgentStepJob, delayMs = 0): Promise<void> {
    await this.queue.add('step', data, { jobId, ...(delayMs > 0 ? { delay: delayMs } : {}) });
  }

  /** Adds the run's deadline watch (a no-op when it is there). */
  async watchDeadline(runId: string, node: string, deadlineAt: number): Promise<void> {
    await this.addStep(
      deadlineJobId(runId),
      { runId, version: 0, node },
      Math.max(1, deadlineAt - Date.now() + 50),
    );
  }

  /** Removes the deadline watch of a run that ended. */
  async unwatchDeadline(runId: string): Promise<void> {
    await this.queue.remove(deadlineJobId(runId)).catch(() => undefined);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
