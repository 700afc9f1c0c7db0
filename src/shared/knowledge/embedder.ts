import type { ProviderType } from '../config/provider-settings.js';
import type { Settings } from '../config/settings.js';
import { AtlasError, toAtlasError, ValidationError } from '../errors.js';
import { defaultModels } from '../providers/catalogue.js';
import type { Provider } from '../providers/provider.js';

/** Texts per embedding request. */
const embedBatch = 64;

export interface Embedder {
  /** The instance asked for (or chosen by default); others of its type may serve a batch when it fails. */
  instance: string;
  model: string;
  /** `lexical` for the offline hashing embedder, `semantic` for a model's. */
  kind: 'lexical' | 'semantic';
  /** The instances tried, in order: the chosen one, then the others of its type. */
  candidates: string[];
  embed(texts: string[]): Promise<number[][]>;
}

export interface EmbedderSources {
  settings: Pick<Settings, 'providers'>;
  /** The provider of a configured instance, built once per process. */
  provider(instance: string): Provider;
  /** Runs one call to an instance through its circuit breaker. @default the call as it is */
  guard?<T>(instance: string, call: () => Promise<T>): Promise<T>;
}

/**
 * The embedder of a collection, batched and failing over. Vectors of two models never mix in a
 * collection, so a batch fails over only to instances of the same type asked for the same model (two
 * OpenAI-compatible endpoints, two Ollama hosts): never to another model that would answer in another
 * space. A mistake in the request itself (a model the instance does not have) fails at once.
 */
export function createEmbedder(
  sources: EmbedderSources,
  asked: { embedder?: string | undefined; embeddingModel?: string | undefined },
): Embedder {
  const { instance, type, model } = chooseEmbedder(sources.settings, asked);
  const provider = sources.provider(instance);
  if (!provider.embed)
    throw new ValidationError(
      'embedder',
      `${instance} (${type}) has no embeddings; use an openai, ollama or mock instance`,
    );
  const candidates = [
    instance,
    ...Object.entries(sources.settings.providers)
      .filter(([name, settings]) => name !== instance && settings.type === type)
      .map(([name]) => name),
  ];
  const guard = sources.guard ?? (<T>(_instance: string, call: () => Promise<T>) => call());

  const embedOnce = async (texts: string[]): Promise<number[][]> => {
    const failures: AtlasError[] = [];
    for (const candidate of candidates) {
      try {
        const embedding = sources.provider(candidate);
        return (await guard(candidate, () => embedding.embed!(texts, { model }))).vectors;
      } catch (error) {
        const failure = toAtlasError(error, candidate);
        if (failure.action() === 'fail') throw error;
        failures.push(failure);
      }
    }
    throw new AtlasError(
      failures.at(-1)!.kind,
      `every instance serving ${model} failed: ${failures.map((failure) => failure.message).join('; ')}`,
    );
  };

  return {
    instance,
    model,
    kind: type === 'mock' ? 'lexical' : 'semantic',
    candidates,
    async embed(texts) {
      const vectors: number[][] = [];
      for (let start = 0; start < texts.length; start += embedBatch) {
        vectors.push(...(await embedOnce(texts.slice(start, start + embedBatch))));
      }
      return vectors;
    },
  };
}

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
  const instanceSettings =
    instance && Object.hasOwn(settings.providers, instance) ? settings.providers[instance] : undefined;
  if (!instance || !instanceSettings) {
    const given = asked.embedder === undefined ? '' : `, got '${asked.embedder}'`;
    throw new ValidationError(
      'embedder',
      `expected a configured provider instance; configured: ${Object.keys(settings.providers).join(', ')}${given}`,
    );
  }
  return {
    instance,
    type: instanceSettings.type,
    model: asked.embeddingModel ?? defaultModels[instanceSettings.type].embedding,
  };
}
