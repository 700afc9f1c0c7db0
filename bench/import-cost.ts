// What loading Atlas costs: import time and resident memory per entry point (the client, the worker),
// and the wall time of `atlas --help` and of `atlas query` against a running fleet, each from the built
// `dist` in a fresh process, median of 5. Build first (`npm run build`).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Figure, reportFigures } from './figures.js';
import {
  benchRedis,
  benchSettings,
  cleanup,
  round,
  startWorkerProcesses,
  stopWorkerProcesses,
} from './support.js';

const runs = Number(process.env['BENCH_RUNS'] ?? 5);
const dist = resolve(process.env['ATLAS_DIST'] ?? 'dist');
const entries: Record<string, string> = {
  client: 'index.js',
  // Before the worker had an entry of its own, it came with the package's one entry.
  worker: existsSync(resolve(dist, 'worker.js')) ? 'worker.js' : 'index.js',
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Imports one module in a fresh process and reports the import's duration and the RSS after it. */
function importCost(file: string): { importMs: number; rssMb: number } {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)});
const importMs = performance.now() - t; globalThis.gc?.();
console.log(JSON.stringify({ importMs, rssMb: process.memoryUsage().rss / 2 ** 20 })); process.exit(0);`;
  const result = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`importing ${file} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!);
}

/** Wall time of one CLI run, from spawning the process to its exit. */
function cliWallMs(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [resolve(dist, 'cli/main.js'), ...args], {
    encoding: 'utf8',
    env,
  });
  if (result.status !== 0) throw new Error(`atlas ${args.join(' ')} failed: ${result.stderr}`);
  return performance.now() - started;
}

/** `atlas query` against a fleet that is already up: a worker process serving the mock instance. */
async function queryWallMs(): Promise<number> {
  const redis = await benchRedis();
  const prefix = 'bench-cold-start';
  const settings = benchSettings(redis.url, prefix, { providers: { mock: { type: 'mock' } } });
  const workers = await startWorkerProcesses('bench/worker-process.ts', settings, 1);
  try {
    const env = { ...process.env, REDIS_URL: redis.url, ATLAS_PREFIX: prefix };
    const args = ['query', '-q', 'Say hello', '--providers', 'mock'];
    cliWallMs(args, env); // the fleet's first request warms its side, not the CLI's
    return median(Array.from({ length: runs }, () => cliWallMs(args, env)));
  } finally {
    await stopWorkerProcesses(workers);
    await cleanup(redis.url, prefix);
    await redis.stop();
  }
}

const figures: Record<string, unknown> = { benchmark: 'import-cost', runs };
for (const [name, file] of Object.entries(entries)) {
  const samples = Array.from({ length: runs }, () => importCost(resolve(dist, file)));
  figures[name] = {
    entry: file,
    importMs: round(median(samples.map((sample) => sample.importMs)), 0),
    rssMb: round(median(samples.map((sample) => sample.rssMb)), 0),
  };
}
figures['helpWallMs'] = round(median(Array.from({ length: runs }, () => cliWallMs(['--help']))), 0);
figures['queryWallMs'] = round(await queryWallMs(), 0);
const bare = Array.from({ length: runs }, () => {
  const started = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - started;
});
figures['bareNodeWallMs'] = round(median(bare), 0);
console.log(JSON.stringify(figures));
const entryRows = Object.keys(entries).map((name): Figure => {
  const entry = figures[name] as { importMs: number; rssMb: number };
  return {
    figure: `import the ${name} entry`,
    measured: `${entry.importMs} ms, RSS ${entry.rssMb} MB`,
    target: '(figure only)',
  };
});
const help = figures['helpWallMs'] as number;
const query = figures['queryWallMs'] as number;
reportFigures('cold start', [
  ...entryRows,
  { figure: 'atlas --help, wall time', measured: `${help} ms`, target: '≤ 300 ms', met: help <= 300 },
  {
    figure: 'atlas query to a running fleet, wall time',
    measured: `${query} ms`,
    target: '≤ 500 ms',
    met: query <= 500,
  },
  {
    figure: 'node -e 0, wall time (the floor)',
    measured: `${figures['bareNodeWallMs']} ms`,
    target: '(figure only)',
  },
]);
