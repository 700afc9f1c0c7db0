import { QdrantClient } from '@qdrant/js-client-rest';
import { ValidationError } from '../../errors.js';
import { checkCollectionName } from '../collection-name.js';
import type {
  CollectionInfo,
  EnsureOptions,
  SearchHit,
  SearchOptions,
  StoredChunk,
  VectorStore,
} from '../vector-store.js';
import { hidesSuperseded, missingCollection, rrfK, uuidV5 } from '../vector-store.js';
import type { Scalar, Where, WhereDocument } from '../where-filter.js';
import { metadataField, type QdrantFilter, textField, toQdrantFilter } from './qdrant-filter.js';
import { documentTerms, queryTerms } from './sparse-terms.js';

export interface QdrantStoreOptions {
  url: string;
  apiKey?: string;
  /** Points per upsert request. @default 256 */
  batchSize?: number;
}

/** Collection that records each Atlas collection's embedding model and size. */
const infoCollection = '_atlas_collections';
const dense = 'dense';
const sparse = 'bm25';

/**
 * The scalable store: a Qdrant collection per Atlas collection, with a named dense vector and a
 * BM25-style sparse vector (IDF modifier), payload indexes on the fields filters use, and hybrid
 * search through the Query API (two prefetches fused by weighted RRF).
 */
export class QdrantStore implements VectorStore {
  private readonly client: QdrantClient;
  private readonly batchSize: number;
  private readonly indexed = new Map<string, Set<string>>();

  constructor(options: QdrantStoreOptions) {
    this.client = new QdrantClient({
      url: options.url,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      checkCompatibility: false,
    });
    this.batchSize = options.batchSize ?? 256;
  }

  async describeCollection(name: string): Promise<CollectionInfo | undefined> {
    checkCollectionName(name);
    if (!(await this.client.collectionExists(name)).exists) return undefined;
    if (!(await this.client.collectionExists(infoCollection)).exists) return undefined;
    const [point] = await this.client.retrieve(infoCollection, {
      ids: [uuidV5(`collection:${name}`)],
      with_payload: true,
    });
    const payload = point?.payload as { embedding_model?: string; dimensions?: number } | undefined;
    return payload?.embedding_model
      ? { name, embeddingModel: payload.embedding_model, dimensions: Number(payload.dimensions) }
      : undefined;
  }

  async ensureCollection(info: CollectionInfo, options: EnsureOptions = {}): Promise<void> {
    checkCollectionName(info.name);
    if (options.create === false && !(await this.client.collectionExists(info.name)).exists)
      throw missingCollection(info.name);
    if (!(await this.client.collectionExists(infoCollection)).exists) {
      await this.client.createCollection(infoCollection, { vectors: { size: 1, distance: 'Dot' } });
    }
    const pointId = uuidV5(`collection:${info.name}`);
    const [existing] = await this.client.retrieve(infoCollection, { ids: [pointId], with_payload: true });
    if (existing?.payload) {
      const { embedding_model: model, dimensions } = existing.payload as {
        embedding_model: string;
        dimensions: number;
      };
      if (model !== info.embeddingModel || dimensions !== info.dimensions) {
        throw new ValidationError(
          'embedder',
          `collection '${info.name}' holds ${model} vectors of ${dimensions} dimensions; got ${info.embeddingModel} with ${info.dimensions}. Use that embedder or another collection.`,
        );
      }
      return;
    }
    if (!(await this.client.collectionExists(info.name)).exists) {
      await this.client.createCollection(info.name, {
        vectors: { [dense]: { size: info.dimensions, distance: 'Cosine' } },
        sparse_vectors: { [sparse]: { modifier: 'idf' } },
      });
      await this.index(info.name, 'document_id', 'keyword');
      await this.index(info.name, 'version', 'integer');
      await this.index(info.name, textField, {
        type: 'text',
        tokenizer: 'word',
        lowercase: false,
        phrase_matching: true,
      });
    }
    await this.client.upsert(infoCollection, {
      wait: true,
      points: [
        {
          id: pointId,
          vector: [1],
          payload: { name: info.name, embedding_model: info.embeddingModel, dimensions: info.dimensions },
        },
      ],
    });
  }

  async upsert(collection: string, chunks: StoredChunk[]): Promise<void> {
    checkCollectionName(collection);
    for (const chunk of chunks) {
      for (const [field, value] of Object.entries(chunk.metadata)) {
        await this.index(
          collection,
          `${metadataField}.${field}`,
          typeof value === 'string' ? 'keyword' : typeof value === 'boolean' ? 'bool' : 'float',
        );
      }
    }
    for (let start = 0; start < chunks.length; start += this.batchSize) {
      await this.client.upsert(collection, {
        wait: true,
        points: chunks.slice(start, start + this.batchSize).map((chunk) => ({
          id: chunk.id,
          vector: { [dense]: chunk.vector, [sparse]: documentTerms(chunk.text) },
          payload: {
            document_id: chunk.documentId,
            chunk_index: chunk.chunkIndex,
            version: chunk.version,
            [textField]: chunk.text,
            [metadataField]: chunk.metadata,
          },
        })),
      });
    }
  }

