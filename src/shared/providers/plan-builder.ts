import type { Settings } from '../config/settings.js';
import { type InstanceHealth, isUnhealthy, readFleetHealth } from '../fleet-health.js';
import type { ParsedGenerationRequest } from '../jobs.js';
import type { Keys } from '../keys.js';
import type { Redis } from '../redis.js';
import type { GenerationQueues } from '../requests/generation-queues.js';
import { requirementsForTask } from './capabilities.js';
import { ProviderRegistry } from './registry.js';
import { candidatesFor, type PlanStep, planRoute } from './strategies.js';

/**
 * Builds a request's routing plan: the strategy orders the candidates, then the fleet's health moves
 * instances whose breaker is open, or that no live worker serves, to the back.
 */
export class PlanBuilder {
  readonly registry: ProviderRegistry;
  /**
   * The fleet's health per set of instances, read at most once per `healthCacheMs` (as workers trust
   * breaker states): planning costs no round trip per request. Concurrent plans share one read.
   */
  private readonly health = new Map<string, { at: number; read: Promise<InstanceHealth[]> }>();

  constructor(
    private readonly settings: Settings,
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly queues: GenerationQueues,
  ) {
    this.registry = new ProviderRegistry(settings);
  }

  async build(request: ParsedGenerationRequest): Promise<PlanStep[]> {
    const instances = request.providers ?? this.settings.providerOrder;
    const candidates = candidatesFor(
      this.registry,
      instances,
      request.model,
      request.providers ? 'request.providers' : 'providerOrder',
    );
    if (request.taskType) requirementsForTask(request.taskType);
    // A task type or capabilities mean nothing to the other strategies: asking for them asks for task_aware.
    const strategy =
      request.strategy ??
      (request.taskType !== undefined || request.capabilities !== undefined
        ? 'task_aware'
        : this.settings.strategy);
    const now = Date.now();
    const health = await this.fleetHealth(instances, now);
    const roundRobinIndex =
      strategy === 'round_robin'
        ? (await this.redis.incr(this.keys.roundRobin([...instances].join(',')))) - 1
        : 0;
    const backlogPerWorker =
      strategy === 'queue_aware'
        ? await this.backlogs(
            instances,
            health.map((entry) => entry.liveWorkers),
          )
        : undefined;
    const plan = planRoute({
      candidates,
      strategy,
      context: {
        prompt: promptText(request),
        ...(request.taskType ? { taskType: request.taskType } : {}),
        ...(request.capabilities ? { capabilities: request.capabilities } : {}),
        ...(request.maxTokens ? { maxTokens: request.maxTokens } : {}),
      },
      roundRobinIndex,
      ...(backlogPerWorker ? { backlogPerWorker } : {}),
    });
    const unhealthy = new Set(
      health.filter((entry) => isUnhealthy(entry, now)).map((entry) => entry.instance),
    );
    // Everything unhealthy: keep the strategy's order rather than shuffle it for nothing.
    if (unhealthy.size === plan.length) return plan;
    return [
      ...plan.filter((step) => !unhealthy.has(step.instance)),
      ...plan.filter((step) => unhealthy.has(step.instance)),
    ];
  }

  private fleetHealth(instances: readonly string[], now: number): Promise<InstanceHealth[]> {
    const key = instances.join(',');
    const cached = this.health.get(key);
    if (cached && now - cached.at < this.settings.generation.healthCacheMs) return cached.read;
    const read = readFleetHealth(this.redis, this.keys, instances, now);
    const entry = { at: now, read };
    this.health.set(key, entry);
    // A failed read is not kept: the next plan reads again.
    read.catch(() => this.health.get(key) === entry && this.health.delete(key));
    return read;
  }

  private async backlogs(instances: readonly string[], liveWorkers: number[]): Promise<Map<string, number>> {
    const counts = await Promise.all(
      instances.map((instance) => this.queues.get(instance).getJobCounts('waiting', 'active', 'prioritized')),
    );
    return new Map(
      instances.map((instance, index) => {
        const backlog = Object.values(counts[index]!).reduce((sum, count) => sum + count, 0);
        const workers = liveWorkers[index] ?? 0;
        return [instance, workers === 0 ? Number.POSITIVE_INFINITY : backlog / workers];
      }),
    );
  }
}

function promptText(request: ParsedGenerationRequest): string {
  if (request.prompt !== undefined) return request.prompt;
  const lastUser = request.messages?.filter((message) => message.role === 'user').at(-1);
  return lastUser?.content ?? '';
}
