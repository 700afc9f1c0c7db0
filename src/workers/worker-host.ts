import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Job, Worker } from 'bullmq';
import type { Settings } from '../shared/config/settings.js';
import { InstanceCache } from '../shared/instance-cache.js';
import { createKeys, type Keys } from '../shared/keys.js';
import { createLogger, type Logger } from '../shared/log.js';
import { providerFromSettings } from '../shared/providers/create-provider.js';
import type { Provider } from '../shared/providers/provider.js';
import { createRedis, duplicateRedis, isConnectionError, type Redis } from '../shared/redis.js';
import { scrubError } from '../shared/secrets.js';
import { within } from '../shared/within.js';
import { type FleetBreaker, fleetBreakerFor } from './fleet-breaker.js';
import { startHeartbeat } from './heartbeat.js';

/**
 * What a worker process shares among its subsystems (generation, ingestion, agent steps): one worker
 * id, one command connection, one provider and one breaker per instance, one heartbeat, one shutdown.
 */
export interface WorkerHost {
  readonly workerId: string;
  readonly settings: Settings;
  readonly keys: Keys;
  readonly log: Logger;
  /** The host's command connection. It waits out a Redis restart rather than fail; the host closes it. */
  readonly redis: Redis;
  /** Each instance's provider, built once and shared by every subsystem of the host. */
  readonly providers: InstanceCache<Provider>;
  /** Each instance's fleet-wide breaker, one per host: an instance down is down for every subsystem. */
  readonly breakers: InstanceCache<FleetBreaker>;
  /** True once shutdown has begun; timers stop working and stop reporting failures. */
  readonly closing: boolean;
  /** One more connection (a subscriber), with the host's error handling; the host closes it. */
  connection(name: string): Redis;
  /**
   * A BullMQ worker of `queue` on a connection of its own, with the host's prefix, lock settings and
   * error handling. At shutdown the host stops it taking jobs and waits (within the grace) for its
   * running ones. The host watches that it consumes (`workers.livenessCheckMs`) and replaces it when it
   * stops: the processor is given the worker running the job, which is not always the one returned.
   */
  worker<T>(
    queue: string,
    processor: (job: Job<T>, token: string | undefined, worker: Worker<T>) => Promise<unknown>,
    options?: HostWorkerOptions,
  ): Worker<T>;
  /** Handles the `error` events of something else that talks to Redis (a BullMQ Queue) as the host's own. */
  watch(emitter: ErrorEmitter, what: string): void;
}

export interface HostWorkerOptions {
  /** Jobs processed at once. @default 1 */
  concurrency?: number;
  /** At most `max` jobs per `duration` ms, across every worker of the queue. */
  limiter?: { max: number; duration: number };
  /** Times a job may be found stalled (its worker died) before it fails. @default BullMQ's, 1 */
  maxStalledCount?: number;
  /** Called when BullMQ gives up on a job (attempts used up, stalled out), on every worker of the queue. */
  onFailed?: (job: Job | undefined, error: Error) => void;
}

