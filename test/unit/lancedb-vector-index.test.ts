import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LanceDbStore } from '../../src/shared/knowledge/lancedb/lancedb-store.js';
import { vectorIndexOf } from '../../src/shared/knowledge/lancedb/lancedb-vector-index.js';
import { chunkPointId, type StoredChunk } from '../../src/shared/knowledge/vector-store.js';
import { hashingEmbedding } from '../../src/shared/providers/mock/hashing-embedder.js';

const dimensions = 64;
const words = [
  'queue',
  'redis',
  'worker',
  'breaker',
  'vector',
  'index',
  'chunk',
  'search',
  'stream',
  'retry',
  'deadline',
  'cluster',
  'sentinel',
  'shard',
  'replica',
  'token',
  'prompt',
  'model',
  'cache',
  'batch',
  'lambda',
  'kernel',
  'socket',
  'buffer',
  'parser',
  'schema',
  'column',
  'filter',
  'cursor',
  'ledger',
];

/** A distinct sentence per document, chunk and version, so each has one exact match. */
function text(document: number, chunk: number, version = 1): string {
  const pick = (offset: number) =>
    words[(document * 7 + chunk * 3 + offset * 11 + version * 5) % words.length];
  return `doc${document} part${chunk} v${version} ${pick(1)} ${pick(2)} ${pick(3)} ${pick(4)} ${pick(5)}`;
}

function chunksOf(document: number, count: number, version = 1): StoredChunk[] {
  return Array.from({ length: count }, (_, chunk) => {
    const body = text(document, chunk, version);
    return {
      id: chunkPointId(`doc${document}`, chunk),
      documentId: `doc${document}`,
      chunkIndex: chunk,
      version,
      text: body,
      vector: hashingEmbedding(body, dimensions),
      metadata: { source: `doc${document}.md` },
    };
  });
}

const info = { name: 'indexed', embeddingModel: 'mock-embed', dimensions };
const folders: string[] = [];

async function filled(
  minChunks: number,
  documents: number,
): Promise<{ store: LanceDbStore; folder: string }> {
  const folder = mkdtempSync(join(tmpdir(), 'atlas-lance-index-'));
  folders.push(folder);
  const store = new LanceDbStore(folder, { vectorIndexMinChunks: minChunks });
  await store.ensureCollection(info);
  await store.upsert(
    info.name,
    Array.from({ length: documents }, (_, document) => chunksOf(document, 10)).flat(),
  );
  return { store, folder };
}

async function indexName(folder: string): Promise<string | undefined> {
  const db = await lancedb.connect(folder);
  try {
    return await vectorIndexOf(await db.openTable(info.name));
  } finally {
    db.close();
  }
}

const semantic = (store: LanceDbStore, query: string, k = 5) =>
  store.search(info.name, { mode: 'semantic', vector: hashingEmbedding(query, dimensions), k });

afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe('LanceDB vector index', () => {
  let store: LanceDbStore;
  let folder: string;

  beforeAll(async () => {
    ({ store, folder } = await filled(200, 30));
    await store.compact(info.name);
  });
  afterAll(() => store.close());

  it('is built by compact once the collection holds the threshold, trained on its rows', async () => {
    expect(await indexName(folder)).toBe('vector_rq_300');
  });

  it('finds each chunk by its own text, semantic and hybrid', async () => {
    for (const [document, chunk] of [
      [0, 0],
      [7, 3],
      [29, 9],
    ] as const) {
      const query = text(document, chunk);
      const [hit] = await semantic(store, query);
      expect(hit?.id).toBe(chunkPointId(`doc${document}`, chunk));
      // Re-scored on the full vector: its own text is at cosine similarity 1.
      expect(hit?.score).toBeCloseTo(1, 5);
      const [fused] = await store.search(info.name, {
        mode: 'hybrid',
        query,
        vector: hashingEmbedding(query, dimensions),
        k: 5,
      });
      expect(fused?.id).toBe(chunkPointId(`doc${document}`, chunk));
    }
  });

  it('returns k hits of a narrow filter, nearest first', async () => {
    const hits = await store.search(info.name, {
      mode: 'semantic',
      vector: hashingEmbedding(text(12, 4), dimensions),
      where: { source: 'doc12.md' },
      k: 10,
    });
    expect(hits).toHaveLength(10);
    expect(hits.every((hit) => hit.documentId === 'doc12')).toBe(true);
    expect(hits[0]?.id).toBe(chunkPointId('doc12', 4));
  });

  it('finds rows written after the index, before and after the next compact', async () => {
    await store.upsert(info.name, chunksOf(100, 3));
    expect((await semantic(store, text(100, 1)))[0]?.id).toBe(chunkPointId('doc100', 1));
    await store.compact(info.name);
    expect(await indexName(folder)).toBe('vector_rq_300');
    expect((await semantic(store, text(100, 2)))[0]?.id).toBe(chunkPointId('doc100', 2));
  });

  it('hides superseded versions', async () => {
    const second = chunksOf(5, 10, 2).map((chunk) => ({
      ...chunk,
      id: chunkPointId('doc5', chunk.chunkIndex, 2),
    }));
    await store.upsert(info.name, second);
    await store.retireVersions(info.name, 'doc5', { current: 2, keep: 2 });
    await store.compact(info.name);
    expect((await semantic(store, text(5, 6, 2)))[0]?.id).toBe(chunkPointId('doc5', 6, 2));
    const current = new Set(second.map((chunk) => chunk.id));
    const hits = await semantic(store, text(5, 6), 20);
    expect(hits.filter((hit) => hit.documentId === 'doc5' && !current.has(hit.id))).toEqual([]);
  });

  it('is trained again once the collection has doubled', async () => {
    await store.upsert(
      info.name,
      Array.from({ length: 30 }, (_, document) => chunksOf(200 + document, 10)).flat(),
    );
    await store.compact(info.name);
    expect(await indexName(folder)).toMatch(/^vector_rq_6\d\d$/);
    expect((await semantic(store, text(215, 5)))[0]?.id).toBe(chunkPointId('doc215', 5));
  });
});

describe('LanceDB without a vector index', () => {
  it('builds none below the threshold, nor with it at 0', async () => {
    for (const minChunks of [1_000, 0]) {
      const { store, folder } = await filled(minChunks, 30);
      await store.compact(info.name);
      expect(await indexName(folder)).toBeUndefined();
      expect((await semantic(store, text(3, 3)))[0]?.id).toBe(chunkPointId('doc3', 3));
      await store.close();
    }
  });
});

describe('LanceDB with vectors no index can quantize', () => {
  it('compacts without an index when the vector length is not a multiple of 8', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'atlas-lance-index-'));
    folders.push(folder);
    const store = new LanceDbStore(folder, { vectorIndexMinChunks: 10 });
    const odd = { name: info.name, embeddingModel: 'mock-embed', dimensions: 100 };
    await store.ensureCollection(odd);
    const chunks = chunksOf(1, 20).map((chunk) => ({ ...chunk, vector: hashingEmbedding(chunk.text, 100) }));
    await store.upsert(info.name, chunks);
    await store.compact(info.name);
    expect(await indexName(folder)).toBeUndefined();
    const hits = await store.search(info.name, {
      mode: 'semantic',
      vector: hashingEmbedding(text(1, 4), 100),
      k: 1,
    });
    expect(hits[0]?.id).toBe(chunkPointId('doc1', 4));
    await store.close();
  });
});
