import { AtlasClient } from '../../src/producer/atlas-client.js';
import { type FileSettings, loadSettings, type Settings } from '../../src/shared/config/settings.js';
import { readFleetStatus } from '../../src/shared/fleet-status.js';
import { createKeys, type Keys } from '../../src/shared/keys.js';
import { createLogger } from '../../src/shared/log.js';
import { builtInCatalogue } from '../../src/shared/providers/catalogue.js';
import { providerFromSettings } from '../../src/shared/providers/create-provider.js';
import { MockProvider } from '../../src/shared/providers/mock/mock-provider.js';
import type { Provider } from '../../src/shared/providers/provider.js';
import type { Redis } from '../../src/shared/redis.js';
import { GenerationQueues } from '../../src/shared/requests/generation-queues.js';
import {
  type StartWorkersOptions,
  startWorkers,
  type WorkerFleet,
} from '../../src/workers/generation/start-workers.js';
import { connect, deletePrefix, freshPrefix, redisTarget } from './redis.js';
import { SwitchableProvider } from './switchable-provider.js';

/** Settings fit for tests: a prefix of their own and short timings, so faults show within a second. */
export function testSettings(overrides: FileSettings = {}, label = 'gen'): Settings {
  return loadSettings({
    env: {},
    configPath: undefined,
    overrides: {
      redis: { ...redisTarget(), prefix: freshPrefix(label) },
      log: { level: 'silent' },
      ...overrides,
      workers: {
        lockDurationMs: 2_000,
        stalledIntervalMs: 1_000,
        heartbeatIntervalMs: 200,
        ...overrides.workers,
      },
      generation: {
        sweepAfterMs: 1_000,
        healthCacheMs: 50,
        defaultDeadlineMs: 20_000,
        ...overrides.generation,
      },
    },
  });
}

export interface Harness {
  settings: Settings;
  keys: Keys;
  client: AtlasClient;
  redis: Redis;
  /** Providers built for the workers started so far, by instance: switchable, so tests can take one down. */
  providers: Map<string, SwitchableProvider>;
  startWorkers(options?: Partial<StartWorkersOptions>): Promise<WorkerFleet>;
  /** An instance's breaker as `atlas status` reports it: closed, open or half-open. */
  breakerOf(instance: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function createHarness(overrides: FileSettings = {}, label?: string): Promise<Harness> {
  const settings = testSettings(overrides, label);
  const keys = createKeys(settings.redis.prefix);
  const client = new AtlasClient({ settings });
  const redis = connect();
  const fleets: WorkerFleet[] = [];
  const providers = new Map<string, SwitchableProvider>();
  const log = createLogger({ level: 'silent' });
  return {
    settings,
    keys,
    client,
    redis,
    providers,
    async startWorkers(options = {}) {
      const fleet = await startWorkers({
        settings,
        log,
        concurrency: 10,
        createProvider: (name, instanceSettings) => {
          const existing = providers.get(name);
          if (existing) return existing;
          let inner: Provider;
          if (instanceSettings.type === 'mock')
            inner = new MockProvider({ name, settings: instanceSettings, catalogue: builtInCatalogue });
          else inner = providerFromSettings(name, instanceSettings);
          const provider = new SwitchableProvider(inner);
          providers.set(name, provider);
          return provider;
        },
        ...options,
      });
      fleets.push(fleet);
      return fleet;
    },
    async breakerOf(instance) {
      const queues = new GenerationQueues(redis, keys, settings.workers);
      try {
        const status = await readFleetStatus(redis, keys, queues, settings);
        return status.instances.find((entry) => entry.instance === instance)?.breaker;
      } finally {
        await queues.close();
      }
    },
    async close() {
      await client.close();
      await Promise.all(fleets.map((fleet) => fleet.close()));
      await deletePrefix(redis, settings.redis.prefix);
      redis.disconnect();
    },
  };
}

export function mockInstances(...names: string[]): FileSettings['providers'] {
  return Object.fromEntries(
    names.map((name) => [
      name,
      { type: 'mock' as const, breaker: { volumeThreshold: 2, resetTimeoutMs: 1_000 } },
    ]),
  );
}
