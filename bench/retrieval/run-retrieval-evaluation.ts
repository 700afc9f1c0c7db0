import { AtlasClient } from '../../src/producer/atlas-client.js';
import type { Settings } from '../../src/shared/config/settings.js';
import type { IngestSummary } from '../../src/shared/knowledge/ingest-jobs.js';
import type { SearchMode } from '../../src/shared/knowledge/vector-store.js';
import { createLogger } from '../../src/shared/log.js';
import { startIngestionWorkers } from '../../src/workers/ingestion/start-ingestion-workers.js';
import {
  bm25Ranker,
  type CorpusDocument,
  documentOfHit,
  labelledQueries,
  type ModeScore,
  rankDocuments,
  readmeCorpus,
  score,
} from './evaluate-retrieval.js';

export interface RetrievalEvaluation {
  documents: number;
  queries: number;
  summary: IngestSummary;
  scores: ModeScore[];
}

const modes: SearchMode[] = ['keyword', 'semantic', 'hybrid'];
/** Chunks fetched per query: enough for ten distinct documents. */
const chunksPerQuery = 50;

/**
 * Ingests the README corpus through the real ingestion queue into `settings`' store, then scores every
 * search mode and a plain BM25 over the same chunks on the labelled queries.
 */
export async function runRetrievalEvaluation(
  settings: Settings,
  corpus: CorpusDocument[] = readmeCorpus(),
): Promise<RetrievalEvaluation> {
  const queries = labelledQueries();
  const workers = await startIngestionWorkers({ settings, log: createLogger({ level: 'silent' }) });
  const client = new AtlasClient({ settings });
  const knowledge = client.knowledge;
  try {
    const batch = await knowledge.ingest(
      corpus.map((document) => document.path),
      { collection: 'readmes' },
      // The corpus is other packages' READMEs: their own folders are the ones allowed.
      { rootsFromSources: true },
    );
    const summary = await knowledge.wait(batch.batchId);
    const scores: ModeScore[] = [];
    for (const mode of modes) {
      scores.push(
        await score(mode, queries, async (query) =>
          rankDocuments(
            (await knowledge.search(query, { collection: 'readmes', mode, k: chunksPerQuery })).map((hit) =>
              documentOfHit(hit),
            ),
          ),
        ),
      );
    }
    scores.push(await score('bm25', queries, await bm25Ranker(corpus, settings)));
    return { documents: corpus.length, queries: queries.length, summary, scores };
  } finally {
    await workers.close();
    await client.close();
  }
}
