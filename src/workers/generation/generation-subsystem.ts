import type { Job } from 'bullmq';
import type { Settings } from '../../shared/config/settings.js';
import { ValidationError } from '../../shared/errors.js';
import type { GenerationJob } from '../../shared/jobs.js';
import { ContinuationQueues } from '../../shared/requests/continuations.js';
import { GenerationQueues } from '../../shared/requests/generation-queues.js';
import { RequestStore } from '../../shared/requests/request-store.js';
import type { Subsystem } from '../worker-host.js';
import type { GenerationContext } from './generation-context.js';
import { GenerationProcessor } from './generation-processor.js';
import { endRequestOfFailedJob, StrandedRequests } from './stranded-requests.js';
import { sweepOnce } from './sweeper.js';

export interface GenerationSubsystemOptions {
  /** Instances served, already checked by `generationInstances`. */
  instances: readonly string[];
  /** Jobs processed at once per instance. @default 10 */
  concurrency?: number;
  /** Run the sweeper in this process (under a fleet-wide lock). @default true */
  sweep?: boolean;
}

/** The instances a generation subsystem serves: those named, else every one in `providerOrder`. */
export function generationInstances(settings: Settings, named?: readonly string[]): string[] {
  const instances = [...(named ?? settings.providerOrder)];
  for (const [index, instance] of instances.entries()) {
    if (!settings.providers[instance]) {
      throw new ValidationError(
        `providers[${index}]`,
        `unknown provider instance '${instance}'; configured: ${Object.keys(settings.providers).join(', ')}`,
      );
    }
  }
  return instances;
}

/** Generation workers: one BullMQ worker per instance, cancellation, and the sweeper. */
export function generationSubsystem(options: GenerationSubsystemOptions): Subsystem {
  return {
    name: 'generation',
    async start(host) {
      const { redis, keys, settings, log, workerId } = host;
      const context: GenerationContext = {
        redis,
        keys,
        store: new RequestStore(redis, keys, settings.generation.recordTtlMs),
        queues: new GenerationQueues(redis, keys, settings.workers),
        continuations: new ContinuationQueues(redis, keys, settings.workers),
        settings,
        log,
      };
      const processors = options.instances.map((instance) => {
        const instanceSettings = settings.providers[instance]!;
        const processor = new GenerationProcessor(context, instance, {
          provider: host.providers.get(instance),
          breaker: host.breakers.get(instance),
        });
        const rateLimit = instanceSettings.rateLimit;
        host.worker<GenerationJob>(
          keys.generationQueue(instance),
          (job, _token, worker) => processor.process(job, worker),
          {
            concurrency: options.concurrency ?? 10,
            // BullMQ checks a queue's rate limit only for workers that have a limiter: without one, the
            // pause a short 429 sets (worker.rateLimit) would hold back this worker alone, and not even
            // its fetch already under way, while the rest of the fleet kept calling the provider.
            limiter: rateLimit
              ? { max: rateLimit.max, duration: rateLimit.durationMs }
              : { max: Number.MAX_SAFE_INTEGER, duration: 60_000 },
            // BullMQ gave up on a job (attempts used up, stalled out): its request ends now, with the reason.
            onFailed: (job, error) => {
              if (!job || host.closing) return;
              endRequestOfFailedJob(context, job as Job<GenerationJob>, error).catch((failure: unknown) => {
                if (!host.closing)
                  log.warn({ err: failure, jobId: job.id }, 'could not end the request of a failed job');
              });
            },
          },
        );
        return processor;
      });

      const subscriber = host.connection('cancel');
      await subscriber.subscribe(keys.cancelChannel);
      subscriber.on('message', (_channel, requestId: string) => {
        for (const processor of processors) processor.cancel(requestId);
      });

      const stranded = new StrandedRequests();
      const sweepInterval = Math.max(250, Math.floor(settings.generation.sweepAfterMs / 2));
      const sweeper =
        options.sweep === false
          ? undefined
          : setInterval(() => {
              if (host.closing) return;
              sweepOnce(context, workerId, Object.keys(settings.providers), stranded).catch(
                (error: unknown) => {
                  if (!host.closing) log.warn({ err: error }, 'sweep failed');
                },
              );
            }, sweepInterval);
      sweeper?.unref();
      log.info({ workerId, instances: options.instances }, 'generation workers started');
      return {
        serves: options.instances,
        async close() {
          if (sweeper) clearInterval(sweeper);
          await context.continuations.close();
          await context.queues.close();
        },
      };
    },
  };
}
