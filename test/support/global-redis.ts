import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    redisServer: string;
  }
}

/**
 * Redis for the whole run: REDIS_URL when set; otherwise our own redis-server on a free port; otherwise
 * a container when a Docker engine answers; otherwise one line saying what to install.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env['REDIS_URL'];
  if (fromEnv) {
    project.provide('redisUrl', fromEnv);
    project.provide('redisServer', 'external');
    return async () => {};
  }
  if (spawnSync('redis-server', ['--version']).status === 0) return startOwnServer(project);
  return startContainer(project);
}

async function startOwnServer(project: TestProject): Promise<() => Promise<void>> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'atlas-test-redis-'));
  const server: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  await waitForPort(port);
  process.env['REDIS_URL'] = url;
  project.provide('redisUrl', url);
  project.provide('redisServer', 'own');
  return async () => {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  };
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  const { Socket } = await import('node:net');
  for (let attempt = 0; attempt < 100; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not start on port ${port}`);
}
