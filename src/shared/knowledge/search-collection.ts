import { ValidationError } from '../errors.js';
import { createEmbedder, type EmbedderSources } from './embedder.js';
import {
  type FusionWeights,
  fusionWeights,
  missingCollection,
  type SearchHit,
  type SearchMode,
  type VectorStore,
} from './vector-store.js';
import { validateWhere, validateWhereDocument } from './where-filter.js';

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

/** Where a search gets its store and the query's embedding: the client's providers, or a worker's behind its breakers. */
export interface CollectionSearchSources extends EmbedderSources {
  /** The store, opened on first use. */
  store(): Promise<VectorStore>;
}

/**
 * Searches a collection: semantic, keyword or hybrid, with metadata and document-text filters. The
 * query is embedded with the collection's embedder (failing over only to instances serving the same
 * model), and the collection is checked to have been built with that model: vectors of two models
 * never mix. The one search of the client (`client.knowledge.search`) and of the knowledge tool.
 */
/** The most hits one search returns. */
const maxHits = 1_000;

export async function searchCollection(
  sources: CollectionSearchSources,
  query: string,
  request: SearchRequest,
): Promise<SearchHit[]> {
  if (!query.trim()) throw new ValidationError('query', 'expected some words to search for');
  const mode = request.mode ?? 'hybrid';
  if (!['semantic', 'keyword', 'hybrid'].includes(mode))
    throw new ValidationError('mode', `expected semantic, keyword or hybrid, got '${String(mode)}'`);
  const k = request.k ?? 5;
  if (!Number.isInteger(k) || k < 1 || k > maxHits)
    throw new ValidationError('k', `expected a whole number from 1 to ${maxHits}, got ${String(k)}`);
  const where = request.where === undefined ? undefined : validateWhere(request.where);
  const whereDocument =
    request.whereDocument === undefined ? undefined : validateWhereDocument(request.whereDocument);
  const store = await sources.store();
  let vector: number[] | undefined;
  let fusion: FusionWeights | undefined;
  if (mode !== 'keyword') {
    const embedder = createEmbedder(sources, request);
    // Checked before the query is embedded: another embedder's failure (a missing key, say) would
    // otherwise hide that it is the wrong one.
    const held = await store.describeCollection(request.collection);
    if (!held) throw missingCollection(request.collection);
    if (held.embeddingModel !== embedder.model)
      throw new ValidationError(
        'embedder',
        `collection '${request.collection}' holds ${held.embeddingModel} vectors; got ${embedder.model}. Use that embedder or another collection.`,
      );
    [vector] = await embedder.embed([query]);
    fusion = fusionWeights(embedder.kind);
    await store.ensureCollection(
      { name: request.collection, embeddingModel: embedder.model, dimensions: vector?.length ?? 0 },
      { create: false },
    );
  }
  return store.search(request.collection, {
    mode,
    k,
    query,
    ...(vector ? { vector } : {}),
    ...(mode === 'hybrid' && fusion ? { fusion } : {}),
    ...(where ? { where } : {}),
    ...(whereDocument ? { whereDocument } : {}),
  });
}
