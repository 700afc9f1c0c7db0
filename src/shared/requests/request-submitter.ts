import { randomUUID } from 'node:crypto';
import type { Settings } from '../config/settings.js';
import type { GenerationRequest } from '../jobs.js';
import type { Keys } from '../keys.js';
import { PlanBuilder } from '../providers/plan-builder.js';
import type { PlanStep } from '../providers/strategies.js';
import type { Redis } from '../redis.js';
import { validateRequest } from '../validate-request.js';
import { GenerationQueues } from './generation-queues.js';
import type { RequestStore } from './request-store.js';

export interface SubmitOptions {
  /** How long an idempotency key is remembered. @default the generation record TTL */
  idempotencyTtlMs?: number;
}

/**
 * Accepts generation requests: validate, plan, accept (one script: idempotency claim, record, `queued`
 * event), enqueue attempt 0. Used by the client and by agent workers, which must not depend on the
 * producer. A request whose idempotency key was taken gets the first request's id; if that one died
 * before adding its job, adding it again here is a no-op when it exists (its id derives from the request).
 */
export class RequestSubmitter {
  readonly queues: GenerationQueues;
  readonly planner: PlanBuilder;

  constructor(
    private readonly settings: Settings,
    redis: Redis,
    keys: Keys,
    private readonly store: RequestStore,
  ) {
    this.queues = new GenerationQueues(redis, keys, settings.workers);
    this.planner = new PlanBuilder(settings, redis, keys, this.queues);
  }

  /** The routing plan a request would get now, without accepting it. */
  plan(request: GenerationRequest): Promise<PlanStep[]> {
    return this.planner.build(this.validate(request));
  }

  /** Resolves to the request's id as soon as it is accepted. */
  async submit(request: GenerationRequest, options: SubmitOptions = {}): Promise<string> {
    return (await this.accept(request, options)).id;
  }

  /**
   * As `submit`, with the deadline of a request this call accepted; none when an idempotency key gave
   * an earlier request's id (its deadline is in its record).
   */
  async accept(
    request: GenerationRequest,
    options: SubmitOptions = {},
  ): Promise<{ id: string; deadlineAt?: number }> {
    const parsed = this.validate(request);
    const plan = await this.planner.build(parsed);
    const createdAt = Date.now();
    const deadlineAt = createdAt + (parsed.deadlineMs ?? this.settings.generation.defaultDeadlineMs);
    const { accepted, id } = await this.store.accept({
      id: randomUUID(),
      plan,
      request: parsed,
      createdAt,
      deadlineAt,
      ...(options.idempotencyTtlMs === undefined ? {} : { idempotencyTtlMs: options.idempotencyTtlMs }),
    });
    if (accepted) {
      await this.queues.addAttempt({ instance: plan[0]!.instance, requestId: id, attempt: 0 });
      return { id, deadlineAt };
    }
    const existing = await this.store.get(id);
    if (existing?.status === 'queued' && existing.attempt === 0)
      await this.queues.addAttempt({ instance: existing.instance, requestId: id, attempt: 0 });
    return { id };
  }

  private validate(request: GenerationRequest) {
    return validateRequest(request, { maxPromptChars: this.settings.generation.maxPromptChars });
  }

  async close(): Promise<void> {
    await this.queues.close();
  }
}
