import { urlFromEnvironment } from '../../config/environment.js';
import type { ProviderDefinition } from '../provider-definition.js';
import { anthropicDefaultModels, anthropicModels } from './anthropic-models.js';
import { AnthropicProvider } from './anthropic-provider.js';
import { anthropicSettingsSchema } from './anthropic-settings.js';

export const anthropicDefinition: ProviderDefinition<typeof anthropicSettingsSchema> = {
  type: 'anthropic',
  settingsSchema: anthropicSettingsSchema,
  create: (options) => new AnthropicProvider(options),
  models: anthropicModels,
  defaultModels: anthropicDefaultModels,
  costRank: 3,
  detect: (model) => model.toLowerCase().startsWith('claude'),
  fromEnvironment: (env) => ({ baseURL: urlFromEnvironment(env, 'ANTHROPIC_BASE_URL') }),
};
