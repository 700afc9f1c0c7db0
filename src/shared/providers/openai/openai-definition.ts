import { urlFromEnvironment } from '../../config/environment.js';
import type { ProviderDefinition } from '../provider-definition.js';
import { openaiDefaultModels, openaiModels } from './openai-models.js';
import { OpenAIProvider } from './openai-provider.js';
import { openaiSettingsSchema } from './openai-settings.js';

export const openaiDefinition: ProviderDefinition<typeof openaiSettingsSchema> = {
  type: 'openai',
  settingsSchema: openaiSettingsSchema,
  create: (options) => new OpenAIProvider(options),
  models: openaiModels,
  defaultModels: openaiDefaultModels,
  costRank: 2,
  detect: (model) => /^(gpt-|o1|o3|o4|chatgpt|text-embedding-)/.test(model.toLowerCase()),
  fromEnvironment: (env) => ({ baseURL: urlFromEnvironment(env, 'OPENAI_BASE_URL') }),
};
