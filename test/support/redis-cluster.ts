import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, portOpen } from '../../src/cli/local-redis.js';

const run = promisify(execFile);

export interface LocalCluster {
  /** Node URLs, one per master. */
  urls: string[];
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of three masters on loopback, each a `redis-server --cluster-enabled yes` of our own,
 * joined by `redis-cli --cluster create` (about two seconds). Throwaway: `stop()` removes its files.
 */
export async function startLocalCluster(nodes = 3): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'atlas-cluster-'));
  const ports = await freePorts(nodes);
  const servers: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '2000',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise((resolve) => {
            if (server.exitCode !== null || server.signalCode !== null) return resolve(undefined);
            server.once('exit', resolve);
            server.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      for (let attempt = 0; attempt < 100 && !(await portOpen(port)); attempt++) await delay(50);
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    // Every node must agree the cluster is up before clients trust its slot map.
    for (const port of ports) {
      for (let attempt = 0; ; attempt++) {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
        if (/cluster_state:ok/.test(stdout)) break;
        if (attempt > 100) throw new Error(`cluster node ${port} never reported cluster_state:ok`);
        await delay(50);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { urls: ports.map((port) => `redis://127.0.0.1:${port}`), stop };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Free loopback ports whose cluster bus ports (port + 10000) are free too. */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (port + 10_000 > 65_535 || ports.includes(port)) continue;
    if (await portOpen(port + 10_000)) continue;
    ports.push(port);
  }
  return ports;
}
