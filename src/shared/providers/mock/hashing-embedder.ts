/**
 * Feature-hashing embeddings: each lower-cased word and word bigram is hashed to a signed dimension,
 * then the vector is L2-normalised. Lexical, not semantic: texts that share words come out close,
 * synonyms do not. Needs no model and no network, so it is the offline default.
 */
export function hashingEmbedding(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const add = (feature: string, weight: number) => {
    const hash = fnv1a(feature);
    const index = hash % dimensions;
    vector[index]! += (hash & 0x80000000 ? -1 : 1) * weight;
  };
  for (let i = 0; i < words.length; i++) {
    add(words[i]!, 1);
    if (i > 0) add(`${words[i - 1]} ${words[i]}`, 0.5);
  }
  const norm = Math.hypot(...vector);
  return norm === 0 ? vector : vector.map((value) => value / norm);
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
