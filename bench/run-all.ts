// Runs every benchmark in its own process, one after another, so none skews another's figures, then
// prints every figure with its target in one table.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Figure, printFigures } from './figures.js';

const folder = mkdtempSync(join(tmpdir(), 'atlas-bench-'));
const figuresFile = join(folder, 'figures.jsonl');
const only = process.argv.slice(2);
const failed: string[] = [];
for (const name of [
  'import-cost',
  'throughput',
  'closed-loop',
  'latency',
  'failover',
  'streaming',
  'http',
  'ingestion',
  'search',
  'retrieval',
  'workflows',
]) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`# ${name}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], {
    stdio: 'inherit',
    env: { ...process.env, ATLAS_BENCH_FIGURES: figuresFile },
  });
  if (result.status !== 0) failed.push(name);
}
const rows = readFileSync(figuresFile, { encoding: 'utf8', flag: 'a+' })
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as Figure & { benchmark: string });
rmSync(folder, { recursive: true, force: true });
console.log('# every figure with its target');
printFigures(rows);
if (failed.length > 0) {
  console.log(`benchmarks that failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
