import type { Settings } from '../../shared/config/settings.js';
import type { AtlasError, SerializedError } from '../../shared/errors.js';
import { readFleetHealth } from '../../shared/fleet-health.js';
import type { Hop } from '../../shared/jobs.js';
import { ProviderRegistry } from '../../shared/providers/registry.js';
import type { PlanStep } from '../../shared/providers/strategies.js';
import { finishRequest } from '../../shared/requests/finish-request.js';
import type { RequestRecord } from '../../shared/requests/request-store.js';
import type { GenerationContext } from './generation-context.js';

export interface NextAttempt {
  instance: string;
  delayMs: number;
}

const registries = new WeakMap<Settings, ProviderRegistry>();

/** The context window of a plan step's model, from the registry; undefined when it is not known. */
export function contextWindowOf(settings: Settings, step: PlanStep): number | undefined {
  let registry = registries.get(settings);
  if (!registry) {
    registry = new ProviderRegistry(settings);
    registries.set(settings, registry);
  }
  try {
    return registry.model(step.instance, step.model)?.contextWindow;
  } catch {
    return undefined; // an instance these settings do not have
  }
}

/**
 * For a prompt too long for the model of the step at `position`: the first later step whose model's
 * context window is larger (steps in between would only fail the same way). `window` is the failed
 * model's, `largest` the largest window of the later steps; with the failed window unknown, the next step.
 */
export function largerWindowStep(
  settings: Settings,
  plan: readonly PlanStep[],
  position: number,
): { step: PlanStep | undefined; window: number | undefined; largest: LaterWindow | undefined } {
  const later = plan.slice(position + 1);
  const window = plan[position] ? contextWindowOf(settings, plan[position]) : undefined;
  if (window === undefined) return { step: later[0], window, largest: undefined };
  let largest: LaterWindow | undefined;
  for (const step of later) {
    const size = contextWindowOf(settings, step);
    if (size === undefined) continue;
    if (size > window) return { step, window, largest: { step, window: size } };
    if (!largest || size > largest.window) largest = { step, window: size };
  }
  return { step: undefined, window, largest };
}

interface LaterWindow {
  step: PlanStep;
  window: number;
}

/**
 * Where the request goes after the attempt on `record.instance` failed: the next instance of its plan
 * (for a prompt too long, the next whose model has a larger context window); or, when the plan is used
 * up but every instance of it is open or rate-limited, the one expected to recover first, after a delay,
 * provided that comes before the deadline. Undefined: the request fails.
 */
export async function chooseNextAttempt(
  context: GenerationContext,
  record: RequestRecord,
  failure: AtlasError,
  now = Date.now(),
): Promise<NextAttempt | undefined> {
  const position = record.plan.findIndex((step) => step.instance === record.instance);
  if (failure.kind === 'context_length') {
    const { step } = largerWindowStep(context.settings, record.plan, position);
    return step ? { instance: step.instance, delayMs: 0 } : undefined;
  }
  const next = record.plan[position + 1];
  if (next) return { instance: next.instance, delayMs: 0 };

  const instances = record.plan.map((step) => step.instance);
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

/** Records the failed attempt and moves the request to its next attempt, or fails it with every attempt's error. */
export async function forwardRequest(
  context: GenerationContext,
  record: RequestRecord,
  failure: AtlasError,
  attempts: Hop[],
  deltasSent: boolean,
): Promise<ForwardOutcome> {
  const { store, queues } = context;
  const next = await chooseNextAttempt(context, record, failure);
  if (!next) {
    const failed = await finishRequest(context, {
      record,
      attempt: record.attempt,
      instance: record.instance,
      status: 'failed',
      error:
        failure.kind === 'context_length'
          ? summarizeContextLength(context.settings, record, attempts, failure)
          : summarize(attempts, failure),
      attempts,
    });
    return failed ? 'failed' : 'over';
  }
  const outcome = await store.forward({
    id: record.id,
    attempt: record.attempt,
    from: record.instance,
    to: next.instance,
    attempts,
    error: { kind: failure.kind, message: failure.message },
    ...(next.delayMs > 0 ? { delayMs: next.delayMs } : {}),
    reset: deltasSent,
  });
  if (outcome === 'over') return 'over';
  // A retried step finds the move already recorded: enqueue where the record says, never a second place.
  const target =
    outcome === 'already' ? ((await store.get(record.id))?.instance ?? next.instance) : next.instance;
  await queues.addAttempt({
    instance: target,
    requestId: record.id,
    attempt: record.attempt + 1,
    delayMs: next.delayMs,
  });
  return 'forwarded';
}

/** The request's error once every attempt failed: the last kind, and every attempt's error in the message. */
export function summarize(attempts: readonly Hop[], last: AtlasError): SerializedError {
  const failures = attempts
    .filter((attempt) => attempt.error)
    .map((attempt) => `${attempt.instance}: ${attempt.error!.kind} (${attempt.error!.message})`);
  return {
    kind: last.kind,
    message: `every provider of the plan failed: ${failures.join('; ')}`,
    ...(last.provider ? { provider: last.provider } : {}),
  };
}

/** A prompt too long for its model and for every later step's: says the windows it did not fit. */
function summarizeContextLength(
  settings: Settings,
  record: RequestRecord,
  attempts: readonly Hop[],
  failure: AtlasError,
): SerializedError {
  const position = record.plan.findIndex((step) => step.instance === record.instance);
  const failed = record.plan[position];
  const { window, largest } = largerWindowStep(settings, record.plan, position);
  const summary = summarize(attempts, failure);
  if (!failed || window === undefined) return summary;
  const over = `the prompt is over the ${window}-token context window of ${failed.model} on ${failed.instance}`;
  const rest = largest
    ? `and no later step of the plan has a larger one (the largest: ${largest.window} tokens, ${largest.step.model} on ${largest.step.instance})`
    : 'and no later step of the plan has a larger one';
  return { ...summary, message: `${over}, ${rest}; ${summary.message}` };
}

/** The record of one attempt on `instance`. */
export function hopOf(instance: string, model: string, ms: number, error?: AtlasError): Hop {
  return {
    instance,
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
