import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/generation-harness.js';
import { spawnWorker, type WorkerProcess } from '../support/spawn-worker.js';

let harness: Harness;
const processes: WorkerProcess[] = [];
afterEach(async () => {
  await Promise.all(processes.map((worker) => worker.kill()));
  processes.length = 0;
  await harness?.close();
});

describe('a worker killed mid-job', () => {
  it('loses and duplicates nothing: every request ends with exactly one terminal event', async () => {
    harness = await createHarness({ providers: { slow: { type: 'mock', latencyMs: 300 } } }, 'crash');
    const first = await spawnWorker(harness.settings, ['slow']);
    processes.push(first);
    const ids = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        harness.client.submit({ prompt: `request ${index}`, providers: ['slow'] }),
      ),
    );
    // Kill it while some requests are done and others are in the provider call.
    await expect
      .poll(
        async () =>
          (await Promise.all(ids.map((id) => harness.client.get(id)))).filter(
            (state) => state?.status === 'completed',
          ).length,
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);
    await first.kill('SIGKILL');
    const states = await Promise.all(ids.map((id) => harness.client.get(id)));
    expect(states.some((state) => state?.status !== 'completed')).toBe(true);

    processes.push(await spawnWorker(harness.settings, ['slow']));
    const results = await Promise.all(ids.map((id) => harness.client.wait(id, { timeoutMs: 20_000 })));
    for (const [index, result] of results.entries()) expect(result.text).toContain(`request ${index}`);
    for (const id of ids) {
      const events = await harness.redis.xrange(harness.keys.events(id), '-', '+');
      const terminal = events.filter(([, fields]) => fields[1] === 'completed' || fields[1] === 'failed');
      expect(terminal).toHaveLength(1);
    }
  }, 60_000);
});

describe('the only worker of an instance killed mid-job', () => {
  it('has its requests, waiting and in flight, moved to the next instance by the sweeper', async () => {
    harness = await createHarness(
      { providers: { solo: { type: 'mock', latencyMs: 1_000 }, backup: { type: 'mock' } } },
      'crash-solo',
    );
    const solo = await spawnWorker(harness.settings, ['solo'], { ATLAS_TEST_CONCURRENCY: '2' });
    processes.push(solo);
    // The backup's worker runs the sweeper; nothing else serves `solo`.
    await harness.startWorkers({ providers: ['backup'] });
    const ids = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        harness.client.submit({ prompt: `solo ${index}`, providers: ['solo', 'backup'] }),
      ),
    );
    await expect
      .poll(async () => (await harness.client.get(ids[0]!))?.status, { timeout: 5_000 })
      .toBe('running');
    await solo.kill('SIGKILL');
    const results = await Promise.all(ids.map((id) => harness.client.wait(id, { timeoutMs: 20_000 })));
    for (const result of results) expect(result.provider).toBe('backup');
    expect(results.some((result) => result.hops[0]?.error?.message.includes('no live worker'))).toBe(true);
  }, 40_000);
});
