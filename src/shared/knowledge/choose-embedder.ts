import type { ProviderType, Settings } from '../config.js';
import { ValidationError } from '../errors.js';
import { defaultModels } from '../providers/catalogue.js';

export interface EmbedderChoice {
  instance: string;
  type: ProviderType;
  model: string;
}

/**
 * The instance and model that embed for a collection: the one asked for, else the first mock instance
 * (hashing embeddings, offline, lexical). Ingestion and search choose alike, so their vectors match.
 */
export function chooseEmbedder(
  settings: Pick<Settings, 'providers'>,
  asked: { embedder?: string | undefined; embeddingModel?: string | undefined },
): EmbedderChoice {
  const instance =
    asked.embedder ??
    Object.entries(settings.providers).find(([, instanceSettings]) => instanceSettings.type === 'mock')?.[0];
  const instanceSettings = instance ? settings.providers[instance] : undefined;
  if (!instance || !instanceSettings) {
    throw new ValidationError(
      'embedder',
      `expected a configured provider instance; configured: ${Object.keys(settings.providers).join(', ')}`,
    );
  }
  return {
    instance,
    type: instanceSettings.type,
    model: asked.embeddingModel ?? defaultModels[instanceSettings.type].embedding,
  };
}
