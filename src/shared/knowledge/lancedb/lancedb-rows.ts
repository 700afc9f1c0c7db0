import { createRequire } from 'node:module';
import type * as Arrow from 'apache-arrow';
import type { StoredChunk } from '../vector-store.js';
import type { Scalar } from '../where-filter.js';
import { fieldsColumn, fieldsPresent, metadataColumn } from './lancedb-filter.js';

// LanceDB loads Arrow's CommonJS build and recognises a table by `instanceof` against its classes; a
// table built with the ES module build is a different class, which it would take apart and rebuild.
const {
  Bool,
  DataType,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  makeData,
  Precision,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8,
  vectorFromArray,
} = createRequire(import.meta.url)('apache-arrow') as typeof Arrow;
type Data = Arrow.Data;
type Field = Arrow.Field;
type Schema = Arrow.Schema;
type Table = Arrow.Table;
type DataType = Arrow.DataType;

/** A chunk as one row of its collection's table: fixed columns, then one `m_<field>` column per field. */
export function chunkRow(chunk: StoredChunk): Record<string, unknown> {
  return {
    id: chunk.id,
    document_id: chunk.documentId,
    chunk_index: chunk.chunkIndex,
    version: chunk.version,
    text: chunk.text,
    vector: chunk.vector,
    metadata_json: JSON.stringify(chunk.metadata),
    [fieldsColumn]: fieldsPresent(chunk.metadata),
    superseded: false,
    ...Object.fromEntries(
      Object.entries(chunk.metadata).map(([field, value]) => [metadataColumn(field), value]),
    ),
  };
}

/**
 * The schema LanceDB infers from `chunkRow`s (numbers as Float64, vectors as fixed-size lists of
 * Float32), for a table written the first time; a metadata field takes the type of its first value.
 */
export function chunkSchema(chunks: readonly StoredChunk[]): Schema {
  const fields: Field[] = [
    new Field('id', new Utf8(), true),
    new Field('document_id', new Utf8(), true),
    new Field('chunk_index', new Float64(), true),
    new Field('version', new Float64(), true),
    new Field('text', new Utf8(), true),
    new Field(
      'vector',
      new FixedSizeList(chunks[0]?.vector.length ?? 0, new Field('item', new Float32(), true)),
      true,
    ),
    new Field('metadata_json', new Utf8(), true),
    new Field(fieldsColumn, new Utf8(), true),
    new Field('superseded', new Bool(), true),
  ];
  const seen = new Set(fields.map((field) => field.name));
  for (const chunk of chunks) {
    for (const [field, value] of Object.entries(chunk.metadata)) {
      const column = metadataColumn(field);
      if (seen.has(column)) continue;
      seen.add(column);
      fields.push(new Field(column, scalarType(value), true));
    }
  }
  return new Schema(fields);
}

/**
 * The chunks as an Arrow table of the given schema, built column by column: LanceDB's conversion of
 * plain rows appends a vector's numbers one at a time through Arrow's builders, which cost more CPU
 * than the embedding itself. Undefined when a value does not fit its column (a string in a number
 * column, a vector of another size): the caller then hands LanceDB the rows, which decides as before.
 */
export function chunkTable(chunks: readonly StoredChunk[], schema: Schema): Table | undefined {
  const length = chunks.length;
  const metadata = chunks.map(metadataColumns);
  // Every column, nulls where a chunk has no such field: a merge updates only the columns it is sent,
  // so a chunk written again without a field would otherwise keep (and match filters on) its old value.
  // Except a boolean column none of these chunks has: LanceDB's merge fails on an all-null boolean.
  const fields = schema.fields.filter(
    (field) =>
      !field.name.startsWith('m_') ||
      !DataType.isBool(field.type) ||
      metadata.some((columns) => columns.has(field.name)),
  );
  const children = [];
  for (const field of fields) {
    const data = column(chunks, field, metadata);
    if (!data) return undefined;
    children.push(data);
  }
  const kept = new Schema(fields, schema.metadata);
  const batch = new RecordBatch(
    kept,
    makeData({ type: new Struct(kept.fields), length, nullCount: 0, children }),
  );
  return new Table(kept, [batch]);
}

type ColumnData = Data;

function column(
  chunks: readonly StoredChunk[],
  field: Field,
  metadata: ReadonlyArray<Map<string, Scalar>>,
): ColumnData | undefined {
  const type = field.type;
  switch (field.name) {
    case 'id':
      return scalars(
        chunks.map((chunk) => chunk.id),
        type,
      );
    case 'document_id':
      return scalars(
        chunks.map((chunk) => chunk.documentId),
        type,
      );
    case 'chunk_index':
      return scalars(
        chunks.map((chunk) => chunk.chunkIndex),
        type,
      );
    case 'version':
      return scalars(
        chunks.map((chunk) => chunk.version),
        type,
      );
    case 'text':
      return scalars(
        chunks.map((chunk) => chunk.text),
        type,
      );
    case 'metadata_json':
      return scalars(
        chunks.map((chunk) => JSON.stringify(chunk.metadata)),
        type,
      );
    case fieldsColumn:
      return scalars(
        chunks.map((chunk) => fieldsPresent(chunk.metadata)),
        type,
      );
    case 'superseded':
      return scalars(
        chunks.map(() => false),
        type,
      );
    case 'vector':
      return vectors(chunks, type);
    default:
      return scalars(
        metadata.map((columns) => columns.get(field.name) ?? null),
        type,
      );
  }
}

/** One value per chunk into a string, number or boolean column; nulls where a chunk has none. */
function scalars(values: Array<Scalar | null>, type: DataType): ColumnData | undefined {
  const kind = DataType.isUtf8(type)
    ? 'string'
    : DataType.isFloat(type)
      ? 'number'
      : DataType.isBool(type)
        ? 'boolean'
        : undefined;
  if (!kind || values.some((value) => value !== null && typeof value !== kind)) return undefined;
  return vectorFromArray(values, type).data[0];
}

/** All vectors in one Float32 buffer under a fixed-size list: one copy, no builder. */
function vectors(chunks: readonly StoredChunk[], type: DataType): ColumnData | undefined {
  if (!DataType.isFixedSizeList(type)) return undefined;
  const item = type.children[0]!.type;
  if (!DataType.isFloat(item) || item.precision !== Precision.SINGLE) return undefined;
  const size = type.listSize;
  const values = new Float32Array(chunks.length * size);
  for (let row = 0; row < chunks.length; row++) {
    const vector = chunks[row]!.vector;
    if (vector.length !== size) return undefined;
    values.set(vector, row * size);
  }
  const child = makeData({ type: item, length: values.length, nullCount: 0, data: values });
  return makeData({ type, length: chunks.length, nullCount: 0, child });
}

/** A chunk's metadata by column; the last of fields sharing one column wins, as in `chunkRow`. */
function metadataColumns(chunk: StoredChunk): Map<string, Scalar> {
  return new Map(Object.entries(chunk.metadata).map(([field, value]) => [metadataColumn(field), value]));
}

function scalarType(value: Scalar): DataType {
  return typeof value === 'string' ? new Utf8() : typeof value === 'boolean' ? new Bool() : new Float64();
}
