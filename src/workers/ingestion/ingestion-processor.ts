import { type Job, UnrecoverableError } from 'bullmq';
import type { Settings } from '../../shared/config/settings.js';
import { ValidationError } from '../../shared/errors.js';
import { chunkDocument, chunkingOf } from '../../shared/knowledge/chunk-document.js';
import type { DocumentRegistry } from '../../shared/knowledge/document-registry.js';
import { createEmbedder } from '../../shared/knowledge/embedder.js';
import {
  type DocumentOutcome,
  type IngestBatchJob,
  type IngestDocumentJob,
  type IngestSummary,
  ingestBatchJobSchema,
  ingestDocumentJobSchema,
  ingestOptionsSchema,
  type ParsedIngestOptions,
} from '../../shared/knowledge/ingest-jobs.js';
import { chunkPointId, type StoredChunk, type VectorStore } from '../../shared/knowledge/vector-store.js';
import type { Logger } from '../../shared/log.js';
import { zodIssueError } from '../../shared/parse-with.js';
import type { Provider } from '../../shared/providers/provider.js';
import { scrub, scrubValue } from '../../shared/secrets.js';
import type { Prepared, PrepareTask } from './prepare-document.js';

export interface IngestionContext {
  settings: Settings;
  registry: DocumentRegistry;
  store: VectorStore;
  /** Reads, parses and chunks a document off the event loop. */
  prepare(task: PrepareTask): Promise<Prepared>;
  /** The provider of a configured instance, built once per process. */
  provider(instance: string): Provider;
  /** Runs a call to an instance through its fleet-wide circuit breaker. */
  guard<T>(instance: string, call: () => Promise<T>): Promise<T>;
  log: Logger;
}

/** The chunking of a batch that names none: what entries from before chunking was recorded were cut with. */
const defaultChunking = ingestOptionsSchema.parse({ collection: 'defaults' });

/**
 * One document: read, skip if unchanged, else chunk, embed and write its new version, then drop its
 * older chunks. Every step can run again after a crash: chunk ids are derived, the registry write is
 * version-checked, and a skipped document still clears chunks a crash left behind. A document that
 * cannot be read ends as `failed` with its reason; the batch goes on.
 */
export async function processDocument(
  context: IngestionContext,
  job: Job<IngestDocumentJob>,
): Promise<DocumentOutcome> {
  const parsed = ingestDocumentJobSchema.safeParse(job.data);
  if (!parsed.success)
    throw new UnrecoverableError(
      `job ${job.id}: not an ingestion job (${zodIssueError(parsed.error, 'data').message})`,
    );
  const { source, documentId } = parsed.data;
  const name = parsed.data.name;
  const options = parsed.data.options as ParsedIngestOptions;
  const { registry, store } = context;
  try {
    const embedder = createEmbedder(context, options);
    const prepared = await context.prepare({
      source,
      name,
      options,
      allowPrivateUrls: context.settings.ingestion.allowPrivateUrls,
    });
    if ('failed' in prepared) return { source, outcome: 'failed', reason: scrub(prepared.failed) };
    const { document, hash } = prepared;
    const chunking = chunkingOf(document.type, options);
    let decision = await registry.decide(options.collection, documentId, hash, {
      now: chunking,
      byDefault: chunkingOf(document.type, defaultChunking),
    });
    const keep = options.keepVersions ?? context.settings.ingestion.keepVersions;
    // Unchanged, but its chunks are gone (the store's folder lost, say): written again as a new version.
    if (decision.action === 'skip' && (await store.countDocument(options.collection, documentId)) === 0) {
      decision = { action: 'update', version: decision.entry.version + 1, previous: decision.entry };
    }
    if (decision.action === 'skip') {
      // Clears what a crash between writing and retiring left behind.
      await store.retireVersions(options.collection, documentId, { current: decision.entry.version, keep });
      return { source, outcome: 'skipped', version: decision.entry.version };
    }
    const chunks =
      prepared.chunks ?? (await chunkDocument(document.text, document.type, options, embedder.embed));
    if (chunks.length === 0)
      return {
        source,
        outcome: 'failed',
        reason: `${document.source}: no text to index (an empty file, or a PDF of scanned pages)`,
      };
    const vectors = await embedder.embed(chunks.map((chunk) => chunk.text));
    await store.ensureCollection({
      name: options.collection,
      embeddingModel: embedder.model,
      dimensions: vectors[0]?.length ?? 0,
    });
    const stored: StoredChunk[] = chunks.map((chunk, index) => ({
      id: chunkPointId(documentId, chunk.index, keep > 1 ? decision.version : undefined),
      documentId,
      chunkIndex: chunk.index,
      version: decision.version,
      text: chunk.text,
      vector: vectors[index]!,
      metadata: {
        source: document.source,
        type: document.type,
        ...document.metadata,
        ...(chunk.headingPath?.length ? { headings: chunk.headingPath.join(' > ') } : {}),
        version: decision.version,
      },
    }));
    await store.upsert(options.collection, stored);
    const previousVersion = decision.action === 'update' ? decision.previous.version : 0;
    await registry.record(
      options.collection,
      {
        documentId,
        source: document.source,
        contentHash: hash,
        chunking,
        version: decision.version,
        chunkCount: stored.length,
        updatedAt: Date.now(),
      },
      previousVersion,
    );
    // A new document has no older chunks: a retried job chunks alike, so it rewrites the same ids.
    if (decision.action === 'update')
      await store.retireVersions(options.collection, documentId, { current: decision.version, keep });
    return {
      source,
      outcome: decision.action === 'add' ? 'added' : 'updated',
      chunks: stored.length,
      version: decision.version,
    };
  } catch (error) {
    if (error instanceof ValidationError) return { source, outcome: 'failed', reason: scrub(error.message) };
    throw error;
  }
}

