import {
  type ProviderInstanceSettings,
  type ProviderType,
  parseInstance,
} from '../config/provider-settings.js';
import { ValidationError } from '../errors.js';
import { AnthropicProvider } from './anthropic/anthropic-provider.js';
import { builtInCatalogue, type ModelInfo } from './catalogue.js';
import { MockProvider } from './mock/mock-provider.js';
import { OllamaProvider } from './ollama/ollama-provider.js';
import { OpenAIProvider } from './openai/openai-provider.js';
import type { Provider } from './provider.js';
import { detectProviderType } from './registry.js';

export interface CreateProviderOptions {
  /** Instance name. @default the type */
  name?: string;
  /** Provider type; detected from `model` when omitted. */
  type?: ProviderType;
  /** Default model of the instance; also how the type is detected. */
  model?: string;
  /** Instance settings as in atlas.config.json (`type` not needed). */
  settings?: Record<string, unknown>;
  /** Key given in code instead of through the environment variable the settings name. */
  apiKey?: string;
  catalogue?: readonly ModelInfo[];
}

/** Builds one provider instance from a type (or a model name) and settings, as the seed's create_provider did. */
export function createProvider(options: CreateProviderOptions): Provider {
  const type = options.type ?? (options.model ? detectProviderType(options.model) : undefined);
  if (!type) {
    throw new ValidationError(
      options.model ? 'model' : 'type',
      options.model
        ? `cannot tell the provider of model '${options.model}'; give type: openai, anthropic, ollama or mock`
        : 'expected a provider type (openai, anthropic, ollama, mock) or a model name',
    );
  }
  const name = options.name ?? type;
  const settings = parseInstance(
    { ...options.settings, type, ...(options.model ? { defaultModel: options.model } : {}) },
    name,
  );
  return providerFromSettings(name, settings, options.catalogue ?? builtInCatalogue, options.apiKey);
}

/** Builds the provider of a configured instance. */
export function providerFromSettings(
  name: string,
  settings: ProviderInstanceSettings,
  catalogue: readonly ModelInfo[] = builtInCatalogue,
  apiKey?: string,
): Provider {
  const withKey = apiKey ? { apiKey } : {};
  switch (settings.type) {
    case 'openai':
      return new OpenAIProvider({ name, settings, catalogue, ...withKey });
    case 'anthropic':
      return new AnthropicProvider({ name, settings, catalogue, ...withKey });
    case 'ollama':
      return new OllamaProvider({ name, settings, catalogue });
    case 'mock':
      return new MockProvider({ name, settings, catalogue });
  }
}
