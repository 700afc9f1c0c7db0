import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AtlasClient } from '../../producer/atlas-client.js';
import { loadSettings, type Settings } from '../../shared/config/settings.js';
import { readFleetStatus } from '../../shared/fleet-status.js';
import { createKeys } from '../../shared/keys.js';
import { createLogger } from '../../shared/log.js';
import { createRedis, deletePrefix, type Redis } from '../../shared/redis.js';
import { GenerationQueues } from '../../shared/requests/generation-queues.js';
import { startWorkers } from '../../workers/generation/start-workers.js';
import { startIngestionWorkers } from '../../workers/ingestion/start-ingestion-workers.js';
import type { CliContext } from '../context.js';
import { useOrStartRedis } from '../local-redis.js';

/**
 * The main job on embedded defaults: three mock instances served in-process on a local Redis, requests
 * across the strategies, one instance failing so the group fails over and its breaker opens, a stream,
 * then the documents shipped in examples/docs ingested into an embedded store, a hybrid search and an
 * answer with its sources. Everything it wrote is removed and everything it started is stopped at the end.
 */
export async function runDemo(context: CliContext): Promise<void> {
  const redisUrl = loadSettings({ env: context.env }).redis.url;
  const redisHandle = await useOrStartRedis(redisUrl, Boolean(context.env['REDIS_URL']));
  context.print(
    redisHandle.owned
      ? `Started a temporary Redis at ${redisHandle.url}`
      : `Using Redis at ${redisHandle.url}`,
  );
  const knowledgeDirectory = mkdtempSync(join(tmpdir(), 'atlas-demo-knowledge-'));
  const settings = demoSettings(redisHandle.url, knowledgeDirectory);
  const redis = createRedis(settings.redis);
  const log = createLogger({ level: 'silent' });
  const workers = await startWorkers({ settings, concurrency: 20, log });
  const ingestionWorkers = await startIngestionWorkers({ settings, log });
  const client = new AtlasClient({ settings });
  try {
    await demoRequests(client, redis, settings, context);
    await runKnowledgeDemo(client, context);
  } finally {
    await client.close();
    await ingestionWorkers.close();
    await workers.close();
    await deletePrefix(redis, settings.redis.prefix);
    redis.disconnect();
    await redisHandle.stop();
    rmSync(knowledgeDirectory, { recursive: true, force: true });
    context.print('\nDone: workers stopped, demo keys and store removed.');
  }
}

function demoSettings(redisUrl: string, knowledgeDirectory: string): Settings {
  return loadSettings({
    env: {},
    configPath: undefined,
    overrides: {
      redis: { url: redisUrl, prefix: `atlas-demo-${randomUUID().slice(0, 8)}` },
      ingestion: { knowledgeDirectory },
      log: { level: 'silent' },
      providers: {
        'mock-fast': { type: 'mock', latencyMs: 10, defaultModel: 'mock-basic' },
        'mock-smart': { type: 'mock', latencyMs: 40, defaultModel: 'mock-advanced' },
        'mock-flaky': {
          type: 'mock',
          latencyMs: 10,
          failureRate: 1,
          breaker: { volumeThreshold: 3, resetTimeoutMs: 30_000 },
        },
      },
      providerOrder: ['mock-fast', 'mock-smart', 'mock-flaky'],
      generation: { healthCacheMs: 50 },
      workers: { heartbeatIntervalMs: 200 },
    },
  });
}

