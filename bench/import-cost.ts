// What loading Atlas costs: import time and resident memory per entry point (the client, the worker),
// and the wall time of `atlas --help`, each from the built `dist` in a fresh process, median of 5.
// Build first (`npm run build`).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { round } from './support.js';

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

function helpWallMs(): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [resolve(dist, 'cli/main.js'), '--help'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`atlas --help failed: ${result.stderr}`);
  return performance.now() - started;
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
figures['helpWallMs'] = round(median(Array.from({ length: runs }, helpWallMs)), 0);
const bare = Array.from({ length: runs }, () => {
  const started = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - started;
});
figures['bareNodeWallMs'] = round(median(bare), 0);
console.log(JSON.stringify(figures));
