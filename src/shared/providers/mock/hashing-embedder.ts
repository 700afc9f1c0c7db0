import { fnv1a, words } from '../../text-features.js';

/**
 * Feature-hashing embeddings: each lower-cased word and word bigram is hashed to a signed dimension,
 * then the vector is L2-normalised. Lexical, not semantic: texts that share words come out close,
 * synonyms do not. Needs no model and no network, so it is the offline default.
 */
export function hashingEmbedding(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const tokens = words(text);
  const add = (feature: string, weight: number) => {
    const hash = fnv1a(feature);
    const index = hash % dimensions;
    vector[index]! += (hash & 0x80000000 ? -1 : 1) * weight;
  };
  for (let i = 0; i < tokens.length; i++) {
    add(tokens[i]!, 1);
    if (i > 0) add(`${tokens[i - 1]} ${tokens[i]}`, 0.5);
  }
  const norm = Math.hypot(...vector);
  return norm === 0 ? vector : vector.map((value) => value / norm);
}
