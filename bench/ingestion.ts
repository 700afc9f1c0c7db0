// Ingestion throughput: the README corpus copied into one batch, through 1 and then 2 ingestion worker processes.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { IngestionClient } from '../src/producer/ingestion-client.js';
import { createKeys } from '../src/shared/keys.js';
import { createRedis } from '../src/shared/redis.js';
import { reportFigures } from './figures.js';
import { readmeCorpus } from './retrieval/evaluate-retrieval.js';
import {
  benchRedis,
  benchSettings,
  cleanup,
  round,
  startWorkerProcesses,
  stopWorkerProcesses,
} from './support.js';

const _searchChunks = Number(process.env['BENCH_SEARCH_CHUNKS'] ?? 10_000);
const _searchRounds = Number(process.env['BENCH_SEARCH_ROUNDS'] ?? 5);
const corpusCopies = Number(process.env['BENCH_CORPUS_COPIES'] ?? 4);
// BENCH_INGEST_PROCESSES=1: only the run with one worker process (comma-separated counts).
const processCounts = (process.env['BENCH_INGEST_PROCESSES'] ?? '1,2').split(',').map(Number);
const target = 2_000;

interface Run {
  processes: number;
  chunksPerSecond: number;
  documentsPerSecond: number;
}

/** The corpus copied `copies` times into one folder: each copy's files are documents of their own. */
function copyCorpus(copies: number): string {
  const folder = mkdtempSync(join(tmpdir(), 'atlas-bench-docs-'));
  for (let copy = 0; copy < copies; copy++) {
    for (const document of readmeCorpus()) {
      const target = join(folder, String(copy), document.name, 'README.md');
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(document.path, target);
    }
  }
  return folder;
}

async function ingestionRun(redisUrl: string, processes: number, documentsFolder: string): Promise<Run> {
  const prefix = `bench-ingest-${processes}`;
  const knowledgeDirectory = mkdtempSync(join(tmpdir(), 'atlas-bench-ingest-'));
  const settings = benchSettings(redisUrl, prefix, {
    providers: { mock: { type: 'mock' } },
    ingestion: { knowledgeDirectory },
  });
  const children = await startWorkerProcesses('bench/ingestion-worker-process.ts', settings, processes);
  const redis = createRedis(redisUrl);
  const client = new IngestionClient(redis, createKeys(prefix));
  try {
    const started = performance.now();
    const batch = await client.ingest([documentsFolder], { collection: 'readmes', roots: [documentsFolder] });
    const summary = await client.wait(batch.batchId);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `ingestion, ${processes} worker process${processes > 1 ? 'es' : ''}: ${summary.added} documents, ` +
        `${summary.chunks} chunks in ${round(seconds, 2)} s = ${round(summary.added / seconds, 1)} documents/s, ` +
        `${round(summary.chunks / seconds, 0)} chunks/s (${summary.failed} failed)`,
    );
    return {
      processes,
      chunksPerSecond: summary.chunks / seconds,
      documentsPerSecond: summary.added / seconds,
    };
  } finally {
    await stopWorkerProcesses(children);
    await client.close();
    redis.disconnect();
    await cleanup(redisUrl, prefix);
    rmSync(knowledgeDirectory, { recursive: true, force: true });
  }
}

const redis = await benchRedis();
try {
  const documentsFolder = copyCorpus(corpusCopies);
  try {
    const runs: Run[] = [];
    for (const processes of processCounts)
      runs.push(await ingestionRun(redis.url, processes, documentsFolder));
    const one = runs.find((run) => run.processes === 1);
    reportFigures(
      'ingestion',
      runs.map((run) => {
        const more = run.processes > 1 && one !== undefined;
        return {
          figure: `${run.processes} worker process${run.processes > 1 ? 'es' : ''}, ${corpusCopies * readmeCorpus().length} READMEs`,
          measured: `${round(run.chunksPerSecond, 0)} chunks/s, ${round(run.documentsPerSecond, 1)} documents/s`,
          target: `≥ ${target.toLocaleString('en')} chunks/s${more ? ', more than 1 process' : ''}`,
          met: run.chunksPerSecond >= target && (!more || run.chunksPerSecond > one.chunksPerSecond),
        };
      }),
    );
  } finally {
    rmSync(documentsFolder, { recursive: true, force: true });
  }
} finally {
  await redis.stop();
}
