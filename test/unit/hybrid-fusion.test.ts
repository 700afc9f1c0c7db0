import { describe, expect, it } from 'vitest';
import { fuseRankings, fusionWeights, type SearchHit } from '../../src/shared/knowledge/vector-store.js';

const hit = (id: string): SearchHit => ({
  id,
  documentId: id,
  chunkIndex: 0,
  text: id,
  metadata: {},
  score: 0,
});

describe('weighted reciprocal-rank fusion', () => {
  it('weighs the vector ranking by half for lexical embeddings and alike for a semantic model', () => {
    expect(fusionWeights('lexical')).toEqual({ keyword: 1, semantic: 0.5 });
    expect(fusionWeights('semantic')).toEqual({ keyword: 1, semantic: 1 });
  });

  it('sums weight / (60 + rank) over both rankings and keeps the best k', () => {
    const keyword = [hit('a'), hit('b'), hit('c')];
    const semantic = [hit('c'), hit('b'), hit('d')];
    const equal = fuseRankings(keyword, semantic, { keyword: 1, semantic: 1 }, 3);
    expect(equal.map((entry) => entry.id)).toEqual(['c', 'b', 'a']);
    expect(equal[0]!.score).toBeCloseTo(1 / 61 + 1 / 63, 10);
    const lexical = fuseRankings(keyword, semantic, { keyword: 1, semantic: 0.5 }, 4);
    expect(lexical.map((entry) => entry.id)).toEqual(['b', 'c', 'a', 'd']);
    const keywordOnly = fuseRankings(keyword, semantic, { keyword: 1, semantic: 0 }, 2);
    expect(keywordOnly.map((entry) => entry.id)).toEqual(['a', 'b']);
  });
});
