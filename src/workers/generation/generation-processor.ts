import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { AtlasError, toAtlasError } from '../../shared/errors.js';
import {
  type GenerationJob,
  type GenerationResult,
  generationJobSchema,
  type ParsedGenerationRequest,
  resultHopOf,
} from '../../shared/jobs.js';
import { type AttemptOutcome, attemptIncrements, countAttempt } from '../../shared/metrics-counters.js';
import { zodIssueError } from '../../shared/parse-with.js';
import type { Provider, ProviderRequest, ProviderResponse } from '../../shared/providers/provider.js';
import { finishRequest } from '../../shared/requests/finish-request.js';
import { isTerminal, type RequestRecord } from '../../shared/requests/request-store.js';
import type { FleetBreaker } from '../fleet-breaker.js';
import { DeltaBatcher } from './delta-batcher.js';
import { forwardRequest, hopOf } from './failover.js';
import type { GenerationContext } from './generation-context.js';

export type JobOutcome = 'completed' | 'forwarded' | 'failed' | 'cancelled' | 'skipped';

export interface InstanceRuntime {
  provider: Provider;
  breaker: FleetBreaker;
}

/** Turns the request's messages or prompt into the provider's request, for the plan's model on this instance. */
export function providerRequestFor(request: ParsedGenerationRequest, model: string): ProviderRequest {
  return {
    messages: request.messages ?? [{ role: 'user', content: request.prompt ?? '' }],
    model,
    ...(request.system === undefined ? {} : { system: request.system }),
    ...(request.maxTokens === undefined ? {} : { maxTokens: request.maxTokens }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.tools === undefined ? {} : { tools: request.tools }),
    ...(request.responseFormat === undefined ? {} : { responseFormat: request.responseFormat }),
  };
}

/**
 * Processes one attempt of one request on one instance. Provider failures never escape as job errors:
 * they end as a forward to the next attempt, a wait on this instance (short 429), or a failed request.
 * What escapes (Redis lost mid-way) is retried by BullMQ, and every step here is safe to repeat.
 */
export class GenerationProcessor {
  /** Calls in flight in this process, by request id, so a cancel can abort them. */
  private readonly inFlight = new Map<string, AbortController>();

  constructor(
    private readonly context: GenerationContext,
    private readonly instance: string,
    private readonly runtime: InstanceRuntime,
  ) {}

  cancel(requestId: string): void {
    this.inFlight.get(requestId)?.abort(new AtlasError('cancelled', 'cancelled by the caller'));
  }

  async process(job: Job<GenerationJob>, worker: Worker): Promise<JobOutcome> {
    const parsed = generationJobSchema.safeParse(job.data);
    if (!parsed.success) {
      const error = zodIssueError(parsed.error, `job ${job.id} in ${job.queueName}: data`);
      throw new UnrecoverableError(`${error.message}; expected {requestId: string, attempt: integer}`);
    }
    const { requestId, attempt } = parsed.data;
    let begun: Awaited<ReturnType<GenerationContext['store']['begin']>>;
    try {
      begun = await this.context.store.begin({ id: requestId, attempt, instance: this.instance });
    } catch (error) {
      // Its stored JSON is damaged: no retry will read it; the failed job ends the request.
      if (error instanceof SyntaxError)
        throw new UnrecoverableError(`request ${requestId}: its record cannot be read (${error.message})`);
      throw error;
    }
    const { started, record } = begun;
    if (!record)
      throw new UnrecoverableError(
        `job ${job.id}: request ${requestId} has no record (expired, or never created)`,
      );
    if (started) return this.attempt(record, worker);
    // A retry of a step whose ending was recorded: make sure its continuation exists.
    if (isTerminal(record.status)) await this.context.continuations.enqueue(record);
    else if (record.attempt > attempt) {
      // A retry of a step that already forwarded: make sure the next attempt's job exists, then stop.
      await this.context.queues.addAttempt({ instance: record.instance, requestId, attempt: record.attempt });
    } else if (
      record.attempt === attempt &&
      record.instance === this.instance &&
      Date.now() >= record.deadlineAt
    ) {
      return this.failAtDeadline(record);
    }
    return 'skipped';
  }

