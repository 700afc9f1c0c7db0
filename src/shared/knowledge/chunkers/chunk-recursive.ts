import { ValidationError } from '../../errors.js';
import { type Chunk, numbered } from './chunk.js';
import { countTokens } from './tokenizer.js';

export interface RecursiveChunkOptions {
  /** Most tokens per chunk. @default 512 */
  chunkSize?: number;
}

/** Paragraphs, then sentences, then words: the coarsest boundary that keeps pieces under the size. */
const separators = [/\n\s*\n/g, /(?<=[.!?])\s+/g, /\s+/g];

interface Span {
  start: number;
  end: number;
}

/**
 * Splits at paragraph breaks; a paragraph over the size is split at sentence ends, a sentence over it
 * at spaces (a single word over it is cut). Neighbouring pieces are then packed together while they fit.
 */
export function chunkRecursive(text: string, options: RecursiveChunkOptions = {}): Chunk[] {
  const chunkSize = options.chunkSize ?? 512;
  if (!Number.isInteger(chunkSize) || chunkSize <= 0)
    throw new ValidationError('chunkSize', `expected a positive whole number of tokens, got ${chunkSize}`);
  const pieces = split(text, { start: 0, end: text.length }, 0, chunkSize);
  const packed: Span[] = [];
  for (const piece of pieces) {
    const last = packed.at(-1);
    if (last && countTokens(text.slice(last.start, piece.end)) <= chunkSize) last.end = piece.end;
    else packed.push({ ...piece });
  }
  return numbered(
    packed.map((span) => {
      const raw = text.slice(span.start, span.end);
      const leading = raw.length - raw.trimStart().length;
      const trimmed = raw.trim();
      return {
        text: trimmed,
        startChar: span.start + leading,
        endChar: span.start + leading + trimmed.length,
      };
    }),
  );
}

function split(text: string, span: Span, level: number, chunkSize: number): Span[] {
  if (countTokens(text.slice(span.start, span.end)) <= chunkSize) return [span];
  const separator = separators[level];
  if (!separator) return cut(span, chunkSize);
  const parts: Span[] = [];
  let start = span.start;
  const region = text.slice(span.start, span.end);
  for (const match of region.matchAll(separator)) {
    const end = span.start + match.index + match[0].length;
    parts.push({ start, end });
    start = end;
  }
  parts.push({ start, end: span.end });
  if (parts.length === 1) return split(text, span, level + 1, chunkSize);
  return parts.flatMap((part) => split(text, part, level + 1, chunkSize));
}

/** A run with no separator left (one enormous word): cut by characters, about four to a token. */
function cut(span: Span, chunkSize: number): Span[] {
  const width = chunkSize * 4;
  const spans: Span[] = [];
  for (let start = span.start; start < span.end; start += width)
    spans.push({ start, end: Math.min(span.end, start + width) });
  return spans;
}