async function demoRequests(
  client: AtlasClient,
  redis: Redis,
  settings: Settings,
  context: CliContext,
): Promise<void> {
  const say = (line = '') => context.print(line);
  say('\n1. Routing strategies (each request is a job on the queue of its plan’s first instance)');
  const providers = ['mock-fast', 'mock-smart'];
  for (const strategy of ['failover', 'cost_optimized'] as const) {
    const result = await client.generate({ prompt: 'What is the capital of France?', providers, strategy });
    say(
      `   ${strategy.padEnd(15)} → served by ${result.provider} (${result.model}) in ${result.latencyMs} ms`,
    );
  }
  const rotation = [];
  for (let i = 0; i < 4; i++)
    rotation.push(
      (await client.generate({ prompt: `Question ${i}`, providers, strategy: 'round_robin' })).provider,
    );
  say(`   ${'round_robin'.padEnd(15)} → ${rotation.join(', ')}`);
  const code = await client.generate({
    prompt: 'Write a function to calculate the factorial of a number',
    providers,
    strategy: 'task_aware',
  });
  say(`   ${'task_aware'.padEnd(15)} → code_generation goes to ${code.provider} (${code.model})`);

  say('\n2. One instance failing: mock-flaky answers every call with an error');
  for (let i = 0; i < 5; i++) {
    const result = await client.generate({ prompt: `Request ${i}`, providers: ['mock-flaky', 'mock-fast'] });
    const path = result.hops
      .map((hop) => (hop.error ? `${hop.provider} ✗ ${hop.error.kind}` : `${hop.provider} ✓`))
      .join(' → ');
    say(`   request ${i}: ${path}`);
  }
  const queues = new GenerationQueues(redis, createKeys(settings.redis.prefix), settings.workers);
  const status = await readFleetStatus(redis, createKeys(settings.redis.prefix), queues, settings);
  await queues.close();
  for (const instance of status.instances) {
    say(
      `   ${instance.instance.padEnd(11)} breaker ${instance.breaker.padEnd(9)} workers ${instance.liveWorkers}  completed ${instance.completed}`,
    );
  }
  say('   (with the breaker open, new plans put mock-flaky last, so requests no longer try it first)');

  say('\n3. A stream through the queue');
  context.write('   ');
  for await (const event of client.stream({
    prompt: 'Tell me about queues and streams in one sentence',
    providers: ['mock-smart'],
  })) {
    if (event.type === 'text-delta') context.write(event.data.text);
    if (event.type === 'completed') say(`\n   (${event.type} by ${event.instance})`);
  }
}

/** The documents shipped with Atlas, beside `src` and `dist` alike. */
const exampleDocs = fileURLToPath(new URL('../../../examples/docs', import.meta.url));

async function runKnowledgeDemo(client: AtlasClient, context: CliContext): Promise<void> {
  const say = (line = '') => context.print(line);
  say(`\n4. Knowledge: the documents in examples/docs, ingested as one batch of jobs`);
  const batch = await client.knowledge.ingest([exampleDocs], { collection: 'handbook' });
  const summary = await client.knowledge.wait(batch.batchId);
  say(
    `   ${summary.added} documents added, ${summary.chunks} chunks, into the embedded store ` +
      `(${summary.embedding.model}: ${summary.embedding.kind} embeddings)`,
  );
  const again = await client.knowledge.wait(
    (await client.knowledge.ingest([exampleDocs], { collection: 'handbook' })).batchId,
  );
  say(`   again, unchanged: ${again.skipped} skipped, ${again.added} added`);

  const question = 'When does a circuit breaker open for the whole fleet?';
  say(`\n   Hybrid search (keyword and embeddings fused with RRF): "${question}"`);
  for (const hit of await client.knowledge.search(question, {
    collection: 'handbook',
    mode: 'hybrid',
    k: 3,
  })) {
    const where = [hit.metadata['source'], hit.metadata['headings']].filter(Boolean).join(' › ');
    say(`   ${hit.score.toFixed(4)}  ${where}: ${hit.text.replace(/\s+/g, ' ').slice(0, 70)}…`);
  }

  say('\n   An answer with its sources, generated through the queue:');
  const answer = await client.knowledge.ask(question, {
    collection: 'handbook',
    k: 2,
    providers: ['mock-smart'],
  });
  say(`   ${answer.text.replace(/\s+/g, ' ').slice(0, 160)}…`);
  for (const [index, citation] of answer.citations.entries()) {
    const headings = citation.metadata['headings'] ? ` › ${citation.metadata['headings']}` : '';
    say(`   [${index + 1}] ${citation.metadata['source']}${headings}`);
  }
}
