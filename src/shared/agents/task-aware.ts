import { detectTaskType, requirementsForTask } from '../providers/capabilities.js';
import type { ModelInfo } from '../providers/catalogue.js';
import type { ProviderRegistry } from '../providers/registry.js';

export interface TaskAwarePick {
  taskType: string;
  /** The chosen instance (one: the request carries its model, which only that instance's type serves). */
  providers: [string];
  model: string;
  /** Mean of strength / minimum over the task's requirements (met ones only). */
  score: number;
}

export interface TaskAwareAgentOptions {
  /** Instances it may pick from, in order of preference for ties. @default every configured instance */
  instances?: readonly string[];
}

/**
 * The seed's TaskAwareAgent: for each step it detects the task type (the routing strategies' own
 * detection, unless the step names one) and picks the instance *and model* that suit it best from the
 * registry's catalogue, where task-aware routing only reorders instances on their default models.
 * Ties go to the cheaper model, then to the earlier instance.
 */
export class TaskAwareAgent {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly options: TaskAwareAgentOptions = {},
  ) {}

  pick(prompt: string, taskType?: string): TaskAwarePick {
    const chosenTask = taskType ?? detectTaskType(prompt);
    const requirements = Object.entries(requirementsForTask(chosenTask));
    const instances = this.options.instances ?? this.registry.instances().map((info) => info.name);
    let best: { instance: string; model: ModelInfo; score: number; order: number } | undefined;
    instances.forEach((instance, order) => {
      for (const model of this.registry.modelsOf(instance)) {
        if (model.embeddingDimensions !== undefined) continue;
        let total = 0;
        for (const [capability, minimum] of requirements) {
          const strength = model.capabilities[capability] ?? 0;
          if (strength >= minimum) total += strength / minimum;
        }
        const score = requirements.length ? total / requirements.length : 0;
        if (!best || better({ model, score, order }, best)) best = { instance, model, score, order };
      }
    });
    if (!best) {
      const instance = this.registry.instance(instances[0] ?? '', 'instances');
      return { taskType: chosenTask, providers: [instance.name], model: instance.defaultModel, score: 0 };
    }
    return { taskType: chosenTask, providers: [best.instance], model: best.model.id, score: best.score };
  }
}

const price = (model: ModelInfo) => model.inputPricePerMillion + model.outputPricePerMillion;

function better(
  a: { model: ModelInfo; score: number; order: number },
  b: { model: ModelInfo; score: number; order: number },
): boolean {
  if (a.score !== b.score) return a.score > b.score;
  if (price(a.model) !== price(b.model)) return price(a.model) < price(b.model);
  return a.order < b.order;
}
