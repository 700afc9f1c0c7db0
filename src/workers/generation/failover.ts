import type { AtlasError, SerializedError } from '../../shared/errors.js';
import { readFleetHealth } from '../../shared/fleet-health.js';
import type { Hop } from '../../shared/jobs.js';
import type { RequestRecord } from '../../shared/requests/request-store.js';
import type { GenerationContext } from './generation-context.js';

export interface NextAttempt {
  instance: string;
  delayMs: number;
}

/**
 * Where the request goes after the attempt on `record.instance` failed: the next instance of its plan;
 * or, when the plan is used up but every instance of it is open or rate-limited, the one expected to
 * recover first, after a delay, provided that comes before the deadline. Undefined: the request fails.
 */
export async function chooseNextAttempt(
  context: GenerationContext,
  record: RequestRecord,
  failure: AtlasError,
  now = Date.now(),
): Promise<NextAttempt | undefined> {
  const position = record.plan.findIndex((step) => step.provider === record.instance);
  const next = record.plan[position + 1];
  if (next) return { instance: next.provider, delayMs: 0 };

  const instances = record.plan.map((step) => step.provider);
  const health = await readFleetHealth(context.redis, context.keys, instances, now);
  let earliest: NextAttempt | undefined;
  for (const instanceHealth of health) {
    let recoversAt: number | undefined;
    if (instanceHealth.breaker.state === 'open')
      recoversAt = Math.max(instanceHealth.breaker.nextProbeAt, now);
    else if (
      instanceHealth.instance === record.instance &&
      failure.kind === 'rate_limited' &&
      failure.retryAfterMs !== undefined
    ) {
      recoversAt = now + failure.retryAfterMs;
    }
    if (recoversAt === undefined) return undefined;
    if (!earliest || recoversAt - now < earliest.delayMs) {
      earliest = { instance: instanceHealth.instance, delayMs: recoversAt - now };
    }
  }
  if (!earliest || now + earliest.delayMs >= record.deadlineAt) return undefined;
  return earliest;
}

export type ForwardOutcome = 'forwarded' | 'failed' | 'over';

/** Records the failed attempt and moves the request to its next attempt, or fails it with every hop's error. */
export async function forwardRequest(
  context: GenerationContext,
  record: RequestRecord,
  failure: AtlasError,
  hops: Hop[],
  deltasSent: boolean,
): Promise<ForwardOutcome> {
  const { store, queues } = context;
  const next = await chooseNextAttempt(context, record, failure);
  if (!next) {
    const failed = await store.fail(record.id, record.hop, record.instance, summarize(hops, failure), hops);
    return failed ? 'failed' : 'over';
  }
  const nextHop = record.hop + 1;
  const event = {
    from: record.instance,
    to: next.instance,
    error: { kind: failure.kind, message: failure.message },
    ...(next.delayMs > 0 ? { delayMs: next.delayMs } : {}),
  };
  const outcome = await store.forward(
    record.id,
    record.hop,
    record.instance,
    nextHop,
    next.instance,
    hops,
    event,
    deltasSent,
  );
  if (outcome === 'over') return 'over';
  // A retried step finds the move already recorded: enqueue where the record says, never a second place.
  const target =
    outcome === 'already' ? ((await store.get(record.id))?.instance ?? next.instance) : next.instance;
  await queues.addHop(target, record.id, nextHop, next.delayMs);
  return 'forwarded';
}

/** The request's error once every hop failed: the last kind, and every hop's error in the message. */
export function summarize(hops: readonly Hop[], last: AtlasError): SerializedError {
  const failures = hops
    .filter((hop) => hop.error)
    .map((hop) => `${hop.provider}: ${hop.error!.kind} (${hop.error!.message})`);
  return {
    kind: last.kind,
    message: `every provider of the plan failed: ${failures.join('; ')}`,
    ...(last.provider ? { provider: last.provider } : {}),
  };
}

export function hopOf(provider: string, model: string, ms: number, error?: AtlasError): Hop {
  return {
    provider,
    model,
    ms,
    ...(error
      ? {
          error: {
            kind: error.kind,
            message: error.message,
            ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
          },
        }
      : {}),
  };
}
