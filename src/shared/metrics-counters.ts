import type { ErrorKind } from './errors.js';
import type { Keys } from './keys.js';
import type { Redis } from './redis.js';

/**
 * Counters the workers keep in Redis so `/metrics` sees traffic from every producer (CLI, library,
 * HTTP). Each family is one hash whose fields are label combinations: instance names come from the
 * settings and error kinds from a fixed list, so the hashes stay bounded.
 */

/** Upper bounds of the latency buckets, in seconds (Prometheus's `le`). */
export const latencyBucketsSeconds = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] as const;

/** How one attempt of a request on one instance ended. */
export interface AttemptOutcome {
  instance: string;
  /** `completed`: answered; `error`: the attempt failed (it was forwarded, waited on, or ended the request). */
  outcome: 'completed' | 'error';
  /** The error's kind, for `error`. */
  kind?: ErrorKind;
  /** Set when the attempt ended the request: how the request ended. */
  request?: 'completed' | 'failed';
  /** The attempt's duration. */
  ms: number;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number;
}

const separator = '|';

/** Field of a label combination: values joined with `|` (neither instance names nor kinds contain it). */
export function counterField(...labels: string[]): string {
  return labels.join(separator);
}

export function counterLabels(field: string): string[] {
  return field.split(separator);
}

/** One counter to raise: a field of one of the metrics hashes, by a whole or a fractional amount. */
export interface CounterIncrement {
  family: 'attempts' | 'requests' | 'latency' | 'usage';
  field: string;
  by: number;
  fractional: boolean;
}

/** The counters one attempt raises. */
export function attemptIncrements(attempt: AttemptOutcome): CounterIncrement[] {
  const { instance } = attempt;
  const kind = attempt.kind ?? '';
  const seconds = attempt.ms / 1000;
  const bucket = latencyBucketsSeconds.find((bound) => seconds <= bound);
  const whole = (family: CounterIncrement['family'], field: string, by: number): CounterIncrement => ({
    family,
    field,
    by,
    fractional: false,
  });
  const increments = [
    whole('attempts', counterField(instance, attempt.outcome, kind), 1),
    whole('latency', counterField(instance, bucket === undefined ? '+Inf' : String(bucket)), 1),
    { family: 'latency', field: counterField(instance, 'sum'), by: seconds, fractional: true } as const,
  ];
  if (attempt.request) increments.push(whole('requests', counterField(instance, attempt.request, kind), 1));
  if (attempt.inputTokens)
    increments.push(whole('usage', counterField(instance, 'input_tokens'), attempt.inputTokens));
  if (attempt.outputTokens)
    increments.push(whole('usage', counterField(instance, 'output_tokens'), attempt.outputTokens));
  if (attempt.costUsd !== undefined)
    increments.push({
      family: 'usage',
      field: counterField(instance, 'cost_usd'),
      by: attempt.costUsd,
      fractional: true,
    });
  return increments;
}

/**
 * Counts one attempt in one round trip; counting never fails the caller's work. A completed attempt is
 * counted by the script that records its result instead (`RequestStore.complete`), in the same trip.
 */
export async function countAttempt(redis: Redis, keys: Keys, attempt: AttemptOutcome): Promise<void> {
  const multi = redis.multi();
  for (const { family, field, by, fractional } of attemptIncrements(attempt)) {
    if (fractional) multi.hincrbyfloat(keys.metrics(family), field, by);
    else multi.hincrby(keys.metrics(family), field, by);
  }
  await multi.exec().catch(() => undefined);
}

export interface MetricsCounters {
  attempts: Record<string, string>;
  requests: Record<string, string>;
  latency: Record<string, string>;
  usage: Record<string, string>;
}

/** Every counter, read in one round trip. */
export async function readMetricsCounters(redis: Redis, keys: Keys): Promise<MetricsCounters> {
  const replies =
    (await redis
      .pipeline()
      .hgetall(keys.metrics('attempts'))
      .hgetall(keys.metrics('requests'))
      .hgetall(keys.metrics('latency'))
      .hgetall(keys.metrics('usage'))
      .exec()) ?? [];
  const at = (index: number): Record<string, string> => {
    const [error, value] = replies[index] ?? [];
    if (error) throw error;
    return (value as Record<string, string> | undefined) ?? {};
  };
  return { attempts: at(0), requests: at(1), latency: at(2), usage: at(3) };
}
