import { type Job, UnrecoverableError } from 'bullmq';
import { AtlasError, type ErrorKind } from '../../shared/errors.js';
import { type GenerationJob, generationJobSchema } from '../../shared/jobs.js';
import { finishRequest } from '../../shared/requests/finish-request.js';
import { isTerminal, type RequestState } from '../../shared/requests/request-store.js';
import type { GenerationContext } from './generation-context.js';

/** Reasons a request ends without its job having ended it, as the record and the `failed` event say them. */
export const strandedReasons = {
  stalled: 'the worker holding it died twice (stalled)',
  vanished: 'its job vanished',
  deadline: 'deadline passed',
} as const;

/** Open requests looked at per sweep, nearest deadline first. */
const openBatch = 200;
/** A job still running at its request's deadline gets this long to report its own timeout first. */
const deadlineGraceMs = 1_000;

/** BullMQ fails a job that stalled more often than `maxStalledCount` (1): its worker died twice holding it. */
function stalledOut(job: Job): boolean {
  return job.stalledCounter > 1;
}

/** Why a job that BullMQ moved to failed for good ended, in the words the request's record keeps. */
export function failedJobReason(job: Job, error?: Error): string {
  if (stalledOut(job)) return strandedReasons.stalled;
  return `its job failed: ${error?.message ?? job.failedReason ?? 'no reason given'}`;
}

/**
 * Ends a request whose current attempt can no longer end it: `failed` with the reason, through
 * `finishRequest` (so its continuation runs), or directly when its record cannot be read.
 */
export async function endRequest(
  context: GenerationContext,
  state: RequestState,
  reason: string,
  kind: ErrorKind,
): Promise<boolean> {
  const error = new AtlasError(kind, `request ${state.id} ended: ${reason}`, {
    ...(state.instance ? { provider: state.instance } : {}),
  });
  if (!state.record) {
    return context.store.finish({
      id: state.id,
      attempt: state.attempt,
      status: 'failed',
      error: error.toJSON(),
      attempts: [],
    });
  }
  return finishRequest(context, {
    record: state.record,
    attempt: state.attempt,
    ...(state.instance ? { instance: state.instance } : {}),
    status: 'failed',
    error: error.toJSON(),
    attempts: state.record.attempts,
  });
}

/**
 * Called when BullMQ moves a generation job to failed for good (its attempts used up, an unrecoverable
 * error, or stalled out): the request it carried ends now, with the reason, if the job was its current attempt.
 */
export async function endRequestOfFailedJob(
  context: GenerationContext,
  job: Job<GenerationJob>,
  error: Error,
): Promise<void> {
  const final =
    error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1) || stalledOut(job);
  if (!final) return;
  const parsed = generationJobSchema.safeParse(job.data);
  if (!parsed.success) return;
  const state = await context.store.state(parsed.data.requestId);
  if (!state || isTerminal(state.status) || state.attempt !== parsed.data.attempt) return;
  await endRequest(context, state, failedJobReason(job, error), 'unavailable');
}

/**
 * Every open request (queued or running) whose current attempt's job failed, vanished, or outlived
 * the deadline ends, failed with the reason. A job seen missing is ended only when still missing at the
 * next sweep, so a forward whose next job is being added at that moment is not mistaken for one.
 */
export class StrandedRequests {
  private suspects = new Map<string, number>();

  async sweep(context: GenerationContext, now: number): Promise<number> {
    const { store, queues, keys } = context;
    const suspects = new Map<string, number>();
    let ended = 0;
    for (const { id } of await store.open({ limit: openBatch })) {
      const state = await store.state(id);
      if (!state || isTerminal(state.status)) {
        await store.forgetOpen({ id });
        continue;
      }
      if (state.unreadable) {
        if (
          await endRequest(context, state, `its record cannot be read (${state.unreadable})`, 'unavailable')
        )
          ended++;
        continue;
      }
      let job: Job<GenerationJob> | undefined;
      let unreadableJob = false;
      try {
        job = await queues.get(state.instance).getJob(keys.generationJobId(id, state.attempt));
      } catch {
        // Its data is not JSON: BullMQ cannot even read the job; the unreadable-job sweep fails it.
        unreadableJob = true;
      }
      let reason: string | undefined;
      let kind: ErrorKind = 'unavailable';
      if (job && (await job.isFailed())) reason = failedJobReason(job);
      else if (!job && !unreadableJob) {
        // An attempt 0 never started is the acceptance repair's to enqueue, until its deadline.
        const repairable = state.status === 'queued' && state.attempt === 0 && now < state.deadlineAt;
        if (!repairable) {
          if (this.suspects.get(id) === state.attempt || now >= state.deadlineAt)
            reason = strandedReasons.vanished;
          else suspects.set(id, state.attempt);
        }
      }
      if (!reason && now >= state.deadlineAt + deadlineGraceMs) {
        reason = strandedReasons.deadline;
        kind = 'timeout';
      }
      if (!reason) continue;
      if (await endRequest(context, state, reason, kind)) ended++;
      // A job still waiting for an ended request would only be skipped: it goes now.
      if (job && !(await job.isActive())) await job.remove().catch(() => undefined);
    }
    this.suspects = suspects;
    return ended;
  }
}
