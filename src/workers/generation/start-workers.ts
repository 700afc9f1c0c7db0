import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import { loadSettings, type Settings } from '../../shared/config/settings.js';
import { ValidationError } from '../../shared/errors.js';
import type { GenerationJob } from '../../shared/jobs.js';
import { createKeys } from '../../shared/keys.js';
import { createLogger, type Logger } from '../../shared/log.js';
import { providerFromSettings } from '../../shared/providers/create-provider.js';
import type { Provider } from '../../shared/providers/provider.js';
import { createRedis, type Redis } from '../../shared/redis.js';
import { ContinuationQueues } from '../../shared/requests/continuations.js';
import { GenerationQueues } from '../../shared/requests/generation-queues.js';
import { RequestStore } from '../../shared/requests/request-store.js';
import { type FleetBreaker, fleetBreakerFor } from '../fleet-breaker.js';
import { startHeartbeat } from '../heartbeat.js';
import type { GenerationContext } from './generation-context.js';
import { GenerationProcessor } from './generation-processor.js';
import { sweepOnce } from './sweeper.js';

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
  /** Stops taking jobs, lets running ones finish, and leaves the fleet. */
  close(): Promise<void>;
}

/** Runs generation workers for some provider instances in this process. */
export async function startWorkers(options: StartWorkersOptions = {}): Promise<WorkerFleet> {
  const settings = options.settings ?? loadSettings();
  const log =
    options.log ?? createLogger({ level: settings.log.level, redactPrompts: settings.log.redactPrompts });
  const instances = options.providers ?? settings.providerOrder;
  for (const [index, instance] of instances.entries()) {
    if (!settings.providers[instance]) {
      throw new ValidationError(
        `providers[${index}]`,
        `unknown provider instance '${instance}'; configured: ${Object.keys(settings.providers).join(', ')}`,
      );
    }
  }
  const workerId = options.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`;
  const keys = createKeys(settings.redis.prefix);
  // Workers wait out a Redis restart rather than fail jobs over it.
  const redis = createRedis(settings.redis.url, { role: 'blocking', name: `atlas-worker-${workerId}` });
  const context: GenerationContext = {
    redis,
    keys,
    store: new RequestStore(redis, keys, settings.generation.recordTtlMs),
    queues: new GenerationQueues(redis, keys, settings.workers),
    continuations: new ContinuationQueues(redis, keys, settings.workers),
    settings,
    log,
  };
  const build =
    options.createProvider ?? ((name, instanceSettings) => providerFromSettings(name, instanceSettings));

  const providers = new Map<string, Provider>();
  const breakers: FleetBreaker[] = [];
  const processors: GenerationProcessor[] = [];
  const workers: Worker[] = [];
  // BullMQ leaves connections it was given open on close; these are ours to close.
  const workerConnections: Redis[] = [];
  for (const instance of instances) {
    const instanceSettings = settings.providers[instance]!;
    const provider = build(instance, instanceSettings);
    providers.set(instance, provider);
    const breaker = fleetBreakerFor(settings, instance, { redis, keys, workerId, log });
    breakers.push(breaker);
    const processor = new GenerationProcessor(context, instance, { provider, breaker });
    processors.push(processor);
    const connection = redis.duplicate();
    workerConnections.push(connection);
    const worker: Worker<GenerationJob> = new Worker<GenerationJob>(
      keys.generationQueue(instance),
      (job) => processor.process(job, worker),
      {
        connection,
        prefix: keys.bullPrefix,
        concurrency: options.concurrency ?? 10,
        lockDuration: settings.workers.lockDurationMs,
        stalledInterval: settings.workers.stalledIntervalMs,
        ...(instanceSettings.rateLimit
          ? {
              limiter: {
                max: instanceSettings.rateLimit.max,
                duration: instanceSettings.rateLimit.durationMs,
              },
            }
          : {}),
      },
    );
    worker.on('failed', (job, error) =>
      log.warn({ queue: worker.name, jobId: job?.id, err: error }, 'generation job failed'),
    );
    worker.on('error', (error) => log.error({ queue: worker.name, err: error }, 'worker error'));
    workers.push(worker);
  }

  const subscriber = redis.duplicate();
  await subscriber.subscribe(keys.cancelChannel);
  subscriber.on('message', (_channel, requestId: string) => {
    for (const processor of processors) processor.cancel(requestId);
  });

  const heartbeat = await startHeartbeat({
    redis,
    keys,
    instances,
    workerId,
    intervalMs: settings.workers.heartbeatIntervalMs,
    log,
  });
  const sweepInterval = Math.max(250, Math.floor(settings.generation.sweepAfterMs / 2));
  const sweeper =
    options.sweep === false
      ? undefined
      : setInterval(() => {
          sweepOnce(context, workerId, Object.keys(settings.providers)).catch((error: unknown) =>
            log.warn({ err: error }, 'sweep failed'),
          );
        }, sweepInterval);
  sweeper?.unref();
  log.info({ workerId, instances }, 'generation workers started');

  return {
    workerId,
    instances,
    providers,
    async close() {
      if (sweeper) clearInterval(sweeper);
      await Promise.all(workers.map((worker) => worker.close()));
      for (const connection of workerConnections) connection.disconnect();
      await heartbeat.stop();
      for (const breaker of breakers) breaker.shutdown();
      await subscriber.quit().catch(() => undefined);
      await context.continuations.close();
      await context.queues.close();
      await redis.quit().catch(() => undefined);
    },
  };
}
