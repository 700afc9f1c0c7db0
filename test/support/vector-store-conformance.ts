import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/shared/errors.js';
import { chunkPointId, type StoredChunk, type VectorStore } from '../../src/shared/knowledge/vector-store.js';
import {
  matchesDocument,
  matchesWhere,
  validateWhere,
  validateWhereDocument,
} from '../../src/shared/knowledge/where-filter.js';
import { hashingEmbedding } from '../../src/shared/providers/mock/hashing-embedder.js';

const dimensions = 64;
const embed = (text: string) => hashingEmbedding(text, dimensions);

function cosine(a: number[], b: number[]): number {
  const dot = a.reduce((sum, value, index) => sum + value * b[index]!, 0);
  return dot / (Math.hypot(...a) * Math.hypot(...b));
}

const texts = [
  [
    'guide',
    'Redis keeps the job queue durable with AOF enabled.',
    { source: 'guide.md', year: 2024, lang: 'en', draft: false, score: 0.9 },
  ],
  [
    'guide',
    'BullMQ workers take jobs from the queue and run them.',
    { source: 'guide.md', year: 2024, lang: 'en', draft: false, score: 0.5 },
  ],
  [
    'notes',
    'Circuit breakers stop calls to a failing provider.',
    { source: 'notes.txt', year: 2022, lang: 'en', draft: true, score: 0.7 },
  ],
  [
    'notes',
    'Die Warteschlange liegt in Redis.',
    { source: 'notes.txt', year: 2022, lang: 'de', draft: true },
  ],
  [
    'faq',
    'Qdrant stores dense and sparse vectors for hybrid search.',
    { source: 'faq.md', year: 2020, lang: 'en', draft: false, score: 0.2 },
  ],
  [
    'faq',
    'Ollama runs models on your own machine.',
    // No `draft` and no `score`: comparisons on them must leave it out, $ne and $nin keep it.
    { source: 'faq.md', year: 2021, lang: 'en' },
  ],
] as const;

function chunks(): StoredChunk[] {
  const counters = new Map<string, number>();
  return texts.map(([documentId, text, metadata]) => {
    const chunkIndex = counters.get(documentId) ?? 0;
    counters.set(documentId, chunkIndex + 1);
    return {
      id: chunkPointId(documentId, chunkIndex),
      documentId,
      chunkIndex,
      version: 1,
      text,
      vector: embed(text),
      metadata: { ...metadata },
    };
  });
}

const whereCases: unknown[] = [
  { lang: 'en' },
  { year: { $gte: 2022 } },
  { year: { $lt: 2022 } },
  { draft: { $ne: true } },
  { lang: { $in: ['de', 'fr'] } },
  { source: { $nin: ['faq.md'] } },
  { score: { $gt: 0.4 } },
  { score: 0.5 },
  { $or: [{ year: 2020 }, { lang: 'de' }] },
  { $and: [{ lang: 'en' }, { draft: false }, { year: { $lte: 2024 } }] },
  { missing: { $ne: 'x' } },
  { missing: 'x' },
  { score: { $lt: 0.4 } },
  { score: { $lte: 0 } },
  { score: { $ne: 0.5 } },
  { score: { $nin: [0.5, 0.9] } },
  { draft: false },
  { draft: { $in: [false] } },
  { draft: { $nin: [true] } },
];
const documentCases: unknown[] = [
  { $contains: 'Redis' },
  { $not_contains: 'queue' },
  { $or: [{ $contains: 'vectors' }, { $contains: 'models' }] },
];

