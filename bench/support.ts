import { type ChildProcess, spawn } from 'node:child_process';
import { type RedisHandle, startRedisServer } from '../src/cli/local-redis.js';
import { type FileSettings, loadSettings, type Settings } from '../src/shared/config/settings.js';
import { createRedis, deletePrefix } from '../src/shared/redis.js';

/** A Redis for a benchmark: REDIS_URL when set, else a throwaway server of our own (so figures are not skewed by others). */
export async function benchRedis(): Promise<RedisHandle> {
  const url = process.env['REDIS_URL'];
  if (url) return { url, owned: false, stop: async () => {} };
  return startRedisServer();
}

export function benchSettings(redisUrl: string, prefix: string, overrides: FileSettings = {}): Settings {
  return loadSettings({
    env: {},
    configPath: undefined,
    overrides: { redis: { url: redisUrl, prefix }, log: { level: 'silent' }, ...overrides },
  });
}

export async function cleanup(redisUrl: string, prefix: string): Promise<void> {
  const redis = createRedis(redisUrl);
  await deletePrefix(redis, prefix);
  redis.disconnect();
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function summarize(values: number[]): { p50: number; p99: number; mean: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** Starts `count` copies of a worker script, each given the settings as JSON in argv[2]; resolves once each says "ready". */
export async function startWorkerProcesses(
  script: string,
  settings: Settings,
  count: number,
): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      // BENCH_CPU_PROF=<folder>: every process writes a V8 CPU profile there (bench/cpu-profile-summary.ts).
      const profile = process.env['BENCH_CPU_PROF'];
      const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
      const child = spawn(process.execPath, [...flags, '--import', 'tsx', script, JSON.stringify(settings)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) =>
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()),
      );
      return child;
    }),
  );
}

export async function stopWorkerProcesses(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

/**
 * Starts a benchmark script in its own process with `args`; resolves with the first line it prints
 * (it says "ready", and maybe more, once it serves). BENCH_CPU_PROF=<folder>: the process writes a V8
 * CPU profile there (bench/cpu-profile-summary.ts).
 */
export async function startProcess(
  script: string,
  args: string[],
): Promise<{ child: ChildProcess; line: string }> {
  const profile = process.env['BENCH_CPU_PROF'];
  const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script, ...args], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('\n')) resolve(seen.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`${script} ${args[0] ?? ''} exited ${code}`)));
  });
  return { child, line };
}
