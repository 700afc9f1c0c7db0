import type { Tool } from '../jobs.js';
import type { Keys } from '../keys.js';
import type { Redis } from '../redis.js';

/** What one agent worker serves: published with its heartbeat, read by `atlas tools`, `atlas workflow list` and starts. */
export interface AgentCatalog {
  workerId: string;
  workflows: Array<{
    name: string;
    version: string;
    start: string;
    description?: string;
    nodes: Record<string, string>;
    /** Top-level fields a run's input must have (from the state schema), for an early, named error. */
    required: string[];
  }>;
  tools: Tool[];
  at: number;
}

/** Publishes a worker's catalog for three heartbeats; call again each beat. */
export async function publishCatalog(
  redis: Redis,
  keys: Keys,
  catalog: Omit<AgentCatalog, 'at'>,
  intervalMs: number,
): Promise<void> {
  const now = Date.now();
  const ttl = intervalMs * 3;
  await redis
    .multi()
    .hset(keys.agentCatalog(catalog.workerId), {
      workerId: catalog.workerId,
      workflows: JSON.stringify(catalog.workflows),
      tools: JSON.stringify(catalog.tools),
      at: String(now),
    })
    .pexpire(keys.agentCatalog(catalog.workerId), ttl)
    .zadd(keys.agentWorkers, now + ttl, catalog.workerId)
    .zremrangebyscore(keys.agentWorkers, '-inf', now)
    .pexpire(keys.agentWorkers, ttl)
    .exec();
}

export async function withdrawCatalog(redis: Redis, keys: Keys, workerId: string): Promise<void> {
  await redis.multi().del(keys.agentCatalog(workerId)).zrem(keys.agentWorkers, workerId).exec();
}

/** The catalogs of every live agent worker. */
export async function readCatalogs(redis: Redis, keys: Keys): Promise<AgentCatalog[]> {
  const ids = await redis.zrangebyscore(keys.agentWorkers, Date.now(), '+inf');
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hgetall(keys.agentCatalog(id));
  const replies = (await pipeline.exec()) ?? [];
  const catalogs: AgentCatalog[] = [];
  for (const [, fields] of replies) {
    const map = (fields ?? {}) as Record<string, string>;
    if (!map['workerId']) continue;
    catalogs.push({
      workerId: map['workerId'],
      workflows: JSON.parse(map['workflows'] ?? '[]'),
      tools: JSON.parse(map['tools'] ?? '[]'),
      at: Number(map['at'] ?? 0),
    });
  }
  return catalogs;
}

export interface ServedWorkflow {
  name: string;
  version: string;
  description?: string;
  start: string;
  nodes: Record<string, string>;
  required: string[];
  /** Live workers serving this name@version. */
  workers: number;
}

/** Every name@version some live worker serves, with how many serve it. */
export function servedWorkflows(catalogs: readonly AgentCatalog[]): ServedWorkflow[] {
  const byKey = new Map<string, ServedWorkflow>();
  for (const catalog of catalogs) {
    for (const workflow of catalog.workflows) {
      const key = `${workflow.name}@${workflow.version}`;
      const entry = byKey.get(key);
      if (entry) entry.workers += 1;
      else byKey.set(key, { ...workflow, workers: 1 });
    }
  }
  return [...byKey.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version, 'en', { numeric: true }),
  );
}

export interface ServedTool extends Tool {
  workers: number;
}

export function servedTools(catalogs: readonly AgentCatalog[]): ServedTool[] {
  const byName = new Map<string, ServedTool>();
  for (const catalog of catalogs) {
    for (const tool of catalog.tools) {
      const entry = byName.get(tool.name);
      if (entry) entry.workers += 1;
      else byName.set(tool.name, { ...tool, workers: 1 });
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
