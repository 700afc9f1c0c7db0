import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { AtlasError, toAtlasError } from '../../shared/errors.js';
import {
  type GenerationJob,
  type GenerationResult,
  generationJobSchema,
  type ParsedGenerationRequest,
} from '../../shared/jobs.js';
import type { Provider, ProviderRequest, ProviderResponse } from '../../shared/providers/provider.js';
import { isTerminal, type RequestRecord } from '../../shared/requests/request-store.js';
import type { FleetBreaker } from '../fleet-breaker.js';
import type { ContinuationQueues } from './continuations.js';
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
 * they end as a forward to the next hop, a wait on this instance (short 429), or a failed request.
 * What escapes (Redis lost mid-way) is retried by BullMQ, and every step here is safe to repeat.
 */
export class GenerationProcessor {
  /** Calls in flight in this process, by request id, so a cancel can abort them. */
  private readonly inFlight = new Map<string, AbortController>();

  constructor(
    private readonly context: GenerationContext,
    private readonly instance: string,
    private readonly runtime: InstanceRuntime,
    private readonly continuations: ContinuationQueues,
  ) {}

  cancel(requestId: string): void {
    this.inFlight.get(requestId)?.abort(new AtlasError('cancelled', 'cancelled by the caller'));
  }

  async process(job: Job<GenerationJob>, worker: Worker): Promise<JobOutcome> {
    const parsed = generationJobSchema.safeParse(job.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UnrecoverableError(
        `job ${job.id} in ${job.queueName}: ${issue.path.join('.') || 'data'}: ${issue.message}; expected {requestId: string, hop: integer}`,
      );
    }
    const { requestId, hop } = parsed.data;
    const { started, record } = await this.context.store.begin(requestId, hop, this.instance);
    if (!record)
      throw new UnrecoverableError(
        `job ${job.id}: request ${requestId} has no record (expired, or never created)`,
      );
    if (started) return this.attempt(record, worker);
    if (record.status === 'completed') await this.continuations.enqueue(record);
    else if (isTerminal(record.status)) return 'skipped';
    else if (record.hop > hop) {
      // A retry of a step that already forwarded: make sure the next hop exists, then stop.
      await this.context.queues.addHop(record.instance, requestId, record.hop);
    } else if (record.hop === hop && record.instance === this.instance && Date.now() >= record.deadlineAt) {
      return this.failAtDeadline(record);
    }
    return 'skipped';
  }

  private async attempt(record: RequestRecord, worker: Worker): Promise<JobOutcome> {
    const { store, settings } = this.context;
    const model =
      record.plan.find((step) => step.provider === this.instance)?.model ??
      this.runtime.provider.defaultModel;
    const controller = new AbortController();
    const deadline = setTimeout(
      () => controller.abort(new AtlasError('timeout', `deadline of request ${record.id} passed`)),
      // setTimeout overflows past 2^31 ms; a deadline that far away is no deadline for one call.
      Math.min(record.deadlineAt - Date.now(), 2 ** 31 - 1),
    );
    this.inFlight.set(record.id, controller);
    const batcher = new DeltaBatcher(
      (text) => store.appendDelta(record.id, this.instance, text),
      settings.generation.deltaFlushMs,
      settings.generation.deltaFlushChars,
    );
    const startedAt = Date.now();
    try {
      const request = providerRequestFor(record.request, model);
      const response = await this.runtime.breaker.run(() =>
        record.request.stream
          ? this.streamThrough(request, controller.signal, batcher)
          : this.runtime.provider.generate(request, controller.signal),
      );
      await batcher.flush();
      const hops = [...record.hops, hopOf(this.instance, response.model, Date.now() - startedAt)];
      const result: GenerationResult = {
        text: response.text,
        toolCalls: response.toolCalls,
        provider: this.instance,
        model: response.model,
        usage: response.usage,
        costUsd: response.costUsd,
        hops,
        latencyMs: Date.now() - record.createdAt,
      };
      await store.complete(record.id, record.hop, this.instance, result);
      await this.continuations.enqueue({ ...record, status: 'completed', result });
      return 'completed';
    } catch (thrown) {
      batcher.discard();
      const reason = controller.signal.reason;
      const error =
        controller.signal.aborted && reason instanceof AtlasError
          ? reason
          : toAtlasError(thrown, this.instance);
      // The record of a cancelled request was ended by the caller; nothing more to write.
      if (error.kind === 'cancelled') return 'cancelled';
      const hops = [...record.hops, hopOf(this.instance, model, Date.now() - startedAt, error)];
      if (error.action(settings.generation.shortRateLimitWaitMs) === 'retry') {
        // A short 429: the whole instance waits, then this job runs again here.
        await worker.rateLimit(error.retryAfterMs ?? 1_000);
        throw Worker.RateLimitError();
      }
      if (error.action() === 'fail') {
        await store.fail(record.id, record.hop, this.instance, error.toJSON(), hops);
        return 'failed';
      }
      const outcome = await forwardRequest(this.context, record, error, hops, batcher.sent);
      return outcome === 'forwarded' ? 'forwarded' : 'failed';
    } finally {
      clearTimeout(deadline);
      this.inFlight.delete(record.id);
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
    await this.context.store.fail(record.id, record.hop, this.instance, error.toJSON(), record.hops);
    return 'failed';
  }
}
