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

/** Counts one attempt in one round trip; counting never fails the caller's work. */
export async function countAttempt(redis: Redis, keys: Keys, attempt: AttemptOutcome): Promise<void> {
  const kind = attempt.kind ?? '';
  const seconds = attempt.ms / 1000;
  const bucket = latencyBucketsSeconds.find((bound) => seconds <= bound);
  const multi = redis
    .multi()
    .hincrby(keys.metrics('attempts'), counterField(attempt.instance, attempt.outcome, kind), 1)
    .hincrby(
      keys.metrics('latency'),
      counterField(attempt.instance, bucket === undefined ? '+Inf' : String(bucket)),
      1,
    )
    .hincrbyfloat(keys.metrics('latency'), counterField(attempt.instance, 'sum'), seconds);
  if (attempt.request)
    multi.hincrby(keys.metrics('requests'), counterField(attempt.instance, attempt.request, kind), 1);
  if (attempt.inputTokens)
    multi.hincrby(keys.metrics('usage'), counterField(attempt.instance, 'input_tokens'), attempt.inputTokens);
  if (attempt.outputTokens)
    multi.hincrby(
      keys.metrics('usage'),
      counterField(attempt.instance, 'output_tokens'),
      attempt.outputTokens,
    );
  if (attempt.costUsd !== undefined)
    multi.hincrbyfloat(keys.metrics('usage'), counterField(attempt.instance, 'cost_usd'), attempt.costUsd);
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