/** One suite over every vector store; filter results must equal the filter language's reference meaning. */
export function describeVectorStoreConformance(
  label: string,
  setup: () => Promise<VectorStore>,
  collection = 'conformance',
): void {
  describe(`vector store conformance: ${label}`, () => {
    let store: VectorStore;
    const stored = chunks();
    beforeAll(async () => {
      store = await setup();
      await store.ensureCollection({ name: collection, embeddingModel: 'mock-embed', dimensions });
      await store.upsert(collection, stored);
    });
    afterAll(async () => {
      await store?.close();
    });

    it('names a missing collection when asked not to create it', async () => {
      await expect(
        store.ensureCollection(
          { name: `${collection}-missing`, embeddingModel: 'mock-embed', dimensions },
          { create: false },
        ),
      ).rejects.toThrow(/collection: no collection '.*-missing'; ingest documents into it first/);
    });

    it('refuses a reserved or malformed collection name, and its own registry stays usable', async () => {
      for (const name of ['_atlas_collections', '_Atlas_x', 'a/b', 'a:b', '', 'x'.repeat(65)]) {
        await expect(
          store.ensureCollection({ name, embeddingModel: 'mock-embed', dimensions }),
        ).rejects.toThrow(/^collection: expected/);
        await expect(store.upsert(name, stored)).rejects.toThrow(/^collection: expected/);
        await expect(store.search(name, { mode: 'keyword', k: 1, query: 'Redis' })).rejects.toThrow(
          /^collection: expected/,
        );
      }
      await store.ensureCollection({ name: `${collection}-after`, embeddingModel: 'mock-embed', dimensions });
      await store.upsert(`${collection}-after`, stored.slice(0, 1));
      expect(await store.count(`${collection}-after`)).toBe(1);
    });

    it('refuses vectors of another embedding model or size, naming the embedder', async () => {
      await store.ensureCollection({ name: collection, embeddingModel: 'mock-embed', dimensions });
      const error = await store
        .ensureCollection({ name: collection, embeddingModel: 'text-embedding-3-small', dimensions: 1536 })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toMatch(
        /mock-embed .*64 dimensions; got text-embedding-3-small with 1536/,
      );
    });

    it('describes a collection by its embedding model and size, and no missing one', async () => {
      expect(await store.describeCollection(collection)).toEqual({
        name: collection,
        embeddingModel: 'mock-embed',
        dimensions,
      });
      expect(await store.describeCollection(`${collection}-missing`)).toBeUndefined();
    });

    it('writes the same chunk ids again without duplicates', async () => {
      await store.upsert(collection, stored);
      expect(await store.count(collection)).toBe(stored.length);
    });

    it('filters exactly as the filter language means, for metadata and document text', async () => {
      for (const raw of whereCases) {
        const where = validateWhere(raw);
        const expected = stored.filter((chunk) => matchesWhere(chunk.metadata, where)).length;
        expect([raw, await store.count(collection, { where })]).toEqual([raw, expected]);
      }
      for (const raw of documentCases) {
        const whereDocument = validateWhereDocument(raw);
        const expected = stored.filter((chunk) => matchesDocument(chunk.text, whereDocument)).length;
        expect([raw, await store.count(collection, { whereDocument })]).toEqual([raw, expected]);
      }
    });

    it('searches by meaning, by keyword and both, with filters applied', async () => {
      const query = 'Redis job queue durable';
      const semantic = await store.search(collection, { mode: 'semantic', vector: embed(query), k: 3 });
      expect(semantic[0]?.text).toBe(texts[0][1]);
      // A semantic score is the cosine similarity, in every store.
      expect(semantic[0]?.score).toBeCloseTo(cosine(embed(query), embed(texts[0][1])), 4);
      const keyword = await store.search(collection, { mode: 'keyword', query: 'breakers', k: 3 });
      expect(keyword[0]?.text).toBe(texts[2][1]);
      const hybrid = await store.search(collection, { mode: 'hybrid', query, vector: embed(query), k: 3 });
      expect(hybrid[0]?.text).toBe(texts[0][1]);
      const filtered = await store.search(collection, {
        mode: 'semantic',
        vector: embed(query),
        k: 10,
        where: { lang: 'de' },
      });
      expect(filtered.map((hit) => hit.text)).toEqual([texts[3][1]]);
      // Comparisons on numbers and booleans, in each mode: the chunk with neither field never matches.
      for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
        const hits = await store.search(collection, {
          mode,
          query: 'Ollama models machine Redis queue',
          vector: embed('Ollama models machine Redis queue'),
          k: 10,
          where: { $or: [{ score: { $lt: 0.6 } }, { draft: false }] },
        });
        const found = hits.map((hit) => `${mode}: ${hit.documentId}/${hit.chunkIndex}`);
        expect(found.length).toBeGreaterThan(0);
        expect(found).not.toContain(`${mode}: faq/1`);
      }
      expect(filtered[0]).toMatchObject({
        documentId: 'notes',
        chunkIndex: 1,
        metadata: { lang: 'de', year: 2022 },
      });
    });

    it('keeps the last versions of a document, hides superseded ones unless a version is asked for, deletes the rest', async () => {
      const faq = stored.filter((chunk) => chunk.documentId === 'faq');
      const version = (number: number) =>
        faq.map((chunk) => ({
          ...chunk,
          id: chunkPointId('faq', chunk.chunkIndex, number),
          version: number,
          text: `${chunk.text} (edition ${number})`,
          metadata: { ...chunk.metadata, version: number },
        }));
      await store.upsert(collection, [...version(2), ...version(3)]);
      expect(await store.retireVersions(collection, 'faq', { current: 3, keep: 2 })).toEqual({
        deleted: 2,
        superseded: 2,
      });
      // Only the current version is visible by default; the kept one answers when asked for.
      expect(await store.count(collection, { where: { source: 'faq.md' } })).toBe(2);
      expect(await store.count(collection, { where: { version: 2 } })).toBe(2);
      const hits = await store.search(collection, { mode: 'keyword', query: 'edition', k: 10 });
      expect(hits.map((hit) => hit.metadata['version'])).toEqual([3, 3]);
      // A version past the current one (written, never recorded) goes too.
      await store.upsert(collection, version(4));
      expect(await store.retireVersions(collection, 'faq', { current: 3, keep: 1 })).toEqual({
        deleted: 4,
        superseded: 0,
      });
      expect(await store.count(collection, { where: { source: 'faq.md' } })).toBe(2);
      expect(await store.deleteDocument(collection, 'faq')).toBe(2);
      expect(await store.count(collection)).toBe(stored.length - 2);
    });

    it('finds the current version even when many superseded chunks rank above it', async () => {
      const chunk = (chunkIndex: number, version: number, text: string): StoredChunk => ({
        id: chunkPointId('history', chunkIndex, version),
        documentId: 'history',
        chunkIndex,
        version,
        text,
        vector: embed(text),
        metadata: { source: 'history.md', version },
      });
      const old = Array.from({ length: 20 }, (_, index) => chunk(index, 1, 'zebra zebra zebra archive'));
      await store.upsert(collection, [...old, chunk(0, 2, 'zebra crossing, current')]);
      await store.retireVersions(collection, 'history', { current: 2, keep: 2 });
      for (const mode of ['semantic', 'keyword', 'hybrid'] as const) {
        const hits = await store.search(collection, {
          mode,
          query: 'zebra',
          vector: embed('zebra zebra'),
          k: 1,
        });
        expect(hits.map((hit) => hit.text)).toEqual(['zebra crossing, current']);
      }
      expect(await store.deleteDocument(collection, 'history')).toBe(21);
    });
  });
}
