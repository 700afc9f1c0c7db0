import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { AtlasClient } from '../../producer/atlas-client.js';
import { ValidationError } from '../../shared/errors.js';
import { readFleetHealth } from '../../shared/fleet-health.js';
import { createKeys } from '../../shared/keys.js';
import { chunkerNames } from '../../shared/knowledge/ingest-jobs.js';
import { createRedis } from '../../shared/redis.js';
import { startIngestionWorkers } from '../../workers/ingestion/start-ingestion-workers.js';
import { printJson, printTable } from '../output.js';
import { openRuntime } from '../runtime.js';

const positive = (flag: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0)
    throw new ValidationError(flag, `expected a whole number, got '${value}'`);
  return number;
};

const json = (flag: string) => (value: string) => {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new ValidationError(flag, `expected JSON such as '{"year": {"$gte": 2024}}', got '${value}'`);
  }
};

export function registerKnowledgeCommands(program: Command): void {
  program
    .command('ingest')
    .description('ingest files, folders, globs or URLs into a collection (one job per document)')
    .argument('<sources...>', 'paths, folders, globs or http(s) URLs')
    .requiredOption('--collection <name>', 'collection to write to')
    .option(
      '--chunker <name>',
      `one of ${chunkerNames.join(', ')} [default: markdown for .md, recursive for the rest]`,
    )
    .option('--chunk-size <tokens>', 'tokens per chunk', positive('--chunk-size'))
    .option(
      '--overlap <tokens>',
      'tokens shared by neighbouring chunks (fixed chunker)',
      positive('--overlap'),
    )
    .option('--embedder <instance>', 'provider instance that embeds [default: the mock, lexical]')
    .option(
      '--keep-versions <n>',
      'versions of each document to keep; older kept ones are found only by asking for their version',
      positive('--keep-versions'),
    )
    .option('--prune', 'delete documents of the collection that are not among the sources')
    .option('--json', 'print the summary as JSON')
    .action(async (sources: string[], options: Record<string, unknown>) => {
      const runtime = await openRuntime({ startRedisIfMissing: true });
      const client = new AtlasClient({ settings: runtime.settings });
      const redis = createRedis(runtime.settings.redis.url);
      let workers: Awaited<ReturnType<typeof startIngestionWorkers>> | undefined;
      try {
        const batch = await client.ingest(sources, {
          collection: String(options['collection']),
          ...(options['chunker'] ? { chunker: options['chunker'] as (typeof chunkerNames)[number] } : {}),
          ...(options['chunkSize'] !== undefined ? { chunkSize: options['chunkSize'] as number } : {}),
          ...(options['overlap'] !== undefined ? { overlap: options['overlap'] as number } : {}),
          ...(options['embedder'] ? { embedder: String(options['embedder']) } : {}),
          ...(options['keepVersions'] !== undefined
            ? { keepVersions: options['keepVersions'] as number }
            : {}),
          prune: Boolean(options['prune']),
        });
        const keys = createKeys(runtime.settings.redis.prefix);
        const [health] = await readFleetHealth(redis, keys, [keys.ingestionQueue]);
        if (!health?.liveWorkers) {
          console.error('atlas: no ingestion worker is running; ingesting in this process');
          workers = await startIngestionWorkers({ settings: runtime.settings, log: runtime.log });
        }
        const bar = new SingleBar(
          { format: 'ingesting [{bar}] {value}/{total} documents', stream: process.stderr },
          Presets.shades_classic,
        );
        bar.start(batch.total, 0);
        const summary = await client.ingestion.wait(batch.batchId, (progress) => bar.update(progress.done));
        bar.stop();
        if (options['json']) return printJson({ ...summary, unsupported: batch.unsupported });
        console.log(
          `${summary.collection}: ${summary.added} added, ${summary.updated} updated, ${summary.skipped} skipped, ${summary.deleted} deleted, ${summary.failed} failed (${summary.chunks} chunks; ${summary.embedding.instance}/${summary.embedding.model}, ${summary.embedding.kind} embeddings)`,
        );
        for (const failure of summary.failures) console.log(`failed: ${failure.source}: ${failure.reason}`);
        if (batch.unsupported.length)
          console.log(`passed over (unsupported type): ${batch.unsupported.join(', ')}`);
      } finally {
        await workers?.close();
        await client.close();
        redis.disconnect();
        await runtime.close();
      }
    });

  program
    .command('search')
    .description('search a collection by meaning, keyword or both')
    .requiredOption('-q, --query <text>', 'what to search for')
    .requiredOption('--collection <name>', 'collection to search')
    .option('--mode <mode>', 'semantic, keyword or hybrid', 'hybrid')
    .option('-k, --k <n>', 'how many hits', positive('--k'), 5)
    .option('--where <json>', 'metadata filter, e.g. {"source": "guide.md"}', json('--where'))
    .option('--where-document <json>', 'text filter, e.g. {"$contains": "Redis"}', json('--where-document'))
    .option('--embedder <instance>', 'provider instance that embeds the query')
    .option('--json', 'print hits as JSON')
    .action(async (options: Record<string, unknown>) => {
      const mode = String(options['mode']);
      if (!['semantic', 'keyword', 'hybrid'].includes(mode))
        throw new ValidationError('--mode', `expected semantic, keyword or hybrid, got '${mode}'`);
      const runtime = await openRuntime({ startRedisIfMissing: true });
      const client = new AtlasClient({ settings: runtime.settings });
      try {
        const hits = await client.search(String(options['query']), {
          collection: String(options['collection']),
          mode: mode as 'semantic' | 'keyword' | 'hybrid',
          k: options['k'] as number,
          ...(options['where'] ? { where: options['where'] } : {}),
          ...(options['whereDocument'] ? { whereDocument: options['whereDocument'] } : {}),
          ...(options['embedder'] ? { embedder: String(options['embedder']) } : {}),
        });
        if (options['json']) return printJson(hits);
        for (const [rank, hit] of hits.entries()) {
          console.log(
            `${rank + 1}. ${hit.metadata['source'] ?? hit.documentId} #${hit.chunkIndex} (score ${hit.score.toFixed(4)})`,
          );
          console.log(`   ${hit.text.replace(/\s+/g, ' ').slice(0, 200)}`);
        }
      } finally {
        await client.close();
        await runtime.close();
      }
    });

  program
    .command('docs')
    .description('list, show or delete the documents of a collection')
    .argument('<action>', 'list, show or delete')
    .argument('[document]', 'document id (show, delete)')
    .requiredOption('--collection <name>', 'the collection')
    .option('--json', 'print as JSON')
    .action(
      async (
        action: string,
        documentId: string | undefined,
        options: { collection: string; json?: boolean },
      ) => {
        if (!['list', 'show', 'delete'].includes(action))
          throw new ValidationError('action', `expected list, show or delete, got '${action}'`);
        if (action !== 'list' && !documentId)
          throw new ValidationError('document', `expected a document id to ${action}`);
        const runtime = await openRuntime({ startRedisIfMissing: false });
        const client = new AtlasClient({ settings: runtime.settings });
        try {
          if (action === 'list') {
            const documents = await client.knowledge.registry.list(options.collection);
            if (options.json) return printJson(documents);
            printTable(
              documents.map((entry) => ({
                id: entry.documentId,
                source: entry.source,
                version: entry.version,
                chunks: entry.chunkCount,
              })),
            );
            return;
          }
          const entry = await client.knowledge.registry.get(options.collection, documentId!);
          if (!entry)
            throw new ValidationError('document', `no document '${documentId}' in ${options.collection}`);
          if (action === 'show') return printJson(entry);
          const removed = await client.knowledge.deleteDocument(options.collection, documentId!);
          if (options.json) return printJson({ documentId, removedChunks: removed });
          console.log(`deleted ${entry.source}: ${removed} chunks`);
        } finally {
          await client.close();
          await runtime.close();
        }
      },
    );
}
