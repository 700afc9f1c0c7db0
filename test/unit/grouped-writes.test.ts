import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GroupedWrites } from '../../src/shared/knowledge/grouped-writes.js';
import { LanceDbStore } from '../../src/shared/knowledge/lancedb/lancedb-store.js';
import { chunkPointId, type StoredChunk } from '../../src/shared/knowledge/vector-store.js';

const chunk = (
  documentId: string,
  chunkIndex: number,
  text = `${documentId} ${chunkIndex}`,
): StoredChunk => ({
  id: chunkPointId(documentId, chunkIndex),
  documentId,
  chunkIndex,
  version: 1,
  text,
  vector: [1, 0, 0],
  metadata: { source: `${documentId}.md` },
});

describe('grouped writes', () => {
  const store = new LanceDbStore(mkdtempSync(join(tmpdir(), 'atlas-grouped-')));
  const writes: number[] = [];
  let failNext = false;
  const upsert = store.upsert.bind(store);
  store.upsert = (collection, chunks) => {
    writes.push(chunks.length);
    if (failNext) {
      failNext = false;
      return Promise.reject(new Error('disk full'));
    }
    return upsert(collection, chunks);
  };
  const grouped = new GroupedWrites(store);

  afterAll(() => grouped.close());

  it('writes the chunks of documents written at once in one write, each caller settled after it', async () => {
    await store.ensureCollection({ name: 'c', embeddingModel: 'm', dimensions: 3 });
    await Promise.all(['a', 'b', 'c', 'd'].map((id) => grouped.upsert('c', [chunk(id, 0), chunk(id, 1)])));
    expect(writes).toEqual([8]);
    expect(await store.count('c')).toBe(8);
  });

  it('writes a chunk given twice in one group once, the later', async () => {
    writes.length = 0;
    await Promise.all([
      grouped.upsert('c', [chunk('a', 0, 'old')]),
      grouped.upsert('c', [chunk('a', 0, 'new')]),
    ]);
    expect(writes).toEqual([1]);
    const [hit] = await store.search('c', { mode: 'keyword', query: 'new', k: 1 });
    expect(hit?.text).toBe('new');
  });

  it('rejects every caller of a failed write', async () => {
    failNext = true;
    const results = await Promise.allSettled([
      grouped.upsert('c', [chunk('e', 0)]),
      grouped.upsert('c', [chunk('f', 0)]),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    await grouped.upsert('c', [chunk('e', 0)]);
    expect(await store.count('c', { where: { source: 'e.md' } })).toBe(1);
  });
});
