import type { AtlasClient } from '../producer/atlas-client.js';
import type { Settings } from '../shared/config/settings.js';
import type { Keys } from '../shared/keys.js';
import type { Logger } from '../shared/log.js';
import type { Redis } from '../shared/redis.js';
import type { GenerationQueues } from '../shared/requests/generation-queues.js';

/** What the server's routes share: one client, one Redis connection for reads, the generation queues. */
export interface ServerContext {
  settings: Settings;
  log: Logger;
  client: AtlasClient;
  redis: Redis;
  keys: Keys;
  queues: GenerationQueues;
}
