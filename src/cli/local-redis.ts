import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redactRedisUrl } from '../shared/redis.js';

export interface RedisHandle {
  url: string;
  /** True when this process started the server (and will stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

/** Answers whether a Redis listens at `url`, within a short time. */
export async function redisAnswers(url: string, timeoutMs = 2_000): Promise<boolean> {
  return (await probeRedis(url, timeoutMs)) === undefined;
}

/** Undefined when a Redis answers at `url` (TLS and ACL credentials included); otherwise why not. */
export async function probeRedis(url: string, timeoutMs = 2_000): Promise<string | undefined> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  // The cause (a refused password, a certificate) arrives as an error event; the connect call only
  // learns that the connection closed.
  let cause: Error | undefined;
  redis.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await redis.connect();
    const reply = await redis.ping();
    return reply === 'PONG' ? undefined : `it answered PING with ${reply}`;
  } catch (error) {
    return (cause ?? (error instanceof Error ? error : new Error(String(error)))).message;
  } finally {
    redis.disconnect();
  }
}

/**
 * The Redis for commands that must work on a bare machine: REDIS_URL (or the configured URL) when it
 * answers; otherwise a redis-server of our own on a free port, removed again by `stop()`.
 */
export async function useOrStartRedis(url: string, explicit: boolean): Promise<RedisHandle> {
  const problem = await probeRedis(url);
  if (problem === undefined) return { url, owned: false, stop: async () => {} };
  if (explicit)
    throw new Error(
      `Redis does not answer at ${redactRedisUrl(url)} (REDIS_URL): ${problem}. Start it, or unset REDIS_URL to use a local one.`,
    );
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error(
      `No Redis answers at ${redactRedisUrl(url)}, and redis-server is not installed to start one (Debian: apt-get install redis-server; or set REDIS_URL).`,
    );
  }
  return startRedisServer();
}

export interface RedisServerOptions {
  /** Keep an append-only file, fsynced on every write, so a restart loses nothing. @default false */
  appendOnly?: boolean;
  /** Reuse a port and data directory (to restart a server on its own data). */
  port?: number;
  dir?: string;
}

/** Starts a redis-server of our own on a loopback port: throwaway by default, durable with `appendOnly`. */
export async function startRedisServer(
  options: RedisServerOptions = {},
): Promise<RedisHandle & { port: number; dir: string }> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'atlas-redis-'));
  const persistence = options.appendOnly
    ? ['--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  const server: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir],
    { stdio: 'ignore' },
  );
  for (let attempt = 0; attempt < 100 && !(await portOpen(port)); attempt++) await delay(50);
  return {
    url: `redis://127.0.0.1:${port}`,
    owned: true,
    port,
    dir,
    async stop() {
      server.kill('SIGTERM');
      await new Promise((resolve) =>
        server.exitCode === null ? server.once('exit', resolve) : resolve(undefined),
      );
      if (!options.dir && !options.appendOnly) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP port nothing listens on at 127.0.0.1 just now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

/** Whether something accepts connections on the port at 127.0.0.1. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}
