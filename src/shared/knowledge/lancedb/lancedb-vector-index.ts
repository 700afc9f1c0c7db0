import * as lancedb from '@lancedb/lancedb';

/**
 * The vector index of a collection in the embedded store. IVF_RQ (partitions, each vector quantized to
 * one bit a dimension) with cosine distance: it builds in a fraction of a second for 10,000 vectors of
 * 1,024 dimensions (IVF_PQ took 14–55 s, HNSW_SQ 6–13 s) and, with the refine step below, finds what
 * a full scan finds (see docs/benchmarks.md). Rows written after it was built are not in it until the
 * next `optimize`; LanceDB scans them in full and merges them into every search meanwhile.
 */
const indexPrefix = 'vector_rq_';

/**
 * Candidates re-scored on the full vectors per hit asked for. The one-bit codes alone miss about a fifth
 * of the exact top 30; five times as many candidates, re-scored, miss almost none and keep the
 * distances exact.
 */
const refineFactor = 5;

/** Partitions searched at least; more are searched when a filter leaves too few hits in them. */
const minimumPartitions = 20;

/** The index's tuning on a vector query; LanceDB ignores it while the table has no index. */
export function tuneVectorQuery(query: lancedb.VectorQuery): lancedb.VectorQuery {
  return query.minimumNprobes(minimumPartitions).refineFactor(refineFactor);
}

/**
 * Builds the index once the table holds `minChunks` rows (0: never), and trains it again once the table
 * has doubled since: partitions trained on a small table grow lopsided and slow as it grows. The rows
 * it was trained on are part of its name, so any process can tell. Call after `optimize`, which has
 * already added newer rows to an existing index.
 */
export async function updateVectorIndex(table: lancedb.Table, minChunks: number): Promise<void> {
  if (minChunks === 0 || !(await quantizable(table))) return;
  const rows = await table.countRows();
  const existing = (await table.listIndices()).filter((index) => index.name.startsWith(indexPrefix));
  const trained = Math.max(0, ...existing.map((index) => Number(index.name.slice(indexPrefix.length)) || 0));
  if (rows < minChunks || (existing.length > 0 && rows < trained * 2)) return;
  await table.createIndex('vector', {
    config: lancedb.Index.ivfRq({ distanceType: 'cosine' }),
    name: `${indexPrefix}${rows}`,
  });
  for (const index of existing) await table.dropIndex(index.name);
}

/**
 * IVF_RQ takes vectors whose length is a multiple of 8, as every common embedding model's is (384, 768,
 * 1,024, 1,536, 3,072); a collection of other lengths keeps searching by full scan.
 */
async function quantizable(table: lancedb.Table): Promise<boolean> {
  const vector = (await table.schema()).fields.find((field) => field.name === 'vector');
  const length = (vector?.type as { listSize?: number } | undefined)?.listSize ?? 0;
  return length > 0 && length % 8 === 0;
}

/** The name of the table's vector index, if it has one (for tests and benchmarks). */
export async function vectorIndexOf(table: lancedb.Table): Promise<string | undefined> {
  return (await table.listIndices()).find((index) => index.name.startsWith(indexPrefix))?.name;
}
