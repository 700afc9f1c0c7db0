import type { Settings } from '../../shared/config/settings.js';
import type { Keys } from '../../shared/keys.js';
import type { Logger } from '../../shared/log.js';
import type { Redis } from '../../shared/redis.js';
import type { ContinuationQueues } from '../../shared/requests/continuations.js';
import type { GenerationQueues } from '../../shared/requests/generation-queues.js';
import type { RequestStore } from '../../shared/requests/request-store.js';

/** What every part of a worker process shares: one Redis connection for commands, the queues, the store, the continuations. */
export interface GenerationContext {
  redis: Redis;
  keys: Keys;
  store: RequestStore;
  queues: GenerationQueues;
  continuations: ContinuationQueues;
  settings: Settings;
  log: Logger;
}
