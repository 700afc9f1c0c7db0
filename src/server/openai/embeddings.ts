import { hostname } from 'node:os';
import * as z from 'zod';
import { ValidationError } from '../../shared/errors.js';
import { InstanceCache } from '../../shared/instance-cache.js';
import { createEmbedder } from '../../shared/knowledge/embedder.js';
import { providerFromSettings } from '../../shared/providers/create-provider.js';
import type { Provider } from '../../shared/providers/provider.js';
import { ProviderRegistry } from '../../shared/providers/registry.js';
import { type FleetBreaker, fleetBreakerFor } from '../../workers/fleet-breaker.js';
import { HttpError } from '../http-error.js';
import type { ServerContext } from '../server-context.js';

/** The most texts one embeddings request takes (OpenAI's own limit). */
const maxInputs = 2048;

export const embeddingsRequestSchema = z
  .object({
    model: z.string().min(1),
    input: z.union([z.string(), z.array(z.string()).min(1).max(maxInputs)]),
    encoding_format: z.enum(['float', 'base64']).default('float'),
    dimensions: z.number().int().positive().optional(),
    user: z.string().optional(),
  })
  .strict();
export type EmbeddingsRequest = z.output<typeof embeddingsRequestSchema>;

export interface EmbeddingsResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/**
 * OpenAI's Embeddings API, computed in the server process (not queued, as search is): `model` names an
 * instance (its default embedding model), `instance/model`, or an embedding model some instance serves.
 * Every call goes through the instance's fleet breaker, so an embedder down for the workers is down here
 * too, and failures here count towards opening it.
 */
export class ServerEmbeddings {
  private readonly registry: ProviderRegistry;
  private readonly providers: InstanceCache<Provider>;
  private readonly breakers: InstanceCache<FleetBreaker>;

  constructor(private readonly context: ServerContext) {
    const { settings, redis, keys, log } = context;
    this.registry = new ProviderRegistry(settings);
    this.providers = new InstanceCache((instance) =>
      providerFromSettings(instance, settings.providers[instance]!),
    );
    const workerId = `atlas-server:${hostname()}:${process.pid}`;
    this.breakers = new InstanceCache((instance) =>
      fleetBreakerFor(settings, instance, { redis, keys, workerId, log }),
    );
  }

  /** The instance and model `model` names; an unknown one is a 404 `model_not_found` naming `model`. */
  resolve(model: string): { instance: string; model: string | undefined } {
    const instances = this.registry.instances();
    const byName = instances.find((instance) => instance.name === model);
    if (byName) return { instance: byName.name, model: undefined };
    const slash = model.indexOf('/');
    if (slash > 0) {
      const instance = instances.find((entry) => entry.name === model.slice(0, slash));
      const id = model.slice(slash + 1);
      if (instance && id) {
        const known = instance.models.find((entry) => entry.id === id);
        if (known && known.embeddingDimensions === undefined)
          throw new ValidationError('model', `${id} on ${instance.name} is not an embedding model`);
        return { instance: instance.name, model: id };
      }
    }
    const serving = instances.find((instance) =>
      instance.models.some((entry) => entry.id === model && entry.embeddingDimensions !== undefined),
    );
    if (serving) return { instance: serving.name, model };
    const names = instances.map((instance) => instance.name).join(', ');
    throw new HttpError(
      404,
      'model_not_found',
      `no embedding model '${model}': expected an instance name (${names}), instance/model, or an embedding model an instance serves`,
      'model',
    );
  }

  async create(request: EmbeddingsRequest): Promise<EmbeddingsResponse> {
    const texts = typeof request.input === 'string' ? [request.input] : request.input;
    const chosen = this.resolve(request.model);
    let promptTokens = 0;
    const counted = (instance: string): Provider => {
      const provider = this.providers.get(instance);
      if (!provider.embed) return provider;
      return Object.assign(Object.create(provider) as Provider, {
        embed: async (batch: string[], options: Parameters<NonNullable<Provider['embed']>>[1]) => {
          const result = await provider.embed!(batch, options);
          promptTokens += result.usage.inputTokens;
          return result;
        },
      });
    };
    const embedder = createEmbedder(
      {
        settings: this.context.settings,
        provider: counted,
        guard: (instance, call) => this.breakers.get(instance).run(call),
      },
      { embedder: chosen.instance, embeddingModel: chosen.model },
    );
    const vectors = await embedder.embed(texts);
    if (request.dimensions !== undefined && vectors[0] && vectors[0].length !== request.dimensions)
      throw new ValidationError(
        'dimensions',
        `${embedder.instance}/${embedder.model} embeds in ${vectors[0].length} dimensions, not ${request.dimensions}`,
      );
    return {
      object: 'list',
      data: vectors.map((vector, index) => ({
        object: 'embedding',
        index,
        embedding: request.encoding_format === 'base64' ? toBase64(vector) : vector,
      })),
      model: `${embedder.instance}/${embedder.model}`,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    };
  }

  close(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }
}

/** OpenAI's base64 form: the vector's float32 values, little-endian. */
function toBase64(vector: number[]): string {
  const floats = new Float32Array(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}
