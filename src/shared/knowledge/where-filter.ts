import { ValidationError } from '../errors.js';

/** A metadata value a filter can compare. */
export type Scalar = string | number | boolean;

/**
 * Chroma-style metadata filter: `{field: value}` (equality), `{field: {$gt: 3}}`, `{$and: [...]}`,
 * `{$or: [...]}`. Operators: $eq $ne $gt $gte $lt $lte $in $nin $and $or.
 */
export type Where = { $and: Where[] } | { $or: Where[] } | Record<string, Scalar | FieldCondition>;
export type FieldCondition =
  | { $eq: Scalar }
  | { $ne: Scalar }
  | { $gt: number }
  | { $gte: number }
  | { $lt: number }
  | { $lte: number }
  | { $in: Scalar[] }
  | { $nin: Scalar[] };

/** Filter on the chunk's text: `{$contains: "x"}`, `{$not_contains: "x"}`, combinable with $and / $or. */
export type WhereDocument =
  | { $contains: string }
  | { $not_contains: string }
  | { $and: WhereDocument[] }
  | { $or: WhereDocument[] };

const comparisons = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin']);
/** Numbers must be finite: JSON's `1e400` parses as Infinity, which no store compares. */
const isScalar = (value: unknown): value is Scalar =>
  typeof value === 'string' ||
  typeof value === 'boolean' ||
  (typeof value === 'number' && Number.isFinite(value));

/** How deeply `$and` / `$or` may nest. Stores translate filters recursively; past this it is not a filter a person wrote. */
export const maxFilterDepth = 32;

function checkDepth(path: string, depth: number): void {
  if (depth > maxFilterDepth)
    throw new ValidationError(
      path,
      `filter nested too deeply; expected at most ${maxFilterDepth} levels of $and / $or`,
    );
}

/** Checks a filter's shape, throwing a ValidationError that names the path of the first wrong part. */
export function validateWhere(where: unknown, path = 'where', depth = 1): Where {
  checkDepth(path, depth);
  if (typeof where !== 'object' || where === null || Array.isArray(where))
    throw new ValidationError(path, 'expected an object');
  const entries = Object.entries(where);
  if (entries.length === 0) throw new ValidationError(path, 'expected at least one condition');
  for (const [key, value] of entries) {
    if (key === '$and' || key === '$or') {
      if (entries.length !== 1) throw new ValidationError(path, `expected ${key} alone in its object`);
      if (!Array.isArray(value) || value.length === 0)
        throw new ValidationError(`${path}.${key}`, 'expected a non-empty list of filters');
      for (const [index, child] of value.entries())
        validateWhere(child, `${path}.${key}[${index}]`, depth + 1);
      continue;
    }
    if (key.startsWith('$'))
      throw new ValidationError(
        `${path}.${key}`,
        'unknown operator; expected $and or $or here, or a field name',
      );
    if (isScalar(value)) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ValidationError(
        `${path}.${key}`,
        'expected a string, finite number, boolean or an operator object such as {"$gt": 3}',
      );
    }
    const operators = Object.entries(value);
    if (operators.length !== 1) throw new ValidationError(`${path}.${key}`, 'expected exactly one operator');
    const [operator, operand] = operators[0]!;
    if (!comparisons.has(operator))
      throw new ValidationError(
        `${path}.${key}.${operator}`,
        `unknown operator; expected one of ${[...comparisons].join(' ')}`,
      );
    if (
      (operator === '$in' || operator === '$nin') &&
      !(Array.isArray(operand) && operand.length > 0 && operand.every(isScalar))
    ) {
      throw new ValidationError(
        `${path}.${key}.${operator}`,
        'expected a non-empty list of strings, finite numbers or booleans',
      );
    }
    if (
      ['$gt', '$gte', '$lt', '$lte'].includes(operator) &&
      !(typeof operand === 'number' && Number.isFinite(operand))
    ) {
      throw new ValidationError(`${path}.${key}.${operator}`, 'expected a finite number');
    }
    if ((operator === '$eq' || operator === '$ne') && !isScalar(operand)) {
      throw new ValidationError(`${path}.${key}.${operator}`, 'expected a string, finite number or boolean');
    }
  }
  return where as Where;
}

export function validateWhereDocument(where: unknown, path = 'whereDocument', depth = 1): WhereDocument {
  checkDepth(path, depth);
  if (typeof where !== 'object' || where === null || Array.isArray(where))
    throw new ValidationError(path, 'expected an object');
  const entries = Object.entries(where);
  if (entries.length !== 1)
    throw new ValidationError(path, 'expected exactly one of $contains, $not_contains, $and, $or');
  const [operator, operand] = entries[0]!;
  if (operator === '$contains' || operator === '$not_contains') {
    if (typeof operand !== 'string' || operand === '')
      throw new ValidationError(`${path}.${operator}`, 'expected a non-empty string');
  } else if (operator === '$and' || operator === '$or') {
    if (!Array.isArray(operand) || operand.length === 0)
      throw new ValidationError(`${path}.${operator}`, 'expected a non-empty list of filters');
    for (const [index, child] of operand.entries())
      validateWhereDocument(child, `${path}.${operator}[${index}]`, depth + 1);
  } else {
    throw new ValidationError(
      `${path}.${operator}`,
      'unknown operator; expected $contains, $not_contains, $and or $or',
    );
  }
  return where as WhereDocument;
}

/** The reference meaning of a filter, which every store's translation must agree with. */
export function matchesWhere(metadata: Readonly<Record<string, unknown>>, where: Where): boolean {
  if ('$and' in where && Array.isArray(where.$and))
    return where.$and.every((child) => matchesWhere(metadata, child));
  if ('$or' in where && Array.isArray(where.$or))
    return where.$or.some((child) => matchesWhere(metadata, child));
  return Object.entries(where as Record<string, Scalar | FieldCondition>).every(([field, condition]) => {
    const value = metadata[field];
    if (isScalar(condition)) return value === condition;
    const [operator, operand] = Object.entries(condition)[0] as [string, unknown];
    switch (operator) {
      case '$eq':
        return value === operand;
      case '$ne':
        return value !== operand;
      case '$gt':
        return typeof value === 'number' && value > (operand as number);
      case '$gte':
        return typeof value === 'number' && value >= (operand as number);
      case '$lt':
        return typeof value === 'number' && value < (operand as number);
      case '$lte':
        return typeof value === 'number' && value <= (operand as number);
      case '$in':
        return (operand as Scalar[]).includes(value as Scalar);
      case '$nin':
        return !(operand as Scalar[]).includes(value as Scalar);
      default:
        return false;
    }
  });
}

export function matchesDocument(text: string, where: WhereDocument): boolean {
  if ('$contains' in where) return text.includes(where.$contains);
  if ('$not_contains' in where) return !text.includes(where.$not_contains);
  if ('$and' in where) return where.$and.every((child) => matchesDocument(text, child));
  return where.$or.some((child) => matchesDocument(text, child));
}