  async deleteDocument(collection: string, documentId: string): Promise<number> {
    checkCollectionName(collection);
    return this.deleteMatching(collection, { must: [documentIs(documentId)] });
  }

  async retireVersions(
    collection: string,
    documentId: string,
    versions: { current: number; keep: number },
  ): Promise<{ deleted: number; superseded: number }> {
    checkCollectionName(collection);
    const oldest = versions.current - versions.keep;
    // Versions past the current one were written by a run that crashed before recording them.
    const deleted = await this.deleteMatching(collection, {
      must: [documentIs(documentId)],
      should: [
        { key: 'version', range: { lte: oldest } },
        { key: 'version', range: { gt: versions.current } },
      ],
    });
    const older = {
      must: [documentIs(documentId), { key: 'version', range: { gt: oldest, lt: versions.current } }],
      must_not: [supersededPoint],
    };
    const { count: superseded } = await this.client.count(collection, { filter: older, exact: true });
    if (superseded > 0)
      await this.client.setPayload(collection, { payload: { superseded: true }, filter: older, wait: true });
    return { deleted, superseded };
  }

  private async deleteMatching(collection: string, filter: QdrantFilter): Promise<number> {
    const { count } = await this.client.count(collection, { filter, exact: true });
    if (count > 0) await this.client.delete(collection, { wait: true, filter });
    return count;
  }

  async countDocument(collection: string, documentId: string): Promise<number> {
    checkCollectionName(collection);
    if (!(await this.client.collectionExists(collection)).exists) return 0;
    const filter = { must: [documentIs(documentId)] };
    return (await this.client.count(collection, { filter, exact: true })).count;
  }

  async count(
    collection: string,
    filter: { where?: Where; whereDocument?: WhereDocument } = {},
  ): Promise<number> {
    checkCollectionName(collection);
    const qdrantFilter = visible(filter.where, toQdrantFilter(filter.where, filter.whereDocument));
    return (
      await this.client.count(collection, { ...(qdrantFilter ? { filter: qdrantFilter } : {}), exact: true })
    ).count;
  }

  async search(collection: string, options: SearchOptions): Promise<SearchHit[]> {
    checkCollectionName(collection);
    const k = options.k ?? 5;
    const filter = visible(options.where, toQdrantFilter(options.where, options.whereDocument));
    const withFilter = filter ? { filter } : {};
    const denseQuery = () => {
      if (!options.vector)
        throw new ValidationError('vector', `${options.mode} search needs the query's embedding`);
      return options.vector;
    };
    const sparseQuery = () => {
      if (!options.query?.trim())
        throw new ValidationError('query', `${options.mode} search needs query words`);
      return queryTerms(options.query);
    };
    const request =
      options.mode === 'semantic'
        ? { query: denseQuery(), using: dense, ...withFilter }
        : options.mode === 'keyword'
          ? { query: sparseQuery(), using: sparse, ...withFilter }
          : {
              prefetch: [
                { query: denseQuery(), using: dense, limit: k * 4, ...withFilter },
                { query: sparseQuery(), using: sparse, limit: k * 4, ...withFilter },
              ],
              // Weighted RRF (Qdrant 1.16 and later); its k is the same 60 as the embedded store's.
              query: {
                rrf: {
                  k: rrfK,
                  weights: [options.fusion?.semantic ?? 1, options.fusion?.keyword ?? 1],
                },
              },
            };
    const { points } = await this.client.query(collection, { ...request, limit: k, with_payload: true });
    return points.map((point) => {
      const payload = (point.payload ?? {}) as Record<string, unknown>;
      return {
        id: String(point.id),
        documentId: String(payload['document_id']),
        chunkIndex: Number(payload['chunk_index']),
        text: String(payload[textField]),
        metadata: (payload[metadataField] ?? {}) as Record<string, Scalar>,
        score: point.score,
      };
    });
  }

  async close(): Promise<void> {}

  private async index(
    collection: string,
    field: string,
    schema:
      | 'keyword'
      | 'integer'
      | 'float'
      | 'bool'
      | { type: 'text'; tokenizer: 'word'; lowercase: boolean; phrase_matching: boolean },
  ): Promise<void> {
    const done = this.indexed.get(collection) ?? new Set<string>();
    if (done.has(field)) return;
    await this.client.createPayloadIndex(collection, { wait: true, field_name: field, field_schema: schema });
    done.add(field);
    this.indexed.set(collection, done);
  }
}

const supersededPoint = { key: 'superseded', match: { value: true } };

function documentIs(documentId: string) {
  return { key: 'document_id', match: { value: documentId } };
}

/** A filter with superseded points left out, unless it asks for a version. */
function visible(where: Where | undefined, filter: QdrantFilter | undefined): QdrantFilter | undefined {
  if (!hidesSuperseded(where)) return filter;
  return { ...(filter ? { must: [filter] } : {}), must_not: [supersededPoint] };
}
