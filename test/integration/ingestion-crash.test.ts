import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IngestionClient } from '../../src/producer/ingestion-client.js';
import { createKeys } from '../../src/shared/keys.js';
import { DocumentRegistry } from '../../src/shared/knowledge/document-registry.js';
import { LanceDbStore } from '../../src/shared/knowledge/lancedb/lancedb-store.js';
import { testSettings } from '../support/generation-harness.js';
import { connect, deletePrefix } from '../support/redis.js';
import { spawnWorker, type WorkerProcess } from '../support/spawn-worker.js';

describe('an ingestion worker killed mid-batch', () => {
  const knowledgeDirectory = mkdtempSync(join(tmpdir(), 'atlas-crash-lance-'));
  const settings = testSettings(
    { providers: { mock: { type: 'mock' } }, ingestion: { knowledgeDirectory } },
    'ingest-crash',
  );
  const folder = mkdtempSync(join(tmpdir(), 'atlas-crash-docs-'));
  const redis = connect();
  const processes: WorkerProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((worker) => worker.kill()));
    await deletePrefix(redis, settings.redis.prefix);
    redis.disconnect();
    rmSync(folder, { recursive: true, force: true });
  });

  it('still completes the batch, with every document’s chunks written exactly once', async () => {
    for (let i = 0; i < 120; i++)
      writeFileSync(
        join(folder, `doc-${i}.txt`),
        `Document ${i}. ${'Queues and workers and providers. '.repeat(30)}`,
      );
    const client = new IngestionClient(redis, createKeys(settings.redis.prefix));
    const batch = await client.ingest([folder], { collection: 'crash', chunkSize: 32, roots: [folder] });
    const first = await spawnWorker(settings, [], {}, 'test/support/ingestion-worker-process.ts');
    processes.push(first);
    await expect
      .poll(async () => (await client.progress(batch.batchId)).done, { timeout: 20_000, interval: 20 })
      .toBeGreaterThan(5);
    await first.kill('SIGKILL');
    expect((await client.progress(batch.batchId)).done).toBeLessThan(120);
    processes.push(await spawnWorker(settings, [], {}, 'test/support/ingestion-worker-process.ts'));
    const summary = await client.wait(batch.batchId, undefined, 60_000);
    expect(summary.added + summary.updated + summary.skipped).toBe(120);
    expect(summary.failed).toBe(0);

    const registry = new DocumentRegistry(redis, createKeys(settings.redis.prefix));
    const entries = await registry.list('crash');
    expect(entries).toHaveLength(120);
    const store = new LanceDbStore(knowledgeDirectory);
    const expectedChunks = entries.reduce((sum, entry) => sum + entry.chunkCount, 0);
    expect(await store.count('crash')).toBe(expectedChunks);
    await store.close();
    await client.close();
  }, 90_000);
});
