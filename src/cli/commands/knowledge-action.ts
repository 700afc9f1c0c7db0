import { Presets, SingleBar } from 'cli-progress';
import { AtlasClient } from '../../producer/atlas-client.js';
import { ValidationError } from '../../shared/errors.js';
import { readFleetHealth } from '../../shared/fleet-health.js';
import { createKeys } from '../../shared/keys.js';
import type { chunkerNames } from '../../shared/knowledge/ingest-jobs.js';
import { createRedis } from '../../shared/redis.js';
import { startIngestionWorkers } from '../../workers/ingestion/start-ingestion-workers.js';
import type { CliContext } from '../context.js';
import { printJson, printTable } from '../output.js';
import { openRuntime } from '../runtime.js';

export async function runIngest(
  sources: string[],
  options: Record<string, unknown>,
  context: CliContext,
): Promise<void> {
  const runtime = await openRuntime({ startRedisIfMissing: true, context });
  const client = new AtlasClient({ settings: runtime.settings });
  const redis = createRedis(runtime.settings.redis);
  let workers: Awaited<ReturnType<typeof startIngestionWorkers>> | undefined;
  try {
    const batch = await client.knowledge.ingest(
      sources,
      {
        collection: String(options['collection']),
        ...(options['chunker'] ? { chunker: options['chunker'] as (typeof chunkerNames)[number] } : {}),
        ...(options['chunkSize'] !== undefined ? { chunkSize: options['chunkSize'] as number } : {}),
        ...(options['overlap'] !== undefined ? { overlap: options['overlap'] as number } : {}),
        ...(options['embedder'] ? { embedder: String(options['embedder']) } : {}),
        ...(options['keepVersions'] !== undefined ? { keepVersions: options['keepVersions'] as number } : {}),
        prune: Boolean(options['prune']),
      },
      { rootsFromSources: true },
    );
    const keys = createKeys(runtime.settings.redis.prefix);
    const [health] = await readFleetHealth(redis, keys, [keys.ingestionQueue]);
    if (!health?.liveWorkers) {
      context.warn('atlas: no ingestion worker is running; ingesting in this process');
      workers = await startIngestionWorkers({ settings: runtime.settings, log: runtime.log });
    }
    const bar = new SingleBar(
      { format: 'ingesting [{bar}] {value}/{total} documents', stream: context.progress },
      Presets.shades_classic,
    );
    bar.start(batch.total, 0);
    const summary = await client.knowledge.wait(batch.batchId, (progress) => bar.update(progress.done));
    bar.stop();
    // Documents that failed make the command fail, after the summary says which and why.
    if (summary.failed > 0) {
      context.exitCode = 1;
      context.warn(
        `atlas: ${summary.failed} of ${batch.total} documents failed; the summary lists each with its reason`,
      );
    }
    if (options['json']) return printJson({ ...summary, unsupported: batch.unsupported }, context.print);
    context.print(
      `${summary.collection}: ${summary.added} added, ${summary.updated} updated, ${summary.skipped} skipped, ${summary.deleted} deleted, ${summary.failed} failed (${summary.chunks} chunks; ${summary.embedding.instance}/${summary.embedding.model}, ${summary.embedding.kind} embeddings)`,
    );
    for (const failure of summary.failures) context.print(`failed: ${failure.source}: ${failure.reason}`);
    if (batch.unsupported.length)
      context.print(`passed over (unsupported type): ${batch.unsupported.join(', ')}`);
  } finally {
    await workers?.close();
    await client.close();
    redis.disconnect();
    await runtime.close();
  }
}

export async function runSearch(options: Record<string, unknown>, context: CliContext): Promise<void> {
  const mode = String(options['mode']);
  if (!['semantic', 'keyword', 'hybrid'].includes(mode))
    throw new ValidationError('--mode', `expected semantic, keyword or hybrid, got '${mode}'`);
  const runtime = await openRuntime({ startRedisIfMissing: true, context });
  const client = new AtlasClient({ settings: runtime.settings });
  try {
    const hits = await client.knowledge.search(String(options['query']), {
      collection: String(options['collection']),
      mode: mode as 'semantic' | 'keyword' | 'hybrid',
      k: options['k'] as number,
      ...(options['where'] ? { where: options['where'] } : {}),
      ...(options['whereDocument'] ? { whereDocument: options['whereDocument'] } : {}),
      ...(options['embedder'] ? { embedder: String(options['embedder']) } : {}),
    });
    if (options['json']) return printJson(hits, context.print);
    for (const [rank, hit] of hits.entries()) {
      context.print(
        `${rank + 1}. ${hit.metadata['source'] ?? hit.documentId} #${hit.chunkIndex} (score ${hit.score.toFixed(4)})`,
      );
      context.print(`   ${hit.text.replace(/\s+/g, ' ').slice(0, 200)}`);
    }
  } finally {
    await client.close();
    await runtime.close();
  }
}

export async function runDocs(
  action: string,
  documentId: string | undefined,
  options: { collection: string; json?: boolean },
  context: CliContext,
): Promise<void> {
  if (!['list', 'show', 'delete'].includes(action))
    throw new ValidationError('action', `expected list, show or delete, got '${action}'`);
  if (action !== 'list' && !documentId)
    throw new ValidationError('document', `expected a document id to ${action}`);
  const runtime = await openRuntime({ startRedisIfMissing: false, context });
  const client = new AtlasClient({ settings: runtime.settings });
  try {
    if (action === 'list') {
      const documents = await client.knowledge.documents.list(options.collection);
      if (options.json) return printJson(documents, context.print);
      printTable(
        documents.map((entry) => ({
          id: entry.documentId,
          source: entry.source,
          version: entry.version,
          chunks: entry.chunkCount,
        })),
        context.print,
      );
      return;
    }
    const entry = await client.knowledge.documents.get(options.collection, documentId!);
    if (!entry) throw new ValidationError('document', `no document '${documentId}' in ${options.collection}`);
    if (action === 'show') return printJson(entry, context.print);
    const removed = await client.knowledge.documents.delete(options.collection, documentId!);
    if (options.json) return printJson({ documentId, removedChunks: removed }, context.print);
    context.print(`deleted ${entry.source}: ${removed} chunks`);
  } finally {
    await client.close();
    await runtime.close();
  }
}
