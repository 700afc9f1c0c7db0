// (d) Streaming through the queue: time to first delta against a direct stream from the same mock,
// and Redis writes per delta (the worker batches deltas).

import { AtlasClient } from '../src/producer/atlas-client.js';
import { parseInstance } from '../src/shared/config/provider-settings.js';
import { createLogger } from '../src/shared/log.js';
import { builtInCatalogue } from '../src/shared/providers/catalogue.js';
import { MockProvider } from '../src/shared/providers/mock/mock-provider.js';
import { startWorkers } from '../src/workers/generation/start-workers.js';
import { ms, reportFigures } from './figures.js';
import { benchRedis, benchSettings, cleanup, round, summarize } from './support.js';

const requests = Number(process.env['BENCH_REQUESTS'] ?? 20);
const words = 400;
const latencyMs = 800;
const prompt = Array.from({ length: words }, (_, index) => `w${index}`).join(' ');

const redis = await benchRedis();
const prefix = 'bench-stream';
const settings = benchSettings(redis.url, prefix, { providers: { mock: { type: 'mock', latencyMs } } });
const mock = new MockProvider({
  name: 'mock',
  settings: parseInstance({ type: 'mock', latencyMs }, 'mock') as never,
  catalogue: builtInCatalogue,
});
const workers = await startWorkers({
  settings,
  concurrency: 50,
  log: createLogger({ level: 'silent' }),
  sweep: false,
});
const client = new AtlasClient({ settings });
try {
  const direct: number[] = [];
  const queued: number[] = [];
  let deltas = 0;
  let deltaWrites = 0;
  for (let i = 0; i < requests; i++) {
    const startedDirect = performance.now();
    for await (const part of mock.stream({ messages: [{ role: 'user', content: prompt }] })) {
      if (part.type === 'text-delta') {
        direct.push(performance.now() - startedDirect);
        break;
      }
    }
    const startedQueued = performance.now();
    let first = true;
    for await (const event of client.stream({ prompt, providers: ['mock'] })) {
      if (event.type === 'text-delta') {
        deltaWrites++;
        if (first) queued.push(performance.now() - startedQueued);
        first = false;
      }
    }
    deltas += words + 8;
  }
  const directSummary = summarize(direct);
  const queuedSummary = summarize(queued);
  console.log(
    JSON.stringify({
      benchmark: 'streaming',
      requests,
      providerDeltasPerRequest: words + 8,
      timeToFirstDeltaMs: {
        direct: round(directSummary.p50),
        atlas: round(queuedSummary.p50),
        addedP50: round(queuedSummary.p50 - directSummary.p50),
        addedP99: round(queuedSummary.p99 - summarize(direct).p99),
      },
      redisWritesPerDelta: round(deltaWrites / deltas, 3),
      target: 'added <= 5 ms, <= 0.2 writes per delta',
    }),
  );
  const addedP50 = queuedSummary.p50 - directSummary.p50;
  const writesPerDelta = deltaWrites / deltas;
  reportFigures('streaming', [
    {
      figure: 'time to first delta, added to a direct stream',
      measured: `p50 +${ms(addedP50)}, p99 +${ms(queuedSummary.p99 - directSummary.p99)}`,
      target: 'p50 ≤ 5 ms',
      met: addedP50 <= 5,
    },
    {
      figure: 'Redis writes per provider delta',
      measured: String(round(writesPerDelta, 3)),
      target: '≤ 0.2',
      met: writesPerDelta <= 0.2,
    },
  ]);
} finally {
  await client.close();
  await workers.close();
  await cleanup(redis.url, prefix);
  await redis.stop();
}
