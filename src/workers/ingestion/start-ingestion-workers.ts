import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import { loadSettings, type Settings } from '../../shared/config/settings.js';
import { createKeys } from '../../shared/keys.js';
import { DocumentRegistry } from '../../shared/knowledge/document-registry.js';
import { GroupedWrites } from '../../shared/knowledge/grouped-writes.js';
import type { IngestBatchJob, IngestDocumentJob } from '../../shared/knowledge/ingest-jobs.js';
import { openStore } from '../../shared/knowledge/open-store.js';
import type { VectorStore } from '../../shared/knowledge/vector-store.js';
import { createLogger, type Logger } from '../../shared/log.js';
import { providerFromSettings } from '../../shared/providers/create-provider.js';
import type { Provider } from '../../shared/providers/provider.js';
import { createRedis } from '../../shared/redis.js';
import { type FleetBreaker, fleetBreakerFor } from '../fleet-breaker.js';
import { startHeartbeat } from '../heartbeat.js';
import { type IngestionContext, processBatch, processDocument } from './ingestion-processor.js';
import { PreparationPool } from './preparation-pool.js';
import type { PrepareTask } from './prepare-document.js';

export interface StartIngestionWorkersOptions {
  settings?: Settings;
  /** Documents processed at once (their parsing queues for the threads; their writes share commits). @default 32 */
  concurrency?: number;
  log?: Logger;
  /** Threads that read, parse and chunk documents. @default one fewer than the cores, at least one */
  threads?: number;
  /** The store to write to. @default openStore(settings) */
  store?: VectorStore;
}

export interface IngestionWorkers {
  readonly workerId: string;
  close(): Promise<void>;
}

/** Runs ingestion workers (documents and batch summaries) in this process. */
export async function startIngestionWorkers(
  options: StartIngestionWorkersOptions = {},
): Promise<IngestionWorkers> {
  const settings = options.settings ?? loadSettings();
  const log = options.log ?? createLogger({ level: settings.log.level });
  const keys = createKeys(settings.redis.prefix);
  const redis = createRedis(settings.redis.url, { role: 'blocking', name: 'atlas-ingestion' });
  const ownStore = options.store ?? openStore(settings);
  // Documents processed at once share one write: each write to the store is a commit.
  const store = new GroupedWrites(ownStore);
  const providers = new Map<string, Provider>();
  const breakers = new Map<string, FleetBreaker>();
  const preparation = new PreparationPool(options.threads);
  const workerId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`;
  const context: IngestionContext = {
    prepare: (task: PrepareTask) => preparation.prepare(task),
    settings,
    registry: new DocumentRegistry(redis, keys),
    store,
    log,
    provider(instance: string) {
      let provider = providers.get(instance);
      if (!provider) {
        provider = providerFromSettings(instance, settings.providers[instance]!);
        providers.set(instance, provider);
      }
      return provider;
    },
    // The same breakers as the instance's generation workers: an instance down is down for both.
    guard(instance, call) {
      let breaker = breakers.get(instance);
      if (!breaker) {
        breaker = fleetBreakerFor(settings, instance, { redis, keys, workerId, log });
        breakers.set(instance, breaker);
      }
      return breaker.run(call);
    },
  };
  const connections = [redis.duplicate(), redis.duplicate()];
  const documents = new Worker<IngestDocumentJob>(
    keys.ingestionQueue,
    (job) => processDocument(context, job),
    {
      connection: connections[0]!,
      prefix: keys.bullPrefix,
      concurrency: options.concurrency ?? 32,
      lockDuration: settings.workers.lockDurationMs,
      stalledInterval: settings.workers.stalledIntervalMs,
    },
  );
  const batches = new Worker<IngestBatchJob>(keys.ingestionBatchQueue, (job) => processBatch(context, job), {
    connection: connections[1]!,
    prefix: keys.bullPrefix,
    lockDuration: settings.workers.lockDurationMs,
    stalledInterval: settings.workers.stalledIntervalMs,
  });
  for (const worker of [documents, batches]) {
    worker.on('error', (error) => log.error({ err: error, queue: worker.name }, 'ingestion worker error'));
    worker.on('failed', (job, error) => log.warn({ err: error, jobId: job?.id }, 'ingestion job failed'));
  }
  const heartbeat = await startHeartbeat({
    redis,
    keys,
    instances: [keys.ingestionQueue],
    workerId,
    intervalMs: settings.workers.heartbeatIntervalMs,
    log,
  });
  return {
    workerId,
    async close() {
      await Promise.all([documents.close(), batches.close()]);
      await heartbeat.stop();
      for (const connection of connections) connection.disconnect();
      await store.drain();
      await preparation.close();
      for (const breaker of breakers.values()) breaker.shutdown();
      if (!options.store) await ownStore.close();
      await redis.quit().catch(() => undefined);
    },
  };
}
