import { describe, expect, it } from 'vitest';
import { toQdrantFilter } from '../../src/shared/knowledge/qdrant/qdrant-filter.js';
import { validateWhere, validateWhereDocument } from '../../src/shared/knowledge/where-filter.js';
import { qdrantSchemaErrors } from '../support/openapi-schema.js';

describe('the filter language translated for Qdrant (checked against Qdrant’s OpenAPI document)', () => {
  const valid = (where: unknown, whereDocument?: unknown) => {
    const filter = toQdrantFilter(
      validateWhere(where),
      whereDocument === undefined ? undefined : validateWhereDocument(whereDocument),
    );
    expect(qdrantSchemaErrors('Filter', filter)).toEqual([]);
    return filter;
  };

  it('maps equality, ranges, membership and combinations to must / should / must_not', () => {
    expect(valid({ source: 'guide.md', year: { $gte: 2024 } })).toEqual({
      must: [
        { key: 'metadata.source', match: { value: 'guide.md' } },
        { key: 'metadata.year', range: { gte: 2024 } },
      ],
    });
    expect(valid({ $or: [{ lang: { $in: ['en', 'de'] } }, { draft: { $ne: true } }] })).toEqual({
      should: [
        { must: [{ key: 'metadata.lang', match: { any: ['en', 'de'] } }] },
        { must_not: [{ key: 'metadata.draft', match: { value: true } }] },
      ],
    });
    expect(
      valid({ year: { $nin: [2020, 2021] } }, { $and: [{ $contains: 'Redis' }, { $not_contains: 'Kafka' }] }),
    ).toEqual({
      must: [
        { must_not: [{ key: 'metadata.year', match: { any: [2020, 2021] } }] },
        {
          must: [
            { must: [{ key: 'text', match: { phrase: 'Redis' } }] },
            { must_not: [{ key: 'text', match: { phrase: 'Kafka' } }] },
          ],
        },
      ],
    });
  });

  it('turns equality on a fraction into a one-point range, which Qdrant can express', () => {
    expect(valid({ score: 0.5 })).toEqual({
      must: [{ key: 'metadata.score', range: { gte: 0.5, lte: 0.5 } }],
    });
  });

  it('names a filter Qdrant cannot express', () => {
    expect(() => toQdrantFilter(validateWhere({ flag: { $in: [true, false] } }), undefined)).toThrow(
      /where\.flag\.\$in: Qdrant can match a list of strings or a list of integers/,
    );
  });

  it('catches a request that does not fit the document', () => {
    expect(qdrantSchemaErrors('Filter', { must: [{ key: 'x', match: { value: 1.5 } }] })).not.toEqual([]);
    expect(qdrantSchemaErrors('Filter', { must: [{ key: 'x', matches: { value: 1 } }] })).not.toEqual([]);
  });
});
