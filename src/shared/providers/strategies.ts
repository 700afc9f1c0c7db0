import type { ProviderType } from '../config/provider-settings.js';
import type { StrategyName } from '../config/settings.js';
import { detectTaskType, type Requirements, requirementsForTask } from './capabilities.js';
import { costRanks, detectProviderType, estimateCostUsd, type ModelInfo } from './catalogue.js';
import type { ProviderRegistry } from './registry.js';

export interface Candidate {
  provider: string;
  type: ProviderType;
  model: string;
  info: ModelInfo | undefined;
}

/** One step of a routing plan: the instance to try, and the model it would serve. */
export interface PlanStep {
  instance: string;
  model: string;
}

export interface RouteContext {
  prompt?: string;
  taskType?: string;
  /** Explicit requirements; they take precedence over the task type's. */
  capabilities?: Requirements;
  maxTokens?: number;
}

export interface PlanInput {
  candidates: Candidate[];
  strategy: StrategyName;
  context?: RouteContext;
  /** For round_robin: where the rotation starts (a counter shared by producers). */
  roundRobinIndex?: number;
  /** For queue_aware: queued jobs per live worker, by instance (no live worker: Infinity). */
  backlogPerWorker?: ReadonlyMap<string, number>;
}

/**
 * The candidates of a plan: each instance with the model it would serve. A named model is kept on
 * instances that serve it (or whose type it belongs to); the others use their default model.
 */
export function candidatesFor(
  registry: ProviderRegistry,
  instanceNames: readonly string[],
  model?: string,
  field = 'providers',
): Candidate[] {
  return instanceNames.map((name, index) => {
    const instance = registry.instance(name, `${field}[${index}]`);
    const serves =
      model !== undefined &&
      (registry.model(name, model) !== undefined || detectProviderType(model) === instance.type);
    const chosen = serves ? model : instance.defaultModel;
    return { provider: name, type: instance.type, model: chosen, info: registry.model(name, chosen) };
  });
}

/** Orders candidates into a routing plan. Pure: every input comes in as an argument. */
export function planRoute(input: PlanInput): PlanStep[] {
  return order(input).map(({ provider, model }) => ({ instance: provider, model }));
}

function order({
  candidates,
  strategy,
  context = {},
  roundRobinIndex = 0,
  backlogPerWorker,
}: PlanInput): Candidate[] {
  switch (strategy) {
    case 'failover':
      return [...candidates];
    case 'round_robin': {
      const start = candidates.length
        ? ((roundRobinIndex % candidates.length) + candidates.length) % candidates.length
        : 0;
      return [...candidates.slice(start), ...candidates.slice(0, start)];
    }
    case 'cost_optimized': {
      const inputTokens = Math.ceil((context.prompt?.length ?? 0) / 4);
      const outputTokens = context.maxTokens ?? 256;
      const price = (candidate: Candidate) => estimateCostUsd(candidate.info, { inputTokens, outputTokens });
      return stableSort(candidates, (a, b) => price(a) - price(b) || costRanks[a.type] - costRanks[b.type]);
    }
    case 'task_aware':
      return taskAware(candidates, context);
    case 'queue_aware': {
      const backlog = (candidate: Candidate) =>
        backlogPerWorker?.get(candidate.provider) ?? Number.POSITIVE_INFINITY;
      return stableSort(candidates, (a, b) => {
        const difference = backlog(a) - backlog(b);
        return Number.isNaN(difference) ? 0 : difference;
      });
    }
  }
}

/**
 * The seed's task-aware selection: for each requirement a candidate meets, it scores strength/minimum;
 * candidates meeting none are dropped; the rest are ranked by total score over the number of
 * requirements. When none meets any, the given order stands.
 */
function taskAware(candidates: Candidate[], context: RouteContext): Candidate[] {
  const requirements =
    context.capabilities && Object.keys(context.capabilities).length > 0
      ? context.capabilities
      : requirementsForTask(context.taskType ?? detectTaskType(context.prompt ?? ''));
  const entries = Object.entries(requirements);
  const scored: Array<{ candidate: Candidate; score: number }> = [];
  for (const candidate of candidates) {
    let total = 0;
    let matches = 0;
    for (const [capability, minimum] of entries) {
      const strength = candidate.info?.capabilities[capability] ?? 0;
      if (strength >= minimum) {
        total += strength / minimum;
        matches++;
      }
    }
    if (matches > 0) scored.push({ candidate, score: total / entries.length });
  }
  if (scored.length === 0) return [...candidates];
  return stableSort(scored, (a, b) => b.score - a.score).map(({ candidate }) => candidate);
}

function stableSort<T>(items: readonly T[], compare: (a: T, b: T) => number): T[] {
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => compare(a.item, b.item) || a.index - b.index)
    .map(({ item }) => item);
}
