import type { ProviderDefinition } from '../provider-definition.js';
import { mockDefaultModels, mockModels } from './mock-models.js';
import { MockProvider } from './mock-provider.js';
import { mockSettingsSchema } from './mock-settings.js';

export const mockDefinition: ProviderDefinition<typeof mockSettingsSchema> = {
  type: 'mock',
  settingsSchema: mockSettingsSchema,
  create: ({ apiKey: _apiKey, ...options }) => new MockProvider(options),
  models: mockModels,
  defaultModels: mockDefaultModels,
  costRank: 0,
  detect: (model) => model.toLowerCase().startsWith('mock'),
  fromEnvironment: () => ({}),
};
