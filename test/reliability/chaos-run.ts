// The chaos run: generation requests and ingestion batches while worker processes are SIGKILLed at
// random, Redis (AOF, appendfsync always) restarts and a provider's fake goes down and comes back.
// `npm run chaos` runs the long form; test/reliability/chaos.test.ts a short one.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startRedisServer } from '../../src/cli/local-redis.js';
import { AtlasClient } from '../../src/producer/atlas-client.js';
import { IngestionClient } from '../../src/producer/ingestion-client.js';
import { loadSettings, type Settings } from '../../src/shared/config/settings.js';
import { createKeys } from '../../src/shared/keys.js';
import { DocumentRegistry } from '../../src/shared/knowledge/document-registry.js';
import { LanceDbStore } from '../../src/shared/knowledge/lancedb/lancedb-store.js';
import { createRedis, type Redis } from '../../src/shared/redis.js';
import { decodeEvent } from '../../src/shared/requests/request-events.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { spawnWorker, type WorkerProcess } from '../support/spawn-worker.js';

export interface ChaosOptions {
  /** Generation requests submitted over the run. */
  requests: number;
  /** Ingestion batches (each the same small folder, into a collection of its own). */
  batches: number;
  /** How long the load and the faults last, ms. */
  durationMs: number;
  /** Deadline of every request, ms. */
  deadlineMs: number;
  /** Redis restarts during the run. */
  redisRestarts: number;
  /** Generation worker processes. @default 2 */
  generationWorkers?: number;
  log?: (line: string) => void;
}

export interface ChaosCounts {
  accepted: number;
  completed: number;
  failedWithReason: number;
  lost: number;
  duplicated: number;
  late: number;
  /** Submissions refused while Redis was down, after the producer's retries: never accepted. */
  refused: number;
  kills: number;
  fakeOutages: number;
  redisRestarts: number;
  documents: { expected: number; written: number; duplicatedChunks: number; missing: number };
  /** Reasons of failed requests, with how many each. */
  failureReasons: Record<string, number>;
}

