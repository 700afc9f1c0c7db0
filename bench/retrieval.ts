// Retrieval quality on two labelled corpora of different kinds of text, side by side: package READMEs
// (bench/retrieval/queries.json) and the Node.js API reference from Debian's nodejs-doc
// (bench/retrieval/nodejs-queries.json). recall@5 and nDCG@10 per search mode, beside a plain BM25
// (MiniSearch) over the same chunks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  nodejsRetrievalCorpus,
  type RetrievalCorpus,
  readmeRetrievalCorpus,
} from './retrieval/evaluate-retrieval.js';
import { type RetrievalEvaluation, runRetrievalEvaluation } from './retrieval/run-retrieval-evaluation.js';
import { benchRedis, benchSettings, cleanup, round } from './support.js';

const redis = await benchRedis();
const prefix = 'bench-retrieval';
const knowledgeDirectory = mkdtempSync(join(tmpdir(), 'atlas-bench-retrieval-'));
const corpora: RetrievalCorpus[] = [readmeRetrievalCorpus()];
const nodejs = nodejsRetrievalCorpus();
if (nodejs) corpora.push(nodejs);
else
  console.log(
    'Node.js API corpus skipped: nodejs-doc is not installed (see bench/retrieval/evaluate-retrieval.ts)',
  );
try {
  const settings = benchSettings(redis.url, prefix, {
    providers: { mock: { type: 'mock' } },
    ingestion: { knowledgeDirectory },
  });
  const evaluations: RetrievalEvaluation[] = [];
  for (const corpus of corpora) {
    const started = performance.now();
    const evaluation = await runRetrievalEvaluation(settings, corpus);
    const { summary } = evaluation;
    console.log(
      `${corpus.name}: ${evaluation.documents} documents, ${summary.chunks} chunks (${summary.failed} failed), ` +
        `${evaluation.queries} queries, embedder ${summary.embedding.model} (${summary.embedding.kind}), ` +
        `${round((performance.now() - started) / 1000, 1)} s`,
    );
    evaluations.push(evaluation);
  }
  const modes = evaluations[0]!.scores.map((entry) => entry.mode);
  console.table(
    modes.map((mode) =>
      Object.fromEntries([
        ['mode', mode],
        ...evaluations.flatMap((evaluation) => {
          const entry = evaluation.scores.find((candidate) => candidate.mode === mode)!;
          return [
            [`${evaluation.corpus} recall@5`, round(entry.recallAt5, 3)],
            [`${evaluation.corpus} nDCG@10`, round(entry.ndcgAt10, 3)],
          ];
        }),
      ]),
    ),
  );
  for (const evaluation of evaluations) {
    const ndcg = (mode: string) => evaluation.scores.find((entry) => entry.mode === mode)!.ndcgAt10;
    console.log(
      `${evaluation.corpus}: hybrid − keyword ${round(ndcg('hybrid') - ndcg('keyword'), 3)}, ` +
        `hybrid − BM25 ${round(ndcg('hybrid') - ndcg('bm25'), 3)} nDCG@10 (target ≥ 0 both)`,
    );
  }
} finally {
  for (const corpus of corpora) corpus.dispose();
  await cleanup(redis.url, prefix);
  await redis.stop();
  rmSync(knowledgeDirectory, { recursive: true, force: true });
}
