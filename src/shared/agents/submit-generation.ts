import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Settings } from '../config/settings.js';
import type { GenerationRequest } from '../jobs.js';
import type { Keys } from '../keys.js';
import { PlanBuilder } from '../providers/plan-builder.js';
import { GenerationQueues } from '../requests/generation-queues.js';
import { RequestStore } from '../requests/request-store.js';
import { validateRequest } from '../validate-request.js';

/**
 * Accepts a generation request the way the client's `submit` does (validate, plan, record, enqueue hop
 * 0), for agent workers, which must not depend on the producer. A request with an idempotency key is
 * accepted once: the key is claimed before the record is written, so a step that issues its LLM call
 * again (it was retried) gets the first request's id and adds nothing.
 */
export class GenerationSubmitter {
  readonly queues: GenerationQueues;
  private readonly store: RequestStore;
  private readonly planner: PlanBuilder;

  constructor(
    private readonly settings: Settings,
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {
    this.queues = new GenerationQueues(redis, keys, settings.workers);
    this.store = new RequestStore(redis, keys, settings.generation.recordTtlMs);
    this.planner = new PlanBuilder(settings, redis, keys, this.queues);
  }

  get registry() {
    return this.planner.registry;
  }

  /**
   * Resolves to the request's id. `idempotencyTtlMs` is how long the key is remembered (default: the
   * generation record TTL); a run passes its own lifetime so its keys go when it does.
   */
  async submit(request: GenerationRequest, options: { idempotencyTtlMs?: number } = {}): Promise<string> {
    const parsed = validateRequest(request);
    const key = parsed.idempotencyKey ? this.keys.idempotency(parsed.idempotencyKey) : undefined;
    let id: string | undefined;
    if (key) {
      id = (await this.redis.get(key)) ?? undefined;
      // Accepted already, unless the process that claimed the key died before writing the record.
      if (id && (await this.redis.exists(this.keys.request(id)))) return id;
    }
    const plan = await this.planner.build(parsed);
    if (key && !id) {
      const ttl = Math.max(1, Math.round(options.idempotencyTtlMs ?? this.settings.generation.recordTtlMs));
      const fresh = randomUUID();
      const claimed = await this.redis.set(key, fresh, 'PX', ttl, 'NX');
      id = claimed === 'OK' ? fresh : ((await this.redis.get(key)) ?? fresh);
      if (claimed !== 'OK' && (await this.redis.exists(this.keys.request(id)))) return id;
    }
    id ??= randomUUID();
    const createdAt = Date.now();
    await this.store.create({
      id,
      plan,
      request: parsed,
      createdAt,
      deadlineAt: createdAt + (parsed.deadlineMs ?? this.settings.generation.defaultDeadlineMs),
    });
    await this.queues.addHop(plan[0]!.provider, id, 0);
    return id;
  }

  async close(): Promise<void> {
    await this.queues.close();
  }
}