/** Grace after a deadline within which a request must have ended. */
const lateGraceMs = 2_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function summaryLine(counts: ChaosCounts): string {
  return `accepted ${counts.accepted}, completed ${counts.completed}, failed-with-reason ${counts.failedWithReason}, lost ${counts.lost}, duplicated ${counts.duplicated}, late ${counts.late}`;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosCounts> {
  const log = options.log ?? (() => undefined);
  const work = mkdtempSync(join(tmpdir(), 'atlas-chaos-'));
  mkdirSync(join(work, 'redis-data'));
  let redisServer = await startRedisServer({ appendOnly: true, dir: join(work, 'redis-data') });
  const { port, dir } = redisServer;
  const fake = await startOpenAIFake();
  const docs = join(work, 'docs');
  mkdirSync(docs);
  const documentCount = 12;
  for (let index = 0; index < documentCount; index++) {
    writeFileSync(
      join(docs, `doc-${index}.md`),
      `# Document ${index}\n\n${`Paragraph ${index} about queues, workers and breakers. `.repeat(30 + index * 5)}\n\n## Part two\n\n${'Redis keeps what was accepted. '.repeat(20)}`,
    );
  }
  const settings: Settings = loadSettings({
    env: {},
    configPath: undefined,
    overrides: {
      redis: { url: redisServer.url, prefix: 'chaos' },
      providers: {
        fake: {
          type: 'openai',
          baseURL: fake.baseURL,
          apiKeyEnv: 'CHAOS_OPENAI_KEY',
          timeoutMs: 3_000,
          breaker: { volumeThreshold: 5, resetTimeoutMs: 1_000 },
        },
        mock: { type: 'mock', latencyMs: 20 },
      },
      providerOrder: ['fake', 'mock'],
      log: { level: 'silent' },
      workers: {
        lockDurationMs: 3_000,
        stalledIntervalMs: 1_500,
        heartbeatIntervalMs: 300,
        livenessCheckMs: 2_000,
        shutdownGraceMs: 2_000,
      },
      generation: { sweepAfterMs: 2_000, acceptRepairMs: 2_000, healthCacheMs: 100 },
      ingestion: { knowledgeDirectory: join(work, 'lancedb') },
    },
  });
  const env = { CHAOS_OPENAI_KEY: fake.apiKey, ATLAS_TEST_CONCURRENCY: '20' };
  const keys = createKeys(settings.redis.prefix);

  // Worker processes, respawned whenever one dies.
  type Slot = { kind: 'generation' | 'ingestion'; process?: WorkerProcess; spawning?: Promise<void> };
  const slots: Slot[] = [
    ...Array.from({ length: options.generationWorkers ?? 2 }, () => ({ kind: 'generation' as const })),
    { kind: 'ingestion' as const },
  ];
  let stopping = false;
  const spawnInto = (slot: Slot): Promise<void> => {
    slot.spawning ??= (async () => {
      for (let attempt = 0; !stopping; attempt++) {
        try {
          slot.process =
            slot.kind === 'generation'
              ? await spawnWorker(settings, ['fake', 'mock'], env)
              : await spawnWorker(settings, [], env, 'test/support/ingestion-worker-process.ts');
          return;
        } catch (error) {
          // Started while Redis was down: try again.
          if (attempt > 20) throw error;
          await sleep(500);
        }
      }
    })().finally(() => {
      slot.spawning = undefined;
    });
    return slot.spawning;
  };
  await Promise.all(slots.map(spawnInto));
  log(`chaos: ${slots.length} worker processes up; Redis ${redisServer.url} (AOF always); fake ${fake.url}`);

  const client = new AtlasClient({ settings });
  const ingestion = new IngestionClient(createRedis(settings.redis), keys, settings.workers);
  const redis: Redis = createRedis(settings.redis, { role: 'blocking' });

  const counts: ChaosCounts = {
    accepted: 0,
    completed: 0,
    failedWithReason: 0,
    lost: 0,
    duplicated: 0,
    late: 0,
    refused: 0,
    kills: 0,
    fakeOutages: 0,
    redisRestarts: 0,
    documents: { expected: 0, written: 0, duplicatedChunks: 0, missing: 0 },
    failureReasons: {},
  };
  const accepted: string[] = [];
  const startedAt = Date.now();
  const until = startedAt + options.durationMs;

  // Load: requests spread evenly over the run, a tenth of them streamed; the producer retries a
  // submission (same idempotency key) for a while when Redis is away.
  const submitOne = async (index: number) => {
    const idempotencyKey = `chaos-${index}-${randomUUID()}`;
    const giveUpAt = Date.now() + 15_000;
    for (;;) {
      try {
        const id = await client.submit({
          prompt: `chaos request ${index}`,
          providers: ['fake', 'mock'],
          deadlineMs: options.deadlineMs,
          idempotencyKey,
          maxTokens: 32,
          ...(index % 10 === 0 ? { stream: true } : {}),
        });
        accepted.push(id);
        counts.accepted++;
        return;
      } catch {
        if (Date.now() > giveUpAt) {
          counts.refused++;
          return;
        }
        await sleep(250);
      }
    }
  };
  const load = (async () => {
    const interval = options.durationMs / options.requests;
    const pending: Promise<void>[] = [];
    for (let index = 0; index < options.requests; index++) {
      const due = startedAt + index * interval;
      if (due > Date.now()) await sleep(due - Date.now());
      pending.push(submitOne(index));
    }
    await Promise.all(pending);
  })();

  // Ingestion: batches spread over the run, each into a collection of its own.
  const batchIds: Array<{ collection: string; batchId: string }> = [];
  const ingestLoad = (async () => {
    for (let index = 0; index < options.batches; index++) {
      const due = startedAt + (index * options.durationMs) / options.batches;
      if (due > Date.now()) await sleep(due - Date.now());
      const collection = `chaos-${index}`;
      for (let attempt = 0; ; attempt++) {
        try {
          const batch = await ingestion.ingest([docs], { collection, chunkSize: 128, roots: [docs] });
          batchIds.push({ collection, batchId: batch.batchId });
          break;
        } catch (error) {
          if (attempt > 60) throw error;
          await sleep(250);
        }
      }
    }
  })();

  // Faults.
  const kills = (async () => {
    while (Date.now() < until - 2_000) {
      await sleep(1_500 + Math.random() * 2_500);
      const slot = slots[Math.floor(Math.random() * slots.length)]!;
      if (!slot.process || slot.spawning) continue;
      await slot.process.kill('SIGKILL');
      counts.kills++;
      log(`chaos: SIGKILL ${slot.kind} worker pid ${slot.process.child.pid}`);
      slot.process = undefined;
      void spawnInto(slot);
    }
  })();
  const fakeFlaps = (async () => {
    while (Date.now() < until - 4_000) {
      await sleep(2_000 + Math.random() * 3_000);
      await fake.server.goDown();
      counts.fakeOutages++;
      log('chaos: provider fake down');
      await sleep(1_000 + Math.random() * 2_000);
      await fake.server.comeBack();
      log('chaos: provider fake back');
    }
  })();
  const redisRestarts = (async () => {
    for (let index = 0; index < options.redisRestarts; index++) {
      const due = startedAt + ((index + 1) * options.durationMs) / (options.redisRestarts + 1);
      if (due > Date.now()) await sleep(due - Date.now());
      await redisServer.stop();
      counts.redisRestarts++;
      log('chaos: Redis stopped');
      await sleep(1_000);
      redisServer = await startRedisServer({ appendOnly: true, port, dir });
      log('chaos: Redis restarted on its AOF');
    }
  })();

  await Promise.all([load, ingestLoad, kills, fakeFlaps, redisRestarts]);
  log(`chaos: load and faults over after ${Date.now() - startedAt} ms; ${counts.accepted} accepted`);
  // Every slot serves again, with no more faults.
  await Promise.all(slots.map((slot) => (slot.process ? undefined : spawnInto(slot))));

  // Wait for every request to end, or its deadline and the grace to pass.
  const lastDeadline = Date.now() + options.deadlineMs + lateGraceMs;
  const records = new Map<
    string,
    { status: string; finishedAt: number; deadlineAt: number; error: string }
  >();
  let open = [...accepted];
  while (open.length > 0) {
    const pipeline = redis.pipeline();
    for (const id of open) pipeline.hmget(keys.request(id), 'status', 'finishedAt', 'deadlineAt', 'error');
    const replies = (await pipeline.exec()) ?? [];
    const still: string[] = [];
    open.forEach((id, index) => {
      const [status, finishedAt, deadlineAt, error] = (replies[index]?.[1] ?? []) as Array<string | null>;
      if (status === 'completed' || status === 'failed' || status === 'cancelled') {
        records.set(id, {
          status,
          finishedAt: Number(finishedAt),
          deadlineAt: Number(deadlineAt),
          error: error ?? '',
        });
      } else still.push(id);
    });
    open = still;
    if (open.length === 0 || Date.now() > lastDeadline) break;
    await sleep(500);
  }
  counts.lost = open.length;
  if (open.length > 0) log(`chaos: not ended by deadline + grace: ${open.slice(0, 5).join(', ')}`);

  // Effects: exactly one terminal event per request.
  for (let start = 0; start < accepted.length; start += 200) {
    const ids = accepted.slice(start, start + 200);
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.xrange(keys.events(id), '-', '+');
    const replies = (await pipeline.exec()) ?? [];
    ids.forEach((id, index) => {
      const entries = (replies[index]?.[1] ?? []) as Array<[string, string[]]>;
      const ends = entries.filter(([entryId, fields]) => {
        const type = decodeEvent(fields, entryId).type;
        return type === 'completed' || type === 'failed';
      }).length;
      if (ends > 1) counts.duplicated++;
      const record = records.get(id);
      if (!record) return;
      if (record.finishedAt > record.deadlineAt + lateGraceMs) counts.late++;
      if (record.status === 'completed') counts.completed++;
      else {
        let reason = 'unknown';
        try {
          const error = JSON.parse(record.error) as { kind?: string; message?: string };
          reason = error.kind ?? error.message ?? 'unknown';
        } catch {
          // no reason recorded
        }
        if (reason !== 'unknown') counts.failedWithReason++;
        else counts.lost++;
        counts.failureReasons[reason] = (counts.failureReasons[reason] ?? 0) + 1;
      }
    });
  }

  // Ingestion: every batch ends; each document's chunks are written once.
  for (const { batchId } of batchIds) {
    for (let attempt = 0; ; attempt++) {
      try {
        await ingestion.wait(batchId);
        break;
      } catch (error) {
        if (attempt > 20) throw error;
        await sleep(500);
      }
    }
  }
  stopping = true;
  await Promise.all(slots.map((slot) => slot.spawning?.catch(() => undefined)));
  await Promise.all(slots.map((slot) => slot.process?.kill('SIGTERM')));
  // Each document of each batch: registered once, and its chunks in the store exactly as many as
  // the registry says it wrote (chunk ids are deterministic, so a repeated write replaces).
  const store = new LanceDbStore(join(work, 'lancedb'));
  const registry = new DocumentRegistry(redis, keys);
  for (const { collection } of batchIds) {
    const entries = await registry.list(collection);
    counts.documents.expected += documentCount;
    counts.documents.missing += Math.max(0, documentCount - entries.length);
    for (const entry of entries) {
      const count = await store.count(collection, { where: { source: entry.source } });
      if (count === entry.chunkCount) counts.documents.written++;
      else if (count > entry.chunkCount) counts.documents.duplicatedChunks++;
      else counts.documents.missing++;
    }
  }
  counts.duplicated += counts.documents.duplicatedChunks;
  counts.lost += counts.documents.missing;

  await store.close();
  await client.close();
  await ingestion.close();
  redis.disconnect();
  await fake.close();
  await redisServer.stop();
  rmSync(work, { recursive: true, force: true });
  return counts;
}

// `npm run chaos`: the long form.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const requests = Number(process.env['CHAOS_REQUESTS'] ?? 5_000);
  const durationMs = Number(process.env['CHAOS_DURATION_MS'] ?? 120_000);
  const counts = await runChaos({
    requests,
    batches: Number(process.env['CHAOS_BATCHES'] ?? 12),
    durationMs,
    deadlineMs: 30_000,
    redisRestarts: Number(process.env['CHAOS_REDIS_RESTARTS'] ?? 4),
    generationWorkers: 3,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stderr.write(
    `chaos: ${counts.kills} worker kills, ${counts.redisRestarts} Redis restarts, ${counts.fakeOutages} provider outages; ${counts.refused} submissions refused while Redis was down; documents ${counts.documents.written}/${counts.documents.expected} written once; failures by reason ${JSON.stringify(counts.failureReasons)}\n`,
  );
  process.stdout.write(`${summaryLine(counts)}\n`);
  process.exit(counts.lost === 0 && counts.duplicated === 0 && counts.late === 0 ? 0 : 1);
}
