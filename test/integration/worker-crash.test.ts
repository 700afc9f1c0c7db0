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
