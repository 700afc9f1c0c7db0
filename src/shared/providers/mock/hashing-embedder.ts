import { fnv1a, words } from '../../text-features.js';

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
  const counts = new Map<string, number>();
  const count = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
  const tokens = words(text).filter((word) => !stopWords.has(word));
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i]!;
    count(word, 1);
    if (i > 0) count(`${tokens[i - 1]} ${word}`, 0.5);
    // Character trigrams of the word with its boundaries, as fastText does: "compress" and
    // "compression" share most of theirs, so related forms of a word land near each other.
    const bounded = `<${word}>`;
    for (let start = 0; start + 3 <= bounded.length; start++)
      count(`#${bounded.slice(start, start + 3)}`, 0.5);
  }
  const vector = new Array<number>(dimensions).fill(0);
  for (const [feature, weight] of counts) {
    const hash = fnv1a(feature);
    const sublinear = weight >= 1 ? 1 + Math.log(weight) : weight;
    vector[hash % dimensions]! += (hash & 0x80000000 ? -1 : 1) * sublinear;
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  return norm === 0 ? vector : vector.map((value) => value / norm);
}
