import type { SerializedError } from '../errors.js';
import type { Hop } from '../jobs.js';
import { scrubValue } from '../secrets.js';
import type { ContinuationQueues } from './continuations.js';
import type { RequestRecord, RequestStore } from './request-store.js';

export interface FinishRequest {
  record: RequestRecord;
  /** End it only while it is at this attempt. @default whatever attempt it is at */
  attempt?: number;
  /** The instance the failure concerns, when there is one. */
  instance?: string;
  status: 'failed' | 'cancelled';
  error: SerializedError;
  attempts: Hop[];
}

/**
 * The one way a request ends without a result (every attempt failed, its deadline passed, nothing can
 * run it, or it was cancelled): the record and its `failed` event, then its continuation, so whatever
 * waits on the request resumes. False when the request had already ended or moved on.
 */
export async function finishRequest(
  parts: { store: RequestStore; continuations: ContinuationQueues },
  input: FinishRequest,
): Promise<boolean> {
  const { record, attempt, instance, status } = input;
  const error = scrubValue(input.error);
  const attempts = scrubValue(input.attempts);
  const finished = await parts.store.finish({
    id: record.id,
    ...(attempt === undefined ? {} : { attempt }),
    ...(instance === undefined ? {} : { instance }),
    status,
    error,
    attempts,
  });
  if (finished)
    await parts.continuations.enqueue({ ...record, status, error, attempts, finishedAt: Date.now() });
  return finished;
}
