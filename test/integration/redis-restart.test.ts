import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../src/cli/local-redis.js';
import { AtlasClient } from '../../src/producer/atlas-client.js';
import { loadSettings } from '../../src/shared/config/settings.js';
import { createLogger } from '../../src/shared/log.js';
import { startWorkers, type WorkerFleet } from '../../src/workers/generation/start-workers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('Redis restarted (AOF on, as production should run it)', () => {
  it('loses no accepted request, whether queued or in flight when Redis went down', async () => {
    let server = await startRedisServer({ appendOnly: true });
    const { port, dir } = server;
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const settings = loadSettings({
      env: {},
      configPath: undefined,
      overrides: {
        redis: { url: server.url, prefix: 'restart' },
        providers: { slow: { type: 'mock', latencyMs: 300 } },
        workers: { lockDurationMs: 2_000, stalledIntervalMs: 1_000, heartbeatIntervalMs: 200 },
      },
    });
    const client = new AtlasClient({ settings });
    const queued = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        client.submit({ prompt: `queued ${index}`, providers: ['slow'] }),
      ),
    );
    const fleet: WorkerFleet = await startWorkers({
      settings,
      concurrency: 5,
      log: createLogger({ level: 'silent' }),
    });
    cleanups.push(async () => {
      await client.close();
      await fleet.close();
      await server.stop();
    });
    // Some requests are in the provider call now; take Redis away under them and bring it back.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    server = await startRedisServer({ appendOnly: true, port, dir });
    const later = await client.submit({ prompt: 'after the restart', providers: ['slow'] });
    const results = await Promise.all([...queued, later].map((id) => client.wait(id, { timeoutMs: 20_000 })));
    expect(results.map((result) => result.text)).toEqual([
      ...queued.map((_, index) => `Mock reply from slow (mock-standard) to: queued ${index}`),
      'Mock reply from slow (mock-standard) to: after the restart',
    ]);
  }, 40_000);
});
