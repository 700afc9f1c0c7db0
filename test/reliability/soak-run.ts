// `npm run soak`: requests through mock providers and one worker process, with worker RSS and Redis
// used_memory sampled every few seconds; both should be flat at the end, since records expire
// (generation.recordTtlMs) and finished jobs are trimmed (workers.keepCompleted). Long form only.
import { readFileSync } from 'node:fs';
import { startRedisServer } from '../../src/cli/local-redis.js';
import { AtlasClient } from '../../src/producer/atlas-client.js';
import { loadSettings } from '../../src/shared/config/settings.js';
import { createRedis } from '../../src/shared/redis.js';
import { spawnWorker } from '../support/spawn-worker.js';

const total = Number(process.env['SOAK_REQUESTS'] ?? 100_000);
const inFlight = Number(process.env['SOAK_IN_FLIGHT'] ?? 200);
const sampleMs = Number(process.env['SOAK_SAMPLE_MS'] ?? 5_000);
const recordTtlMs = Number(process.env['SOAK_RECORD_TTL_MS'] ?? 30_000);
/** How long to keep sampling after the last request, so expiry shows. */
const tailMs = Number(process.env['SOAK_TAIL_MS'] ?? recordTtlMs * 2);

const redisServer = await startRedisServer();
const settings = loadSettings({
  env: {},
  configPath: undefined,
  overrides: {
    redis: { url: redisServer.url, prefix: 'soak' },
    providers: { 'mock-a': { type: 'mock' }, 'mock-b': { type: 'mock' } },
    providerOrder: ['mock-a', 'mock-b'],
    log: { level: 'silent' },
    generation: { recordTtlMs },
    workers: { keepCompleted: { ageSeconds: Math.ceil(recordTtlMs / 1000), count: 1_000 } },
  },
});
const worker = await spawnWorker(settings, ['mock-a', 'mock-b'], { ATLAS_TEST_CONCURRENCY: '50' });
const redis = createRedis(settings.redis);
const client = new AtlasClient({ settings });

interface Sample {
  atS: number;
  done: number;
  rssMb: number;
  usedMemoryMb: number;
  keys: number;
}
const samples: Sample[] = [];
const startedAt = Date.now();
let done = 0;
let failed = 0;
const rssMb = () => {
  const status = readFileSync(`/proc/${worker.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
};
const sample = async () => {
  const info = await redis.info('memory');
  const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 1024 / 1024;
  const entry: Sample = {
    atS: Math.round((Date.now() - startedAt) / 1000),
    done,
    rssMb: Math.round(rssMb() * 10) / 10,
    usedMemoryMb: Math.round(used * 10) / 10,
    keys: await redis.dbsize(),
  };
  samples.push(entry);
  process.stderr.write(
    `soak: ${entry.atS}s ${entry.done} done, worker RSS ${entry.rssMb} MB, Redis used_memory ${entry.usedMemoryMb} MB, ${entry.keys} keys\n`,
  );
};
await sample();
const timer = setInterval(() => void sample(), sampleMs);

let next = 0;
const lane = async () => {
  while (next < total) {
    const index = next++;
    try {
      await client.generate({ prompt: `soak request ${index}`, providers: ['mock-a', 'mock-b'] });
    } catch {
      failed++;
    }
    done++;
  }
};
await Promise.all(Array.from({ length: inFlight }, lane));
const loadS = (Date.now() - startedAt) / 1000;
process.stderr.write(
  `soak: ${done} requests in ${loadS.toFixed(0)} s (${failed} failed); sampling on for ${tailMs / 1000} s\n`,
);
await new Promise((resolve) => setTimeout(resolve, tailMs));
clearInterval(timer);
await sample();

const series = (name: string, pick: (entry: Sample) => number, unit: string) => {
  const values = samples.map(pick);
  const peak = Math.max(...values);
  const atLoadEnd =
    samples
      .filter((entry) => entry.atS <= loadS)
      .map(pick)
      .at(-1) ?? 0;
  return `${name}: start ${values[0]} ${unit}, peak ${peak} ${unit}, at the last request ${atLoadEnd} ${unit}, end ${values.at(-1)} ${unit}`;
};
process.stdout.write(
  `${[
    `soak: ${done} requests (${failed} failed) through one worker process in ${loadS.toFixed(0)} s, ${(done / loadS).toFixed(0)} requests/s; samples every ${sampleMs / 1000} s`,
    series('worker RSS', (entry) => entry.rssMb, 'MB'),
    series('Redis used_memory', (entry) => entry.usedMemoryMb, 'MB'),
    series('Redis keys', (entry) => entry.keys, ''),
  ].join('\n')}\n`,
);
await client.close();
redis.disconnect();
await worker.kill('SIGTERM');
await redisServer.stop();
process.exit(0);
