import { ValidationError } from '../../shared/errors.js';
import { chunkDocument } from '../../shared/knowledge/chunk-document.js';
import type { Chunk } from '../../shared/knowledge/chunkers/chunk.js';
import { contentHash } from '../../shared/knowledge/document-registry.js';
import type { ParsedIngestOptions } from '../../shared/knowledge/ingest-jobs.js';
import type { LoadedDocument } from '../../shared/knowledge/loaders/loaded-document.js';
import { readSource } from '../../shared/knowledge/loaders/read-source.js';

export interface PrepareTask {
  source: string;
  /** Shown instead of the source's path inside its root. */
  name?: string | undefined;
  options: ParsedIngestOptions;
  /** The worker's setting, never the producer's: it is the worker that fetches. */
  allowPrivateUrls: boolean;
}

export type Prepared =
  | {
      document: LoadedDocument;
      hash: string;
      /** Absent for the semantic chunker, which needs the embedder and so runs beside it. */
      chunks?: Chunk[];
    }
  | { failed: string };

const noEmbedder = async (): Promise<number[][]> => {
  throw new Error('the semantic chunker runs beside the embedder, not in a parsing thread');
};

/**
 * The CPU-heavy part of ingesting a document, run in a worker thread: read and parse it (PDF, DOCX,
 * HTML…), hash its text and chunk it. A document that cannot be read comes back as `failed`, since an
 * error's class does not survive the trip between threads.
 */
export default async function prepareDocument(task: PrepareTask): Promise<Prepared> {
  try {
    const read = await readSource(task.source, {
      // The client always sets roots; a job without them allows no file.
      roots: task.options.roots ?? [],
      allowPrivateUrls: task.allowPrivateUrls,
    });
    const document = task.name ? { ...read, source: task.name } : read;
    const hash = contentHash(document.text);
    if (task.options.chunker === 'semantic') return { document, hash };
    const chunks = await chunkDocument(document.text, document.type, task.options, noEmbedder);
    return { document, hash, chunks };
  } catch (error) {
    if (error instanceof ValidationError) return { failed: error.message };
    throw error;
  }
}
