import type { Redis } from 'ioredis';
import type { Settings } from '../shared/config/settings.js';
import { ValidationError } from '../shared/errors.js';
import { InstanceCache } from '../shared/instance-cache.js';
import type { Keys } from '../shared/keys.js';
import { DocumentRegistry } from '../shared/knowledge/document-registry.js';
import { createEmbedder } from '../shared/knowledge/embedder.js';
import { openStore } from '../shared/knowledge/open-store.js';
import type { SearchHit, SearchMode, VectorStore } from '../shared/knowledge/vector-store.js';
import { validateWhere, validateWhereDocument } from '../shared/knowledge/where-filter.js';
import { providerFromSettings } from '../shared/providers/create-provider.js';
import type { Provider } from '../shared/providers/provider.js';

export interface SearchRequest {
  collection: string;
  /** @default 'hybrid' */
  mode?: SearchMode;
  /** @default 5 */
  k?: number;
  where?: unknown;
  whereDocument?: unknown;
  /** Instance that embeds the query; must match the collection's. @default the first mock instance */
  embedder?: string;
  embeddingModel?: string;
}

/**
 * Reads of the knowledge base go straight from the producer to the store (only writes go through
 * ingestion jobs): the query is embedded with the collection's embedder and searched in its store.
 */
export class KnowledgeClient {
  readonly registry: DocumentRegistry;
  private store: VectorStore | undefined;
  /** Providers are built once per instance, not once per search. */
  private readonly providers = new InstanceCache<Provider>((instance) =>
    providerFromSettings(instance, this.settings.providers[instance]!),
  );

  constructor(
    private readonly settings: Settings,
    redis: Redis,
    keys: Keys,
  ) {
    this.registry = new DocumentRegistry(redis, keys);
  }

  async search(query: string, request: SearchRequest): Promise<SearchHit[]> {
    if (!query.trim()) throw new ValidationError('query', 'expected some words to search for');
    const mode = request.mode ?? 'hybrid';
    const where = request.where === undefined ? undefined : validateWhere(request.where);
    const whereDocument =
      request.whereDocument === undefined ? undefined : validateWhereDocument(request.whereDocument);
    let vector: number[] | undefined;
    if (mode !== 'keyword') {
      const embedder = createEmbedder(
        { settings: this.settings, provider: (name) => this.providers.get(name) },
        request,
      );
      const model = embedder.model;
      [vector] = await embedder.embed([query]);
      // Checks the collection exists and was built with this embedder: vectors of two models never mix.
      await this.storeOf().ensureCollection(
        { name: request.collection, embeddingModel: model, dimensions: vector?.length ?? 0 },
        { create: false },
      );
    }
    return this.storeOf().search(request.collection, {
      mode,
      k: request.k ?? 5,
      query,
      ...(vector ? { vector } : {}),
      ...(where ? { where } : {}),
      ...(whereDocument ? { whereDocument } : {}),
    });
  }

  /** Deletes a document's chunks and its registry entry. */
  async deleteDocument(collection: string, documentId: string): Promise<number> {
    const removed = await this.storeOf().deleteDocument(collection, documentId);
    await this.registry.remove(collection, documentId);
    return removed;
  }

  async close(): Promise<void> {
    await this.store?.close();
  }

  private storeOf(): VectorStore {
    this.store ??= openStore(this.settings);
    return this.store;
  }
}
