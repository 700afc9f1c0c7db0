import type { ProviderInstanceSettings, ProviderType } from '../config/provider-settings.js';
import type { Settings } from '../config/settings.js';
import { ValidationError } from '../errors.js';
import type { Requirements } from './capabilities.js';
import { builtInCatalogue, defaultModels, findModel, type ModelInfo } from './catalogue.js';

export { detectProviderType } from './catalogue.js';

export interface InstanceInfo {
  name: string;
  type: ProviderType;
  settings: ProviderInstanceSettings;
  defaultModel: string;
  /** Built-in models of the instance's type, with the instance's own entries added or overriding them. */
  models: ModelInfo[];
}

export interface ModelMatch {
  instance: string;
  model: ModelInfo;
  /** Mean strength over the required capabilities. */
  score: number;
}

/** Configured instances, their models, and each model's capabilities, prices and context window. */
export class ProviderRegistry {
  private readonly byName = new Map<string, InstanceInfo>();

  constructor(settings: Pick<Settings, 'providers'>, catalogue: readonly ModelInfo[] = builtInCatalogue) {
    for (const [name, instanceSettings] of Object.entries(settings.providers)) {
      const own = instanceSettings.models.map((model): ModelInfo => {
        const { embeddingDimensions, ...rest } = model;
        return {
          ...rest,
          providerType: instanceSettings.type,
          ...(embeddingDimensions ? { embeddingDimensions } : {}),
        };
      });
      const ownIds = new Set(own.map((model) => model.id));
      const builtIn = catalogue.filter(
        (model) => model.providerType === instanceSettings.type && !ownIds.has(model.id),
      );
      this.byName.set(name, {
        name,
        type: instanceSettings.type,
        settings: instanceSettings,
        defaultModel: instanceSettings.defaultModel ?? defaultModels[instanceSettings.type].chat,
        models: [...own, ...builtIn],
      });
    }
  }

  instances(): InstanceInfo[] {
    return [...this.byName.values()];
  }

  instance(name: string, field = 'provider'): InstanceInfo {
    const info = this.byName.get(name);
    if (!info)
      throw new ValidationError(
        field,
        `unknown provider instance '${name}'; configured: ${[...this.byName.keys()].join(', ')}`,
      );
    return info;
  }

  modelsOf(name: string): ModelInfo[] {
    return this.instance(name).models;
  }

  model(name: string, modelId: string): ModelInfo | undefined {
    return findModel(this.instance(name).models, modelId);
  }

  strength(name: string, modelId: string, capability: string): number {
    return this.model(name, modelId)?.capabilities[capability] ?? 0;
  }

  /** Every instance and model meeting all requirements, best mean strength first. */
  findModels(requirements: Requirements): ModelMatch[] {
    const entries = Object.entries(requirements);
    const matches: ModelMatch[] = [];
    for (const info of this.byName.values()) {
      for (const model of info.models) {
        if (entries.every(([capability, minimum]) => (model.capabilities[capability] ?? 0) >= minimum)) {
          const total = entries.reduce((sum, [capability]) => sum + (model.capabilities[capability] ?? 0), 0);
          matches.push({ instance: info.name, model, score: entries.length ? total / entries.length : 0 });
        }
      }
    }
    return matches.sort((a, b) => b.score - a.score);
  }
}
