// (b) Latency Atlas adds at a fixed request rate: the same chat call through the queue (producer →
// Redis → worker process → OpenAI SDK → fake → Redis → producer) against a direct SDK call to the
// same fake from the producer's process.

import { spawn } from 'node:child_process';
import OpenAI from 'openai';
import { AtlasClient } from '../src/producer/atlas-client.js';
import { startOpenAIFake } from '../test/fakes/openai-fake.js';
import { benchRedis, benchSettings, cleanup, round, summarize } from './support.js';

const rate = Number(process.env['BENCH_RATE'] ?? 200);
const seconds = Number(process.env['BENCH_SECONDS'] ?? 10);
const total = rate * seconds;

async function atFixedRate(run: () => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    pending.push(run().then(() => void latencies.push(performance.now() - sent)));
  }
  await Promise.all(pending);
  return latencies;
}

const redis = await benchRedis();
const fake = await startOpenAIFake();
const prefix = 'bench-latency';
const settings = benchSettings(redis.url, prefix, {
  providers: { openai: { type: 'openai', baseURL: fake.baseURL, apiKeyEnv: 'ATLAS_BENCH_KEY' } },
});
process.env['ATLAS_BENCH_KEY'] = fake.apiKey;
const sdk = new OpenAI({ apiKey: fake.apiKey, baseURL: fake.baseURL, maxRetries: 0 });
// Workers in their own process, as deployed: the producer and the fake stay here.
const workers = spawn(
  process.execPath,
  ['--import', 'tsx', 'bench/worker-process.ts', JSON.stringify(settings), '200'],
  {
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
await new Promise<void>((resolve) =>
  workers.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()),
);
const client = new AtlasClient({ settings });
try {
  const request = {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user' as const, content: 'Say hello' }],
    max_completion_tokens: 16,
  };
  // Warm both paths first (connections, script cache, JIT).
  for (let i = 0; i < 50; i++) {
    await sdk.chat.completions.create(request);
    await client.generate({ prompt: 'Say hello', providers: ['openai'], maxTokens: 16 });
  }
  const direct = summarize(await atFixedRate(async () => void (await sdk.chat.completions.create(request))));
  const queued = summarize(
    await atFixedRate(
      async () => void (await client.generate({ prompt: 'Say hello', providers: ['openai'], maxTokens: 16 })),
    ),
  );
  console.log(
    JSON.stringify({
      benchmark: 'added-latency',
      ratePerSecond: rate,
      requests: total,
      directMs: { p50: round(direct.p50), p99: round(direct.p99) },
      atlasMs: { p50: round(queued.p50), p99: round(queued.p99) },
      addedMs: { p50: round(queued.p50 - direct.p50), p99: round(queued.p99 - direct.p99) },
      target: 'added p50 <= 2 ms, p99 <= 10 ms at 200 req/s',
    }),
  );
} finally {
  await client.close();
  workers.kill('SIGTERM');
  await new Promise((resolve) => workers.once('exit', resolve));
  await fake.close();
  await cleanup(redis.url, prefix);
  await redis.stop();
}
