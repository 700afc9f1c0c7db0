import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../src/cli/local-redis.js';
import { loadSettings } from '../../src/shared/config/settings.js';
import { createLogger } from '../../src/shared/log.js';
import { createRedis, type Redis } from '../../src/shared/redis.js';
import { startWorkers, type WorkerFleet } from '../../src/workers/generation/start-workers.js';
import { runCliInProcess } from '../support/run-cli.js';

describe('atlas doctor', () => {
  let server: Awaited<ReturnType<typeof startRedisServer>>;
  let redis: Redis;
  let fleet: WorkerFleet;
  let env: Record<string, string>;
  beforeAll(async () => {
    // Its own durable Redis: the check changes the eviction policy, which no other test may see.
    server = await startRedisServer({ appendOnly: true });
    redis = createRedis(server.url);
    const folder = mkdtempSync(join(tmpdir(), 'atlas-doctor-'));
    const config = join(folder, 'atlas.config.json');
    writeFileSync(
      config,
      JSON.stringify({ providers: { m: { type: 'mock' } }, workers: { heartbeatIntervalMs: 200 } }),
    );
    env = {
      REDIS_URL: server.url,
      ATLAS_PREFIX: 'doctor',
      ATLAS_CONFIG: config,
      ATLAS_KNOWLEDGE_DIR: join(folder, 'lance'),
    };
    const settings = loadSettings({ env, configPath: config });
    fleet = await startWorkers({ settings, log: createLogger({ level: 'silent' }) });
  });
  afterAll(async () => {
    await fleet?.close();
    redis?.disconnect();
    await server?.stop();
  });

  it('passes a healthy deployment and fails one whose Redis may evict jobs, saying to set noeviction', async () => {
    const healthy = await runCliInProcess(['doctor', '--json'], env);
    expect(healthy.stderr).toBe('');
    const findings = JSON.parse(healthy.stdout) as Array<{ check: string; status: string }>;
    expect(findings.filter((finding) => finding.status !== 'ok')).toEqual([]);
    expect(findings.map((finding) => finding.check)).toEqual(
      expect.arrayContaining([
        'redis version',
        'maxmemory-policy',
        'persistence',
        'instance m',
        'requests',
        'knowledge store',
      ]),
    );
    expect(healthy.code).toBe(0);

    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const evicting = await runCliInProcess(['doctor'], env);
    expect(evicting.code).toBe(1);
    expect(evicting.stdout).toMatch(/fail\s+maxmemory-policy\s+'allkeys-lru'/);
    expect(evicting.stdout).toMatch(/fix: maxmemory-policy: set maxmemory-policy noeviction/);
  });
});
