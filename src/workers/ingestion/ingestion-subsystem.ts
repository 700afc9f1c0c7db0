import { CollectionWriter } from '../../shared/knowledge/collection-writer.js';
import { DocumentRegistry } from '../../shared/knowledge/document-registry.js';
import { GroupedWrites } from '../../shared/knowledge/grouped-writes.js';
import type { IngestBatchJob, IngestDocumentJob } from '../../shared/knowledge/ingest-jobs.js';
import { openStore } from '../../shared/knowledge/open-store.js';
import type { VectorStore } from '../../shared/knowledge/vector-store.js';
import type { Subsystem } from '../worker-host.js';
import { type IngestionContext, processBatch, processDocument } from './ingestion-processor.js';
import { PreparationPool } from './preparation-pool.js';

export interface IngestionSubsystemOptions {
  /** Documents processed at once (their parsing queues for the threads; their writes share commits). @default 32 */
  concurrency?: number;
  /** Threads that read, parse and chunk documents. @default one fewer than the cores, at least one */
  threads?: number;
  /** The store to write to; the caller closes it. @default openStore(settings), closed with the subsystem */
  store?: VectorStore;
}

/** Ingestion workers: documents and batch summaries, parsing in worker threads. */
export function ingestionSubsystem(options: IngestionSubsystemOptions = {}): Subsystem {
  return {
    name: 'ingestion',
    async start(host) {
      const { redis, keys, settings, log } = host;
      const ownStore = options.store ?? openStore(settings);
      // Documents processed at once share one write: each write to the store is a commit. Where two
      // processes' commits would conflict, they take turns, and each one's writes gather meanwhile.
      const store = new GroupedWrites(ownStore, {
        ...(ownStore.writersConflict ? { writer: new CollectionWriter(redis, keys, host.workerId) } : {}),
      });
      const preparation = new PreparationPool(options.threads);
      const context: IngestionContext = {
        prepare: (task) => preparation.prepare(task),
        settings,
        registry: new DocumentRegistry(redis, keys),
        store,
        log,
        provider: (instance) => host.providers.get(instance),
        // The same breakers as the instance's generation workers: an instance down is down for both.
        guard: (instance, call) => host.breakers.get(instance).run(call),
      };
      host.worker<IngestDocumentJob>(keys.ingestionQueue, (job) => processDocument(context, job), {
        concurrency: options.concurrency ?? 32,
      });
      host.worker<IngestBatchJob>(keys.ingestionBatchQueue, (job) => processBatch(context, job));
      return {
        serves: [keys.ingestionQueue],
        async close() {
          await store.drain();
          await preparation.close();
          if (!options.store) await ownStore.close();
        },
      };
    },
  };
}
