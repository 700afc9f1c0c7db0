import type { Keys } from '../keys.js';
import type { Redis } from '../redis.js';
import type { AgentQueue } from './agent-queue.js';
import type { RunLeftovers } from './run-records.js';
import type { RunStore } from './run-store.js';

export interface RunReleaseParts {
  redis: Redis;
  keys: Keys;
  store: RunStore;
  queue: AgentQueue;
  /** Cancels one generation request (see `cancelRequest`); false when it was over already. */
  cancelRequest(requestId: string, reason: string): Promise<boolean>;
}

/**
 * Cancels a run that is not over, and what it left in flight: its generation requests and its sub-runs
 * (map branches over a workflow), theirs in turn. False when the run was over already.
 */
export async function cancelRun(parts: RunReleaseParts, runId: string, reason: string): Promise<boolean> {
  const leftovers = await parts.store.cancel(runId, reason);
  if (!leftovers) return false;
  await releaseRun(parts, runId, leftovers, reason);
  return true;
}

/**
 * After a run ended (cancelled, failed at its deadline or over a budget, or completed): cancels the
 * generation requests still in flight (a request already over is left as it is), cancels its sub-runs
 * still going, drops its requests' idempotency keys (they can no longer be issued again) and its
 * deadline watch. Safe to repeat.
 */
export async function releaseRun(
  parts: RunReleaseParts,
  runId: string,
  leftovers: RunLeftovers,
  reason: string,
): Promise<void> {
  const { redis, keys } = parts;
  if (leftovers.requests.length) {
    const ids = await redis.mget(...leftovers.requests.map((key) => keys.idempotency(key)));
    for (const id of ids) if (id) await parts.cancelRequest(id, `run ${runId} ended: ${reason}`);
    await redis.unlink(...leftovers.requests.map((key) => keys.idempotency(key)));
  }
  for (const child of leftovers.children) {
    await cancelRun(parts, child, `parent run ${runId} ended: ${reason}`);
  }
  await parts.queue.unwatchDeadline(runId);
}
