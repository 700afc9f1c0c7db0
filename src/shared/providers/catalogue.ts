import type { ProviderType } from '../config/provider-settings.js';
import type { ModelInfo } from './model-info.js';
import { providerDefinitions } from './provider-definitions.js';

export {
  estimateCostUsd,
  findModel,
  instanceCatalogue,
  type ModelInfo,
  type Strength,
} from './model-info.js';

/** The date the built-in prices and context windows were taken from the providers' price lists. */
export const catalogueDate = '2025-06-01';

/** Every provider type's built-in models, in the order of the definitions. */
export const builtInCatalogue: readonly ModelInfo[] = providerDefinitions.flatMap(
  (definition) => definition.models,
);

/** Default chat and embedding models per provider type (`embedding` '' where the type cannot embed). */
export const defaultModels = Object.fromEntries(
  providerDefinitions.map((definition) => [
    definition.type,
    { chat: definition.defaultModels.chat, embedding: definition.defaultModels.embedding ?? '' },
  ]),
) as Record<ProviderType, { chat: string; embedding: string }>;

/** Tie-break between equally priced candidates: lower is cheaper. */
export const costRanks = Object.fromEntries(
  providerDefinitions.map((definition) => [definition.type, definition.costRank]),
) as Record<ProviderType, number>;

/** The provider type a model name belongs to, as the seed's detect_provider_from_model. */
export function detectProviderType(model: string): ProviderType | undefined {
  return providerDefinitions.find((definition) => definition.detect(model))?.type;
}
