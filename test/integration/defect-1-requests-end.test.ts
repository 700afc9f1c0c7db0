import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/generation-harness.js';
import { spawnWorker, type WorkerProcess } from '../support/spawn-worker.js';

let harness: Harness;
const processes: WorkerProcess[] = [];
afterEach(async () => {
  await Promise.all(processes.map((worker) => worker.kill('SIGKILL')));
  processes.length = 0;
  await harness?.close();
});

describe('defect 1: every accepted request ends by its deadline, with a reason', () => {
  it('defect 1: a request whose job stalled out ends failed by its deadline', async () => {
    harness = await createHarness({ providers: { slow: { type: 'mock', latencyMs: 60_000 } } }, 'stall');
    const submittedAt = Date.now();
    const id = await harness.client.submit({
      prompt: 'never finishes',
      providers: ['slow'],
      deadlineMs: 40_000,
    });
    // Two workers, each killed while it holds the job.
    for (let kill = 0; kill < 2; kill++) {
      const worker = await spawnWorker(harness.settings, ['slow'], { ATLAS_TEST_CONCURRENCY: '1' });
      processes.push(worker);
      const started = async () =>
        (await harness.redis.xrange(harness.keys.events(id), '-', '+')).filter(
          ([, fields]) => fields[1] === 'started',
        ).length;
      await expect.poll(started, { timeout: 15_000, interval: 100 }).toBe(kill + 1);
      await worker.kill('SIGKILL');
    }
    // A third worker finds the job stalled a second time; BullMQ gives up on it.
    await harness.startWorkers({ providers: ['slow'] });
    await expect(harness.client.wait(id)).rejects.toThrow(/the worker holding it died twice \(stalled\)/);
    const state = await harness.client.get(id);
    expect(state?.status).toBe('failed');
    expect(state?.error?.message).toMatch(/the worker holding it died twice \(stalled\)/);
    expect(Date.now() - submittedAt).toBeLessThan(40_000);
  }, 60_000);

  it('defect 1: a running request whose job vanished ends failed, named, long before its deadline', async () => {
    harness = await createHarness({ providers: { slow: { type: 'mock', latencyMs: 8_000 } } }, 'vanish');
    await harness.startWorkers({ providers: ['slow'] });
    const id = await harness.client.submit({
      prompt: 'its job goes',
      providers: ['slow'],
      deadlineMs: 20_000,
    });
    await expect.poll(async () => (await harness.client.get(id))?.status, { timeout: 5_000 }).toBe('running');
    const queue = `${harness.keys.bullPrefix}:${harness.keys.generationQueue('slow')}`;
    await harness.redis.del(`${queue}:${id}.0`, `${queue}:${id}.0:lock`);
    await harness.redis.lrem(`${queue}:active`, 0, `${id}.0`);
    const startedAt = Date.now();
    await expect(harness.client.wait(id)).rejects.toThrow(/its job vanished/);
    expect(Date.now() - startedAt).toBeLessThan(6_000);
  }, 30_000);

  it('defect 1: a request whose record cannot be parsed ends failed with the reason', async () => {
    harness = await createHarness({ providers: { main: { type: 'mock' } } }, 'unparsable');
    const id = await harness.client.submit({ prompt: 'damaged', providers: ['main'], deadlineMs: 20_000 });
    await harness.redis.hset(harness.keys.request(id), 'plan', '[{not json');
    await harness.startWorkers({ providers: ['main'] });
    await expect
      .poll(async () => harness.redis.hmget(harness.keys.request(id), 'status', 'error'), { timeout: 10_000 })
      .toEqual(['failed', expect.stringMatching(/its record cannot be read/)]);
  }, 30_000);

  it('defect 1: a request past its deadline whose job never ran ends failed with "deadline passed"', async () => {
    harness = await createHarness(
      { providers: { main: { type: 'mock' }, busy: { type: 'mock', latencyMs: 6_000 } } },
      'late',
    );
    // `busy` has a live worker that is occupied, so nothing moves its waiting job elsewhere.
    await harness.startWorkers({ providers: ['main', 'busy'], concurrency: 1 });
    await harness.client.submit({ prompt: 'occupies busy', providers: ['busy'], deadlineMs: 10_000 });
    const id = await harness.client.submit({ prompt: 'waits', providers: ['busy'], deadlineMs: 1_500 });
    await expect
      .poll(async () => (await harness.client.get(id))?.status, { timeout: 8_000, interval: 200 })
      .toBe('failed');
    expect((await harness.client.get(id))?.error?.message).toMatch(/deadline passed/);
  }, 30_000);
});

describe('defect 7: a job whose stored data is not JSON', () => {
  it('defect 7: a generation job with garbage data fails with a named reason instead of cycling', async () => {
    harness = await createHarness({ providers: { main: { type: 'mock' } } }, 'garbage');
    const queue = `${harness.keys.bullPrefix}:${harness.keys.generationQueue('main')}`;
    const { Queue } = await import('bullmq');
    const raw = new Queue(harness.keys.generationQueue('main'), {
      connection: harness.redis,
      prefix: harness.keys.bullPrefix,
    });
    try {
      await raw.add('generate', { requestId: 'x', attempt: 0 }, { jobId: 'garbage.0' });
      await harness.redis.hset(`${queue}:garbage.0`, 'data', '{this is not json');
      await harness.startWorkers({ providers: ['main'] });
      await expect
        .poll(async () => harness.redis.hget(`${queue}:garbage.0`, 'failedReason'), {
          timeout: 15_000,
          interval: 200,
        })
        .toMatch(/job garbage\.0 in .*: its data is not JSON/);
      expect(await harness.redis.zscore(`${queue}:failed`, 'garbage.0')).not.toBeNull();
    } finally {
      await raw.close();
    }
  }, 30_000);
});
