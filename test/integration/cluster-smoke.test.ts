import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { AtlasClient } from '../../src/producer/atlas-client.js';
import { IngestionClient } from '../../src/producer/ingestion-client.js';
import { defineWorkflow, END } from '../../src/shared/agents/workflow.js';
import { loadSettings, type Settings } from '../../src/shared/config/settings.js';
import { createKeys } from '../../src/shared/keys.js';
import { LanceDbStore } from '../../src/shared/knowledge/lancedb/lancedb-store.js';
import { createLogger } from '../../src/shared/log.js';
import { createRedis, deletePrefix, keySlot, type Redis, scanKeys } from '../../src/shared/redis.js';
import { startAgentWorkers } from '../../src/workers/agents/start-agent-workers.js';
import { startWorkers, type WorkerFleet } from '../../src/workers/generation/start-workers.js';
import {
  type IngestionWorkers,
  startIngestionWorkers,
} from '../../src/workers/ingestion/start-ingestion-workers.js';
import { type LocalCluster, startLocalCluster } from '../support/redis-cluster.js';

/** Atlas on a three-node Redis Cluster of its own, with a hash-tagged prefix. */
describe('on Redis Cluster', () => {
  let cluster: LocalCluster;
  let settings: Settings;
  let redis: Redis;
  const log = createLogger({ level: 'silent' });
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    cluster = await startLocalCluster();
    settings = loadSettings({
      env: {},
      configPath: undefined,
      overrides: {
        redis: { cluster: cluster.urls, prefix: `{atlas-smoke-${randomUUID().slice(0, 8)}}` },
        providers: {
          down: { type: 'mock', failureRate: 1, breaker: { volumeThreshold: 2 } },
          up: { type: 'mock' },
        },
        log: { level: 'silent' },
        workers: { lockDurationMs: 2_000, stalledIntervalMs: 1_000, heartbeatIntervalMs: 200 },
      },
    });
    redis = createRedis(settings.redis);
  }, 20_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await deletePrefix(redis, settings.redis.prefix);
    redis.disconnect();
    await cluster.stop();
  });

  it('fails a request over from one instance to the other', async () => {
    const fleet: WorkerFleet = await startWorkers({ settings, log, concurrency: 4 });
    const client = new AtlasClient({ settings });
    cleanups.push(
      () => client.close(),
      () => fleet.close(),
    );
    const result = await client.generate({ prompt: 'Hello cluster', providers: ['down', 'up'] });
    expect(result.provider).toBe('up');
    expect(result.hops.map((hop) => hop.provider)).toEqual(['down', 'up']);
    expect(result.text).toContain('Hello cluster');
  });

  it('ingests a batch of documents', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'atlas-cluster-docs-'));
    const storeDir = mkdtempSync(join(tmpdir(), 'atlas-cluster-lance-'));
    writeFileSync(join(folder, 'a.md'), '# Slots\n\nA hash tag keeps a queue in one slot.');
    writeFileSync(join(folder, 'b.txt'), 'Workers follow MOVED replies to the right node.');
    const store = new LanceDbStore(storeDir);
    const workers: IngestionWorkers = await startIngestionWorkers({ settings, store, log });
    const client = new IngestionClient(redis, createKeys(settings.redis.prefix));
    cleanups.push(
      () => client.close(),
      () => workers.close(),
      () => store.close(),
      async () => rmSync(folder, { recursive: true, force: true }),
      async () => rmSync(storeDir, { recursive: true, force: true }),
    );
    const batch = await client.ingest([folder], { collection: 'smoke', roots: [folder] });
    const summary = await client.wait(batch.batchId);
    expect(summary).toMatchObject({ added: 2, failed: 0 });
    expect(await store.count('smoke')).toBe(summary.chunks);
  });

  it('runs a workflow that waits for a person, resumed by a signal', async () => {
    const approval = defineWorkflow({
      name: 'approval',
      version: 1,
      state: z.object({ log: z.array(z.string()).default([]) }),
      start: 'prepare',
      nodes: {
        prepare: { kind: 'function', run: (state) => ({ log: [...state.log, 'prepared'] }) },
        ask: {
          kind: 'human',
          data: z.object({ approved: z.boolean() }),
          resume: (state, data) => ({
            log: [...state.log, `approved:${(data as { approved: boolean }).approved}`],
          }),
        },
      },
      edges: [
        { from: 'prepare', to: 'ask' },
        { from: 'ask', to: END },
      ],
    });
    const agents = await startAgentWorkers({ settings, log, workflows: [approval] });
    const client = new AtlasClient({ settings });
    cleanups.push(
      () => client.close(),
      () => agents.close(),
    );
    const { id } = await client.workflows.start('approval', {});
    for (let tries = 0; tries < 100 && (await client.workflows.get(id))?.status !== 'waiting'; tries++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    await client.workflows.signal(id, { approved: true });
    const run = await client.workflows.wait(id, { timeoutMs: 10_000 });
    expect(run).toMatchObject({ status: 'completed', state: { log: ['prepared', 'approved:true'] } });
  });

  it('keeps every key it wrote in the one slot of its prefix', async () => {
    const slot = keySlot(settings.redis.prefix);
    const keys: string[] = [];
    for await (const batch of scanKeys(redis, '*')) keys.push(...batch);
    expect(keys.length).toBeGreaterThan(10);
    expect(keys.filter((key) => keySlot(key) !== slot)).toEqual([]);
    expect(keys.every((key) => key.startsWith(settings.redis.prefix))).toBe(true);
  });
});
