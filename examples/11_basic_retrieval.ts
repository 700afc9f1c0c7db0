// 11 — Searching a knowledge base, and answering from it with citations.
//
// Reads go straight from the producer to the vector store: the query is embedded with the collection's
// embedder and searched there, no job involved. `ask` searches, then generates an answer through the
// queue (with every failover of a request) from the chunks found, and returns them as citations.
//
//   npx tsx examples/11_basic_retrieval.ts
import { AtlasClient } from 'atlas-queue';
import { startIngestionWorkers, startWorkers } from 'atlas-queue/worker';
import { chosenEmbedder, exampleDocs, exampleSettings } from './example-settings.js';

const { settings, provider, cleanup } = exampleSettings('11');
const ingestion = await startIngestionWorkers({ settings, threads: 1 });
const workers = await startWorkers({ settings, providers: [provider] });
const client = new AtlasClient({ settings });
const embedder = chosenEmbedder();

try {
  // Markdown documents are chunked by heading; each chunk keeps its heading path as metadata.
  const batch = await client.knowledge.ingest([exampleDocs], {
    collection: 'handbook',
    embedder,
    chunkSize: 96,
    roots: [exampleDocs],
  });
  const summary = await client.knowledge.wait(batch.batchId);
  console.log(`${summary.added} documents, ${summary.chunks} chunks in 'handbook'`);

  // A search: the k best chunks, each with its text, metadata and score (higher is better).
  const question = 'What happens to jobs when a worker crashes?';
  console.log(`\nsemantic search: "${question}"`);
  for (const hit of await client.knowledge.search(question, {
    collection: 'handbook',
    mode: 'semantic',
    k: 3,
    embedder,
  })) {
    const where = [hit.metadata['source'], hit.metadata['headings']].filter(Boolean).join(' › ');
    console.log(`  ${hit.score.toFixed(3)}  ${where}: ${hit.text.replace(/\s+/g, ' ').slice(0, 70)}…`);
  }

  // Keyword search (full-text, BM25-style) needs no embedding at all.
  console.log('\nkeyword search: "probe"');
  for (const hit of await client.knowledge.search('probe', { collection: 'handbook', mode: 'keyword', k: 3 }))
    console.log(`  ${hit.score.toFixed(3)}  ${hit.metadata['source']} #${hit.chunkIndex}`);

  // An answer with its sources. The mock only echoes its prompt; a real model answers from the chunks.
  const answer = await client.knowledge.ask('When does a circuit breaker open for the whole fleet?', {
    collection: 'handbook',
    embedder,
    k: 2,
    providers: [provider],
    maxTokens: 200,
  });
  console.log(`\nanswer (${answer.provider}): ${answer.text.replace(/\s+/g, ' ').slice(0, 120)}…`);
  for (const [index, citation] of answer.citations.entries())
    console.log(`  [${index + 1}] ${citation.metadata['source']} › ${citation.metadata['headings'] ?? ''}`);
} finally {
  await client.close();
  await workers.close();
  await ingestion.close();
  await cleanup();
}
