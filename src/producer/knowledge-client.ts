import type { Redis } from 'ioredis';
import type { Settings } from '../shared/config/settings.js';
import { ValidationError } from '../shared/errors.js';
import { InstanceCache } from '../shared/instance-cache.js';
import type { GenerationRequest, GenerationResult } from '../shared/jobs.js';
import type { Keys } from '../shared/keys.js';
import { type DocumentEntry, DocumentRegistry } from '../shared/knowledge/document-registry.js';
import { createEmbedder } from '../shared/knowledge/embedder.js';
import type { IngestOptions, IngestSummary } from '../shared/knowledge/ingest-jobs.js';
import {
  type FusionWeights,
  fusionWeights,
  type SearchHit,
  type SearchMode,
  type VectorStore,
} from '../shared/knowledge/vector-store.js';
import { validateWhere, validateWhereDocument } from '../shared/knowledge/where-filter.js';
import { providerFromSettings } from '../shared/providers/create-provider.js';
import type { Provider } from '../shared/providers/provider.js';
import { promptWithSources } from './answer-with-sources.js';
import { IngestionClient, type IngestProgress, type SubmittedBatch } from './ingestion-client.js';

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

/** What `ask` takes: where to search, and the generation request the answer is made with. */
export type AskRequest = SearchRequest & Omit<GenerationRequest, 'prompt' | 'messages' | 'system'>;

/** The documents of a collection, as the registry knows them. */
export interface KnowledgeDocuments {
  list(collection: string): Promise<DocumentEntry[]>;
  get(collection: string, documentId: string): Promise<DocumentEntry | undefined>;
  /** Deletes a document's chunks and its registry entry; resolves to how many chunks went. */
  delete(collection: string, documentId: string): Promise<number>;
}

/**
 * The knowledge base, from the producer's side. Writes go through ingestion jobs (`ingest`, then
 * `wait` or `progress`); reads go straight to the store: the query is embedded with the collection's
 * embedder and searched there. The store (LanceDB or Qdrant) and the embedder's SDK load on first use.
 */
export class KnowledgeClient {
  readonly documents: KnowledgeDocuments;
  private readonly registry: DocumentRegistry;
  private readonly batches: IngestionClient;
  private store: Promise<VectorStore> | undefined;
  /** Providers are built once per instance, not once per search. */
  private readonly providers = new InstanceCache<Provider>((instance) =>
    providerFromSettings(instance, this.settings.providers[instance]!),
  );

  constructor(
    private readonly settings: Settings,
    redis: Redis,
    keys: Keys,
    private readonly generate: (request: GenerationRequest) => Promise<GenerationResult>,
  ) {
    this.registry = new DocumentRegistry(redis, keys);
    this.batches = new IngestionClient(redis, keys, settings.workers);
    this.documents = {
      list: (collection) => this.registry.list(collection),
      get: (collection, documentId) => this.registry.get(collection, documentId),
      delete: async (collection, documentId) => {
        const removed = await (await this.storeOf()).deleteDocument(collection, documentId);
        await this.registry.remove(collection, documentId);
        return removed;
      },
    };
  }

  /** Enqueues a batch ingestion (one job per document under one parent); resolves once accepted. */
  ingest(sources: readonly string[], options: IngestOptions): Promise<SubmittedBatch> {
    return this.batches.ingest(sources, options);
  }

  /** Waits for a batch's summary, reporting progress as documents finish. */
  wait(
    batchId: string,
    onProgress?: (progress: IngestProgress) => void,
    timeoutMs?: number,
  ): Promise<IngestSummary> {
    return this.batches.wait(batchId, onProgress, timeoutMs);
  }

  /** Documents of a batch finished (added, skipped or failed) out of its total. */
  progress(batchId: string): Promise<IngestProgress> {
    return this.batches.progress(batchId);
  }

  /** Searches a collection: semantic, keyword or hybrid, with metadata and document-text filters. */
  async search(query: string, request: SearchRequest): Promise<SearchHit[]> {
    if (!query.trim()) throw new ValidationError('query', 'expected some words to search for');
    const mode = request.mode ?? 'hybrid';
    const where = request.where === undefined ? undefined : validateWhere(request.where);
    const whereDocument =
      request.whereDocument === undefined ? undefined : validateWhereDocument(request.whereDocument);
    const store = await this.storeOf();
    let vector: number[] | undefined;
    let fusion: FusionWeights | undefined;
    if (mode !== 'keyword') {
      const embedder = createEmbedder(
        { settings: this.settings, provider: (name) => this.providers.get(name) },
        request,
      );
      const model = embedder.model;
      [vector] = await embedder.embed([query]);
      fusion = fusionWeights(embedder.kind);
      // Checks the collection exists and was built with this embedder: vectors of two models never mix.
      await store.ensureCollection(
        { name: request.collection, embeddingModel: model, dimensions: vector?.length ?? 0 },
        { create: false },
      );
    }
    return store.search(request.collection, {
      mode,
      k: request.k ?? 5,
      query,
      ...(vector ? { vector } : {}),
      ...(mode === 'hybrid' && fusion ? { fusion } : {}),
      ...(where ? { where } : {}),
      ...(whereDocument ? { whereDocument } : {}),
    });
  }

  /**
   * Retrieval-augmented generation: searches the collection, then generates through the queue (with
   * every failover of the generation path) and returns the answer with the chunks it was given.
   */
  async ask(question: string, options: AskRequest): Promise<GenerationResult & { citations: SearchHit[] }> {
    const { collection, mode, k, where, whereDocument, embedder, embeddingModel, ...generation } = options;
    const citations = await this.search(question, {
      collection,
      ...(mode ? { mode } : {}),
      ...(k ? { k } : {}),
      ...(where ? { where } : {}),
      ...(whereDocument ? { whereDocument } : {}),
      ...(embedder ? { embedder } : {}),
      ...(embeddingModel ? { embeddingModel } : {}),
    });
    const result = await this.generate({ ...generation, ...promptWithSources(question, citations) });
    return { ...result, citations };
  }

  async close(): Promise<void> {
    await this.batches.close();
    await (await this.store)?.close();
  }

  /** The store's client library (LanceDB's native module, or Qdrant's) loads on the first read. */
  private storeOf(): Promise<VectorStore> {
    this.store ??= import('../shared/knowledge/open-store.js').then(({ openStore }) =>
      openStore(this.settings),
    );
    return this.store;
  }
}
