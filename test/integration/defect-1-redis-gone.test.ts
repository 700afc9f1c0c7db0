import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRedisServer } from '../../src/cli/local-redis.js';
import { createRedis } from '../../src/shared/redis.js';
import { runCli } from '../support/run-cli.js';

describe('defect 1: Redis gone mid-query', () => {
  // A real process: what matters is everything it prints (stack traces, ioredis's own lines) and its exit.
  it('defect 1: atlas query prints one line and exits non-zero by its deadline when Redis goes away', async () => {
    const server = await startRedisServer({});
    const dir = mkdtempSync(join(tmpdir(), 'atlas-redis-gone-'));
    const config = join(dir, 'atlas.config.json');
    writeFileSync(config, JSON.stringify({ providers: { slow: { type: 'mock', latencyMs: 4_000 } } }));
    try {
      const startedAt = Date.now();
      const running = runCli(
        ['query', '-q', 'hello', '--providers', 'slow', '--timeout', '6000'],
        { REDIS_URL: server.url, ATLAS_PREFIX: 'gone', ATLAS_CONFIG: config, ATLAS_LOG_LEVEL: '' },
        30_000,
      );
      // Redis goes once the request runs.
      const redis = createRedis(server.url);
      await expect
        .poll(
          async () => {
            const [key] = await redis.keys('gone:req:*');
            return key ? redis.hget(key.replace(/:events$/, ''), 'status') : undefined;
          },
          { timeout: 15_000, interval: 100 },
        )
        .toBe('running');
      redis.disconnect();
      await server.stop();
      const result = await running;
      expect(result.code).not.toBe(0);
      expect(Date.now() - startedAt).toBeLessThan(6_000 + 2_000 + 4_000);
      const lines = result.stderr.trim().split('\n');
      expect(lines.filter((line) => !line.startsWith('atlas: no worker serves'))).toEqual([
        expect.stringMatching(/^atlas: Redis unreachable/),
      ]);
      expect(result.stderr).not.toMatch(/\[ioredis\]|\n\s+at /);
    } finally {
      await server.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
