import { describe, expect, it } from 'vitest';
import { chunkSchema, chunkTable } from '../../src/shared/knowledge/lancedb/lancedb-rows.js';
import type { StoredChunk } from '../../src/shared/knowledge/vector-store.js';

const chunk = (index: number, metadata: StoredChunk['metadata']): StoredChunk => ({
  id: `id-${index}`,
  documentId: 'doc',
  chunkIndex: index,
  version: 1,
  text: `text ${index}`,
  vector: [index, 0.5, -0.25],
  metadata,
});

describe('chunks as an Arrow table for LanceDB', () => {
  it('holds every column of the rows, vectors as Float32 lists, nulls where a chunk lacks a field', () => {
    const chunks = [chunk(0, { source: 'a.md', draft: true }), chunk(1, { source: 'a.md', year: 2024 })];
    const table = chunkTable(chunks, chunkSchema(chunks))!;
    expect(table.numRows).toBe(2);
    expect(table.schema.fields.map((field) => `${field.name}: ${field.type}`)).toEqual([
      'id: Utf8',
      'document_id: Utf8',
      'chunk_index: Float64',
      'version: Float64',
      'text: Utf8',
      'vector: FixedSizeList[3]<Float32>',
      'metadata_json: Utf8',
      'metadata_fields: Utf8',
      'superseded: Bool',
      'm_source: Utf8',
      'm_draft: Bool',
      'm_year: Float64',
    ]);
    const rows = table.toArray().map((row) => row.toJSON());
    expect([...rows[1]!['vector']]).toEqual([1, 0.5, -0.25]);
    expect(
      rows.map((row) => [row['m_draft'], row['m_year'], row['metadata_json'], row['metadata_fields']]),
    ).toEqual([
      [true, null, '{"source":"a.md","draft":true}', '|m_source|m_draft|'],
      [null, 2024, '{"source":"a.md","year":2024}', '|m_source|m_year|'],
    ]);
  });

  it('sends nulls for a metadata field the chunks lack, but leaves out a boolean none of them has', () => {
    const first = [chunk(0, { source: 'a.md', lang: 'en', draft: true })];
    const table = chunkTable([chunk(1, { source: 'b.md' })], chunkSchema(first))!;
    const names = table.schema.fields.map((field) => field.name);
    expect(names).toContain('m_lang');
    expect(table.getChild('m_lang')!.get(0)).toBeNull();
    expect(names).not.toContain('m_draft');
  });

  it('gives up, for the rows to be written as before, on a value its column cannot hold', () => {
    const schema = chunkSchema([chunk(0, { year: 2024 })]);
    expect(chunkTable([chunk(1, { year: 'twenty' })], schema)).toBeUndefined();
    expect(chunkTable([{ ...chunk(2, { year: 1 }), vector: [1, 2] }], schema)).toBeUndefined();
  });
});
