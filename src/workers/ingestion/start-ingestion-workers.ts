import { loadSettings, type Settings } from '../../shared/config/settings.js';
import type { VectorStore } from '../../shared/knowledge/vector-store.js';
import type { Logger } from '../../shared/log.js';
import { startWorkerHost } from '../worker-host.js';
import { ingestionSubsystem } from './ingestion-subsystem.js';

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
  /**
   * Stops taking jobs, lets running ones finish (up to `workers.shutdownGraceMs`), and closes the
   * store it opened; bounded even when Redis is unreachable.
   */
  close(): Promise<void>;
}

/** Runs ingestion workers (documents and batch summaries) in this process, on a worker host of their own. */
export async function startIngestionWorkers(
  options: StartIngestionWorkersOptions = {},
): Promise<IngestionWorkers> {
  const host = await startWorkerHost({
    settings: options.settings ?? loadSettings(),
    ...(options.log ? { log: options.log } : {}),
    subsystems: [
      ingestionSubsystem({
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        ...(options.threads ? { threads: options.threads } : {}),
        ...(options.store ? { store: options.store } : {}),
      }),
    ],
  });
  return { workerId: host.workerId, close: () => host.stop() };
}
