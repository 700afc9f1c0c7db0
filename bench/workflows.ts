// Step overhead of durable workflows: a chain of ten trivial function nodes, checkpointed in Redis.
// Prints ms per step one run at a time (1 worker process) and runs/s at 20 in flight (2 worker
// processes), beside the same graph in LangGraph.js with its SQLite checkpointer, in the same run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AtlasClient } from '../src/producer/atlas-client.js';
import { type Figure, ms, reportFigures } from './figures.js';
import {
  benchRedis,
  benchSettings,
  cleanup,
  round,
  startWorkerProcesses,
  stopWorkerProcesses,
  summarize,
} from './support.js';
import { chainLength } from './workflows/chain-workflow.js';

const sequentialRuns = Number(process.env['BENCH_WORKFLOW_RUNS'] ?? 100);
const concurrentSeconds = Number(process.env['BENCH_WORKFLOW_SECONDS'] ?? 10);
const inFlight = 20;
const chainModule = fileURLToPath(new URL('./workflows/chain-workflow.ts', import.meta.url));

async function runChain(client: AtlasClient): Promise<void> {
  const { id } = await client.workflows.start('chain', {});
  const run = await client.workflows.wait(id, { timeoutMs: 60_000 });
  if (run.status !== 'completed' || (run.state as { count: number }).count !== chainLength)
    throw new Error(`run ${id} ended ${run.status}: ${JSON.stringify(run.state)} ${run.error ?? ''}`);
}

async function atlas(
  redisUrl: string,
): Promise<{ msPerStep: { p50: number; p99: number }; runsPerSecond: number }> {
  const prefix = 'bench-workflows';
  const settings = benchSettings(redisUrl, prefix, {
    providers: { mock: { type: 'mock' } },
    agents: { modules: [chainModule], recordTtlMs: 60_000, concurrency: 50 },
  });
  const client = new AtlasClient({ settings });
  try {
    let workers = await startWorkerProcesses('bench/workflows/agent-worker-process.ts', settings, 1);
    for (let index = 0; index < 10; index++) await runChain(client);
    const perStep: number[] = [];
    for (let index = 0; index < sequentialRuns; index++) {
      const started = performance.now();
      await runChain(client);
      perStep.push((performance.now() - started) / chainLength);
    }
    await stopWorkerProcesses(workers);

    workers = await startWorkerProcesses('bench/workflows/agent-worker-process.ts', settings, 2);
    for (let index = 0; index < 10; index++) await runChain(client);
    let completed = 0;
    const started = performance.now();
    const until = started + concurrentSeconds * 1_000;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (performance.now() < until) {
          await runChain(client);
          completed++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1_000;
    await stopWorkerProcesses(workers);
    const { p50, p99 } = summarize(perStep);
    return { msPerStep: { p50, p99 }, runsPerSecond: completed / seconds };
  } finally {
    await client.close();
    await cleanup(redisUrl, prefix);
  }
}

function langGraph(): { msPerStepP50: number; msPerStepP99: number; runsPerSecond: number } | string {
  if (!existsSync('bench/langgraph/node_modules/@langchain/langgraph'))
    return 'not installed (npm --prefix bench/langgraph ci; better-sqlite3 compiles for about 2 minutes)';
  const result = spawnSync(process.execPath, ['bench/langgraph/chain.mjs'], {
    encoding: 'utf8',
    env: { ...process.env, LANGGRAPH_CONCURRENT_SECONDS: String(concurrentSeconds) },
  });
  if (result.status !== 0) return `failed: ${result.stderr.trim().split('\n').at(-1)}`;
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!);
}

const redis = await benchRedis();
try {
  const ours = await atlas(redis.url);
  const theirs = langGraph();
  console.log(`workflow steps: a chain of ${chainLength} function nodes, checkpointed`);
  console.log(
    `  Atlas (Redis)     one run at a time: p50 ${round(ours.msPerStep.p50)} ms/step, p99 ${round(ours.msPerStep.p99)} ms/step (target p50 <= 2)`,
  );
  console.log(
    `  Atlas (Redis)     ${inFlight} in flight, 2 worker processes: ${round(ours.runsPerSecond, 1)} runs/s`,
  );
  const stepP50 = ours.msPerStep.p50;
  const rows: Figure[] = [
    {
      figure: 'workflow step, one run at a time',
      measured: `p50 ${ms(stepP50)}, p99 ${ms(ours.msPerStep.p99)}`,
      target: 'p50 ≤ 2 ms',
      met: stepP50 <= 2,
    },
  ];
  if (typeof theirs !== 'string') {
    const ratio = ours.runsPerSecond / theirs.runsPerSecond;
    rows.push({
      figure: `workflow runs, ${inFlight} in flight, ratio to LangGraph + SQLite`,
      measured: `${round(ratio)}× (${round(ours.runsPerSecond, 1)} against ${round(theirs.runsPerSecond, 1)} runs/s)`,
      target: '≥ 2×',
      met: ratio >= 2,
    });
  }
  reportFigures('workflows', rows);
  if (typeof theirs === 'string') console.log(`  LangGraph.js      ${theirs}`);
  else {
    console.log(
      `  LangGraph (SQLite) one run at a time: p50 ${round(theirs.msPerStepP50)} ms/step, p99 ${round(theirs.msPerStepP99)} ms/step`,
    );
    console.log(
      `  LangGraph (SQLite) ${inFlight} in flight, one process: ${round(theirs.runsPerSecond, 1)} runs/s`,
    );
    console.log(
      `  ratio (Atlas / LangGraph) at ${inFlight} in flight: ${round(ours.runsPerSecond / theirs.runsPerSecond)}x (target >= 2x)`,
    );
  }
} finally {
  await redis.stop();
}
