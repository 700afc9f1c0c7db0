import type { Settings } from '../shared/config/settings.js';
import { InstanceCache } from '../shared/instance-cache.js';
import type { GenerationRequest, GenerationResult } from '../shared/jobs.js';
import type { Keys } from '../shared/keys.js';
import { checkCollectionName } from '../shared/knowledge/collection-name.js';
import { type DocumentEntry, DocumentRegistry } from '../shared/knowledge/document-registry.js';
import { chooseEmbedder } from '../shared/knowledge/embedder.js';
import type { IngestOptions, IngestSummary } from '../shared/knowledge/ingest-jobs.js';
import { type SearchRequest, searchCollection } from '../shared/knowledge/search-collection.js';
import type { SearchHit, VectorStore } from '../shared/knowledge/vector-store.js';
import { providerFromSettings } from '../shared/providers/create-provider.js';
import type { Provider } from '../shared/providers/provider.js';
import type { Redis } from '../shared/redis.js';
import { promptWithSources } from './answer-with-sources.js';
import {
  type IngestHow,
  IngestionClient,
  type IngestProgress,
  type SubmittedBatch,
} from './ingestion-client.js';

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
      list: (collection) => this.registry.list(checkCollectionName(collection)),
      get: (collection, documentId) => this.registry.get(checkCollectionName(collection), documentId),
      delete: async (collection, documentId) => {
        const removed = await (await this.storeOf()).deleteDocument(collection, documentId);
        await this.registry.remove(collection, documentId);
        return removed;
      },
    };
  }

  /**
   * Enqueues a batch ingestion (one job per document under one parent); resolves once accepted. Files
   * must lie inside `options.roots` (default: the working folder; `[]` allows none).
   */
  ingest(sources: readonly string[], options: IngestOptions, how: IngestHow = {}): Promise<SubmittedBatch> {
    // An embedder that is not configured fails here, by name, rather than in every document's job.
    if (options.embedder !== undefined) chooseEmbedder(this.settings, options);
    return this.batches.ingest(sources, options, how);
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
  search(query: string, request: SearchRequest): Promise<SearchHit[]> {
    return searchCollection(
      {
        settings: this.settings,
        provider: (name) => this.providers.get(name),
        store: () => this.storeOf(),
      },
      query,
      request,
    );
  }

  /**
   * Retrieval-augmented generation: searches the collection, then generates through the queue (with
   * every failover of the generation path) and returns the answer with the chunks it was given.
   */
  async ask(question: string, options: AskRequest): Promise<GenerationResult & { citations: SearchHit[] }> {
    const { citations, request } = await this.withSources(question, options);
    const result = await this.generate(request);
    return { ...result, citations };
  }

  /**
   * The first half of `ask`: searches the collection and returns the generation request that answers
   * from what was found, with the hits it cites; submit or stream that request yourself.
   */
  async withSources(
    question: string,
    options: AskRequest,
  ): Promise<{ citations: SearchHit[]; request: GenerationRequest }> {
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
    return { citations, request: { ...generation, ...promptWithSources(question, citations) } };
  }

  async close(): Promise<void> {
    await this.batches.close();
    // A store that failed to load (its error was the caller's already) has nothing to close.
    await (await this.store?.catch(() => undefined))?.close();
  }

  /** The store's client library (LanceDB's native module, or Qdrant's) loads on the first read. */
  private storeOf(): Promise<VectorStore> {
    this.store ??= import('../shared/knowledge/open-store.js').then(({ openStore }) =>
      openStore(this.settings),
    );
    return this.store;
  }
}
