import type { ProviderType } from '../config/provider-settings.js';
import type { Usage } from '../jobs.js';

/** Strength of a capability: 1 basic, 2 moderate, 3 strong, 4 exceptional. */
export type Strength = 1 | 2 | 3 | 4;

export interface ModelInfo {
  id: string;
  providerType: ProviderType;
  capabilities: Record<string, number>;
  /** US dollars per million input tokens. */
  inputPricePerMillion: number;
  outputPricePerMillion: number;
  contextWindow: number;
  /** Set on embedding models. */
  embeddingDimensions?: number;
}

/** A chat model's catalogue entry. */
export const chatModel = (
  providerType: ProviderType,
  id: string,
  prices: [number, number],
  contextWindow: number,
  capabilities: Record<string, number>,
): ModelInfo => ({
  id,
  providerType,
  capabilities,
  inputPricePerMillion: prices[0],
  outputPricePerMillion: prices[1],
  contextWindow,
});

/** An embedding model's catalogue entry. */
export const embeddingModel = (
  providerType: ProviderType,
  id: string,
  price: number,
  dimensions: number,
  contextWindow: number,
): ModelInfo => ({
  id,
  providerType,
  capabilities: { embedding: 3 },
  inputPricePerMillion: price,
  outputPricePerMillion: 0,
  contextWindow,
  embeddingDimensions: dimensions,
});

/** Strengths most current chat models share. */
export const everyday = {
  chat: 3,
  structured: 3,
  standard: 3,
  streaming: 3,
  tool_use: 3,
  json_output: 3,
  formatting: 3,
  multilingual: 3,
};

/** Looks a model up, allowing dated or tagged variants of a known id (`gpt-4o-2024-08-06`, `llama3.1:8b`). */
export function findModel(catalogue: readonly ModelInfo[], modelId: string): ModelInfo | undefined {
  const exact = catalogue.find((model) => model.id === modelId);
  if (exact) return exact;
  const base = modelId.split(':')[0]!;
  return catalogue
    .filter((model) => base === model.id || base.startsWith(`${model.id}-`))
    .sort((a, b) => b.id.length - a.id.length)[0];
}

export function estimateCostUsd(model: ModelInfo | undefined, usage: Usage): number {
  if (!model) return 0;
  return (
    (usage.inputTokens * model.inputPricePerMillion + usage.outputTokens * model.outputPricePerMillion) /
    1_000_000
  );
}

/** An instance's view of the catalogue: its own `models` settings first, so they override built-in entries. */
export function instanceCatalogue(
  settings: { type: ProviderType; models: ReadonlyArray<Omit<ModelInfo, 'providerType'>> },
  catalogue: readonly ModelInfo[],
): ModelInfo[] {
  return [...settings.models.map((model) => ({ ...model, providerType: settings.type })), ...catalogue];
}
