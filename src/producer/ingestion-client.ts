import { randomUUID } from 'node:crypto';
import { relative } from 'node:path';
import { FlowProducer, Queue } from 'bullmq';
import { settingsSchema, type WorkerSettings } from '../shared/config/settings.js';
import { ValidationError } from '../shared/errors.js';
import { ingestionBatchJobOptions, ingestionDocumentJobOptions } from '../shared/job-options.js';
import type { Keys } from '../shared/keys.js';
import { documentIdOf } from '../shared/knowledge/document-registry.js';
import {
  type IngestBatchJob,
  type IngestOptions,
  type IngestSummary,
  ingestOptionsSchema,
} from '../shared/knowledge/ingest-jobs.js';
import { parseWith } from '../shared/parse-with.js';
import type { Redis } from '../shared/redis.js';
import { assertInsideRoots, expandSources } from './expand-sources.js';

export interface IngestProgress {
  done: number;
  total: number;
}

/** Where file sources may come from, when `options.roots` does not say. */
export interface IngestHow {
  /** Allow the folders the sources name (what a person typed on the command line). */
  rootsFromSources?: boolean;
  /** Refuse a file, folder or glob outside the roots before expanding it (sources from someone else). */
  sourcesInsideRoots?: boolean;
}

export interface SubmittedBatch {
  batchId: string;
  total: number;
  /** Files passed over because Atlas does not read their type. */
  unsupported: string[];
}

/** Submits ingestion batches as BullMQ flows (a parent per batch, a child per document) and follows them. */
export class IngestionClient {
  private readonly flows: FlowProducer;
  private readonly batches: Queue<IngestBatchJob>;

  constructor(
    redis: Redis,
    private readonly keys: Keys,
    /** How long finished jobs are kept, among others. @default the default workers settings */
    private readonly settings: WorkerSettings = settingsSchema.shape.workers.parse(undefined),
  ) {
    this.flows = new FlowProducer({ connection: redis, prefix: keys.bullPrefix });
    this.batches = new Queue<IngestBatchJob>(keys.ingestionBatchQueue, {
      connection: redis,
      prefix: keys.bullPrefix,
    });
    // As the generation queues: an outage fails the calls that meet it; BullMQ would also print it.
    this.flows.on('error', () => undefined);
    this.batches.on('error', () => undefined);
  }

  /**
   * `rootsFromSources`: allow the folders the sources name (what a person typed on the command line),
   * rather than the working folder, when `options.roots` is not given. `sourcesInsideRoots`: refuse a
   * file, folder or glob outside the roots before expanding it (for sources from someone else, such
   * as an HTTP request), rather than leaving each file to the ingestion worker's check.
   */
  async ingest(
    inputs: readonly string[],
    options: IngestOptions,
    how: IngestHow = {},
  ): Promise<SubmittedBatch> {
    const parsed = parseWith(ingestOptionsSchema, options, 'options');
    // The default overlap is at most a quarter of the chunk: small chunks would otherwise overlap almost
    // whole. One given too large is refused here, once, rather than cut down by every document's job.
    if (options.overlap === undefined)
      parsed.overlap = Math.min(parsed.overlap, Math.floor(parsed.chunkSize / 4));
    else if (parsed.chunker === 'fixed' && parsed.overlap >= parsed.chunkSize)
      throw new ValidationError(
        'options.overlap',
        `expected fewer tokens than the chunk size (${parsed.chunkSize}), got ${parsed.overlap}`,
      );
    if (how.sourcesInsideRoots) await assertInsideRoots(inputs, parsed.roots ?? [process.cwd()]);
    const expanded = await expandSources(inputs);
    if (expanded.sources.length === 0)
      throw new ValidationError(
        'sources',
        'found no document of a supported type (txt, md, html, pdf, docx, json, jsonl, csv)',
      );
    const batchOptions = {
      ...parsed,
      roots: parsed.roots ?? (how.rootsFromSources ? expanded.roots : [process.cwd()]),
    };
    const batchId = randomUUID();
    // A document's id is its absolute path (or its URL): the same file is the same document however a
    // batch names it. It is shown by its path inside the batch's common folder.
    const documents = expanded.sources.map((source) => ({
      source,
      documentId: documentIdOf(source),
      name: /^https?:\/\//i.test(source) ? source : relative(expanded.base, source),
    }));
    await this.flows.add({
      name: 'batch',
      queueName: this.keys.ingestionBatchQueue,
      data: {
        batchId,
        documentIds: documents.map((document) => document.documentId),
        sources: documents.map((document) => document.source),
        options: batchOptions,
      },
      opts: { ...ingestionBatchJobOptions(this.settings), jobId: batchId },
      children: documents.map((document, index) => ({
        name: 'document',
        queueName: this.keys.ingestionQueue,
        data: { batchId, ...document, options: batchOptions },
        opts: { ...ingestionDocumentJobOptions(this.settings), jobId: `${batchId}.${index}` },
      })),
    });
    return { batchId, total: documents.length, unsupported: expanded.unsupported };
  }

  async progress(batchId: string): Promise<IngestProgress> {
    const job = await this.batches.getJob(batchId);
    if (!job) throw new ValidationError('batchId', `no ingestion batch '${batchId}'`);
    const counts = await job.getDependenciesCount();
    const done = (counts.processed ?? 0) + (counts.failed ?? 0) + (counts.ignored ?? 0);
    return { done, total: done + (counts.unprocessed ?? 0) };
  }

  /** Waits for a batch's summary, reporting progress as documents finish. */
  async wait(
    batchId: string,
    onProgress?: (progress: IngestProgress) => void,
    timeoutMs = 600_000,
  ): Promise<IngestSummary> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const job = await this.batches.getJob(batchId);
      if (!job) throw new ValidationError('batchId', `no ingestion batch '${batchId}'`);
      if (await job.isCompleted()) {
        onProgress?.(await this.progress(batchId));
        // Read again: the job may have completed after it was first read, without its return value.
        const completed = await this.batches.getJob(batchId);
        return completed!.returnvalue as IngestSummary;
      }
      if (await job.isFailed()) throw new Error(`ingestion batch ${batchId} failed: ${job.failedReason}`);
      onProgress?.(await this.progress(batchId));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`ingestion batch ${batchId} did not finish within ${timeoutMs} ms`);
  }

  async close(): Promise<void> {
    await this.flows.close();
    await this.batches.close();
  }
}