export interface ErrorEmitter {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * A part of a worker process that registers with the host: it starts its BullMQ workers through
 * `host.worker()` and says what the heartbeat should announce.
 */
export interface Subsystem {
  /** Named in logs: `generation`, `ingestion`, `agents`. */
  readonly name: string;
  start(host: WorkerHost): Promise<RunningSubsystem>;
}

export interface RunningSubsystem {
  /** What the heartbeat announces this process serves: instance names (generation) or queue names. */
  readonly serves: readonly string[];
  /**
   * Called once the host's workers have stopped taking jobs (their running jobs finished, or were given
   * up on): stop timers, drain, close what the subsystem opened. The host bounds the wait, since Redis
   * may be gone.
   */
  close(): Promise<void>;
}

export interface WorkerHostOptions {
  settings: Settings;
  /** @default a logger at the configured level */
  log?: Logger;
  /** @default `<hostname>-<pid>-<random>` */
  workerId?: string;
  /** Builds an instance's provider; tests and embedders can inject their own. @default providerFromSettings */
  createProvider?: (instance: string, settings: Settings['providers'][string]) => Provider;
  subsystems: readonly Subsystem[];
}

export interface ShutdownReport {
  /** True when running jobs finished within the grace and every connection closed in order. */
  clean: boolean;
  /** Why the host stopped waiting, when it did. */
  reason?: 'redis-unreachable' | 'grace-expired';
  /** Jobs still running when the host stopped waiting for them. */
  abandonedJobs: number;
  /** One line saying what was given up, when something was. */
  message?: string;
}

export interface RunningWorkerHost {
  readonly workerId: string;
  /** Everything the heartbeat announces, over all subsystems. */
  readonly serves: readonly string[];
  readonly providers: InstanceCache<Provider>;
  /**
   * Stops taking jobs, lets running ones finish for up to `settings.workers.shutdownGraceMs`, leaves the
   * fleet and closes every connection. Bounded even when Redis is unreachable: then it stops waiting as
   * soon as no job is running, or when the grace runs out, and cuts the connections.
   */
  close(): Promise<ShutdownReport>;
  /** `close()` for callers that print no line of their own: a shutdown that gave up is logged as a warning. */
  stop(): Promise<void>;
  /** BullMQ workers replaced so far because they stopped consuming. */
  readonly restarts: number;
}

/** A BullMQ worker the host started, and what the liveness check knows of it. */
interface Watched {
  readonly queue: string;
  readonly concurrency: number;
  /** The worker's limiter: its queue is rate limited while the limiter key's count is at least this. */
  readonly limiterMax: number | undefined;
  worker: Worker;
  connection: Redis;
  /** Jobs running in the current worker's processor. */
  active: number;
  /** Jobs taken since the host started, by any worker of this queue. */
  taken: number;
  /** Since when the worker looked stuck, and how many jobs had been taken then. */
  suspect: { since: number; taken: number } | undefined;
  /** Starts a worker (again), on a new connection. */
  start(): void;
}

/** How long each clean-up step after the grace may take before the host moves on. */
const cleanupBoundMs = 1_000;
/** How often the host checks, during the grace, whether it still has anything to wait for. */
const pollMs = 50;

/** Starts a worker process's subsystems on one shared host. */
export async function startWorkerHost(options: WorkerHostOptions): Promise<RunningWorkerHost> {
  const { settings } = options;
  const log =
    options.log ?? createLogger({ level: settings.log.level, redactPrompts: settings.log.redactPrompts });
  const workerId = options.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`;
  const keys = createKeys(settings.redis.prefix);
  let closing = false;
  let outage = false;
  let running = 0;

  const report = (what: string, error: unknown) => {
    if (closing || isConnectionError(error)) return;
    log.error({ err: error, what }, `${what}: error`);
  };
  // Workers wait out a Redis restart rather than fail jobs over it.
  const redis = createRedis(settings.redis, { role: 'blocking', name: `atlas-worker-${workerId}` });
  // Every connection of the host fails together; the command connection tells of an outage, once.
  redis.on('error', (error) => {
    if (closing || !isConnectionError(error) || outage) return;
    outage = true;
    log.warn({ err: error }, 'Redis unreachable; workers wait for it');
  });
  redis.on('ready', () => {
    if (!outage) return;
    outage = false;
    if (!closing) log.info('Redis reachable again');
  });
  const connections: Redis[] = [redis];
  const watchedWorkers: Watched[] = [];
  /** Workers replaced by the liveness check, closing in the background. */
  const retiring = new Set<Promise<unknown>>();
  let restarts = 0;
  const currentWorkers = () => watchedWorkers.map((watched) => watched.worker);
  const build =
    options.createProvider ??
    ((instance, instanceSettings) => providerFromSettings(instance, instanceSettings));
  const providers = new InstanceCache((instance) => build(instance, settings.providers[instance]!));
  const breakers = new InstanceCache((instance) =>
    fleetBreakerFor(settings, instance, { redis, keys, workerId, log }),
  );

  const host: WorkerHost = {
    workerId,
    settings,
    keys,
    log,
    redis,
    providers,
    breakers,
    get closing() {
      return closing;
    },
    connection(name) {
      const connection = duplicateRedis(redis, { name: `atlas-${name}-${workerId}` });
      connection.on('error', (error) => report(name, error));
      connections.push(connection);
      return connection;
    },
    worker<T>(
      queue: string,
      processor: (job: Job<T>, token: string | undefined, worker: Worker<T>) => Promise<unknown>,
      workerOptions: HostWorkerOptions = {},
    ) {
      const watched: Watched = {
        queue,
        concurrency: workerOptions.concurrency ?? 1,
        limiterMax: workerOptions.limiter?.max,
        active: 0,
        taken: 0,
        suspect: undefined,
        worker: undefined as unknown as Worker,
        connection: undefined as unknown as Redis,
        start: () => undefined,
      };
      watched.start = () => {
        // BullMQ leaves a connection it was given open on close: it is one of the host's.
        const connection = host.connection(`worker-${queue}`);
        const worker: Worker<T> = new Worker<T>(
          queue,
          async (job, token) => {
            running++;
            watched.active++;
            watched.taken++;
            try {
              return await processor(job, token, worker);
            } catch (error) {
              // BullMQ stores what a job throws (failedReason, stacktrace): never with a key in it.
              throw scrubError(error);
            } finally {
              running--;
              watched.active--;
            }
          },
          {
            connection,
            prefix: keys.bullPrefix,
            concurrency: watched.concurrency,
            lockDuration: settings.workers.lockDurationMs,
            stalledInterval: settings.workers.stalledIntervalMs,
            ...(workerOptions.limiter ? { limiter: workerOptions.limiter } : {}),
            ...(workerOptions.maxStalledCount !== undefined
              ? { maxStalledCount: workerOptions.maxStalledCount }
              : {}),
          },
        );
        host.watch(worker, `worker ${queue}`);
        worker.on('failed', (job, error) => {
          if (!closing) log.warn({ queue, jobId: job?.id, err: error }, 'job failed');
        });
        if (workerOptions.onFailed) worker.on('failed', workerOptions.onFailed);
        watched.worker = worker as Worker;
        watched.connection = connection;
      };
      watched.start();
      watchedWorkers.push(watched);
      return watched.worker as Worker<T>;
    },
    watch(emitter, what) {
      emitter.on('error', (error) => report(what, error));
    },
  };

  /**
   * Proves each worker consumes: one with jobs waiting, a free slot, no rate limit in force and no job
   * taken over a whole check interval is stuck (BullMQ users report workers that stop consuming after a
   * reconnect), and is replaced by a new worker on a new connection. The old one closes in the
   * background, letting any job it still runs finish.
   */
  let checking = false;
  const checkLiveness = async () => {
    if (closing || checking || redis.status !== 'ready') return;
    checking = true;
    try {
      const pipeline = redis.pipeline();
      for (const { queue } of watchedWorkers) {
        const at = `${keys.bullPrefix}:${queue}`;
        pipeline.llen(`${at}:wait`).zcard(`${at}:prioritized`).pttl(`${at}:limiter`).get(`${at}:limiter`);
      }
      const replies = (await pipeline.exec()) ?? [];
      const now = Date.now();
      watchedWorkers.forEach((watched, index) => {
        const [wait, prioritized, limiterTtl, limiterCount] = replies
          .slice(index * 4, index * 4 + 4)
          .map(([error, value]) => (error ? Number.NaN : Number(value)));
        const waiting = (wait ?? 0) + (prioritized ?? 0);
        // As BullMQ decides: the key also counts jobs through the window, a limit only once it reaches max.
        const limited =
          (limiterTtl ?? 0) > 0 &&
          (watched.limiterMax === undefined || (limiterCount ?? 0) >= watched.limiterMax);
        const idle = waiting > 0 && !limited && watched.active < watched.concurrency;
        const stopped = !watched.worker.isRunning();
        if (!(idle || stopped)) {
          watched.suspect = undefined;
          return;
        }
        if (!watched.suspect || watched.suspect.taken !== watched.taken) {
          watched.suspect = { since: now, taken: watched.taken };
          return;
        }
        if (now - watched.suspect.since < settings.workers.livenessCheckMs) return;
        restart(watched, waiting);
      });
    } catch {
      // Redis went away mid-check: the next check, once it is back, decides.
    } finally {
      checking = false;
    }
  };
  const restart = (watched: Watched, waiting: number) => {
    const { worker: old, connection: oldConnection } = watched;
    restarts++;
    watched.suspect = undefined;
    log.warn(
      { queue: watched.queue, waiting, workerId, restarts },
      `worker of ${watched.queue} took no job for ${settings.workers.livenessCheckMs} ms while ${waiting} waited; replaced it`,
    );
    watched.start();
    const retired = within(old.close(), settings.workers.lockDurationMs * 2).then(() => {
      void old.disconnect().catch(() => undefined);
      oldConnection.disconnect();
      const index = connections.indexOf(oldConnection);
      if (index !== -1) connections.splice(index, 1);
      retiring.delete(retired);
    });
    retiring.add(retired);
  };
  const liveness = setInterval(
    () => void checkLiveness(),
    Math.max(settings.workers.livenessCheckMs / 2, 50),
  );
  liveness.unref();

  const started: Array<{ name: string; running: RunningSubsystem }> = [];
  let heartbeat: Awaited<ReturnType<typeof startHeartbeat>> | undefined;

  const cleanUp = async (drained: boolean) => {
    if (!drained) {
      // Nothing more is waited for: cut every connection so what still waits on Redis fails at once.
      for (const connection of connections) connection.disconnect();
      // BullMQ's own blocking connections too. Not awaited: a connection cut while it waited to
      // reconnect never reports its end.
      for (const worker of currentWorkers()) void worker.disconnect().catch(() => undefined);
    }
    if (heartbeat) {
      const stopping = heartbeat.stop();
      if (drained) await within(stopping, cleanupBoundMs);
    }
    for (const { name, running: subsystem } of [...started].reverse()) {
      // After a give-up, a close that meets the cut connections fails as expected: no news.
      const closed = subsystem.close().catch((error: unknown) => {
        if (drained) log.warn({ err: error }, `${name}: close failed`);
      });
      await within(closed, cleanupBoundMs);
    }
    for (const breaker of breakers.values()) breaker.shutdown();
    if (drained) {
      await within(Promise.allSettled(connections.map((connection) => connection.quit())), cleanupBoundMs);
    }
    for (const connection of connections) connection.disconnect();
  };

  const shutdown = async (): Promise<ShutdownReport> => {
    closing = true;
    const graceMs = settings.workers.shutdownGraceMs;
    clearInterval(liveness);
    const closed = Promise.allSettled([...currentWorkers().map((worker) => worker.close()), ...retiring]);
    // With Redis gone and no job running, there is nothing left to wait for.
    const outcome = await waitUntil(closed, graceMs, () => redis.status !== 'ready' && running === 0);
    const drained = outcome === 'done';
    const abandonedJobs = running;
    const redisDown = redis.status !== 'ready';
    await cleanUp(drained);
    if (drained) return { clean: true, abandonedJobs: 0 };
    const jobs = `${abandonedJobs} running job${abandonedJobs === 1 ? '' : 's'}`;
    if (redisDown) {
      return {
        clean: false,
        reason: 'redis-unreachable',
        abandonedJobs,
        message:
          abandonedJobs > 0
            ? `Redis unreachable; stopped without waiting for ${jobs}`
            : 'Redis unreachable; stopped without leaving the fleet (no job was running)',
      };
    }
    return {
      clean: false,
      reason: 'grace-expired',
      abandonedJobs,
      message: `shutdown grace of ${graceMs} ms ran out; stopped without waiting for ${jobs}`,
    };
  };

  try {
    for (const subsystem of options.subsystems) {
      started.push({ name: subsystem.name, running: await subsystem.start(host) });
    }
    heartbeat = await startHeartbeat({
      redis,
      keys,
      instances: started.flatMap(({ running: subsystem }) => subsystem.serves),
      workerId,
      intervalMs: settings.workers.heartbeatIntervalMs,
      log,
    });
  } catch (error) {
    closing = true;
    clearInterval(liveness);
    await within(Promise.allSettled(currentWorkers().map((worker) => worker.close(true))), cleanupBoundMs);
    await cleanUp(false);
    throw error;
  }

  const serves = started.flatMap(({ running: subsystem }) => subsystem.serves);
  log.info({ workerId, subsystems: started.map(({ name }) => name), serves }, 'worker host started');
  let closingPromise: Promise<ShutdownReport> | undefined;
  const close = () => {
    closingPromise ??= shutdown();
    return closingPromise;
  };
  return {
    workerId,
    serves,
    providers,
    close,
    get restarts() {
      return restarts;
    },
    async stop() {
      const { message, abandonedJobs, reason } = await close();
      if (message) log.warn({ workerId, reason, abandonedJobs }, message);
    },
  };
}

/** Waits for `promise` until `ms` pass or `nothingLeft()` holds, whichever comes first. */
function waitUntil(
  promise: Promise<unknown>,
  ms: number,
  nothingLeft: () => boolean,
): Promise<'done' | 'timeout' | 'nothing-left'> {
  return new Promise((resolve) => {
    const finish = (outcome: 'done' | 'timeout' | 'nothing-left') => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve(outcome);
    };
    const timer = setTimeout(() => finish('timeout'), ms);
    const poll = setInterval(() => {
      if (nothingLeft()) finish('nothing-left');
    }, pollMs);
    promise.then(
      () => finish('done'),
      () => finish('done'),
    );
  });
}