/** The batch's parent, run once every document is done: prune if asked, then the summary. */
export async function processBatch(
  context: IngestionContext,
  job: Job<IngestBatchJob>,
): Promise<IngestSummary> {
  const parsed = ingestBatchJobSchema.safeParse(job.data);
  if (!parsed.success)
    throw new UnrecoverableError(
      `job ${job.id}: not an ingestion batch (${zodIssueError(parsed.error, 'data').message})`,
    );
  const options = parsed.data.options as ParsedIngestOptions;
  const outcomes = Object.values(await job.getChildrenValues()) as DocumentOutcome[];
  // Documents whose every attempt failed: their job ids end in their place in the batch.
  for (const [jobKey, reason] of Object.entries(await job.getIgnoredChildrenFailures())) {
    const index = Number(jobKey.slice(jobKey.lastIndexOf('.') + 1));
    outcomes.push({ source: parsed.data.sources?.[index] ?? jobKey, outcome: 'failed', reason });
  }
  let deleted = 0;
  if (options.prune) {
    for (const entry of await context.registry.missing(
      options.collection,
      new Set(parsed.data.documentIds),
    )) {
      await context.store.deleteDocument(options.collection, entry.documentId);
      await context.registry.remove(options.collection, entry.documentId);
      deleted++;
    }
  }
  const embedder = createEmbedder(context, options);
  const count = (outcome: DocumentOutcome['outcome']) =>
    outcomes.filter((entry) => entry.outcome === outcome).length;
  // Each batch leaves many small writes behind; compacting is housekeeping, so it never fails the batch.
  if (deleted > 0 || outcomes.some((entry) => entry.outcome === 'added' || entry.outcome === 'updated')) {
    await context.store
      .compact?.(options.collection)
      .catch((error) =>
        context.log.warn({ err: error, collection: options.collection }, 'compaction failed'),
      );
  }
  return scrubValue({
    batchId: parsed.data.batchId,
    collection: options.collection,
    added: count('added'),
    updated: count('updated'),
    skipped: count('skipped'),
    deleted,
    failed: count('failed'),
    failures: outcomes.flatMap((entry) =>
      entry.outcome === 'failed' ? [{ source: entry.source, reason: entry.reason }] : [],
    ),
    chunks: outcomes.reduce((sum, entry) => sum + ('chunks' in entry ? entry.chunks : 0), 0),
    embedding: { instance: embedder.instance, model: embedder.model, kind: embedder.kind },
  });
}
