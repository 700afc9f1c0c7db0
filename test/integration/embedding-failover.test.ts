import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestionClient } from '../../src/producer/ingestion-client.js';
import { readFleetHealth } from '../../src/shared/fleet-health.js';
import { createKeys } from '../../src/shared/keys.js';
import { LanceDbStore } from '../../src/shared/knowledge/lancedb/lancedb-store.js';
import { createLogger } from '../../src/shared/log.js';
import {
  type IngestionWorkers,
  startIngestionWorkers,
} from '../../src/workers/ingestion/start-ingestion-workers.js';
import { type OpenAIFake, startOpenAIFake } from '../fakes/openai-fake.js';
import { testSettings } from '../support/generation-harness.js';
import { connect, deletePrefix } from '../support/redis.js';

// Embeddings go through the instances' breakers and fail over only to instances of the same type asked
// for the same model: two OpenAI-compatible endpoints here, never the mock beside them.
describe('embedding failover during ingestion', () => {
  let primary: OpenAIFake;
  let secondary: OpenAIFake;
  let workers: IngestionWorkers;
  const redis = connect();
  const folder = mkdtempSync(join(tmpdir(), 'atlas-embed-failover-'));
  const store = new LanceDbStore(mkdtempSync(join(tmpdir(), 'atlas-embed-failover-lance-')));
  let settings: ReturnType<typeof testSettings>;
  let client: IngestionClient;
  const embeddingRequests = (fake: OpenAIFake) =>
    fake.server.requests.filter((request) => request.path === '/v1/embeddings').length;

  beforeAll(async () => {
    primary = await startOpenAIFake();
    secondary = await startOpenAIFake();
    process.env['ATLAS_TEST_FAILOVER_KEY'] = primary.apiKey;
    const openai = (baseURL: string) => ({
      type: 'openai' as const,
      baseURL,
      apiKeyEnv: 'ATLAS_TEST_FAILOVER_KEY',
      breaker: { volumeThreshold: 2, resetTimeoutMs: 60_000 },
    });
    settings = testSettings(
      {
        providers: {
          primary: openai(primary.baseURL),
          secondary: openai(secondary.baseURL),
          mock: { type: 'mock' },
        },
      },
      'embed-failover',
    );
    client = new IngestionClient(redis, createKeys(settings.redis.prefix));
    for (let index = 0; index < 8; index++)
      writeFileSync(join(folder, `note-${index}.txt`), `Note ${index} about queues and workers.`);
    workers = await startIngestionWorkers({
      settings,
      store,
      concurrency: 1,
      threads: 1,
      log: createLogger({ level: 'silent' }),
    });
  });

  afterAll(async () => {
    await workers?.close();
    await client.close();
    await store.close();
    await Promise.all([primary.close(), secondary.close()]);
    await deletePrefix(redis, settings.redis.prefix);
    redis.disconnect();
    rmSync(folder, { recursive: true, force: true });
  });

  const ingest = async (collection: string) => {
    const batch = await client.ingest([folder], {
      collection,
      embedder: 'primary',
      embeddingModel: 'text-embedding-3-small',
      roots: [folder],
    });
    return client.wait(batch.batchId);
  };

  it('serves the embeddings from the other endpoint while the first is down, whose breaker opens', async () => {
    primary.server.failAlways('server-error');
    const summary = await ingest('failover');
    expect(summary).toMatchObject({
      added: 8,
      failed: 0,
      embedding: { instance: 'primary', model: 'text-embedding-3-small', kind: 'semantic' },
    });
    expect(embeddingRequests(secondary)).toBeGreaterThanOrEqual(8);
    // The breaker opened after a few failures: later documents did not call the primary at all.
    expect(embeddingRequests(primary)).toBeLessThan(8);
    const [health] = await readFleetHealth(redis, createKeys(settings.redis.prefix), ['primary']);
    expect(health?.breaker.state).toBe('open');
    expect(await store.count('failover')).toBe(8);
  });

  it('fails the documents with their reason when every endpoint of the model is down, never using the mock', async () => {
    secondary.server.failAlways('server-error');
    const summary = await ingest('all-down');
    expect(summary).toMatchObject({ added: 0, failed: 8 });
    expect(summary.failures[0]).toMatchObject({
      source: expect.stringContaining('note-'),
      reason: expect.stringMatching(
        /every instance serving text-embedding-3-small failed: primary: .*; secondary: /,
      ),
    });
    expect(await store.count('all-down')).toBe(0);
  }, 30_000);
});
