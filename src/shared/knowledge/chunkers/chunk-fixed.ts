import { ValidationError } from '../../errors.js';
import { type Chunk, numbered } from './chunk.js';
import { tokenizer } from './tokenizer.js';

export interface FixedChunkOptions {
  /** Tokens per chunk. @default 512 */
  chunkSize?: number;
  /** Tokens each chunk shares with the one before. @default 64 */
  overlap?: number;
}

/** Windows of `chunkSize` tokens, each starting `chunkSize - overlap` tokens after the previous one. */
export function chunkFixed(text: string, options: FixedChunkOptions = {}): Chunk[] {
  const chunkSize = options.chunkSize ?? 512;
  const overlap = options.overlap ?? 64;
  if (!Number.isInteger(chunkSize) || chunkSize <= 0)
    throw new ValidationError('chunkSize', `expected a positive whole number of tokens, got ${chunkSize}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= chunkSize) {
    throw new ValidationError(
      'overlap',
      `expected a whole number of tokens from 0 to chunkSize - 1 (${chunkSize - 1}), got ${overlap}`,
    );
  }
  const encoding = tokenizer();
  const tokens = encoding.encode(text);
  const step = chunkSize - overlap;
  const pieces: Array<Omit<Chunk, 'index'>> = [];
  let startChar = 0;
  for (let start = 0; start < tokens.length; start += step) {
    const piece = encoding.decode(tokens.slice(start, start + chunkSize));
    pieces.push({ text: piece, startChar, endChar: startChar + piece.length });
    if (start + chunkSize >= tokens.length) break;
    // Offsets advance by the text of the tokens this window does not share with the next one.
    startChar += encoding.decode(tokens.slice(start, start + step)).length;
  }
  return numbered(pieces);
}
