import { type Environment, urlFromEnvironment } from '../../config/environment.js';
import type { ProviderDefinition } from '../provider-definition.js';
import { ollamaDefaultModels, ollamaModels } from './ollama-models.js';
import { OllamaProvider } from './ollama-provider.js';
import { ollamaSettingsSchema } from './ollama-settings.js';

export const ollamaDefinition: ProviderDefinition<typeof ollamaSettingsSchema> = {
  type: 'ollama',
  settingsSchema: ollamaSettingsSchema,
  // Ollama needs no key in code: a key, when one is used, is read from the variable the settings name.
  create: ({ apiKey: _apiKey, ...options }) => new OllamaProvider(options),
  models: ollamaModels,
  defaultModels: ollamaDefaultModels,
  costRank: 1,
  detect: (model) =>
    /^(llama|mistral|mixtral|gemma|qwen|phi|deepseek|nomic-|codellama)/.test(model.toLowerCase()),
  fromEnvironment: (env) => ({ host: ollamaHost(env) }),
};

/** OLLAMA_HOST is often given without a scheme (`127.0.0.1:11434`), as Ollama itself accepts. */
function ollamaHost(env: Environment): string | undefined {
  const value = env['OLLAMA_HOST']?.trim();
  if (!value) return undefined;
  return urlFromEnvironment(
    { OLLAMA_HOST: /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}` },
    'OLLAMA_HOST',
  );
}
