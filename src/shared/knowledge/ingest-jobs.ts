import * as z from 'zod';
import { chunkerNames } from './chunker-names.js';
import { collectionNameSchema } from './collection-name.js';

export { chunkerNames } from './chunker-names.js';

/** How a batch is ingested; every document job of the batch carries it. */
export const ingestOptionsSchema = z
  .object({
    collection: collectionNameSchema,
    /** @default markdown for .md documents, recursive for the rest */
    chunker: z.enum(chunkerNames).optional(),
    /** Tokens per chunk. @default 512 */
    chunkSize: z.number().int().positive().default(512),
    /** Tokens shared by neighbouring chunks (fixed chunker). @default 64 */
    overlap: z.number().int().min(0).default(64),
    /** Provider instance that embeds. @default the first mock instance, whose hashing embeddings are lexical */
    embedder: z.string().min(1).optional(),
    /** Embedding model. @default the embedder's default embedding model */
    embeddingModel: z.string().min(1).optional(),
    /** Versions of each document kept (older ones are superseded: searched only by asking for their version). @default the keepVersions setting, 1 */
    keepVersions: z.number().int().positive().optional(),
    /** Delete the collection's documents that are not in this batch. @default false */
    prune: z.boolean().default(false),
    /** Folders that file sources must stay inside; `[]` allows no file (URLs only). @default the working folder */
    roots: z.array(z.string()).optional(),
  })
  .strict();
export type IngestOptions = z.input<typeof ingestOptionsSchema>;
export type ParsedIngestOptions = z.output<typeof ingestOptionsSchema>;

export const ingestDocumentJobSchema = z.object({
  batchId: z.string(),
  source: z.string(),
  documentId: z.string(),
  /** The source as shown and filtered on (`source` in chunk metadata): its path inside the batch's folder. */
  name: z.string().optional(),
  options: ingestOptionsSchema,
});
export type IngestDocumentJob = z.infer<typeof ingestDocumentJobSchema>;

export const ingestBatchJobSchema = z.object({
  batchId: z.string(),
  documentIds: z.array(z.string()),
  /** The documents' sources, in the same order, for the summary's failures. */
  sources: z.array(z.string()).optional(),
  options: ingestOptionsSchema,
});
export type IngestBatchJob = z.infer<typeof ingestBatchJobSchema>;

export type DocumentOutcome =
  | { source: string; outcome: 'added' | 'updated'; chunks: number; version: number }
  | { source: string; outcome: 'skipped'; version: number }
  | { source: string; outcome: 'failed'; reason: string };

export interface IngestSummary {
  batchId: string;
  collection: string;
  added: number;
  updated: number;
  skipped: number;
  deleted: number;
  failed: number;
  failures: Array<{ source: string; reason: string }>;
  chunks: number;
  /** What the vectors are: `lexical` for the offline hashing embedder, `semantic` for a model's. */
  embedding: { instance: string; model: string; kind: 'lexical' | 'semantic' };
}
