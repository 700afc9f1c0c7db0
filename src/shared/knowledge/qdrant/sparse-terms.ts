import { fnv1a, words } from '../../text-features.js';

/**
 * BM25-style sparse vectors: each word a dimension (its 32-bit hash), valued by its saturated term
 * frequency. Qdrant's IDF modifier supplies the inverse document frequency at query time.
 */
const k1 = 1.2;

export interface SparseVector {
  indices: number[];
  values: number[];
}

/** A document's terms, weighted by term frequency with BM25 saturation. */
export function documentTerms(text: string): SparseVector {
  const counts = new Map<number, number>();
  for (const word of words(text)) {
    const index = fnv1a(word);
    counts.set(index, (counts.get(index) ?? 0) + 1);
  }
  const entries = [...counts].sort(([a], [b]) => a - b);
  return {
    indices: entries.map(([index]) => index),
    values: entries.map(([, count]) => (count * (k1 + 1)) / (count + k1)),
  };
}

/** A query's terms, each once with weight 1. */
export function queryTerms(text: string): SparseVector {
  const indices = [...new Set(words(text).map(fnv1a))].sort((a, b) => a - b);
  return { indices, values: indices.map(() => 1) };
}
