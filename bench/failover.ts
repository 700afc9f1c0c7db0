// (c) Failover: at 100 req/s, the primary instance's fake starts failing mid-run (5xx, refused
// connections, or hanging). Measured: time from the fault until the primary's breaker is open in Redis
// (what every worker and producer reads), share of requests served, and attempts wasted on the primary.

import { AtlasClient } from '../src/producer/atlas-client.js';
import { readFleetHealth } from '../src/shared/fleet-health.js';
import { createKeys } from '../src/shared/keys.js';
import { createLogger } from '../src/shared/log.js';
import { createRedis } from '../src/shared/redis.js';
import { startWorkers } from '../src/workers/generation/start-workers.js';
import { startOpenAIFake } from '../test/fakes/openai-fake.js';
import { type Figure, reportFigures } from './figures.js';
import { benchRedis, benchSettings, cleanup, round } from './support.js';

const rate = 100;
const seconds = Number(process.env['BENCH_SECONDS'] ?? 6);
const faultAtMs = 2_000;
const callTimeoutMs = 1_000;

async function scenario(redisUrl: string, fault: 'server-error' | 'refused' | 'hang') {
  const fake = await startOpenAIFake();
  process.env['ATLAS_BENCH_KEY'] = fake.apiKey;
  const prefix = `bench-failover-${fault}`;
  const settings = benchSettings(redisUrl, prefix, {
    providers: {
      primary: {
        type: 'openai',
        baseURL: fake.baseURL,
        apiKeyEnv: 'ATLAS_BENCH_KEY',
        timeoutMs: callTimeoutMs,
      },
      backup: { type: 'mock', latencyMs: 5 },
    },
    generation: { healthCacheMs: 100, defaultDeadlineMs: 30_000 },
    workers: { heartbeatIntervalMs: 250 },
  });
  const log = createLogger({ level: 'silent' });
  const fleets = [
    await startWorkers({ settings, concurrency: 100, log, workerId: 'bench-1', sweep: false }),
    await startWorkers({ settings, concurrency: 100, log, workerId: 'bench-2', sweep: false }),
  ];
  const client = new AtlasClient({ settings });
  const redis = createRedis(redisUrl);
  const keys = createKeys(prefix);
  let faultAt = 0;
  let openAt = 0;
  const watcher = setInterval(async () => {
    if (!faultAt || openAt) return;
    const [health] = await readFleetHealth(redis, keys, ['primary']);
    if (health?.breaker.state === 'open') openAt = Date.now();
  }, 5);
  const started = Date.now();
  const outcomes: Array<Promise<{ ok: boolean; wasted: number }>> = [];
  for (let i = 0; i < rate * seconds; i++) {
    const due = started + (i * 1000) / rate;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    if (!faultAt && Date.now() - started >= faultAtMs) {
      faultAt = Date.now();
      if (fault === 'refused') await fake.server.goDown();
      else fake.server.failAlways(fault);
    }
    outcomes.push(
      client
        .generate({ prompt: `r${i}`, providers: ['primary', 'backup'], strategy: 'failover' })
        .then((result) => ({
          ok: true,
          wasted: result.hops.filter((hop) => hop.error && hop.error.kind !== 'circuit_open').length,
        }))
        .catch(() => ({ ok: false, wasted: 1 })),
    );
  }
  const results = await Promise.all(outcomes);
  clearInterval(watcher);
  const served = results.filter((result) => result.ok).length;
  const wasted = results.reduce((sum, result) => sum + result.wasted, 0);
  await client.close();
  for (const fleet of fleets) await fleet.close();
  redis.disconnect();
  await fake.close();
  await cleanup(redisUrl, prefix);
  return {
    fault,
    requests: results.length,
    breakerOpenAfterMs: openAt ? openAt - faultAt : null,
    servedShare: round(served / results.length, 4),
    wastedAttemptsOnPrimary: wasted,
  };
}

const redis = await benchRedis();
try {
  const rows: Figure[] = [];
  for (const fault of ['server-error', 'refused', 'hang'] as const) {
    const figures = await scenario(redis.url, fault);
    console.log(
      JSON.stringify({
        benchmark: 'failover',
        ratePerSecond: rate,
        callTimeoutMs,
        ...figures,
        target: '<= 1 s after refusal/5xx (timeout + 1 s for a hang), >= 99% served',
      }),
    );
    const openWithinMs = fault === 'hang' ? callTimeoutMs + 1_000 : 1_000;
    const openAfter = figures.breakerOpenAfterMs;
    rows.push({
      figure: `failover at ${rate} req/s, primary ${fault}`,
      measured: `breaker open after ${openAfter ?? 'never'} ms, ${round(figures.servedShare * 100, 2)} % served, ${figures.wastedAttemptsOnPrimary} wasted`,
      target: `open ≤ ${openWithinMs} ms, ≥ 99 % served`,
      met: openAfter !== null && openAfter <= openWithinMs && figures.servedShare >= 0.99,
    });
  }
  reportFigures('failover', rows);
} finally {
  await redis.stop();
}
