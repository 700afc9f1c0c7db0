/** Lower-cased words (letters and digits), the unit both hashing embeddings and sparse terms count. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

const fnvOffset = 0x811c9dc5;

/** FNV-1a, 32 bits: a fast, stable hash of a feature to a dimension. */
export function fnv1a(text: string): number {
  return fnv1aOn(fnvOffset, text, 0, text.length);
}

/**
 * FNV-1a carried on from `seed` (the hash of what came before) over `text[start, end)`: the hash of a
 * longer feature without building its string, since FNV-1a reads one character at a time.
 */
export function fnv1aOn(seed: number, text: string, start: number, end: number): number {
  let hash = seed;
  for (let i = start; i < end; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
