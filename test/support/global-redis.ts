import { spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { startRedisServer } from '../../src/cli/local-redis.js';
import { startLocalCluster } from './redis-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    redisServer: string;
    /** Comma-separated node URLs when the run is on a Redis Cluster (ATLAS_TEST_CLUSTER=1), else ''. */
    redisCluster: string;
  }
}

/**
 * Redis for the whole run: REDIS_URL when set; otherwise our own redis-server on a free port; otherwise
 * a container when a Docker engine answers; otherwise one line saying what to install.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  project.provide('redisCluster', '');
  if (process.env['ATLAS_TEST_CLUSTER'] === '1') return startCluster(project);
  const fromEnv = process.env['REDIS_URL'];
  if (fromEnv) {
    project.provide('redisUrl', fromEnv);
    project.provide('redisServer', 'external');
    return async () => {};
  }
  if (spawnSync('redis-server', ['--version']).status === 0) return startOwnServer(project);
  return startContainer(project);
}

/** A local three-node Redis Cluster for the whole run; test files then use hash-tagged prefixes. */
async function startCluster(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startLocalCluster();
  project.provide('redisUrl', cluster.urls[0]!);
  project.provide('redisServer', 'cluster');
  project.provide('redisCluster', cluster.urls.join(','));
  return () => cluster.stop();
}

async function startOwnServer(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRedisServer();
  process.env['REDIS_URL'] = server.url;
  project.provide('redisUrl', server.url);
  project.provide('redisServer', 'own');
  return () => server.stop();
}

async function startContainer(project: TestProject): Promise<() => Promise<void>> {
  try {
    const { GenericContainer } = await import('testcontainers');
    const container = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
    const url = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
    process.env['REDIS_URL'] = url;
    project.provide('redisUrl', url);
    project.provide('redisServer', 'container');
    return async () => {
      await container.stop();
    };
  } catch {
    throw new Error(
      'Tests need Redis: set REDIS_URL, or install redis-server (Debian: apt-get install redis-server), or run a Docker engine.',
    );
  }
}
