import { loadSettings, type Settings } from '../../shared/config/settings.js';
import type { Logger } from '../../shared/log.js';
import type { Provider } from '../../shared/providers/provider.js';
import { startWorkerHost } from '../worker-host.js';
import { generationInstances, generationSubsystem } from './generation-subsystem.js';

export interface StartWorkersOptions {
  /** @default loadSettings() */
  settings?: Settings;
  /** Instances this process serves. @default every configured instance in providerOrder */
  providers?: string[];
  /** Jobs processed at once per instance. @default 10 */
  concurrency?: number;
  /** Builds the provider of an instance; tests and embedders can inject their own. */
  createProvider?: (name: string, settings: Settings['providers'][string]) => Provider;
  log?: Logger;
  workerId?: string;
  /** Run the sweeper in this process (under a fleet-wide lock). @default true */
  sweep?: boolean;
}

export interface WorkerFleet {
  readonly workerId: string;
  readonly instances: readonly string[];
  readonly providers: ReadonlyMap<string, Provider>;
  /**
   * Stops taking jobs, lets running ones finish (up to `workers.shutdownGraceMs`), and leaves the
   * fleet; bounded even when Redis is unreachable.
   */
  close(): Promise<void>;
}

/** Runs generation workers for some provider instances in this process, on a worker host of their own. */
export async function startWorkers(options: StartWorkersOptions = {}): Promise<WorkerFleet> {
  const settings = options.settings ?? loadSettings();
  const instances = generationInstances(settings, options.providers);
  const host = await startWorkerHost({
    settings,
    ...(options.log ? { log: options.log } : {}),
    ...(options.workerId ? { workerId: options.workerId } : {}),
    ...(options.createProvider ? { createProvider: options.createProvider } : {}),
    subsystems: [
      generationSubsystem({
        instances,
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        ...(options.sweep === false ? { sweep: false } : {}),
      }),
    ],
  });
  return {
    workerId: host.workerId,
    instances,
    providers: new Map(instances.map((instance) => [instance, host.providers.get(instance)])),
    close: () => host.stop(),
  };
}
