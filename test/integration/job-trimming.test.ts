import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { IngestionClient } from '../../src/producer/ingestion-client.js';
import { agentJobOptions } from '../../src/shared/job-options.js';
import { LanceDbStore } from '../../src/shared/knowledge/lancedb/lancedb-store.js';
import { createLogger } from '../../src/shared/log.js';
import { duplicateRedis } from '../../src/shared/redis.js';
import type { ContinuationJob } from '../../src/shared/requests/continuations.js';
import { startIngestionWorkers } from '../../src/workers/ingestion/start-ingestion-workers.js';
import { createHarness, type Harness, mockInstances } from '../support/generation-harness.js';

let harness: Harness;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await harness?.close();
});

const keep = { ageSeconds: 3_600, count: 2 };

describe('finished jobs of every queue kind are trimmed', () => {
  it('generation and continuation jobs, whatever the request ended as', async () => {
    harness = await createHarness({
      providers: mockInstances('m'),
      workers: { keepCompleted: keep, keepFailed: keep },
    });
    const connection = duplicateRedis(harness.redis, { role: 'blocking' });
    const received: ContinuationJob[] = [];
    const consumer = new Worker<ContinuationJob>(
      'next',
      async (job) => {
        received.push(job.data);
      },
      { connection, prefix: harness.keys.bullPrefix },
    );
    cleanups.push(async () => {
      await consumer.close();
      connection.disconnect();
    });
    const continuation = (step: number) => ({ queue: 'next', payload: { step } });
    // Cancelled before any worker runs them: their continuation says so.
    const cancelled: string[] = [];
    for (let i = 0; i < 2; i++) {
      const id = await harness.client.submit({
        prompt: `c${i}`,
        providers: ['m'],
        continuation: continuation(i),
      });
      await harness.client.cancel(id);
      cancelled.push(id);
    }
    await harness.startWorkers();
    for (let i = 0; i < 5; i++)
      await harness.client.generate({
        prompt: `r${i}`,
        providers: ['m'],
        continuation: continuation(10 + i),
      });
    harness.providers.get('m')!.down = 'invalid_request';
    const failed = await harness.client.submit({
      prompt: 'bad',
      providers: ['m'],
      continuation: continuation(99),
    });
    await expect(harness.client.wait(failed)).rejects.toThrow(/invalid_request|down/);

    await expect.poll(() => received.length).toBe(8);
    expect(received.filter((job) => job.status === 'completed')).toHaveLength(5);
    expect(received.find((job) => job.requestId === failed)).toMatchObject({
      status: 'failed',
      error: { kind: 'invalid_request' },
      payload: { step: 99 },
    });
    expect(received.filter((job) => cancelled.includes(job.requestId)).map((job) => job.status)).toEqual([
      'cancelled',
      'cancelled',
    ]);
    const generation = harness.client['queues'].get('m');
    expect((await generation.getJobCounts('completed'))['completed']).toBeLessThanOrEqual(2);
    const next = new Queue('next', { connection: harness.redis, prefix: harness.keys.bullPrefix });
    cleanups.push(() => next.close());
    expect((await next.getJobCounts('completed'))['completed']).toBeLessThanOrEqual(2);
    // The oldest continuations are gone; the newest (the failed request's) is kept.
    expect(await next.getJob(harness.keys.continuationJobId(cancelled[0]!))).toBeUndefined();
    expect(await next.getJob(harness.keys.continuationJobId(failed))).toBeDefined();
  });

  it('ingestion document and batch jobs, and agent jobs completed or failed', async () => {
    harness = await createHarness(
      { providers: mockInstances('mock'), workers: { keepCompleted: keep, keepFailed: keep } },
      'trim',
    );
    const { settings, redis, keys } = harness;
    const folder = mkdtempSync(join(tmpdir(), 'atlas-trim-docs-'));
    const lance = mkdtempSync(join(tmpdir(), 'atlas-trim-lance-'));
    const store = new LanceDbStore(lance);
    const workers = await startIngestionWorkers({ settings, store, log: createLogger({ level: 'silent' }) });
    const client = new IngestionClient(redis, keys, settings.workers);
    cleanups.push(async () => {
      await client.close();
      await workers.close();
      await store.close();
      rmSync(folder, { recursive: true, force: true });
      rmSync(lance, { recursive: true, force: true });
    });
    for (let batch = 0; batch < 3; batch++) {
      for (let i = 0; i < 3; i++)
        writeFileSync(join(folder, `doc${i}.txt`), `Batch ${batch}, document ${i}.`);
      const { batchId } = await client.ingest([folder], { collection: 'trim', roots: [folder] });
      expect((await client.wait(batchId)).failed).toBe(0);
    }
    for (const name of [keys.ingestionQueue, keys.ingestionBatchQueue]) {
      const queue = new Queue(name, { connection: redis, prefix: keys.bullPrefix });
      cleanups.push(() => queue.close());
      expect((await queue.getJobCounts('completed'))['completed']).toBeLessThanOrEqual(2);
    }

    const agents = new Queue(keys.agentQueue, { connection: redis, prefix: keys.bullPrefix });
    const connection = duplicateRedis(redis, { role: 'blocking' });
    let processed = 0;
    const agentWorker = new Worker(
      keys.agentQueue,
      async (job) => {
        processed++;
        if (job.data.fail) throw new UnrecoverableError('step refused');
      },
      { connection, prefix: keys.bullPrefix },
    );
    cleanups.push(async () => {
      await agentWorker.close();
      await agents.close();
      connection.disconnect();
    });
    for (let i = 0; i < 10; i++)
      await agents.add(
        'step',
        { fail: i % 2 === 1 },
        { ...agentJobOptions(settings.workers), jobId: `run.${i}` },
      );
    await expect.poll(() => processed).toBe(10);
    await expect
      .poll(async () => {
        const counts = await agents.getJobCounts('completed', 'failed');
        return (counts['completed'] ?? 0) <= 2 && (counts['failed'] ?? 0) <= 2;
      })
      .toBe(true);
  });
});
