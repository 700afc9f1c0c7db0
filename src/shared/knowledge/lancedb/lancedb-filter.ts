import type { FieldCondition, Scalar, Where, WhereDocument } from '../where-filter.js';

/** Metadata fields live in columns named `m_<field>`; names are limited so they can be quoted safely. */
export function metadataColumn(field: string): string {
  return `m_${field.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/**
 * The metadata columns a chunk has a value in, as `|m_a|m_b|`. Lance's first file format keeps no nulls
 * for numbers and booleans (a chunk without the field reads 0 or false), so filters on those test this.
 */
export const fieldsColumn = 'metadata_fields';

export function fieldsPresent(metadata: Record<string, Scalar>): string {
  return `|${[...new Set(Object.keys(metadata).map(metadataColumn))].join('|')}|`;
}

/** True for a row that has a value in the column; rows written before `metadata_fields` existed too. */
function hasValue(column: string): string {
  return `(${fieldsColumn} IS NULL OR ${fieldsColumn} LIKE '%|${column.replace(/_/g, '\\_')}|%' ESCAPE '\\')`;
}

const literal = (value: Scalar): string =>
  typeof value === 'string'
    ? `'${value.replace(/'/g, "''")}'`
    : typeof value === 'boolean'
      ? value
        ? 'TRUE'
        : 'FALSE'
      : String(value);

/** What a metadata column holds, as far as filters care; undefined: a column filters never compare. */
export type ColumnKind = 'string' | 'number' | 'boolean' | undefined;

/** The kind of values an Arrow column type holds. */
export function columnKind(arrowType: unknown): ColumnKind {
  const name = String(arrowType);
  if (/utf8/i.test(name)) return 'string';
  if (/^bool/i.test(name)) return 'boolean';
  if (/^(float|int|uint|decimal)/i.test(name)) return 'number';
  return undefined;
}

/**
 * The filter language as a SQL predicate, with the reference meaning: a field a row lacks (NULL, or a
 * column the table does not have yet) fails comparisons and passes $ne and $nin; so does a value of
 * another type than the column's (`{"tag": ""}` on a boolean column), which SQL would refuse to compare.
 */
export function toLanceSql(
  where: Where | undefined,
  whereDocument: WhereDocument | undefined,
  columns: ReadonlyMap<string, ColumnKind>,
): string | undefined {
  const parts = [where && fromWhere(where, columns), whereDocument && fromDocument(whereDocument)].filter(
    (part): part is string => Boolean(part),
  );
  return parts.length ? parts.map((part) => `(${part})`).join(' AND ') : undefined;
}

function fromWhere(where: Where, columns: ReadonlyMap<string, ColumnKind>): string {
  if ('$and' in where && Array.isArray(where.$and))
    return where.$and.map((child) => `(${fromWhere(child, columns)})`).join(' AND ');
  if ('$or' in where && Array.isArray(where.$or))
    return where.$or.map((child) => `(${fromWhere(child, columns)})`).join(' OR ');
  return Object.entries(where as Record<string, Scalar | FieldCondition>)
    .map(([field, condition]) => {
      const column = metadataColumn(field);
      const [operator, operand] =
        typeof condition === 'object'
          ? (Object.entries(condition)[0] as [string, unknown])
          : ['$eq', condition];
      const negative = operator === '$ne' || operator === '$nin';
      if (!columns.has(column)) return negative ? 'TRUE' : 'FALSE';
      const kind = columns.get(column);
      const fits = (value: unknown) => kind === undefined || typeof value === kind;
      const listed = Array.isArray(operand) ? (operand as Scalar[]).filter(fits) : undefined;
      if (listed ? listed.length === 0 : !fits(operand)) return negative ? 'TRUE' : 'FALSE';
      const name = `\`${column}\``;
      const test = comparison(operator, name, operand, listed);
      if (kind === 'string' || !columns.has(fieldsColumn)) return test;
      return negative ? `(NOT ${hasValue(column)} OR ${test})` : `(${hasValue(column)} AND ${test})`;
    })
    .join(' AND ');
}

function comparison(operator: string, name: string, operand: unknown, listed: Scalar[] | undefined): string {
  switch (operator) {
    case '$eq':
      return `${name} = ${literal(operand as Scalar)}`;
    case '$ne':
      return `(${name} IS NULL OR ${name} <> ${literal(operand as Scalar)})`;
    case '$gt':
      return `${name} > ${literal(operand as number)}`;
    case '$gte':
      return `${name} >= ${literal(operand as number)}`;
    case '$lt':
      return `${name} < ${literal(operand as number)}`;
    case '$lte':
      return `${name} <= ${literal(operand as number)}`;
    case '$in':
      return `${name} IN (${listed!.map(literal).join(', ')})`;
    default:
      return `(${name} IS NULL OR ${name} NOT IN (${listed!.map(literal).join(', ')}))`;
  }
}

/** Substring tests on the text column, as `$contains` means. */
function fromDocument(where: WhereDocument): string {
  const like = (needle: string) => `'%${needle.replace(/'/g, "''").replace(/[\\%_]/g, '\\$&')}%'`;
  if ('$contains' in where) return `text LIKE ${like(where.$contains)} ESCAPE '\\'`;
  if ('$not_contains' in where) return `text NOT LIKE ${like(where.$not_contains)} ESCAPE '\\'`;
  if ('$and' in where) return where.$and.map((child) => `(${fromDocument(child)})`).join(' AND ');
  return where.$or.map((child) => `(${fromDocument(child)})`).join(' OR ');
}
