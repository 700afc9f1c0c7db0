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

/** The date the built-in prices and context windows were taken from the providers' price lists. */
export const catalogueDate = '2025-06-01';

const chat = (
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

const embedding = (
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

const everyday = {
  chat: 3,
  structured: 3,
  standard: 3,
  streaming: 3,
  tool_use: 3,
  json_output: 3,
  formatting: 3,
  multilingual: 3,
};

export const builtInCatalogue: readonly ModelInfo[] = [
  chat('openai', 'gpt-4o', [2.5, 10], 128_000, {
    ...everyday,
    premium: 3,
    vision: 3,
    reasoning: 3,
    logic: 3,
    math: 3,
    analysis: 3,
    code: 3,
    creative: 3,
    summarization: 3,
    extraction: 3,
    technical: 3,
    science: 3,
    multilingual: 4,
  }),
  chat('openai', 'gpt-4o-mini', [0.15, 0.6], 128_000, {
    ...everyday,
    inexpensive: 4,
    efficient: 4,
    vision: 2,
    reasoning: 2,
    logic: 2,
    math: 2,
    analysis: 2,
    code: 2,
    creative: 2,
    summarization: 3,
    extraction: 3,
    technical: 2,
  }),
  chat('openai', 'gpt-4.1', [2, 8], 1_047_576, {
    ...everyday,
    premium: 3,
    vision: 3,
    reasoning: 3,
    logic: 3,
    math: 3,
    analysis: 3,
    code: 4,
    creative: 3,
    summarization: 3,
    extraction: 4,
    technical: 4,
    tool_use: 4,
  }),
  chat('openai', 'gpt-4.1-mini', [0.4, 1.6], 1_047_576, {
    ...everyday,
    efficient: 4,
    inexpensive: 3,
    vision: 3,
    reasoning: 2,
    logic: 2,
    math: 2,
    analysis: 2,
    code: 3,
    creative: 2,
    summarization: 3,
    extraction: 3,
    technical: 3,
  }),
  chat('openai', 'o3-mini', [1.1, 4.4], 200_000, {
    standard: 2,
    streaming: 3,
    tool_use: 3,
    json_output: 3,
    reasoning: 4,
    logic: 4,
    math: 4,
    analysis: 3,
    code: 4,
    technical: 3,
    science: 3,
  }),
  embedding('openai', 'text-embedding-3-small', 0.02, 1536, 8191),
  embedding('openai', 'text-embedding-3-large', 0.13, 3072, 8191),

  chat('anthropic', 'claude-sonnet-4-20250514', [3, 15], 200_000, {
    ...everyday,
    premium: 3,
    vision: 3,
    reasoning: 4,
    logic: 4,
    math: 3,
    analysis: 4,
    code: 4,
    creative: 4,
    summarization: 4,
    extraction: 3,
    technical: 4,
    science: 3,
    tool_use: 4,
  }),
  chat('anthropic', 'claude-3-7-sonnet-20250219', [3, 15], 200_000, {
    ...everyday,
    premium: 3,
    vision: 3,
    reasoning: 4,
    logic: 3,
    math: 3,
    analysis: 4,
    code: 4,
    creative: 4,
    summarization: 4,
    extraction: 3,
    technical: 4,
    science: 3,
  }),
  chat('anthropic', 'claude-opus-4-20250514', [15, 75], 200_000, {
    ...everyday,
    premium: 4,
    vision: 3,
    reasoning: 4,
    logic: 4,
    math: 4,
    analysis: 4,
    code: 4,
    creative: 4,
    summarization: 4,
    extraction: 4,
    technical: 4,
    science: 4,
    legal: 3,
    medical: 3,
    finance: 3,
  }),
  chat('anthropic', 'claude-3-5-haiku-20241022', [0.8, 4], 200_000, {
    ...everyday,
    efficient: 4,
    inexpensive: 3,
    reasoning: 2,
    logic: 2,
    math: 2,
    analysis: 2,
    code: 3,
    creative: 3,
    summarization: 3,
    extraction: 3,
    technical: 2,
  }),

  chat('ollama', 'llama3.1', [0, 0], 128_000, {
    chat: 2,
    structured: 2,
    standard: 2,
    streaming: 3,
    inexpensive: 4,
    tool_use: 2,
    json_output: 2,
    formatting: 2,
    reasoning: 2,
    logic: 2,
    math: 1,
    analysis: 2,
    code: 2,
    creative: 2,
    summarization: 2,
    extraction: 2,
    technical: 2,
    multilingual: 2,
  }),
  chat('ollama', 'llama3', [0, 0], 8_192, {
    chat: 2,
    structured: 1,
    standard: 2,
    streaming: 3,
    inexpensive: 4,
    reasoning: 2,
    logic: 1,
    math: 1,
    analysis: 1,
    code: 2,
    creative: 2,
    summarization: 2,
    extraction: 1,
    technical: 1,
    multilingual: 1,
  }),
  chat('ollama', 'qwen2.5-coder', [0, 0], 32_768, {
    chat: 2,
    structured: 2,
    standard: 2,
    streaming: 3,
    inexpensive: 4,
    tool_use: 2,
    json_output: 2,
    reasoning: 2,
    code: 3,
    technical: 3,
    math: 2,
  }),
  chat('ollama', 'mistral', [0, 0], 32_768, {
    chat: 2,
    structured: 2,
    standard: 2,
    streaming: 3,
    inexpensive: 4,
    tool_use: 2,
    reasoning: 2,
    code: 2,
    creative: 2,
    summarization: 2,
    multilingual: 3,
  }),
  embedding('ollama', 'nomic-embed-text', 0, 768, 8192),

  chat('mock', 'mock-standard', [0, 0], 32_768, {
    chat: 2,
    structured: 2,
    standard: 2,
    streaming: 2,
    inexpensive: 4,
    efficient: 4,
    tool_use: 2,
    json_output: 2,
    reasoning: 2,
    code: 2,
    creative: 2,
    summarization: 2,
    extraction: 2,
    technical: 2,
  }),
  chat('mock', 'mock-basic', [0, 0], 8_192, {
    chat: 1,
    standard: 1,
    streaming: 1,
    inexpensive: 4,
    reasoning: 1,
  }),
  chat('mock', 'mock-advanced', [0, 0], 128_000, {
    chat: 3,
    structured: 3,
    vision: 2,
    standard: 3,
    streaming: 3,
    inexpensive: 4,
    tool_use: 3,
    json_output: 3,
    reasoning: 3,
    logic: 3,
    math: 3,
    analysis: 3,
    code: 3,
    creative: 3,
    summarization: 3,
    extraction: 3,
    technical: 3,
    multilingual: 3,
  }),
  { ...embedding('mock', 'mock-embed', 0, 1024, 1_000_000), capabilities: { embedding: 1, lexical: 1 } },
];

/** Default chat and embedding models per provider type. */
export const defaultModels: Record<ProviderType, { chat: string; embedding: string }> = {
  openai: { chat: 'gpt-4o-mini', embedding: 'text-embedding-3-small' },
  anthropic: { chat: 'claude-sonnet-4-20250514', embedding: '' },
  ollama: { chat: 'llama3.1', embedding: 'nomic-embed-text' },
  mock: { chat: 'mock-standard', embedding: 'mock-embed' },
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
