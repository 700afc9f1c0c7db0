// 15 — Filters: every operator, on metadata and on the document text.
//
// Searches take `where` (a Chroma-style filter on chunk metadata) and `whereDocument` (on the chunk's
// text), in any mode; each store translates them (SQL for LanceDB, payload filters for Qdrant).
//   where:          {field: value}, or {field: {$eq|$ne|$gt|$gte|$lt|$lte|$in|$nin: …}}, $and / $or lists
//   whereDocument:  {$contains: "text"}, {$not_contains: "text"}, $and / $or lists
// Metadata the loaders give every chunk: source (its path in the batch), type (md, txt, html, csv,
// jsonl, …), version; and by format: title (md, html), headings (md), rows (csv), records (jsonl), pages (pdf).
//
//   npx tsx examples/15_advanced_filtering.ts
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtlasClient, type Where, type WhereDocument } from 'atlas-queue';
import { startIngestionWorkers } from 'atlas-queue/worker';
import { chosenEmbedder, exampleSettings } from './example-settings.js';

const { settings, cleanup } = exampleSettings('15');
const ingestion = await startIngestionWorkers({ settings, threads: 1 });
const client = new AtlasClient({ settings });
const embedder = chosenEmbedder();
const collection = 'filters';

// A few small documents of different types.
const folder = mkdtempSync(join(tmpdir(), 'atlas-example-15-'));
const files: Record<string, string> = {
  'breakers.md':
    '# Circuit breakers\n\nA breaker opens for the whole fleet when an instance keeps failing.\n',
  'queues.md':
    '# Queues\n\nEach provider instance has its own queue; a failed request is re-queued elsewhere.\n',
  'faq.txt': 'Does a crashed worker lose jobs? No: jobs live in Redis and are retried.\n',
  'page.html':
    '<html><head><title>Streaming</title></head><body><p>Deltas are written to a Redis stream.</p></body></html>',
  'prices.csv': 'model,price\nmock-basic,0\nmock-advanced,0\n',
  'regions.csv': 'region,workers\neu,4\nus,6\nasia,2\napac,1\nsa,1\n',
  'events.jsonl': '{"event":"queued"}\n{"event":"started"}\n{"event":"completed"}\n',
};
for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);

/** The sources of every chunk that passes the filters (a semantic search with a large k lists them all). */
async function matching(where?: Where, whereDocument?: WhereDocument): Promise<string> {
  const hits = await client.knowledge.search('redis queue worker breaker', {
    collection,
    mode: 'semantic',
    k: 50,
    embedder,
    ...(where ? { where } : {}),
    ...(whereDocument ? { whereDocument } : {}),
  });
  return (
    [
      ...new Set(
        hits.map(
          (hit) =>
            `${hit.metadata['source']}${hit.metadata['version'] === 1 ? '' : ` (v${hit.metadata['version']})`}`,
        ),
      ),
    ]
      .sort()
      .join(', ') || '(none)'
  );
}
const show = async (label: string, where?: Where, whereDocument?: WhereDocument) =>
  console.log(`${label.padEnd(44)} → ${await matching(where, whereDocument)}`);

try {
  // keepVersions 2: when a document changes, its previous version is kept (left out of searches that
  // do not ask for a version).
  const options = { collection, embedder, keepVersions: 2, roots: [folder] };
  await client.knowledge.wait((await client.knowledge.ingest([folder], options)).batchId);
  writeFileSync(
    join(folder, 'faq.txt'),
    'Does a crashed worker lose jobs? No: a job is retried once its lock expires.\n',
  );
  await client.knowledge.wait((await client.knowledge.ingest([folder], options)).batchId);

  console.log('metadata (where)');
  await show('everything (current versions)');
  await show('{source: "faq.txt"}', { source: 'faq.txt' });
  await show('{type: {$eq: "md"}}', { type: { $eq: 'md' } });
  await show('{type: {$ne: "md"}}', { type: { $ne: 'md' } });
  await show('{rows: {$gt: 2}}', { rows: { $gt: 2 } });
  await show('{rows: {$gte: 2}}', { rows: { $gte: 2 } });
  // In the embedded store a chunk without the field holds 0 there, so $lt / $lte also match chunks that
  // lack it: name the documents' type too (Qdrant leaves them out).
  await show('$and: [{type: "jsonl"}, {records: {$lt: 5}}]', {
    $and: [{ type: 'jsonl' }, { records: { $lt: 5 } }],
  });
  await show('$and: [{type: "csv"}, {rows: {$lte: 2}}]', { $and: [{ type: 'csv' }, { rows: { $lte: 2 } }] });
  await show('{type: {$in: ["csv", "jsonl"]}}', { type: { $in: ['csv', 'jsonl'] } });
  await show('{type: {$nin: ["md", "csv", "jsonl"]}}', { type: { $nin: ['md', 'csv', 'jsonl'] } });
  await show('{title: "Streaming"}', { title: 'Streaming' });
  await show('$and: [{type: "md"}, {title: {$ne: "Queues"}}]', {
    $and: [{ type: 'md' }, { title: { $ne: 'Queues' } }],
  });
  await show('$or: [{type: "txt"}, {rows: {$gt: 4}}]', { $or: [{ type: 'txt' }, { rows: { $gt: 4 } }] });
  // Naming `version` reaches superseded versions too.
  await show('{version: {$gte: 1}} (every kept version)', { version: { $gte: 1 } });
  await show('{$and: [{source: "faq.txt"}, {version: 1}]}', {
    $and: [{ source: 'faq.txt' }, { version: 1 }],
  });

  console.log('\ndocument text (whereDocument)');
  await show('{$contains: "Redis"}', undefined, { $contains: 'Redis' });
  await show('{$not_contains: "Redis"}', undefined, { $not_contains: 'Redis' });
  await show('$and: [contains "queue", not "re-queued"]', undefined, {
    $and: [{ $contains: 'queue' }, { $not_contains: 're-queued' }],
  });
  await show('$or: [contains "breaker", contains "lock"]', undefined, {
    $or: [{ $contains: 'breaker' }, { $contains: 'lock' }],
  });

  console.log('\nboth');
  await show('{type: "md"} and text contains "fleet"', { type: 'md' }, { $contains: 'fleet' });

  // A malformed filter is an error naming the wrong part, before anything is searched.
  try {
    await client.knowledge.search('x', { collection, where: { rows: { $gt: 'two' } } });
  } catch (error) {
    console.log(`\na wrong filter: ${(error as Error).message}`);
  }
} finally {
  await client.close();
  await ingestion.close();
  await cleanup();
  rmSync(folder, { recursive: true, force: true });
}
