// (f) What the HTTP layer costs: throughput of /v1/chat/completions at 50 requests in flight, beside a
// direct call to the same 0 ms OpenAI fake and beside client.generate, in the same run. Workers and the
// server run in processes of their own, as deployed; the fake, the load generator and the library here.
import autocannon from 'autocannon';
import { AtlasClient } from '../src/producer/atlas-client.js';
import { startOpenAIFake } from '../test/fakes/openai-fake.js';
import { reportFigures } from './figures.js';
import { benchRedis, benchSettings, cleanup, round, startProcess, stopWorkerProcesses } from './support.js';

const inFlight = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const seconds = Number(process.env['BENCH_SECONDS'] ?? 10);
const token = 'bench-http-token-0123456789abcdef';

async function cannon(
  url: string,
  headers: Record<string, string>,
  body: object,
): Promise<{ perSecond: number; errors: number; p50: number; p99: number }> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: inFlight,
    duration: seconds,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    perSecond: result.requests.total / (result.duration || seconds),
    errors: result.errors + result.non2xx,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

async function library(client: AtlasClient): Promise<{ perSecond: number; errors: number }> {
  let done = 0;
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) {
        try {
          await client.generate({ prompt: 'Say hello', providers: ['openai'], maxTokens: 16 });
          done++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { perSecond: done / ((performance.now() - started) / 1000), errors };
}

const redis = await benchRedis();
const fake = await startOpenAIFake();
const prefix = 'bench-http';
process.env['ATLAS_BENCH_KEY'] = fake.apiKey;
const overrides = {
  providers: { openai: { type: 'openai' as const, baseURL: fake.baseURL, apiKeyEnv: 'ATLAS_BENCH_KEY' } },
  workers: { keepCompleted: { ageSeconds: 60, count: 1_000 } },
};
const settings = benchSettings(redis.url, prefix, overrides);
const serialized = JSON.stringify({ ...overrides, redis: settings.redis, log: { level: 'silent' } });
const workers = await startProcess('bench/worker-process.ts', [serialized, '200']);
const server = await startProcess('bench/server-process.ts', [
  JSON.stringify({ ...JSON.parse(serialized), server: { port: 0, tokens: [token] } }),
]);
const serverUrl = server.line.split(' ')[1]!;
const client = new AtlasClient({ settings });
try {
  const chat = {
    model: 'openai',
    messages: [{ role: 'user', content: 'Say hello' }],
    max_completion_tokens: 16,
  };
  // Warm every path first (connections, script cache, JIT).
  for (let i = 0; i < 50; i++)
    await client.generate({ prompt: 'Say hello', providers: ['openai'], maxTokens: 16 });
  const direct = await cannon(
    `${fake.baseURL}/chat/completions`,
    { authorization: `Bearer ${fake.apiKey}` },
    { ...chat, model: 'gpt-4o-mini' },
  );
  const http = await cannon(`${serverUrl}/v1/chat/completions`, { authorization: `Bearer ${token}` }, chat);
  const generate = await library(client);
  console.log(
    JSON.stringify({
      benchmark: 'http',
      inFlight,
      seconds,
      directFakePerSecond: round(direct.perSecond, 0),
      httpChatCompletionsPerSecond: round(http.perSecond, 0),
      clientGeneratePerSecond: round(generate.perSecond, 0),
      httpToLibrary: round(http.perSecond / generate.perSecond, 3),
      httpLatencyMs: { p50: http.p50, p99: http.p99 },
      errors: { direct: direct.errors, http: http.errors, library: generate.errors },
      target: 'httpToLibrary >= 0.8',
    }),
  );
  const ratio = http.perSecond / generate.perSecond;
  reportFigures('http', [
    {
      figure: `POST /v1/chat/completions, ${inFlight} in flight, ratio to client.generate`,
      measured: `${round(ratio, 3)} (${round(http.perSecond, 0)} against ${round(generate.perSecond, 0)} per second)`,
      target: '≥ 0.8',
      met: ratio >= 0.8,
    },
  ]);
} finally {
  await client.close();
  await stopWorkerProcesses([server.child, workers.child]);
  await fake.close();
  await cleanup(redis.url, prefix);
  await redis.stop();
}
