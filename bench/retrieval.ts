// Retrieval quality on two labelled corpora of different kinds of text, side by side: package READMEs
// (bench/retrieval/queries.json) and the Node.js API reference from Debian's nodejs-doc
// (bench/retrieval/nodejs-queries.json). recall@5 and nDCG@10 per search mode, beside a plain BM25
// (MiniSearch) over the same chunks; each corpus twice, without a vector index (the default at their
// size) and with one forced on (ingestion.vectorIndexMinChunks below the corpus's chunks).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { vectorIndexOf } from '../src/shared/knowledge/lancedb/lancedb-vector-index.js';
import { type Figure, reportFigures } from './figures.js';
import {
  nodejsRetrievalCorpus,
  type RetrievalCorpus,
  readmeRetrievalCorpus,
} from './retrieval/evaluate-retrieval.js';
import { type RetrievalEvaluation, runRetrievalEvaluation } from './retrieval/run-retrieval-evaluation.js';
import { benchRedis, benchSettings, cleanup, round } from './support.js';

/** Below both corpora (3,804 and 4,608 chunks), so compact builds the index while they are ingested. */
const forcedIndexMinChunks = 1_000;
const variants = [
  { name: 'no index', vectorIndexMinChunks: 0 },
  { name: 'vector index', vectorIndexMinChunks: forcedIndexMinChunks },
] as const;
type Variant = (typeof variants)[number]['name'];

const signed = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}`;

async function vectorIndexIn(directory: string, collection: string): Promise<string | undefined> {
  const db = await lancedb.connect(directory);
  try {
    return await vectorIndexOf(await db.openTable(collection));
  } finally {
    db.close();
  }
}

const redis = await benchRedis();
const prefix = 'bench-retrieval';
const knowledgeDirectory = mkdtempSync(join(tmpdir(), 'atlas-bench-retrieval-'));
const prefixes: string[] = [];
const corpora: RetrievalCorpus[] = [readmeRetrievalCorpus()];
const nodejs = nodejsRetrievalCorpus();
if (nodejs) corpora.push(nodejs);
else
  console.log(
    'Node.js API corpus skipped: nodejs-doc is not installed (see bench/retrieval/evaluate-retrieval.ts)',
  );
try {
  const evaluations: Array<RetrievalEvaluation & { variant: Variant }> = [];
  for (const corpus of corpora) {
    for (const variant of variants) {
      const directory = join(knowledgeDirectory, `${corpus.collection}-${variant.vectorIndexMinChunks}`);
      // A prefix of its own: the document registry would otherwise skip documents ingested before.
      const runPrefix = `${prefix}-${corpus.collection}-${variant.vectorIndexMinChunks}`;
      prefixes.push(runPrefix);
      const settings = benchSettings(redis.url, runPrefix, {
        providers: { mock: { type: 'mock' } },
        ingestion: { knowledgeDirectory: directory, vectorIndexMinChunks: variant.vectorIndexMinChunks },
      });
      const started = performance.now();
      const evaluation = await runRetrievalEvaluation(settings, corpus);
      const { summary } = evaluation;
      const index = await vectorIndexIn(directory, corpus.collection);
      console.log(
        `${corpus.name}, ${variant.name} (${index ?? 'none built'}): ${evaluation.documents} documents, ` +
          `${summary.chunks} chunks (${summary.failed} failed), ${evaluation.queries} queries, ` +
          `embedder ${summary.embedding.model} (${summary.embedding.kind}), ` +
          `${round((performance.now() - started) / 1000, 1)} s`,
      );
      if ((index !== undefined) !== variant.vectorIndexMinChunks > 0)
        throw new Error(`${corpus.name}, ${variant.name}: the vector index is ${index ?? 'missing'}`);
      evaluations.push({ ...evaluation, variant: variant.name });
    }
  }
  const scoreOf = (corpus: string, variant: Variant, mode: string) =>
    evaluations
      .find((evaluation) => evaluation.corpus === corpus && evaluation.variant === variant)!
      .scores.find((entry) => entry.mode === mode)!;
  const modes = evaluations[0]!.scores.map((entry) => entry.mode);
  console.table(
    variants.flatMap(({ name: variant }) =>
      modes.map((mode) =>
        Object.fromEntries([
          ['index', variant],
          ['mode', mode],
          ...corpora.flatMap(({ name: corpus }) => [
            [`${corpus} recall@5`, round(scoreOf(corpus, variant, mode).recallAt5, 3)],
            [`${corpus} nDCG@10`, round(scoreOf(corpus, variant, mode).ndcgAt10, 3)],
          ]),
        ]),
      ),
    ),
  );
  const figures: Figure[] = [];
  for (const { name: corpus } of corpora) {
    // Target 7 on the default configuration: no index at these sizes.
    const ndcg = (mode: string) => scoreOf(corpus, 'no index', mode).ndcgAt10;
    for (const other of ['keyword', 'bm25']) {
      const lead = ndcg('hybrid') - ndcg(other);
      figures.push({
        figure: `${corpus}: hybrid − ${other === 'bm25' ? 'plain BM25' : other} nDCG@10`,
        measured: `${ndcg('hybrid').toFixed(3)} − ${ndcg(other).toFixed(3)} = ${signed(lead)}`,
        target: '≥ 0',
        met: lead >= 0,
      });
    }
    for (const mode of ['semantic', 'hybrid']) {
      const off = scoreOf(corpus, 'no index', mode).recallAt5;
      const on = scoreOf(corpus, 'vector index', mode).recallAt5;
      figures.push({
        figure: `${corpus}: ${mode} recall@5, no index → vector index`,
        measured: `${off.toFixed(3)} → ${on.toFixed(3)} (${signed(on - off)})`,
        target: '≤ 0.01 recall@5 lost',
        met: off - on <= 0.01,
      });
    }
  }
  reportFigures('retrieval', figures);
} finally {
  for (const corpus of corpora) corpus.dispose();
  for (const runPrefix of prefixes) await cleanup(redis.url, runPrefix);
  await redis.stop();
  rmSync(knowledgeDirectory, { recursive: true, force: true });
}
