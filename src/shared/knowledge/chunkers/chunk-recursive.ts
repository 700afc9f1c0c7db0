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
  tokens: number;
}

/**
 * Splits at paragraph breaks; a paragraph over the size is split at sentence ends, a sentence over it
 * at spaces (a single word over it is cut). Neighbouring pieces are then packed together while they fit.
 */
export function chunkRecursive(text: string, options: RecursiveChunkOptions = {}): Chunk[] {
  const chunkSize = options.chunkSize ?? 512;
  if (!Number.isInteger(chunkSize) || chunkSize <= 0)
    throw new ValidationError('chunkSize', `expected a positive whole number of tokens, got ${chunkSize}`);
  const pieces = split(text, { start: 0, end: text.length, tokens: 0 }, 0, chunkSize);
  // Pieces are counted once and packed by their sums: re-counting the growing chunk made this quadratic.
  // A sum of parts is seldom below the count of the whole, so packed chunks stay within the size.
  const packed: Span[] = [];
  for (const piece of pieces) {
    const last = packed.at(-1);
    if (last && last.tokens + piece.tokens <= chunkSize) {
      last.end = piece.end;
      last.tokens += piece.tokens;
    } else packed.push({ ...piece });
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
  // A span of more than eight characters a token's worth is split without counting it (counting is the
  // cost here); if it would have fit, packing joins its pieces again.
  const tokens =
    span.end - span.start > chunkSize * 8
      ? Number.POSITIVE_INFINITY
      : countTokens(text.slice(span.start, span.end));
  if (tokens <= chunkSize) return [{ ...span, tokens }];
  const separator = separators[level];
  if (!separator) return cut(span, chunkSize);
  const parts: Span[] = [];
  let start = span.start;
  const region = text.slice(span.start, span.end);
  for (const match of region.matchAll(separator)) {
    const end = span.start + match.index + match[0].length;
    parts.push({ start, end, tokens: 0 });
    start = end;
  }
  parts.push({ start, end: span.end, tokens: 0 });
  if (parts.length === 1) return split(text, span, level + 1, chunkSize);
  return parts.flatMap((part) => split(text, part, level + 1, chunkSize));
}

/** A run with no separator left (one enormous word): cut by characters, about four to a token. */
function cut(span: Span, chunkSize: number): Span[] {
  const width = chunkSize * 4;
  const spans: Span[] = [];
  for (let start = span.start; start < span.end; start += width)
    spans.push({ start, end: Math.min(span.end, start + width), tokens: chunkSize });
  return spans;
}
