import { ValidationError } from '../../errors.js';
import type { FieldCondition, Scalar, Where, WhereDocument } from '../where-filter.js';

/** Payload field under which a chunk's metadata is stored, and the field holding its text. */
export const metadataField = 'metadata';
export const textField = 'text';

/** A field condition, or a nested filter: Qdrant's `Condition`. */
type Condition = Record<string, unknown> | QdrantFilter;
export interface QdrantFilter {
  must?: Condition[];
  should?: Condition[];
  must_not?: Condition[];
}

/**
 * Translates the filter language to a Qdrant `Filter`, keeping the reference meaning (a missing field
 * satisfies $ne and $nin, as in `matchesWhere`). What Qdrant cannot express is an error naming it.
 */
export function toQdrantFilter(
  where: Where | undefined,
  whereDocument: WhereDocument | undefined,
): QdrantFilter | undefined {
  const parts = [
    where && fromWhere(where, 'where'),
    whereDocument && fromDocument(whereDocument, 'whereDocument'),
  ].filter((part): part is QdrantFilter => part !== undefined);
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { must: parts };
}

function fromWhere(where: Where, path: string): QdrantFilter {
  if ('$and' in where && Array.isArray(where.$and))
    return { must: where.$and.map((child, index) => fromWhere(child, `${path}.$and[${index}]`)) };
  if ('$or' in where && Array.isArray(where.$or))
    return { should: where.$or.map((child, index) => fromWhere(child, `${path}.$or[${index}]`)) };
  const must: Condition[] = [];
  const mustNot: Condition[] = [];
  for (const [field, condition] of Object.entries(where as Record<string, Scalar | FieldCondition>)) {
    const key = `${metadataField}.${field}`;
    const [operator, operand] =
      typeof condition === 'object'
        ? (Object.entries(condition)[0] as [string, unknown])
        : ['$eq', condition];
    const at = `${path}.${field}`;
    switch (operator) {
      case '$eq':
        must.push(equals(key, operand as Scalar, at));
        break;
      case '$ne':
        mustNot.push(equals(key, operand as Scalar, at));
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        must.push({ key, range: { [operator.slice(1)]: operand } });
        break;
      case '$in':
        must.push({ key, match: { any: anyOf(operand as Scalar[], `${at}.$in`) } });
        break;
      case '$nin':
        mustNot.push({ key, match: { any: anyOf(operand as Scalar[], `${at}.$nin`) } });
        break;
    }
  }
  return { ...(must.length ? { must } : {}), ...(mustNot.length ? { must_not: mustNot } : {}) };
}

/** Qdrant matches strings, integers and booleans exactly; a fractional number becomes a one-point range. */
function equals(key: string, value: Scalar, path: string): Condition {
  if (typeof value === 'number' && !Number.isInteger(value))
    return { key, range: { gte: value, lte: value } };
  if (typeof value === 'number' && !Number.isSafeInteger(value))
    throw new ValidationError(path, 'Qdrant matches integers only within ±2^53');
  return { key, match: { value } };
}

function anyOf(values: Scalar[], path: string): string[] | number[] {
  if (values.every((value) => typeof value === 'string')) return values as string[];
  if (values.every((value) => typeof value === 'number' && Number.isInteger(value)))
    return values as number[];
  throw new ValidationError(
    path,
    'Qdrant can match a list of strings or a list of integers, not booleans, fractions or a mix',
  );
}

/**
 * `$contains` becomes a phrase match on the text field's full-text index: whole words in order, which
 * equals a substring test for whole-word needles but not for parts of words.
 */
function fromDocument(where: WhereDocument, path: string): QdrantFilter {
  if ('$contains' in where) return { must: [{ key: textField, match: { phrase: where.$contains } }] };
  if ('$not_contains' in where)
    return { must_not: [{ key: textField, match: { phrase: where.$not_contains } }] };
  if ('$and' in where)
    return { must: where.$and.map((child, index) => fromDocument(child, `${path}.$and[${index}]`)) };
  return { should: where.$or.map((child, index) => fromDocument(child, `${path}.$or[${index}]`)) };
}
