import { describe, expect, it } from 'vitest';
import {
  matchesDocument,
  matchesWhere,
  validateWhere,
  validateWhereDocument,
} from '../../src/shared/knowledge/where-filter.js';

const doc = { source: 'guide.md', year: 2024, draft: false, lang: 'en' };

describe('where filters (Chroma style)', () => {
  it('matches equality, comparisons, membership and combinations', () => {
    const cases: Array<[unknown, boolean]> = [
      [{ source: 'guide.md' }, true],
      [{ year: { $gt: 2023 } }, true],
      [{ year: { $lte: 2023 } }, false],
      [{ lang: { $in: ['en', 'de'] } }, true],
      [{ lang: { $nin: ['en'] } }, false],
      [{ draft: { $ne: true } }, true],
      [{ $and: [{ year: { $gte: 2024 } }, { lang: 'en' }] }, true],
      [{ $or: [{ year: { $lt: 2000 } }, { source: 'other.md' }] }, false],
      [{ missing: { $gt: 1 } }, false],
    ];
    for (const [where, expected] of cases)
      expect([where, matchesWhere(doc, validateWhere(where))]).toEqual([where, expected]);
  });

  it('names the part of a filter that is wrong', () => {
    expect(() => validateWhere({ year: { $between: [1, 2] } })).toThrow(
      /where\.year\.\$between: unknown operator/,
    );
    expect(() => validateWhere({ year: { $gt: '2020' } })).toThrow(
      /where\.year\.\$gt: expected a finite number/,
    );
    expect(() => validateWhere({ $and: [{ a: 1 }, { b: [1] }] })).toThrow(
      /where\.\$and\[1\]\.b: expected a string, finite number, boolean/,
    );
    expect(() => validateWhere({ $not: { a: 1 } })).toThrow(/where\.\$not: unknown operator/);
    expect(() => validateWhere({})).toThrow(/where: expected at least one condition/);
  });

  it('filters on the document text with $contains and $not_contains', () => {
    const text = 'Redis keeps the queue; BullMQ runs the jobs.';
    expect(matchesDocument(text, validateWhereDocument({ $contains: 'BullMQ' }))).toBe(true);
    expect(
      matchesDocument(
        text,
        validateWhereDocument({ $and: [{ $contains: 'Redis' }, { $not_contains: 'Kafka' }] }),
      ),
    ).toBe(true);
    expect(
      matchesDocument(
        text,
        validateWhereDocument({ $or: [{ $contains: 'Kafka' }, { $contains: 'RabbitMQ' }] }),
      ),
    ).toBe(false);
    expect(() => validateWhereDocument({ $regex: 'x' })).toThrow(/whereDocument\.\$regex: unknown operator/);
  });
});