  private async attempt(record: RequestRecord, worker: Worker): Promise<JobOutcome> {
    const { store, settings } = this.context;
    const model =
      record.plan.find((step) => step.instance === this.instance)?.model ??
      this.runtime.provider.defaultModel;
    const controller = new AbortController();
    const deadline = setTimeout(
      () => controller.abort(new AtlasError('timeout', `deadline of request ${record.id} passed`)),
      // setTimeout overflows past 2^31 ms; a deadline that far away is no deadline for one call.
      Math.min(record.deadlineAt - Date.now(), 2 ** 31 - 1),
    );
    this.inFlight.set(record.id, controller);
    const batcher = new DeltaBatcher(
      (text) => store.appendDelta({ id: record.id, instance: this.instance, text }),
      settings.generation.deltaFlushMs,
      settings.generation.deltaFlushChars,
    );
    const startedAt = Date.now();
    // What `/metrics` counts of this attempt, whichever way it ends.
    let counted: Omit<AttemptOutcome, 'instance' | 'ms'> = { outcome: 'error', kind: 'unavailable' };
    // `complete` counts the attempt it records, in the same round trip.
    let countedByComplete = false;
    try {
      const request = providerRequestFor(record.request, model);
      const response = await this.runtime.breaker.run(() =>
        record.request.stream
          ? this.streamThrough(request, controller.signal, batcher)
          : this.runtime.provider.generate(request, controller.signal),
      );
      await batcher.flush();
      const attempts = [...record.attempts, hopOf(this.instance, response.model, Date.now() - startedAt)];
      const result: GenerationResult = {
        text: response.text,
        toolCalls: response.toolCalls,
        provider: this.instance,
        model: response.model,
        usage: response.usage,
        costUsd: response.costUsd,
        hops: attempts.map(resultHopOf),
        latencyMs: Date.now() - record.createdAt,
      };
      const answered = {
        outcome: 'completed',
        request: 'completed',
        ...response.usage,
        costUsd: response.costUsd,
      } as const;
      const completed = await store.complete({
        id: record.id,
        attempt: record.attempt,
        instance: this.instance,
        result,
        attempts,
        counters: attemptIncrements({ instance: this.instance, ms: Date.now() - startedAt, ...answered }),
      });
      countedByComplete = true;
      if (completed)
        await this.context.continuations.enqueue({ ...record, status: 'completed', result, attempts });
      return 'completed';
    } catch (thrown) {
      batcher.discard();
      const reason = controller.signal.reason;
      const error =
        controller.signal.aborted && reason instanceof AtlasError
          ? reason
          : toAtlasError(thrown, this.instance);
      counted = { outcome: 'error', kind: error.kind };
      // The record of a cancelled request was ended by the caller; make sure its continuation exists.
      if (error.kind === 'cancelled') {
        const cancelled = await store.get(record.id);
        if (cancelled) await this.context.continuations.enqueue(cancelled);
        return 'cancelled';
      }
      const attempts = [...record.attempts, hopOf(this.instance, model, Date.now() - startedAt, error)];
      if (error.action(settings.generation.shortRateLimitWaitMs) === 'retry') {
        // A short 429: the whole instance waits, then this job runs again here.
        await worker.rateLimit(error.retryAfterMs ?? 1_000);
        throw Worker.RateLimitError();
      }
      if (error.action() === 'fail') {
        counted.request = 'failed';
        await finishRequest(this.context, {
          record,
          attempt: record.attempt,
          instance: this.instance,
          status: 'failed',
          error: error.toJSON(),
          attempts,
        });
        return 'failed';
      }
      const outcome = await forwardRequest(this.context, record, error, attempts, batcher.sent);
      if (outcome !== 'forwarded') counted.request = 'failed';
      return outcome === 'forwarded' ? 'forwarded' : 'failed';
    } finally {
      clearTimeout(deadline);
      this.inFlight.delete(record.id);
      // Off the job's path: awaiting here would also hold back a RateLimitError on its way to BullMQ.
      const { redis, keys } = this.context;
      if (!countedByComplete)
        void countAttempt(redis, keys, { instance: this.instance, ms: Date.now() - startedAt, ...counted });
    }
  }

  private async streamThrough(
    request: ProviderRequest,
    signal: AbortSignal,
    batcher: DeltaBatcher,
  ): Promise<ProviderResponse> {
    for await (const part of this.runtime.provider.stream(request, signal)) {
      if (part.type === 'text-delta') batcher.push(part.text);
      else if (part.type === 'finish') return part.response;
    }
    throw new AtlasError('unavailable', `${this.instance}: the stream ended without a finish`, {
      provider: this.instance,
    });
  }

  private async failAtDeadline(record: RequestRecord): Promise<JobOutcome> {
    const error = new AtlasError(
      'timeout',
      `deadline of request ${record.id} passed before ${this.instance} could try it`,
      {
        provider: this.instance,
      },
    );
    await finishRequest(this.context, {
      record,
      attempt: record.attempt,
      instance: this.instance,
      status: 'failed',
      error: error.toJSON(),
      attempts: record.attempts,
    });
    return 'failed';
  }
}
