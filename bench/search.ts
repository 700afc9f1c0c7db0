// Search latency over 10,000 chunks in the embedded store, by mode, through KnowledgeClient.search.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtlasClient } from '../src/producer/atlas-client.js';
import type { Settings } from '../src/shared/config/settings.js';
import { openStore } from '../src/shared/knowledge/open-store.js';
import { chunkPointId, type SearchMode, type StoredChunk } from '../src/shared/knowledge/vector-store.js';
import { providerFromSettings } from '../src/shared/providers/create-provider.js';
import { labelledQueries, readmeCorpus } from './retrieval/evaluate-retrieval.js';
import { benchRedis, benchSettings, cleanup, round, summarize } from './support.js';

const searchChunks = Number(process.env['BENCH_SEARCH_CHUNKS'] ?? 10_000);
const searchRounds = Number(process.env['BENCH_SEARCH_ROUNDS'] ?? 5);

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
  await searchLatency(redis.url);
} finally {
  await redis.stop();
}
