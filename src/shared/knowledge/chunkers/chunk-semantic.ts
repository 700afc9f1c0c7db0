import { ValidationError } from '../../errors.js';
import { type Chunk, numbered } from './chunk.js';
import { chunkRecursive } from './chunk-recursive.js';

export interface SemanticChunkOptions {
  /** Embeds sentences; the chunker never picks a model itself. */
  embed: (texts: string[]) => Promise<number[][]>;
  /** A break goes where the distance between neighbouring sentences is above this percentile. @default 90 */
  breakpointPercentile?: number;
  /** Most tokens per chunk; longer groups are split like the recursive chunker. @default 512 */
  chunkSize?: number;
}

const sentenceEnd = /(?<=[.!?])\s+|\n\s*\n/g;

/**
 * Breaks a text where meaning shifts: sentences are embedded, the cosine distance between each and
 * the next is measured, and breaks go where it exceeds the given percentile of all those distances.
 */
export async function chunkSemantic(text: string, options: SemanticChunkOptions): Promise<Chunk[]> {
  const percentile = options.breakpointPercentile ?? 90;
  if (!(percentile > 0 && percentile < 100)) {
    throw new ValidationError(
      'breakpointPercentile',
      `expected a number between 0 and 100, got ${percentile}`,
    );
  }
  const sentences: Array<{ start: number; end: number }> = [];
  let start = 0;
  for (const match of text.matchAll(sentenceEnd)) {
    sentences.push({ start, end: match.index });
    start = match.index + match[0].length;
  }
  sentences.push({ start, end: text.length });
  const kept = sentences.filter((sentence) => text.slice(sentence.start, sentence.end).trim() !== '');
  if (kept.length <= 1) return chunkRecursive(text, { chunkSize: options.chunkSize ?? 512 });

  const vectors = await options.embed(kept.map((sentence) => text.slice(sentence.start, sentence.end)));
  const distances = kept.slice(1).map((_, index) => 1 - cosine(vectors[index]!, vectors[index + 1]!));
  const threshold = percentileOf(distances, percentile);
  const groups: Array<{ start: number; end: number }> = [{ ...kept[0]! }];
  for (let index = 1; index < kept.length; index++) {
    if (distances[index - 1]! > threshold) groups.push({ ...kept[index]! });
    else groups.at(-1)!.end = kept[index]!.end;
  }
  const pieces = groups.flatMap((group) =>
    chunkRecursive(text.slice(group.start, group.end), { chunkSize: options.chunkSize ?? 512 }).map(
      (chunk) => ({
        text: chunk.text,
        startChar: group.start + chunk.startChar,
        endChar: group.start + chunk.endChar,
      }),
    ),
  );
  return numbered(pieces);
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * (b[i] ?? 0);
    normA += a[i]! * a[i]!;
    normB += (b[i] ?? 0) * (b[i] ?? 0);
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

/** Linear interpolation between closest ranks, as numpy's default. */
function percentileOf(values: number[], percentile: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (percentile / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}
