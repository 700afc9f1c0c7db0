import CircuitBreaker from 'opossum';
import type { ProviderInstanceSettings } from '../shared/config/provider-settings.js';
import type { Settings } from '../shared/config/settings.js';
import { AtlasError, isAtlasError } from '../shared/errors.js';
import {
  readFleetHealth,
  type SharedBreakerState,
  writeBreakerClosed,
  writeBreakerOpen,
} from '../shared/fleet-health.js';
import type { Keys } from '../shared/keys.js';
import type { Logger } from '../shared/log.js';
import type { Redis } from '../shared/redis.js';

export interface FleetBreakerOptions {
  redis: Redis;
  keys: Keys;
  instance: string;
  breaker: ProviderInstanceSettings['breaker'];
  /** How long a read of the shared state is trusted. */
  cacheMs: number;
  /** Longest a probe call may take; bounds the probe lock. */
  callTimeoutMs: number;
  workerId: string;
  log: Logger;
}

/** An instance's fleet breaker with its settings: the one both generation and ingestion workers use. */
export function fleetBreakerFor(
  settings: Pick<Settings, 'providers' | 'generation'>,
  instance: string,
  worker: Pick<FleetBreakerOptions, 'redis' | 'keys' | 'workerId' | 'log'>,
): FleetBreaker {
  const instanceSettings = settings.providers[instance]!;
  return new FleetBreaker({
    ...worker,
    instance,
    breaker: instanceSettings.breaker,
    cacheMs: settings.generation.healthCacheMs,
    callTimeoutMs: instanceSettings.timeoutMs,
  });
}

/**
 * One instance's breaker in one worker process, kept in step with every other worker of the instance.
 * A local opossum breaker counts this process's failures; when it opens, the open state is written to
 * Redis and every worker fails fast. When the probe time comes, one worker (holding a lock) tries the
 * instance, and its outcome closes or re-opens the breaker for all.
 */
export class FleetBreaker {
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  private shared: SharedBreakerState = { state: 'closed', openedAt: 0, nextProbeAt: 0 };
  private sharedReadAt = 0;

  constructor(private readonly options: FleetBreakerOptions) {
    this.breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
      errorThresholdPercentage: options.breaker.errorThresholdPercentage,
      volumeThreshold: options.breaker.volumeThreshold,
      resetTimeout: options.breaker.resetTimeoutMs,
      rollingCountTimeout: options.breaker.rollingCountTimeoutMs,
      // The provider's own timeout bounds each call; a second timer here would only disagree with it.
      timeout: false,
      // Only faults of the instance count; a caller's own mistake or a cancel never opens the breaker.
      errorFilter: (error: unknown) => !(isAtlasError(error) && error.countsAgainstBreaker),
    });
    this.breaker.on('open', () => {
      this.setShared({
        state: 'open',
        openedAt: Date.now(),
        nextProbeAt: Date.now() + options.breaker.resetTimeoutMs,
      });
      void writeBreakerOpen(
        options.redis,
        options.keys,
        options.instance,
        options.breaker.resetTimeoutMs,
      ).catch((error) =>
        options.log.warn({ err: error, instance: options.instance }, 'could not share an open breaker'),
      );
      options.log.warn({ instance: options.instance }, 'circuit breaker opened');
    });
  }

  /** Runs one call through the breaker; fails fast with `circuit_open` while the instance is open. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    const shared = await this.sharedState();
    if (shared.state === 'closed') {
      // Another worker's probe closed the instance for the fleet: follow it.
      if (this.breaker.opened) this.breaker.close();
      return this.fire(call);
    }
    if (Date.now() < shared.nextProbeAt) throw this.openError(shared);
    return this.probe(call, shared);
  }

  /** The state other processes see, for status reports. */
  async state(): Promise<SharedBreakerState> {
    return this.sharedState();
  }

  shutdown(): void {
    this.breaker.shutdown();
  }

  private async fire<T>(call: () => Promise<T>): Promise<T> {
    try {
      return (await this.breaker.fire(call)) as T;
    } catch (error) {
      if ((error as { code?: string }).code === 'EOPENBREAKER') throw this.openError(this.shared);
      throw error;
    }
  }

  /** One worker of the fleet tries a recovering instance; the rest keep failing fast meanwhile. */
  private async probe<T>(call: () => Promise<T>, shared: SharedBreakerState): Promise<T> {
    const { redis, keys, instance, callTimeoutMs, workerId, breaker, log } = this.options;
    const lock = keys.breakerProbe(instance);
    const acquired = await redis.set(lock, workerId, 'PX', callTimeoutMs + 1_000, 'NX');
    if (acquired !== 'OK') throw this.openError(shared);
    try {
      const result = await call();
      await writeBreakerClosed(redis, keys, instance);
      this.setShared({ state: 'closed', openedAt: 0, nextProbeAt: 0 });
      this.breaker.close();
      log.info({ instance }, 'probe succeeded: circuit breaker closed for the fleet');
      return result;
    } catch (error) {
      if (isAtlasError(error) && error.countsAgainstBreaker) {
        await writeBreakerOpen(redis, keys, instance, breaker.resetTimeoutMs);
        this.setShared({
          state: 'open',
          openedAt: Date.now(),
          nextProbeAt: Date.now() + breaker.resetTimeoutMs,
        });
        log.warn({ instance, kind: error.kind }, 'probe failed: circuit breaker stays open');
      }
      throw error;
    } finally {
      await redis.del(lock).catch(() => undefined);
    }
  }

  private async sharedState(): Promise<SharedBreakerState> {
    if (Date.now() - this.sharedReadAt >= this.options.cacheMs) {
      const [health] = await readFleetHealth(this.options.redis, this.options.keys, [this.options.instance]);
      this.setShared(health!.breaker);
    }
    return this.shared;
  }

  private setShared(state: SharedBreakerState): void {
    this.shared = state;
    this.sharedReadAt = Date.now();
  }

  private openError(shared: SharedBreakerState): AtlasError {
    return new AtlasError('circuit_open', `${this.options.instance}: circuit breaker open`, {
      provider: this.options.instance,
      retryAfterMs: Math.max(0, shared.nextProbeAt - Date.now()),
    });
  }
}
