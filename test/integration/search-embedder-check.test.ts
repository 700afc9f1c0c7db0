import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AtlasClient } from '../../src/producer/atlas-client.js';
import { loadSettings } from '../../src/shared/config/settings.js';
import { ValidationError } from '../../src/shared/errors.js';
import { LanceDbStore } from '../../src/shared/knowledge/lancedb/lancedb-store.js';
import { chunkPointId } from '../../src/shared/knowledge/vector-store.js';
import { hashingEmbedding } from '../../src/shared/providers/mock/hashing-embedder.js';
import { connect, deletePrefix, freshPrefix, redisTarget } from '../support/redis.js';

const prefix = freshPrefix('embedder-check');
const directory = mkdtempSync(join(tmpdir(), 'atlas-embedder-check-'));
afterAll(async () => {
  const redis = connect();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  rmSync(directory, { recursive: true, force: true });
});

describe('searching a collection', () => {
  it('names both embedders when asked with another one, before calling it (here it has no key)', async () => {
    const store = new LanceDbStore(directory);
    await store.ensureCollection({ name: 'handbook', embeddingModel: 'mock-embed', dimensions: 8 });
    await store.upsert('handbook', [
      {
        id: chunkPointId('doc', 0),
        documentId: 'doc',
        chunkIndex: 0,
        version: 1,
        text: 'Breakers open at half errors.',
        vector: hashingEmbedding('Breakers open at half errors.', 8),
        metadata: { source: 'doc.md' },
      },
    ]);
    expect(await store.describeCollection('handbook')).toEqual({
      name: 'handbook',
      embeddingModel: 'mock-embed',
      dimensions: 8,
    });
    expect(await store.describeCollection('nowhere')).toBeUndefined();
    await store.close();

    const settings = loadSettings({
      env: {},
      configPath: undefined,
      overrides: {
        redis: { ...redisTarget(), prefix },
        providers: {
          mock: { type: 'mock' },
          // Never called: the check comes first (port 9 on loopback answers nothing).
          remote: { type: 'openai', baseURL: 'http://127.0.0.1:9/v1', apiKeyEnv: 'ATLAS_TEST_NO_SUCH_KEY' },
        },
        ingestion: { knowledgeDirectory: directory },
      },
    });
    const client = new AtlasClient({ settings });
    try {
      const error = await client.knowledge
        .search('breakers', { collection: 'handbook', mode: 'semantic', embedder: 'remote' })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('embedder');
      expect((error as Error).message).toMatch(/holds mock-embed vectors; got text-embedding-3-small/);
      await expect(
        client.knowledge.search('breakers', { collection: 'nowhere', mode: 'semantic', embedder: 'remote' }),
      ).rejects.toMatchObject({ field: 'collection' });
    } finally {
      await client.close();
    }
  });
});
