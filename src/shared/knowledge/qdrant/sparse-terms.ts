/**
 * BM25-style sparse vectors: each word a dimension (its 32-bit hash), valued by its saturated term
 * frequency. Qdrant's IDF modifier supplies the inverse document frequency at query time.
 */
const k1 = 1.2;

export interface SparseVector {
  indices: number[];
  values: number[];
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function termIndex(word: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    hash ^= word.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A document's terms, weighted by term frequency with BM25 saturation. */
export function documentTerms(text: string): SparseVector {
  const counts = new Map<number, number>();
  for (const word of words(text)) counts.set(termIndex(word), (counts.get(termIndex(word)) ?? 0) + 1);
  const entries = [...counts].sort(([a], [b]) => a - b);
  return {
    indices: entries.map(([index]) => index),
    values: entries.map(([, count]) => (count * (k1 + 1)) / (count + k1)),
  };
}

/** A query's terms, each once with weight 1. */
export function queryTerms(text: string): SparseVector {
  const indices = [...new Set(words(text).map(termIndex))].sort((a, b) => a - b);
  return { indices, values: indices.map(() => 1) };
}
