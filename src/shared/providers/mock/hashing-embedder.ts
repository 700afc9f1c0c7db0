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
  features.clear();
  let previous: number | undefined;
  for (const word of words(text)) {
    if (stopWords.has(word)) continue;
    const hash = fnv1a(word);
    features.add(hash, 1);
    // The bigram "previous word": the previous word's hash carried on over " word".
    if (previous !== undefined)
      features.add(fnv1aOn(fnv1aOn(previous, ' ', 0, 1), word, 0, word.length), 0.5);
    previous = hash;
    // Character trigrams of the word with its boundaries, as fastText does: "compress" and
    // "compression" share most of theirs, so related forms of a word land near each other.
    const bounded = `<${word}>`;
    for (let start = 0; start + 3 <= bounded.length; start++)
      features.add(fnv1aOn(trigramSeed, bounded, start, start + 3), 0.5);
  }
  const vector = new Array<number>(dimensions).fill(0);
  // In the order features first appeared: sums of floating-point numbers depend on their order.
  for (let feature = 0; feature < features.size; feature++) {
    const hash = features.hashes[feature]!;
    const weight = features.weights[feature]!;
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

/**
 * Weights by feature hash, in the order features first appear, in typed arrays reused from one text to
 * the next: a Map of numbers cost more than hashing the text itself.
 */
class FeatureCounts {
  /** Each feature's hash and weight, by first appearance. */
  hashes = new Uint32Array(1024);
  weights = new Float64Array(1024);
  size = 0;
  /** Open addressing: slot → feature number + 1 (0 is an empty slot). */
  private slots = new Int32Array(4096);
  private mask = 4095;

  clear(): void {
    if (this.size > 0) this.slots.fill(0);
    this.size = 0;
  }

  add(hash: number, weight: number): void {
    let slot = Math.imul(hash, 0x9e3779b1) >>> 0;
    for (;;) {
      slot &= this.mask;
      const entry = this.slots[slot]!;
      if (entry === 0) break;
      if (this.hashes[entry - 1] === hash) {
        this.weights[entry - 1]! += weight;
        return;
      }
      slot++;
    }
    if (this.size === this.hashes.length) this.growFeatures();
    this.hashes[this.size] = hash;
    this.weights[this.size] = weight;
    this.size++;
    this.slots[slot] = this.size;
    // Kept at most half full, so probes stay short.
    if (this.size * 2 > this.mask) this.growSlots();
  }

  private growFeatures(): void {
    const hashes = new Uint32Array(this.hashes.length * 2);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const weights = new Float64Array(this.weights.length * 2);
    weights.set(this.weights);
    this.weights = weights;
  }

  private growSlots(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    this.mask = this.slots.length - 1;
    for (let feature = 0; feature < this.size; feature++) {
      let slot = Math.imul(this.hashes[feature]!, 0x9e3779b1) >>> 0;
      for (;;) {
        slot &= this.mask;
        if (this.slots[slot] === 0) break;
        slot++;
      }
      this.slots[slot] = feature + 1;
    }
  }
}

const features = new FeatureCounts();

/** Trigram features are "#" and three characters: their hashes carry on from the hash of "#". */
const trigramSeed = fnv1a('#');
