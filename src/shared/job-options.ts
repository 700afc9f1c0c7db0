import type { JobsOptions } from 'bullmq';
import type { WorkerSettings } from './config/settings.js';

/**
 * BullMQ options of every job Atlas adds, by queue kind, in one place. Every kind is trimmed once
 * finished (`keepCompleted` / `keepFailed`), so Redis memory stays bounded; attempts and backoff say
 * what a job that throws gets.
 */

type Trimming = Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'>;

/** Finished jobs kept, by age and count, from the workers' settings. */
export function trimming(settings: WorkerSettings): Trimming {
  return {
    removeOnComplete: { age: settings.keepCompleted.ageSeconds, count: settings.keepCompleted.count },
    removeOnFail: { age: settings.keepFailed.ageSeconds, count: settings.keepFailed.count },
  };
}

/**
 * A generation attempt. Provider failures are handled inside the job (wait, fail over or fail the
 * request); these attempts cover a worker that died or lost Redis, and every step is safe to repeat.
 */
export function generationJobOptions(settings: WorkerSettings): JobsOptions {
  return { ...trimming(settings), attempts: 5, backoff: { type: 'exponential', delay: 200 } };
}

/** A request's continuation, run by whoever consumes its queue (an agent workflow, say). */
export function continuationJobOptions(settings: WorkerSettings): JobsOptions {
  return { ...trimming(settings), attempts: 5, backoff: { type: 'exponential', delay: 500 } };
}

/**
 * A document of an ingestion batch. One whose last attempt fails (its embedder down, say) is reported
 * in the batch's summary; the batch goes on without it.
 */
export function ingestionDocumentJobOptions(settings: WorkerSettings): JobsOptions {
  return {
    ...trimming(settings),
    attempts: 3,
    backoff: { type: 'exponential', delay: 500 },
    ignoreDependencyOnFailure: true,
  };
}

/** The parent of an ingestion batch; its return value is the summary `wait` reads. One attempt: a batch that fails is reported. */
export function ingestionBatchJobOptions(settings: WorkerSettings): JobsOptions {
  return { ...trimming(settings) };
}

/** A step of an agent workflow run: at-least-once, each step's effect applied once by its version check. */
export function agentJobOptions(settings: WorkerSettings): JobsOptions {
  return { ...trimming(settings), attempts: 5, backoff: { type: 'exponential', delay: 500 } };
}
