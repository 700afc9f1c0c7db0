// Retrieval quality on the README corpus: recall@5 and nDCG@10 per search mode, beside a plain BM25
// over the same chunks. The corpus and its 54 labelled queries: bench/retrieval/queries.json.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRetrievalEvaluation } from './retrieval/run-retrieval-evaluation.js';
import { benchRedis, benchSettings, cleanup, round } from './support.js';

const redis = await benchRedis();
const prefix = 'bench-retrieval';
const knowledgeDirectory = mkdtempSync(join(tmpdir(), 'atlas-bench-retrieval-'));
try {
  const started = performance.now();
  const evaluation = await runRetrievalEvaluation(
    benchSettings(redis.url, prefix, {
      providers: { mock: { type: 'mock' } },
      ingestion: { knowledgeDirectory },
    }),
  );
  const { summary } = evaluation;
  console.log(
    `corpus: ${evaluation.documents} READMEs, ${summary.chunks} chunks (${summary.failed} failed), ` +
      `${evaluation.queries} queries, embedder ${summary.embedding.model} (${summary.embedding.kind}), ` +
      `${round((performance.now() - started) / 1000, 1)} s`,
  );
  console.table(
    evaluation.scores.map((entry) => ({
      mode: entry.mode,
      'recall@5': round(entry.recallAt5, 3),
      'nDCG@10': round(entry.ndcgAt10, 3),
    })),
  );
} finally {
  await cleanup(redis.url, prefix);
  await redis.stop();
  rmSync(knowledgeDirectory, { recursive: true, force: true });
}
