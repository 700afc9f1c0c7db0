import { detectTaskType, type Requirements, requirementsForTask } from '../providers/capabilities.js';
import type { ModelInfo } from '../providers/catalogue.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { candidatesFor } from '../providers/strategies.js';

export interface TaskAwarePick {
  taskType: string;
  /**
   * Every instance it may use, the chosen one first and the rest by how well the model each would serve
   * suits the task: the request's failover plan, so a call is not lost with one instance.
   */
  providers: string[];
  /** The chosen instance's model; the other instances serve it only if they can, else their default. */
  model: string;
  /** Mean of strength / minimum over the task's requirements (met ones only). */
  score: number;
}

export interface TaskAwareAgentOptions {
  /** Instances it may pick from, in order of preference for ties. @default every configured instance */
  instances?: readonly string[];
}

interface Choice {
  instance: string;
  model: ModelInfo | undefined;
  score: number;
  order: number;
}

/**
 * The seed's TaskAwareAgent: for each step it detects the task type (the routing strategies' own
 * detection, unless the step names one) and picks the instance *and model* that suit it best from the
 * registry's catalogue, where task-aware routing only reorders instances on their default models.
 * Ties go to the cheaper model, then to the earlier instance. The other instances follow as fallbacks,
 * ranked the same way on the model each would serve; none is left out, so the fleet's failover (which
 * moves instances with no live worker or an open breaker to the back) still has somewhere to go.
 */
export class TaskAwareAgent {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly options: TaskAwareAgentOptions = {},
  ) {}

  pick(prompt: string, taskType?: string): TaskAwarePick {
    const chosenTask = taskType ?? detectTaskType(prompt);
    const requirements = requirementsForTask(chosenTask);
    const instances = [
      ...new Set(this.options.instances ?? this.registry.instances().map((info) => info.name)),
    ];
    let best: (Choice & { model: ModelInfo }) | undefined;
    instances.forEach((instance, order) => {
      for (const model of this.registry.modelsOf(instance)) {
        if (model.embeddingDimensions !== undefined) continue;
        const choice = { instance, model, score: scoreOf(model, requirements), order };
        if (!best || better(choice, best)) best = choice;
      }
    });
    if (!best) {
      const instance = this.registry.instance(instances[0] ?? '', 'instances');
      return { taskType: chosenTask, providers: instances, model: instance.defaultModel, score: 0 };
    }
    const chosen: Choice & { model: ModelInfo } = best;
    const fallbacks = candidatesFor(this.registry, instances, chosen.model.id, 'instances')
      .map(
        (candidate, order): Choice => ({
          instance: candidate.provider,
          model: candidate.info,
          score: scoreOf(candidate.info, requirements),
          order,
        }),
      )
      .filter((candidate) => candidate.instance !== chosen.instance)
      .sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0));
    return {
      taskType: chosenTask,
      providers: [chosen.instance, ...fallbacks.map((candidate) => candidate.instance)],
      model: chosen.model.id,
      score: chosen.score,
    };
  }
}

function scoreOf(model: ModelInfo | undefined, requirements: Requirements): number {
  const entries = Object.entries(requirements);
  let total = 0;
  for (const [capability, minimum] of entries) {
    const strength = model?.capabilities[capability] ?? 0;
    if (strength >= minimum) total += strength / minimum;
  }
  return entries.length ? total / entries.length : 0;
}

const price = (model: ModelInfo | undefined) =>
  model ? model.inputPricePerMillion + model.outputPricePerMillion : 0;

function better(a: Choice, b: Choice): boolean {
  if (a.score !== b.score) return a.score > b.score;
  if (price(a.model) !== price(b.model)) return price(a.model) < price(b.model);
  return a.order < b.order;
}
