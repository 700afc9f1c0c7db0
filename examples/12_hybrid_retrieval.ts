// 12 — Hybrid retrieval: keyword and embedding search fused.
//
// Keyword search ranks chunks by full-text relevance (BM25-style): exact terms, names, codes. Semantic
// search ranks them by how close their embeddings are to the query's. Hybrid runs both and fuses the two
// rankings with reciprocal rank fusion (RRF: a chunk's score is the sum of 1/(60 + rank) over the lists
// it appears in), so a chunk either ranks high comes up.
//
// Without OPENAI_API_KEY the embeddings are the mock's hashing embedder: lexical, so "semantic" here
// matches shared words rather than meaning, and a paraphrase with no word in common finds little. With
// the key, OpenAI's embedding model makes the semantic side semantic.
//
//   npx tsx examples/12_hybrid_retrieval.ts
import { AtlasClient, type SearchMode } from 'atlas-queue';
import { startIngestionWorkers, startWorkers } from 'atlas-queue/worker';
import { chosenEmbedder, exampleDocs, exampleSettings } from './example-settings.js';

const { settings, provider, cleanup } = exampleSettings('12');
const ingestion = await startIngestionWorkers({ settings, threads: 1 });
const workers = await startWorkers({ settings, providers: [provider] });
const client = new AtlasClient({ settings });
const embedder = chosenEmbedder();
const collection = 'handbook';

try {
  const summary = await client.knowledge.wait(
    (
      await client.knowledge.ingest([exampleDocs], {
        collection,
        embedder,
        chunkSize: 96,
        roots: [exampleDocs],
      })
    ).batchId,
  );
  console.log(`${summary.chunks} chunks, ${summary.embedding.model} embeddings (${summary.embedding.kind})`);

  const queries = [
    'RRF', // an exact term: keyword search finds it, embeddings of one short word say little
    'how are chunks split at markdown headings', // words shared with one passage
    'which jobs survive when redis restarts with append-only persistence',
  ];
  for (const query of queries) {
    console.log(`\n"${query}"`);
    for (const mode of ['keyword', 'semantic', 'hybrid'] satisfies SearchMode[]) {
      const hits = await client.knowledge.search(query, { collection, mode, k: 3, embedder });
      const top = hits.map((hit) => `${hit.metadata['source']}#${hit.chunkIndex}`).join(', ');
      console.log(`  ${mode.padEnd(8)} ${top || '(nothing)'}`);
    }
  }

  // `ask` searches in hybrid mode by default, then answers through the queue.
  const answer = await client.knowledge.ask('What does reciprocal rank fusion do?', {
    collection,
    embedder,
    k: 2,
    providers: [provider],
    maxTokens: 200,
  });
  console.log(`\nask, hybrid: cites ${answer.citations.map((hit) => hit.metadata['source']).join(', ')}`);
} finally {
  await client.close();
  await workers.close();
  await ingestion.close();
  await cleanup();
}
