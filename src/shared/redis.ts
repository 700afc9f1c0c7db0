import { Cluster, type ClusterOptions, type RedisOptions, Redis as SingleRedis } from 'ioredis';

/**
 * A connection to Redis: one server, or a Redis Cluster. Both answer the same commands; what differs
 * (duplicating a connection, scanning every node) goes through the helpers of this module.
 */
export type Redis = SingleRedis | Cluster;

/** Where Redis is: one server's URL, or the node URLs of a Cluster (which win when given). */
export interface RedisTarget {
  url: string;
  /** Node URLs of a Redis Cluster; any reachable node is enough to find the others. */
  cluster?: readonly string[] | undefined;
}

export interface RedisConnectionOptions {
  /**
   * `blocking` connections (BullMQ workers, stream readers) must wait out a Redis restart rather than
   * fail their commands, so they retry every request forever; `command` connections fail fast.
   * @default 'command'
   */
  role?: 'command' | 'blocking';
  name?: string;
}

export function createRedis(target: string | RedisTarget, options: RedisConnectionOptions = {}): Redis {
  const { url, cluster } = typeof target === 'string' ? { url: target, cluster: undefined } : target;
  const redisOptions: RedisOptions = {
    maxRetriesPerRequest: options.role === 'blocking' ? null : 3,
    enableReadyCheck: true,
    lazyConnect: false,
    ...(options.name ? { connectionName: options.name } : {}),
  };
  if (cluster && cluster.length > 0) return quiet(createCluster(cluster, redisOptions));
  return quiet(new SingleRedis(url, redisOptions));
}

/**
 * A Cluster client from node URLs. Credentials and TLS come from the first URL (a Cluster's nodes
 * share them); each node contributes its host and port.
 */
function createCluster(urls: readonly string[], redisOptions: RedisOptions): Cluster {
  const nodes = urls.map((text) => {
    const url = new URL(text);
    return { host: url.hostname, port: Number(url.port || 6379) };
  });
  const first = new URL(urls[0]!);
  const clusterOptions: ClusterOptions = {
    enableReadyCheck: true,
    lazyConnect: false,
    // A node that fails over or restarts: retry for as long as a single server would.
    clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    redisOptions: {
      ...redisOptions,
      ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
      ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
      ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  };
  return new Cluster(nodes, clusterOptions);
}

export function isCluster(redis: Redis): redis is Cluster {
  return redis instanceof Cluster;
}

/**
 * Another connection to the same Redis (or Cluster), with the same options, its own name, and (for
 * `role: 'blocking'`) requests retried until Redis answers again.
 */
export function duplicateRedis(redis: Redis, options: RedisConnectionOptions = {}): Redis {
  const override: RedisOptions = {
    ...(options.name ? { connectionName: options.name } : {}),
    ...(options.role === 'blocking' ? { maxRetriesPerRequest: null } : {}),
    ...(options.role === 'command' ? { maxRetriesPerRequest: 3 } : {}),
  };
  if (isCluster(redis)) {
    return redis.duplicate(undefined, { redisOptions: { ...redis.options.redisOptions, ...override } });
  }
  return redis.duplicate(override);
}

/**
 * The single-node connection that serves `key`: the connection itself on one server; on a Cluster, the
 * pooled connection the Cluster sends that key's commands on (so `CLIENT ID` there names the connection
 * a blocking read of the key waits on). Undefined while a Cluster does not know the slot's node yet.
 */
export function nodeFor(redis: Redis, key: string): SingleRedis | undefined {
  if (!isCluster(redis)) return redis;
  const nodeKey = redis.slots[keySlot(key)]?.[0];
  if (!nodeKey) return undefined;
  return redis.nodes('master').find((node) => `${node.options.host}:${node.options.port}` === nodeKey) as
    | SingleRedis
    | undefined;
}

/** The Cluster hash slot of a key: CRC16 (XMODEM) of its hash tag, or of the whole key, modulo 16384. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16_384;
}

/**
 * ioredis reconnects by itself; without an `error` listener it would also print every failed attempt
 * (`[ioredis] Unhandled error event`). A `duplicate()` (ours, or one BullMQ makes) starts with no
 * listener, so duplicates are made quiet too. Whoever cares about an outage listens on top of this.
 */
function quiet<T extends Redis>(redis: T): T {
  redis.on('error', () => undefined);
  if (isCluster(redis)) {
    redis.on('node error', () => undefined);
    const duplicate = redis.duplicate.bind(redis);
    redis.duplicate = (nodes, override) => quiet(duplicate(nodes, override));
  } else {
    const single = redis as SingleRedis;
    const duplicate = single.duplicate.bind(single);
    single.duplicate = (override) => quiet(duplicate(override));
  }
  return redis;
}

/**
 * Every key matching `pattern`, in batches: on a Cluster each master is scanned, since SCAN sees one
 * node's keys only.
 */
export async function* scanKeys(redis: Redis, pattern: string, count = 500): AsyncGenerator<string[]> {
  const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}

/** Deletes every key under a prefix (a demo's or a test's), in batches. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  for await (const keys of scanKeys(redis, `${prefix}:*`)) {
    if (isCluster(redis)) {
      // Keys of other slots may share a node: one UNLINK each, so none crosses a slot.
      await Promise.all(keys.map((key) => redis.unlink(key)));
    } else await redis.unlink(...keys);
  }
}

/** A Redis URL without its password, fit for printing and logging. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:redacted@');
  }
}

/** Errors that mean Redis cannot be reached (rather than a command it refused). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && connectionCodes.has(code)) return true;
  return /Connection is closed|Stream isn't writeable|connect ETIMEDOUT|Reached the max retries/i.test(
    error.message,
  );
}

const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
