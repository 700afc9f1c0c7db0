import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LanceDbStore } from '../../src/shared/knowledge/lancedb/lancedb-store.js';
import { chunkPointId, type StoredChunk } from '../../src/shared/knowledge/vector-store.js';
import { describeVectorStoreConformance } from '../support/vector-store-conformance.js';

describeVectorStoreConformance(
  'LanceDB (embedded)',
  async () => new LanceDbStore(mkdtempSync(join(tmpdir(), 'atlas-lance-'))),
);

describe('LanceDB (embedded) across processes', () => {
  it('a reader that opened the collection earlier sees what another store committed since', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'atlas-lance-'));
    const chunk = (documentId: string): StoredChunk => ({
      id: chunkPointId(documentId, 0),
      documentId,
      chunkIndex: 0,
      version: 1,
      text: `${documentId} text`,
      vector: [1, 0, 0],
      metadata: { source: `${documentId}.md` },
    });
    // Two stores on one folder stand for an ingestion worker and a long-lived server.
    const writer = new LanceDbStore(directory);
    const reader = new LanceDbStore(directory);
    await writer.ensureCollection({ name: 'c', embeddingModel: 'm', dimensions: 3 });
    await writer.upsert('c', [chunk('first')]);
    expect(await reader.count('c')).toBe(1);
    await writer.upsert('c', [chunk('second')]);
    expect(await reader.count('c')).toBe(2);
    const hits = await reader.search('c', { vector: [1, 0, 0], k: 5, mode: 'semantic' });
    expect(hits.map((hit) => hit.documentId).sort()).toEqual(['first', 'second']);
    await writer.close();
    await reader.close();
  });

  it('a chunk written again without a metadata field no longer matches a filter on it', async () => {
    const store = new LanceDbStore(mkdtempSync(join(tmpdir(), 'atlas-lance-')));
    const chunk = (metadata: Record<string, string | boolean>, documentId = 'doc'): StoredChunk => ({
      id: chunkPointId(documentId, 0),
      documentId,
      chunkIndex: 0,
      version: 1,
      text: 'doc text',
      vector: [1, 0, 0],
      metadata,
    });
    await store.ensureCollection({ name: 'c', embeddingModel: 'm', dimensions: 3 });
    await store.upsert('c', [chunk({ source: 'doc.md', tag: 'old' })]);
    expect(await store.count('c', { where: { tag: 'old' } })).toBe(1);
    await store.upsert('c', [chunk({ source: 'doc.md' })]);
    expect(await store.count('c', { where: { tag: 'old' } })).toBe(0);
    expect(await store.count('c')).toBe(1);
    // A boolean none of the written chunks has is not sent (LanceDB's merge fails on a column of nulls).
    await store.upsert('c', [chunk({ isDraft: true }), chunk({ isDraft: false }, 'other')]);
    expect(await store.count('c', { where: { isDraft: true } })).toBe(1);
    await store.upsert('c', [chunk({ source: 'doc.md' })]);
    expect(await store.count('c', { where: { isDraft: true } })).toBe(0);
    expect(await store.count('c', { where: { isDraft: false } })).toBe(1);
    expect(await store.count('c')).toBe(2);
    await store.close();
  });
});
