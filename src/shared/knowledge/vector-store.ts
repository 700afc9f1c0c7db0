import { createHash } from 'node:crypto';
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
}

/** What a collection was built with: writing another model's vectors into it is an error, never a mix. */
export interface CollectionInfo {
  name: string;
  embeddingModel: string;
  dimensions: number;
}

/** The contract every vector store keeps (one conformance suite runs over all of them). */
export interface VectorStore {
  /** Creates the collection, or checks that an existing one has the same embedding model and size. */
  ensureCollection(info: CollectionInfo): Promise<void>;
  upsert(collection: string, chunks: StoredChunk[]): Promise<void>;
  /** Deletes a document's chunks; with `exceptVersion`, all but that version's. Returns how many went. */
  deleteDocument(
    collection: string,
    documentId: string,
    options?: { exceptVersion?: number },
  ): Promise<number>;
  count(collection: string, filter?: { where?: Where; whereDocument?: WhereDocument }): Promise<number>;
  search(collection: string, options: SearchOptions): Promise<SearchHit[]>;
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

export function chunkPointId(documentId: string, chunkIndex: number): string {
  return uuidV5(`${documentId}:${chunkIndex}`);
}
