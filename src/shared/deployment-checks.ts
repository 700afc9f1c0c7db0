import { access, constants, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { hasHashTag, type Settings } from './config/settings.js';
import { readFleetStatus } from './fleet-status.js';
import type { Keys } from './keys.js';
import { type Redis, scanKeys } from './redis.js';
import type { GenerationQueues } from './requests/generation-queues.js';

export type FindingStatus = 'ok' | 'warn' | 'fail';

export interface Finding {
  check: string;
  status: FindingStatus;
  detail: string;
  /** What to do about it, for a warning or a failure. */
  fix?: string;
}

export interface DeploymentCheckOptions {
  redis: Redis;
  keys: Keys;
  queues: GenerationQueues;
  settings: Settings;
  /** Request records read at most, looking for stuck requests. @default 10000 */
  scanLimit?: number;
  /** @default global fetch */
  fetch?: typeof fetch;
}

/** BullMQ is fully compatible with Redis from this version on. */
const minimumRedis = [6, 2, 0];

/**
 * Checks a deployment as an operator would before trusting it: Redis (reachable, version, eviction,
 * persistence, cluster mode), the fleet (live workers and breakers of each instance), requests past
 * their deadline that never ended, and the knowledge store. A `fail` means accepted work can be lost
 * or stuck; a `warn` is worth fixing before production.
 */
export async function checkDeployment(options: DeploymentCheckOptions): Promise<Finding[]> {
  const { redis, keys, queues, settings } = options;
  const findings: Finding[] = [];
  let info: string;
  try {
    info = await redis.info();
  } catch (error) {
    return [
      {
        check: 'redis',
        status: 'fail',
        detail: `cannot reach Redis: ${error instanceof Error ? error.message : String(error)}`,
        fix: 'start Redis or set REDIS_URL (or redis.url in atlas.config.json) to one that answers',
      },
    ];
  }
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
  const version = field('redis_version');
  const parts = version.split('.').map(Number);
  const tooOld = minimumRedis.findIndex((wanted, index) => (parts[index] ?? 0) !== wanted);
  findings.push(
    tooOld !== -1 && (parts[tooOld] ?? 0) < minimumRedis[tooOld]!
      ? {
          check: 'redis version',
          status: 'fail',
          detail: `Redis ${version}; BullMQ needs ${minimumRedis.join('.')} or newer`,
          fix: 'upgrade Redis',
        }
      : { check: 'redis version', status: 'ok', detail: `Redis ${version}` },
  );
  const policy = field('maxmemory_policy');
  findings.push(
    policy === 'noeviction'
      ? { check: 'maxmemory-policy', status: 'ok', detail: 'noeviction' }
      : {
          check: 'maxmemory-policy',
          status: 'fail',
          detail: `'${policy}': under memory pressure Redis may evict queued jobs and request records`,
          fix: 'set maxmemory-policy noeviction (CONFIG SET maxmemory-policy noeviction, and in redis.conf)',
        },
  );
  findings.push(
    field('aof_enabled') === '1'
      ? {
          check: 'persistence',
          status: 'ok',
          detail: `AOF on (appendfsync ${await configValue(redis, 'appendfsync')})`,
        }
      : {
          check: 'persistence',
          status: 'warn',
          detail: 'AOF is off: a Redis restart loses what was accepted since the last snapshot',
          fix: 'set appendonly yes (appendfsync everysec or always)',
        },
  );
  const clustered = field('cluster_enabled') === '1';
  const tagged = hasHashTag(settings.redis.prefix);
  findings.push(
    !clustered
      ? { check: 'cluster', status: 'ok', detail: 'single node' }
      : tagged
        ? {
            check: 'cluster',
            status: 'ok',
            detail: `cluster mode, prefix ${settings.redis.prefix} has a hash tag`,
          }
        : {
            check: 'cluster',
            status: 'fail',
            detail: `cluster mode, but the prefix '${settings.redis.prefix}' has no {hash tag}: multi-key scripts fail across slots`,
            fix: 'set ATLAS_PREFIX to a hash-tagged prefix such as {atlas}',
          },
  );

  const fleet = await readFleetStatus(redis, keys, queues, settings);
  for (const instance of fleet.instances) {
    const check = `instance ${instance.instance}`;
    if (instance.liveWorkers === 0) {
      findings.push({
        check,
        status: instance.waiting > 0 ? 'fail' : 'warn',
        detail: `no live worker${instance.waiting > 0 ? `; ${instance.waiting} jobs waiting` : ''}`,
        fix: `start one: atlas worker --providers ${instance.instance}`,
      });
    } else if (instance.breaker !== 'closed') {
      findings.push({
        check,
        status: 'warn',
        detail: `breaker ${instance.breaker}: its calls are failing; requests go to other instances of their plans`,
        fix: 'check the provider (atlas providers --check) and its key',
      });
    } else {
      findings.push({ check, status: 'ok', detail: `${instance.liveWorkers} live workers, breaker closed` });
    }
  }

  const stuck = await stuckRequests(redis, keys, options.scanLimit ?? 10_000);
  findings.push(
    stuck.length === 0
      ? { check: 'requests', status: 'ok', detail: 'none past its deadline without an end' }
      : {
          check: 'requests',
          status: 'fail',
          detail: `${stuck.length} past their deadline and still ${[...new Set(stuck.map((entry) => entry.status))].join('/')} (e.g. ${stuck[0]!.id})`,
          fix: 'start a worker for their instances: its sweeper moves or ends them',
        },
  );

  findings.push(await checkStore(settings, options.fetch ?? fetch));
  return findings;
}

async function configValue(redis: Redis, name: string): Promise<string> {
  const reply = (await redis.config('GET', name).catch(() => [])) as string[];
  return reply[1] ?? 'unknown';
}

async function stuckRequests(
  redis: Redis,
  keys: Keys,
  limit: number,
): Promise<Array<{ id: string; status: string }>> {
  const stuck: Array<{ id: string; status: string }> = [];
  const pattern = keys.request('*');
  const now = Date.now();
  let seen = 0;
  for await (const found of scanKeys(redis, pattern)) {
    const records = found.filter((key) => !key.endsWith(':events'));
    seen += records.length;
    const pipeline = redis.pipeline();
    for (const key of records) pipeline.hmget(key, 'id', 'status', 'deadlineAt');
    for (const [, fields] of (await pipeline.exec()) ?? []) {
      const [id, status, deadlineAt] = (fields ?? []) as Array<string | null>;
      if (id && (status === 'queued' || status === 'running') && Number(deadlineAt) + 5_000 < now)
        stuck.push({ id, status });
    }
    if (seen >= limit) break;
  }
  return stuck;
}

async function checkStore(settings: Settings, fetchImplementation: typeof fetch): Promise<Finding> {
  const { qdrantUrl, knowledgeDirectory } = settings.ingestion;
  if (qdrantUrl) {
    try {
      const response = await fetchImplementation(new URL('/readyz', qdrantUrl), {
        signal: AbortSignal.timeout(3_000),
      });
      return response.ok
        ? { check: 'knowledge store', status: 'ok', detail: `Qdrant at ${qdrantUrl} is ready` }
        : {
            check: 'knowledge store',
            status: 'fail',
            detail: `Qdrant at ${qdrantUrl} answered HTTP ${response.status}`,
            fix: 'check the Qdrant server',
          };
    } catch (error) {
      return {
        check: 'knowledge store',
        status: 'fail',
        detail: `cannot reach Qdrant at ${qdrantUrl}: ${error instanceof Error ? error.message : String(error)}`,
        fix: 'start Qdrant or correct QDRANT_URL',
      };
    }
  }
  const folder = resolve(knowledgeDirectory);
  try {
    await mkdir(folder, { recursive: true });
    await access(folder, constants.W_OK);
    return { check: 'knowledge store', status: 'ok', detail: `embedded store in ${folder} is writable` };
  } catch (error) {
    return {
      check: 'knowledge store',
      status: 'fail',
      detail: `embedded store folder ${folder} is not writable: ${(error as Error).message}`,
      fix: 'set ATLAS_KNOWLEDGE_DIR to a writable folder',
    };
  }
}
