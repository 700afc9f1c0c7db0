import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../src/cli/local-redis.js';
import { AtlasClient } from '../../src/producer/atlas-client.js';
import { type FileSettings, loadSettings } from '../../src/shared/config/settings.js';
import { createKeys } from '../../src/shared/keys.js';
import { createRedis } from '../../src/shared/redis.js';
import { freshPrefix, redisUrl } from '../support/redis.js';
import { spawnCliWorker, type WorkerProcess } from '../support/spawn-worker.js';

const graceMs = 1_000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An atlas.config.json of its own (short heartbeat and grace), and the environment that points at it. */
function configure(file: FileSettings): {
  env: Record<string, string>;
  settings: ReturnType<typeof loadSettings>;
} {
  const dir = mkdtempSync(join(tmpdir(), 'atlas-shutdown-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = {
    ...file,
    workers: { heartbeatIntervalMs: 200, shutdownGraceMs: graceMs, ...file.workers },
  };
  const path = join(dir, 'atlas.config.json');
  writeFileSync(path, JSON.stringify(config));
  const env = {
    ATLAS_CONFIG: path,
    ATLAS_KNOWLEDGE_DIR: join(dir, 'lancedb'),
    ATLAS_LOG_LEVEL: 'info',
  };
  return { env, settings: loadSettings({ env, configPath: path }) };
}

function track(worker: WorkerProcess): WorkerProcess {
  cleanups.push(() => worker.kill('SIGKILL'));
  return worker;
}

describe('atlas worker shutdown', () => {
  it('exits within the grace on SIGTERM when its Redis is gone, with one line and no ioredis noise', async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const { env, settings } = configure({
      redis: { url: server.url, prefix: 'shutdown' },
      providers: { slow: { type: 'mock', latencyMs: 60_000, timeoutMs: 120_000 } },
    });
    const worker = track(await spawnCliWorker(['--providers', 'slow'], env));
    const client = new AtlasClient({ settings });
    const requestId = await client.submit({ prompt: 'a long one', providers: ['slow'] });
    for (let i = 0; i < 100 && (await client.get(requestId))?.status !== 'running'; i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await client.get(requestId))?.status).toBe('running');
    await client.close();

    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    const code = await worker.exited;
    const tookMs = Date.now() - signalledAt;

    expect(code).toBe(1);
    expect(tookMs).toBeLessThan(graceMs + 1_000);
    const output = worker.output();
    expect(output).not.toContain('[ioredis]');
    const shutdownLines = output.split('\n').filter((line) => /stopped|finishing|shutdown/i.test(line));
    expect(shutdownLines).toEqual([
      'atlas worker: Redis unreachable; stopped without waiting for 1 running job',
    ]);
    // The outage itself is told once, not once per reconnect attempt.
    expect(output.match(/Redis unreachable; workers wait for it/g) ?? []).toHaveLength(1);
  }, 40_000);

  it('exits at once on SIGTERM with no job running and Redis gone', async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const { env } = configure({
      redis: { url: server.url, prefix: 'shutdown-idle' },
      providers: { quick: { type: 'mock' } },
      workers: { shutdownGraceMs: 30_000 },
    });
    const worker = track(await spawnCliWorker(['--providers', 'quick', '--ingest'], env));
    await server.stop();
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(1);
    expect(Date.now() - signalledAt).toBeLessThan(3_000);
    expect(worker.output()).not.toContain('[ioredis]');
    expect(worker.output()).toContain(
      'atlas worker: Redis unreachable; stopped without leaving the fleet (no job was running)',
    );
  }, 40_000);

  it('--ingest alone registers no generation queue and no generation heartbeat', async () => {
    const { env, settings } = configure({
      redis: { url: redisUrl(), prefix: freshPrefix('ingest-only') },
      providers: { 'mock-a': { type: 'mock' }, 'mock-b': { type: 'mock' } },
    });
    const keys = createKeys(settings.redis.prefix);
    const worker = track(await spawnCliWorker(['--ingest'], env));
    const redis = createRedis(redisUrl());
    cleanups.push(() => redis.disconnect());
    const queueOf = (name: string) => {
      const queue = new Queue(name, { connection: redis, prefix: keys.bullPrefix });
      cleanups.push(() => queue.close());
      return queue;
    };

    for (const instance of Object.keys(settings.providers)) {
      expect(await redis.zcard(keys.workers(instance))).toBe(0);
      expect(await queueOf(keys.generationQueue(instance)).getWorkers()).toEqual([]);
    }
    expect(await redis.zcard(keys.workers(keys.ingestionQueue))).toBe(1);
    expect(await queueOf(keys.ingestionQueue).getWorkers()).toHaveLength(1);
    expect(worker.output()).toMatch(/: serving ingestion\n/);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toContain('atlas worker: stopped; every running job finished');
    // Leaving the fleet removes the heartbeat at once.
    expect(await redis.zcard(keys.workers(keys.ingestionQueue))).toBe(0);
  }, 40_000);
});
