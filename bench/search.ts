// Search latency over 10,000 chunks in the embedded store, by mode, through KnowledgeClient.search: with
// the vector index that compact builds past ingestion.vectorIndexMinChunks, and without it, alternately.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { AtlasClient } from '../src/producer/atlas-client.js';
import type { Settings } from '../src/shared/config/settings.js';
import { vectorIndexOf } from '../src/shared/knowledge/lancedb/lancedb-vector-index.js';
import { openStore } from '../src/shared/knowledge/open-store.js';
import { chunkPointId, type SearchMode, type StoredChunk } from '../src/shared/knowledge/vector-store.js';
import { providerFromSettings } from '../src/shared/providers/create-provider.js';
import { type Figure, ms, reportFigures } from './figures.js';
import { labelledQueries, readmeCorpus } from './retrieval/evaluate-retrieval.js';
import { benchRedis, benchSettings, cleanup, summarize } from './support.js';

const searchChunks = Number(process.env['BENCH_SEARCH_CHUNKS'] ?? 10_000);
const searchRounds = Number(process.env['BENCH_SEARCH_ROUNDS'] ?? 5);
/** Each alternation measures without the index, then builds it and measures with it. */
const alternations = Number(process.env['BENCH_SEARCH_ALTERNATIONS'] ?? 2);
const collection = 'search';
/** The default threshold unless given (a smaller collection needs a smaller one to get an index). */
const indexMinChunks = process.env['BENCH_SEARCH_INDEX_MIN_CHUNKS'];

/** Fills a collection with `searchChunks` chunks cut from the corpus, straight into the store. */
async function fillForSearch(settings: Settings): Promise<void> {
  const embedder = providerFromSettings('mock', settings.providers['mock']!);
  const paragraphs = readmeCorpus()
    .flatMap((document) =>
      readFileSync(document.path, 'utf8')
        .split(/\n\s*\n/)
        .map((text) => ({ document: document.name, text: text.trim() })),
    )
    .filter((paragraph) => paragraph.text.length > 80);
  // No index yet: the first alternation measures without one.
  const store = openStore({ ingestion: { ...settings.ingestion, vectorIndexMinChunks: 0 } });
  try {
    const dimensions = (await embedder.embed!(['x'])).vectors[0]!.length;
    await store.ensureCollection({ name: collection, embeddingModel: 'mock-embed', dimensions });
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
      await store.upsert(collection, chunks);
    }
    await store.compact?.(collection);
  } finally {
    await store.close();
  }
}

/** Compacts as ingestion does after each batch, with the default threshold: builds the index. */
async function buildIndex(settings: Settings): Promise<number> {
  const store = openStore(settings);
  try {
    const started = performance.now();
    await store.compact?.(collection);
    return performance.now() - started;
  } finally {
    await store.close();
  }
}

async function withTable<T>(settings: Settings, use: (table: lancedb.Table) => Promise<T>): Promise<T> {
  const db = await lancedb.connect(settings.ingestion.knowledgeDirectory);
  try {
    return await use(await db.openTable(collection));
  } finally {
    db.close();
  }
}

/** p50 and p99 of each mode, through a new client (so it opens the table as it is now). */
async function measure(settings: Settings, modes: SearchMode[]): Promise<Map<SearchMode, number[]>> {
  const client = new AtlasClient({ settings });
  const knowledge = client.knowledge;
  const figures = new Map<SearchMode, number[]>();
  try {
    const queries = labelledQueries().map((entry) => entry.query);
    for (const mode of modes) {
      // One pass to warm the index and caches, then the measured rounds.
      for (const query of queries) await knowledge.search(query, { collection, mode, k: 10 });
      const latencies: number[] = [];
      for (let round = 0; round < searchRounds; round++) {
        for (const query of queries) {
          const started = performance.now();
          await knowledge.search(query, { collection, mode, k: 10 });
          latencies.push(performance.now() - started);
        }
      }
      const { p50, p99 } = summarize(latencies);
      figures.set(mode, [p50, p99]);
    }
  } finally {
    await client.close();
  }
  return figures;
}

async function searchLatency(redisUrl: string): Promise<Figure[]> {
  const prefix = 'bench-search';
  const knowledgeDirectory = mkdtempSync(join(tmpdir(), 'atlas-bench-search-'));
  const settings = benchSettings(redisUrl, prefix, {
    providers: { mock: { type: 'mock' } },
    ingestion: {
      knowledgeDirectory,
      ...(indexMinChunks ? { vectorIndexMinChunks: Number(indexMinChunks) } : {}),
    },
  });
  const runs: Array<{ index: boolean; mode: SearchMode; p50: number; p99: number }> = [];
  const builds: number[] = [];
  try {
    await fillForSearch(settings);
    for (let alternation = 0; alternation < alternations; alternation++) {
      const index = await withTable(settings, vectorIndexOf);
      if (index) await withTable(settings, (table) => table.dropIndex(index));
      for (const [mode, [p50, p99]] of await measure(settings, ['semantic', 'hybrid']))
        runs.push({ index: false, mode, p50: p50!, p99: p99! });
      builds.push(await buildIndex(settings));
      const built = await withTable(settings, vectorIndexOf);
      if (!built) throw new Error('compact built no vector index: is the collection below the threshold?');
      for (const [mode, [p50, p99]] of await measure(settings, ['keyword', 'semantic', 'hybrid']))
        runs.push({ index: true, mode, p50: p50!, p99: p99! });
      for (const run of runs.slice(-5))
        console.log(
          `alternation ${alternation + 1}, ${run.mode}, ${run.index ? `index ${built}` : 'no index'}: ` +
            `p50 ${ms(run.p50)}, p99 ${ms(run.p99)}`,
        );
      console.log(`index build (compact): ${ms(builds.at(-1)!)}`);
    }
  } finally {
    await cleanup(redisUrl, prefix);
    rmSync(knowledgeDirectory, { recursive: true, force: true });
  }
  const range = (values: number[]) => {
    const low = Math.min(...values);
    const high = Math.max(...values);
    return low === high ? ms(low) : `${ms(low)} – ${ms(high)}`;
  };
  const row = (mode: SearchMode, index: boolean, target?: { text: string; p50Max: number }): Figure => {
    const mine = runs.filter((run) => run.mode === mode && run.index === index);
    return {
      figure: `search over ${searchChunks} chunks, ${mode}, ${index ? 'vector index' : 'no index'}`,
      measured: `p50 ${range(mine.map((run) => run.p50))}, p99 ${range(mine.map((run) => run.p99))}`,
      target: target?.text ?? '(figure only)',
      met: target ? Math.max(...mine.map((run) => run.p50)) <= target.p50Max : undefined,
    };
  };
  return [
    row('keyword', true),
    row('semantic', true),
    row('hybrid', true, { text: 'hybrid p50 ≤ 20 ms', p50Max: 20 }),
    row('semantic', false),
    row('hybrid', false),
    {
      figure: `vector index build over ${searchChunks} chunks (compact)`,
      measured: range(builds),
      target: '(figure only)',
    },
  ];
}

const redis = await benchRedis();
try {
  reportFigures('search', await searchLatency(redis.url));
} finally {
  await redis.stop();
}
