// 10 — Ingesting documents into a knowledge base.
//
// `client.knowledge.ingest` enqueues a batch: one job per document under one parent job (a BullMQ
// flow). Ingestion workers load each document (txt, md, html, pdf, docx, json/jsonl, csv, or a URL),
// chunk it, embed the chunks and write them to the vector store (the embedded LanceDB store here;
// Qdrant when QDRANT_URL is set). A registry in Redis keeps each document's content hash and version,
// so ingesting again skips what did not change and replaces what did.
//
//   npx tsx examples/10_document_ingestion.ts
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtlasClient } from 'atlas-queue';
import { startIngestionWorkers } from 'atlas-queue/worker';
import { chosenEmbedder, exampleDocs, exampleSettings } from './example-settings.js';

const { settings, cleanup } = exampleSettings('10');
const ingestion = await startIngestionWorkers({ settings, threads: 1 });
const client = new AtlasClient({ settings });
// A copy of the shipped documents, so the example can change and remove some.
const folder = mkdtempSync(join(tmpdir(), 'atlas-example-10-docs-'));
cpSync(exampleDocs, folder, { recursive: true });
const options = {
  collection: 'handbook',
  embedder: chosenEmbedder(),
  chunker: 'recursive' as const, // or fixed, markdown, semantic; the default is markdown for .md files
  chunkSize: 256, // tokens per chunk
  roots: [folder], // file sources must stay inside these folders (default: the current folder)
};

try {
  // 1. A batch, with progress as documents finish.
  const batch = await client.knowledge.ingest([folder], options);
  console.log(`batch ${batch.batchId}: ${batch.total} documents queued`);
  let shown = -1;
  const summary = await client.knowledge.wait(batch.batchId, ({ done, total }) => {
    if (done === shown) return;
    shown = done;
    console.log(`  ${done}/${total} done`);
  });
  console.log(
    `added ${summary.added}, updated ${summary.updated}, skipped ${summary.skipped}, failed ${summary.failed}: ${summary.chunks} chunks`,
  );
  console.log(`embeddings: ${summary.embedding.model} (${summary.embedding.kind})`);

  // 2. The same folder again: nothing changed, so every document is skipped.
  const again = await client.knowledge.wait((await client.knowledge.ingest([folder], options)).batchId);
  console.log(`again: added ${again.added}, skipped ${again.skipped}`);

  // 3. One document changed, one removed; `prune` deletes documents no longer in the batch.
  writeFileSync(join(folder, 'faq.txt'), 'Q: Does Atlas keep versions?\nA: Yes, with keepVersions.\n');
  rmSync(join(folder, 'retrieval.html'));
  const changed = await client.knowledge.wait(
    (await client.knowledge.ingest([folder], { ...options, prune: true })).batchId,
  );
  console.log(
    `after an edit and a removal: updated ${changed.updated}, skipped ${changed.skipped}, deleted ${changed.deleted}`,
  );

  // 4. A failing document is reported with its reason; the rest of the batch goes on.
  const broken = join(folder, 'broken.json');
  writeFileSync(broken, '{ not json');
  const failed = await client.knowledge.wait((await client.knowledge.ingest([broken], options)).batchId);
  console.log(
    `a broken file: failed ${failed.failed} (${failed.failures[0]?.reason.split(':').slice(-2).join(':').trim()})`,
  );

  // 5. The registry: each document with its version and chunk count.
  for (const entry of await client.knowledge.documents.list('handbook'))
    console.log(`  ${entry.source.padEnd(20)} version ${entry.version}, ${entry.chunkCount} chunks`);
} finally {
  await client.close();
  await ingestion.close();
  await cleanup();
  rmSync(folder, { recursive: true, force: true });
}
