import { AtlasClient } from '../../src/producer/atlas-client.js';
import type { Settings } from '../../src/shared/config/settings.js';
import type { IngestSummary } from '../../src/shared/knowledge/ingest-jobs.js';
import type { SearchMode } from '../../src/shared/knowledge/vector-store.js';
import { createLogger } from '../../src/shared/log.js';
import { startIngestionWorkers } from '../../src/workers/ingestion/start-ingestion-workers.js';
import {
  bm25Ranker,
  type ModeScore,
  type RetrievalCorpus,
  rankDocuments,
  readmeRetrievalCorpus,
  score,
} from './evaluate-retrieval.js';

export interface RetrievalEvaluation {
  corpus: string;
  documents: number;
  queries: number;
  summary: IngestSummary;
  scores: ModeScore[];
}

const modes: SearchMode[] = ['keyword', 'semantic', 'hybrid'];
/** Chunks fetched per query: enough for ten distinct documents. */
const chunksPerQuery = 50;

/**
 * Ingests a labelled corpus (the READMEs by default) through the real ingestion queue into `settings`' store, then scores every
 * search mode and a plain BM25 over the same chunks on the labelled queries.
 */
export async function runRetrievalEvaluation(
  settings: Settings,
  corpus: RetrievalCorpus = readmeRetrievalCorpus(),
): Promise<RetrievalEvaluation> {
  const { queries, collection } = corpus;
  const workers = await startIngestionWorkers({ settings, log: createLogger({ level: 'silent' }) });
  const client = new AtlasClient({ settings });
  const knowledge = client.knowledge;
  try {
    const batch = await knowledge.ingest(
      corpus.documents.map((document) => document.path),
      { collection, ...(corpus.roots.length > 0 ? { roots: corpus.roots } : {}) },
    );
    const summary = await knowledge.wait(batch.batchId);
    const scores: ModeScore[] = [];
    for (const mode of modes) {
      scores.push(
        await score(mode, queries, async (query) =>
          rankDocuments(
            (await knowledge.search(query, { collection, mode, k: chunksPerQuery })).map((hit) =>
              corpus.documentOfHit(hit),
            ),
          ),
        ),
      );
    }
    scores.push(await score('bm25', queries, await bm25Ranker(corpus.documents, settings)));
    return {
      corpus: corpus.name,
      documents: corpus.documents.length,
      queries: queries.length,
      summary,
      scores,
    };
  } finally {
    await workers.close();
    await client.close();
  }
}
