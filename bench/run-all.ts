// Runs every benchmark in its own process, one after another, so none skews another's figures.
import { spawnSync } from 'node:child_process';

for (const name of [
  'import-cost',
  'throughput',
  'closed-loop',
  'latency',
  'failover',
  'streaming',
  'http',
  'ingestion',
  'retrieval',
  'workflows',
]) {
  console.log(`# ${name}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], { stdio: 'inherit' });
  if (result.status !== 0) process.exitCode = 1;
}
