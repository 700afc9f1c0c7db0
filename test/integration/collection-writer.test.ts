import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/shared/keys.js';
import { CollectionWriter } from '../../src/shared/knowledge/collection-writer.js';
import { GroupedWrites } from '../../src/shared/knowledge/grouped-writes.js';
import { LanceDbStore } from '../../src/shared/knowledge/lancedb/lancedb-store.js';
import { chunkPointId, type StoredChunk } from '../../src/shared/knowledge/vector-store.js';
import { connect, deletePrefix, freshPrefix } from '../support/redis.js';

const prefix = freshPrefix('writer');
const redis = connect();
const keys = createKeys(prefix);
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const chunk = (documentId: string, chunkIndex: number): StoredChunk => ({
  id: chunkPointId(documentId, chunkIndex),
  documentId,
  chunkIndex,
  version: 1,
  text: `${documentId} ${chunkIndex}`,
  vector: [1, 0, 0],
  metadata: { source: `${documentId}.md` },
});

describe('turns at committing to a collection', () => {
  it('lets one writer at a time commit, each gathering what arrived while it waited', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'atlas-writer-'));
    // Two "processes": each its own store on the same folder, its own grouped writes, its own turns.
    let inFlight = 0;
    let overlapped = false;
    const writes: number[] = [];
    const writers = ['one', 'two'].map((owner) => {
      const store = new LanceDbStore(directory);
      const upsert = store.upsert.bind(store);
      store.upsert = async (collection, chunks) => {
        inFlight++;
        if (inFlight > 1) overlapped = true;
        writes.push(chunks.length);
        try {
          return await upsert(collection, chunks);
        } finally {
          inFlight--;
        }
      };
      return new GroupedWrites(store, { writer: new CollectionWriter(redis, keys, owner, { pollMs: 2 }) });
    });
    await writers[0]!.ensureCollection({ name: 'c', embeddingModel: 'm', dimensions: 3 });
    await writers[1]!.ensureCollection({ name: 'c', embeddingModel: 'm', dimensions: 3 });
    await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        writers[index % 2]!.upsert('c', [chunk(`d${index}`, 0), chunk(`d${index}`, 1)]),
      ),
    );
    expect(overlapped).toBe(false);
    expect(writes.reduce((sum, size) => sum + size, 0)).toBe(80);
    const reader = new LanceDbStore(directory);
    expect(await reader.count('c')).toBe(80);
    await reader.close();
    expect(await redis.exists(keys.collectionWriter('c'))).toBe(0);
    await Promise.all(writers.map((writer) => writer.close()));
  });

  it('takes turns fairly: a holder with more to write lets a waiting process in first', async () => {
    const order: string[] = [];
    const writeMany = async (owner: string) => {
      const writer = new CollectionWriter(redis, keys, owner, { pollMs: 5 });
      for (let i = 0; i < 8; i++)
        await writer.run('fair', async () => {
          order.push(owner);
          await new Promise((resolve) => setTimeout(resolve, 15));
        });
    };
    await Promise.all([writeMany('one'), writeMany('two')]);
    let longest = 1;
    let run = 1;
    for (let i = 1; i < order.length; i++) {
      run = order[i] === order[i - 1] ? run + 1 : 1;
      longest = Math.max(longest, run);
    }
    expect(order).toHaveLength(16);
    expect(longest).toBeLessThanOrEqual(2);
  });

  it('takes the turn a killed holder left once it lapses', async () => {
    await redis.set(keys.collectionWriter('lapsed'), 'gone:1', 'PX', 150);
    const writer = new CollectionWriter(redis, keys, 'alive', { pollMs: 5 });
    const started = Date.now();
    expect(await writer.run('lapsed', async () => 'written')).toBe('written');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(await redis.exists(keys.collectionWriter('lapsed'))).toBe(0);
  });
});
