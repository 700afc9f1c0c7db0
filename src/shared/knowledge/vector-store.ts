import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.js';
import type { Scalar, Where, WhereDocument } from './where-filter.js';

/** One chunk as written to a store. */
export interface StoredChunk {
  /** UUIDv5 of `documentId:chunkIndex`: writing the same chunk again replaces it. */
  id: string;
  documentId: string;
  chunkIndex: number;
  /** The document version the chunk belongs to. */
  version: number;
  text: string;
  vector: number[];
  /** Flat metadata the filter language can test (source, title, headings, user fields). */
  metadata: Record<string, Scalar>;
}

export interface SearchHit {
  id: string;
  documentId: string;
  chunkIndex: number;
  text: string;
  metadata: Record<string, Scalar>;
  /** Higher is better; comparable only within one search. */
  score: number;
}

export type SearchMode = 'semantic' | 'keyword' | 'hybrid';

export interface SearchOptions {
  mode: SearchMode;
  /** How many hits. @default 5 */
  k?: number;
  /** The query's embedding, for semantic and hybrid search. */
  vector?: number[];
  /** The query's words, for keyword and hybrid search. */
  query?: string;
  where?: Where;
  whereDocument?: WhereDocument;
  /** How hybrid search weighs each side in its reciprocal-rank fusion. @default equal weights */
  fusion?: FusionWeights;
}

/** Weights of the two rankings that hybrid search fuses: a hit scores Σ weight / (60 + rank). */
export interface FusionWeights {
  keyword: number;
  semantic: number;
}

/** The constant of reciprocal-rank fusion (both stores use it). */
export const rrfK = 60;

/**
 * Hybrid weights by what the collection's vectors are. A semantic model's embeddings bring meaning the
 * words do not, so both rankings count alike. The hashing embedder's are lexical: a second, noisier
 * reading of the same words, so the full-text ranking leads and the vector ranking only breaks ties and
 * adds near-misses (shared word pieces); at equal weight two lexical signals add noise.
 */
export function fusionWeights(kind: 'lexical' | 'semantic'): FusionWeights {
  return kind === 'lexical' ? { keyword: 1, semantic: 0.5 } : { keyword: 1, semantic: 1 };
}

/**
 * Weighted reciprocal-rank fusion of two rankings (best first) into the best `k`, each scored
 * Σ weight / (rrfK + rank), rank from 1; ties keep the keyword ranking's order.
 */
export function fuseRankings(
  keyword: readonly SearchHit[],
  semantic: readonly SearchHit[],
  weights: FusionWeights,
  k: number,
): SearchHit[] {
  const fused = new Map<string, SearchHit>();
  const add = (hits: readonly SearchHit[], weight: number) =>
    hits.forEach((hit, index) => {
      const score = weight / (rrfK + index + 1);
      const known = fused.get(hit.id);
      fused.set(hit.id, known ? { ...known, score: known.score + score } : { ...hit, score });
    });
  add(keyword, weights.keyword);
  add(semantic, weights.semantic);
  return [...fused.values()].sort((a, b) => b.score - a.score).slice(0, k);
}

/** What a collection was built with: writing another model's vectors into it is an error, never a mix. */
export interface CollectionInfo {
  name: string;
  embeddingModel: string;
  dimensions: number;
}

export interface EnsureOptions {
  /** Create a missing collection; without it, a missing one is an error naming it. @default true */
  create?: boolean;
}

/** The error for a collection that does not exist where one must. */
export function missingCollection(name: string): ValidationError {
  return new ValidationError('collection', `no collection '${name}'; ingest documents into it first`);
}

/** The contract every vector store keeps (one conformance suite runs over all of them). */
export interface VectorStore {
  /** Creates the collection, or checks that an existing one has the same embedding model and size. */
  ensureCollection(info: CollectionInfo, options?: EnsureOptions): Promise<void>;
  /** The embedding model and size a collection was created with; undefined when there is no such collection. */
  describeCollection(name: string): Promise<CollectionInfo | undefined>;
  /** Writes chunks by their point id (`chunkPointId`): a chunk written again replaces itself. The collection must exist. */
  upsert(collection: string, chunks: StoredChunk[]): Promise<void>;
  /** Deletes all of a document's chunks. Returns how many went. */
  deleteDocument(collection: string, documentId: string): Promise<number>;
  /**
   * After `current` is written: deletes a document's versions older than the last `keep`, and marks the
   * kept older ones superseded, which search and count then pass over unless the filter names `version`.
   */
  retireVersions(
    collection: string,
    documentId: string,
    versions: { current: number; keep: number },
  ): Promise<{ deleted: number; superseded: number }>;
  /** How many chunks of a document the collection holds (every version); 0 when the collection does not exist. */
  countDocument(collection: string, documentId: string): Promise<number>;
  /** Chunks in a collection that match the filters, superseded versions left out unless `where` names `version`. */
  count(collection: string, filter?: { where?: Where; whereDocument?: WhereDocument }): Promise<number>;
  /** Merges small writes and drops superseded files, where a store needs it (the embedded one). */
  compact?(collection: string): Promise<void>;
  /**
   * Whether commits of two processes to one collection conflict (the embedded store's files), so that
   * writers across processes are better taking turns (`CollectionWriter`).
   */
  readonly writersConflict?: boolean;
  /**
   * The best `k` chunks for a query: `semantic` by the vector, `keyword` by full-text (BM25) on the text,
   * `hybrid` both fused by reciprocal rank, weighted by `fusion`; filtered by `where` and `whereDocument`, best first.
   * An unknown collection is a ValidationError naming it.
   */
  search(collection: string, options: SearchOptions): Promise<SearchHit[]>;
  /** Releases connections and handles; the store is not used after. */
  close(): Promise<void>;
}

/** UUIDv5 (RFC 9562) of a name in Atlas's namespace. */
export function uuidV5(name: string): string {
  const namespace = Buffer.from('6ba7b8129dad11d180b400c04fd430c8', 'hex');
  const hash = createHash('sha1').update(namespace).update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A chunk's point id: UUIDv5 of its document id and index, so writing it again replaces it. Where older
 * versions are kept, the version is part of the name too, so a new version does not overwrite them.
 */
export function chunkPointId(documentId: string, chunkIndex: number, version?: number): string {
  return uuidV5(
    version === undefined ? `${documentId}:${chunkIndex}` : `${documentId}:${chunkIndex}:v${version}`,
  );
}

/** Superseded versions stay out of a search or count unless its filter asks for a `version`. */
export function hidesSuperseded(where: Where | undefined): boolean {
  const names = (value: unknown): boolean =>
    Array.isArray(value)
      ? value.some(names)
      : typeof value === 'object' && value !== null
        ? Object.entries(value).some(([key, inner]) => key === 'version' || names(inner))
        : false;
  return !names(where);
}
