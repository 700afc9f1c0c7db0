import type { Chunk } from './chunkers/chunk.js';
import { chunkFixed } from './chunkers/chunk-fixed.js';
import { chunkMarkdown } from './chunkers/chunk-markdown.js';
import { chunkRecursive } from './chunkers/chunk-recursive.js';
import { chunkSemantic } from './chunkers/chunk-semantic.js';
import type { ParsedIngestOptions } from './ingest-jobs.js';
import type { DocumentType } from './loaders/loaded-document.js';

/** The chunker a document is cut with: the batch's, or by default by headings for markdown. */
export function chunkerFor(type: DocumentType, options: Pick<ParsedIngestOptions, 'chunker'>): string {
  return options.chunker ?? (type === 'md' ? 'markdown' : 'recursive');
}

/**
 * What decides how a document is cut, as one string: its chunker, the chunk size, and the overlap where
 * the chunker uses one. The same text with the same chunking gives the same chunks.
 */
export function chunkingOf(
  type: DocumentType,
  options: Pick<ParsedIngestOptions, 'chunker' | 'chunkSize' | 'overlap'>,
): string {
  const chunker = chunkerFor(type, options);
  return chunker === 'fixed'
    ? `fixed/${options.chunkSize}/${fixedOverlap(options)}`
    : `${chunker}/${options.chunkSize}`;
}

/** The overlap the fixed chunker cuts with: below the chunk size, whatever a batch asked. */
function fixedOverlap(options: Pick<ParsedIngestOptions, 'chunkSize' | 'overlap'>): number {
  return Math.min(options.overlap, options.chunkSize - 1);
}

/** Chunks a document's text with the chunker a batch asked for; by default by headings for markdown. */
export function chunkDocument(
  text: string,
  type: DocumentType,
  options: ParsedIngestOptions,
  embed: (texts: string[]) => Promise<number[][]>,
): Promise<Chunk[]> | Chunk[] {
  switch (chunkerFor(type, options)) {
    case 'fixed':
      return chunkFixed(text, {
        chunkSize: options.chunkSize,
        overlap: fixedOverlap(options),
      });
    case 'markdown':
      return chunkMarkdown(text, { chunkSize: options.chunkSize });
    case 'semantic':
      return chunkSemantic(text, { embed, chunkSize: options.chunkSize });
    default:
      return chunkRecursive(text, { chunkSize: options.chunkSize });
  }
}
