import { anthropicDefinition } from './anthropic/anthropic-definition.js';
import { mockDefinition } from './mock/mock-definition.js';
import { ollamaDefinition } from './ollama/ollama-definition.js';
import { openaiDefinition } from './openai/openai-definition.js';

/**
 * Every provider type Atlas has, in the order of the built-in instances. The settings union,
 * `createProvider`, model-name detection, cost ranks and the built-in catalogue come from this list:
 * a new provider is its folder and one line here.
 */
export const providerDefinitions = [
  openaiDefinition,
  anthropicDefinition,
  ollamaDefinition,
  mockDefinition,
] as const;

export type ProviderDefinitionOf<Type extends string> = Extract<
  (typeof providerDefinitions)[number],
  { type: Type }
>;
