import {
  type ProviderInstanceSettings,
  type ProviderType,
  parseInstance,
} from '../config/provider-settings.js';
import { ValidationError } from '../errors.js';
import { builtInCatalogue, detectProviderType, type ModelInfo } from './catalogue.js';
import type { Provider } from './provider.js';
import type { ProviderFactoryOptions } from './provider-definition.js';
import { providerDefinitions } from './provider-definitions.js';

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

const typeList = providerDefinitions.map((definition) => definition.type).join(', ');

/**
 * Builds one provider instance from a type (or a model name) and settings, as the seed's
 * create_provider did. Synchronous; the provider's SDK loads on its first call.
 */
export function createProvider(options: CreateProviderOptions): Provider {
  const type = options.type ?? (options.model ? detectProviderType(options.model) : undefined);
  if (!type) {
    throw new ValidationError(
      options.model ? 'model' : 'type',
      options.model
        ? `cannot tell the provider of model '${options.model}'; give type: ${typeList.replace(/, (?=[^,]*$)/, ' or ')}`
        : `expected a provider type (${typeList}) or a model name`,
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
  const definition = providerDefinitions.find((candidate) => candidate.type === settings.type);
  if (!definition) throw new ValidationError('type', `unknown provider type '${settings.type}'`);
  // The definition found is the one whose schema parsed these settings.
  const create = definition.create as (options: ProviderFactoryOptions<ProviderInstanceSettings>) => Provider;
  return create({ name, settings, catalogue, ...(apiKey ? { apiKey } : {}) });
}
