import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AtlasClient } from '../src/producer/atlas-client.js';
import { IngestionClient } from '../src/producer/ingestion-client.js';
import type { Settings } from '../src/shared/config/settings.js';
import { createKeys } from '../src/shared/keys.js';
import { openStore } from '../src/shared/knowledge/open-store.js';
import { chunkPointId, type SearchMode, type StoredChunk } from '../src/shared/knowledge/vector-store.js';
import { providerFromSettings } from '../src/shared/providers/create-provider.js';
import { createRedis } from '../src/shared/redis.js';
import { labelledQueries, readmeCorpus } from './retrieval/evaluate-retrieval.js';
import {
  benchRedis,
  benchSettings,
  cleanup,
  round,
  startWorkerProcesses,
  stopWorkerProcesses,
  summarize,
} from './support.js';

const searchChunks = Number(process.env['BENCH_SEARCH_CHUNKS'] ?? 10_000);
const searchRounds = Number(process.env['BENCH_SEARCH_ROUNDS'] ?? 5);
const corpusCopies = Number(process.env['BENCH_CORPUS_COPIES'] ?? 4);

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

async function ingestionRun(redisUrl: string, processes: number, documentsFolder: string): Promise<void> {
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
  } finally {
    await stopWorkerProcesses(children);
    await client.close();
    redis.disconnect();
    await cleanup(redisUrl, prefix);
    rmSync(knowledgeDirectory, { recursive: true, force: true });
  }
}

/** Fills a collection with `searchChunks` chunks cut from the corpus, straight into the store. */
async function fillForSearch(settings: Settings): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const embedder = providerFromSettings('mock', settings.providers['mock']!);
  const paragraphs = readmeCorpus()
    .flatMap((document) =>
      readFileSync(document.path, 'utf8')
        .split(/\n\s*\n/)
        .map((text) => ({ document: document.name, text: text.trim() })),
    )
    .filter((paragraph) => paragraph.text.length > 80);
  const store = openStore(settings);
  try {
    const dimensions = (await embedder.embed!(['x'])).vectors[0]!.length;
    await store.ensureCollection({ name: 'search', embeddingModel: 'mock-embed', dimensions });
    for (let start = 0; start < searchChunks; start += 1_000) {
      const slice = Array.from({ length: Math.min(1_000, searchChunks - start) }, (_, offset) => {
        const index = start + offset;
        return { ...paragraphs[index % paragraphs.length]!, index };
      });
      const { vectors } = await embedder.embed!(slice.map((entry) => entry.text));
      const chunks: StoredChunk[] = slice.map((entry, offset) => ({
        id: chunkPointId(entry.document, entry.index),
        documentId: entry.document,
        chunkIndex: entry.index,
        version: 1,
        text: entry.text,
        vector: vectors[offset]!,
        metadata: { source: `${entry.document}/README.md` },
      }));
      await store.upsert('search', chunks);
    }
    // As ingestion does after each batch.
    await store.compact?.('search');
  } finally {
    await store.close();
  }
}

async function searchLatency(redisUrl: string): Promise<void> {
  const prefix = 'bench-search';
  const knowledgeDirectory = mkdtempSync(join(tmpdir(), 'atlas-bench-search-'));
  const settings = benchSettings(redisUrl, prefix, {
    providers: { mock: { type: 'mock' } },
    ingestion: { knowledgeDirectory },
  });
  await fillForSearch(settings);
  const client = new AtlasClient({ settings });
  const knowledge = client.knowledge;
  try {
    const queries = labelledQueries().map((entry) => entry.query);
    for (const mode of ['keyword', 'semantic', 'hybrid'] as SearchMode[]) {
      // One pass to warm the index and caches, then the measured rounds.
      for (const query of queries) await knowledge.search(query, { collection: 'search', mode, k: 10 });
      const latencies: number[] = [];
      for (let round = 0; round < searchRounds; round++) {
        for (const query of queries) {
          const started = performance.now();
          await knowledge.search(query, { collection: 'search', mode, k: 10 });
          latencies.push(performance.now() - started);
        }
      }
      const { p50, p99 } = summarize(latencies);
      console.log(
        `search over ${searchChunks} chunks, ${mode}: p50 ${round(p50, 2)} ms, p99 ${round(p99, 2)} ms ` +
          `(${latencies.length} searches, k 10)`,
      );
    }
  } finally {
    await client.close();
    await cleanup(redisUrl, prefix);
    rmSync(knowledgeDirectory, { recursive: true, force: true });
  }
}

const redis = await benchRedis();
try {
  const documentsFolder = copyCorpus(corpusCopies);
  try {
    for (const processes of [1, 2]) await ingestionRun(redis.url, processes, documentsFolder);
  } finally {
    rmSync(documentsFolder, { recursive: true, force: true });
  }
  await searchLatency(redis.url);
} finally {
  await redis.stop();
}
