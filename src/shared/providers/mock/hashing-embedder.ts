import { fnv1a, fnv1aOn, words } from '../../text-features.js';

/**
 * English function words: without a corpus to learn term weights from, they would outweigh the words
 * that carry a text's meaning (scikit-learn's hashing vectorizer drops them for the same reason).
 */
const stopWords = new Set(
  (
    'a about above after again all also am an and any are as at be because been before being below ' +
    'between both but by can could did do does doing down during each few for from further had has have ' +
    'having he her here hers him his how i if in into is it its itself just me more most my no nor not of ' +
    'off on once only or other our ours out over own same she should so some such than that the their ' +
    'theirs them then there these they this those through to too under until up very was we were what ' +
    'when where which while who whom why will with would you your yours'
  ).split(' '),
);

/**
 * Feature-hashing embeddings: each lower-cased word (function words left out), word bigram and character
 * trigram is hashed to a signed dimension with a sublinear weight (1 + ln count), then the vector is
 * L2-normalised.
 * Lexical, not semantic: texts that share words come out close, synonyms do not. Needs no model and no
 * network, so it is the offline default.
 */
export function hashingEmbedding(text: string, dimensions: number): number[] {
  // Features are counted by their hash (the same as hashing their text), so no feature string is built.
  const counts = new Map<number, number>();
  const count = (hash: number, weight: number) => counts.set(hash, (counts.get(hash) ?? 0) + weight);
  let previous: number | undefined;
  for (const word of words(text)) {
    if (stopWords.has(word)) continue;
    const hash = fnv1a(word);
    count(hash, 1);
    // The bigram "previous word": the previous word's hash carried on over " word".
    if (previous !== undefined) count(fnv1aOn(fnv1aOn(previous, ' ', 0, 1), word, 0, word.length), 0.5);
    previous = hash;
    // Character trigrams of the word with its boundaries, as fastText does: "compress" and
    // "compression" share most of theirs, so related forms of a word land near each other.
    const bounded = `<${word}>`;
    for (let start = 0; start + 3 <= bounded.length; start++)
      count(fnv1aOn(trigramSeed, bounded, start, start + 3), 0.5);
  }
  const vector = new Array<number>(dimensions).fill(0);
  for (const [hash, weight] of counts) {
    const sublinear = weight >= 1 ? 1 + Math.log(weight) : weight;
    vector[hash % dimensions]! += (hash & 0x80000000 ? -1 : 1) * sublinear;
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  if (norm === 0) return vector;
  norm = Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) vector[i]! /= norm;
  return vector;
}

/** Trigram features are "#" and three characters: their hashes carry on from the hash of "#". */
const trigramSeed = fnv1a('#');
