import { mkdirSync } from 'node:fs';
import * as lancedb from '@lancedb/lancedb';
import { defaultVectorIndexMinChunks } from '../../config/settings.js';
import { ValidationError } from '../../errors.js';
import { checkCollectionName } from '../collection-name.js';
import {
  type CollectionInfo,
  type EnsureOptions,
  fuseRankings,
  hidesSuperseded,
  missingCollection,
  type SearchHit,
  type SearchOptions,
  type StoredChunk,
  type VectorStore,
} from '../vector-store.js';
import type { Scalar, Where, WhereDocument } from '../where-filter.js';
import { type ColumnKind, columnKind, fieldsColumn, metadataColumn, toLanceSql } from './lancedb-filter.js';
import { chunkRow, chunkSchema, chunkTable } from './lancedb-rows.js';
import { tuneVectorQuery, updateVectorIndex } from './lancedb-vector-index.js';

type Row = Record<string, unknown>;
const infoTable = '_atlas_collections';

export interface LanceDbStoreOptions {
  /** Chunks a collection holds before `compact` builds its vector index; 0 never builds one. */
  vectorIndexMinChunks?: number;
}

/**
 * The embedded store: LanceDB files in a folder, no server. One table per collection; metadata fields
 * become `m_<field>` columns (added as new fields appear) so filters run as SQL; a full-text index on
 * the text serves keyword search, a vector index (once compacting finds the collection big enough)
 * semantic search, and hybrid search fuses both with weighted reciprocal-rank fusion.
 */
export class LanceDbStore implements VectorStore {
  private connection: Promise<lancedb.Connection> | undefined;
  private readonly tables = new Map<string, lancedb.Table>();
  private readonly ftsReady = new Set<string>();
  private readonly ensured = new Set<string>();
  private readonly described = new Map<string, CollectionInfo>();
  /** Commits of several processes to one table conflict: the loser redoes its write. */
  readonly writersConflict = true;
  /** Writes go one at a time: concurrent table creation or commits in one process only conflict. */
  private writing: Promise<unknown> = Promise.resolve();

  private readonly vectorIndexMinChunks: number;

  constructor(
    private readonly directory: string,
    options: LanceDbStoreOptions = {},
  ) {
    this.vectorIndexMinChunks = options.vectorIndexMinChunks ?? defaultVectorIndexMinChunks;
  }

  async ensureCollection(info: CollectionInfo, options: EnsureOptions = {}): Promise<void> {
    checkCollectionName(info.name);
    // A collection's model and size never change, so one check per process is enough (and a checked
    // one need not wait behind the writes under way).
    if (this.ensured.has(ensuredKey(info))) return Promise.resolve();
    return this.exclusive(() => this.ensureCollectionNow(info, options.create ?? true));
  }

  async upsert(collection: string, chunks: StoredChunk[]): Promise<void> {
    checkCollectionName(collection);
    return this.exclusive(() => this.upsertNow(collection, chunks));
  }

  async deleteDocument(collection: string, documentId: string): Promise<number> {
    checkCollectionName(collection);
    return this.exclusive(() => this.deleteWhere(collection, `document_id = ${sqlString(documentId)}`));
  }

  async retireVersions(
    collection: string,
    documentId: string,
    versions: { current: number; keep: number },
  ): Promise<{ deleted: number; superseded: number }> {
    checkCollectionName(collection);
    return this.exclusive(async () => {
      const document = `document_id = ${sqlString(documentId)}`;
      const oldest = versions.current - versions.keep;
      // Versions past the current one were written by a run that crashed before recording them.
      const deleted = await this.deleteWhere(
        collection,
        `${document} AND (version <= ${oldest} OR version > ${versions.current})`,
      );
      const table = await this.table(collection);
      const older = `${document} AND version < ${versions.current} AND version > ${oldest}`;
      if (!table) return { deleted, superseded: 0 };
      if (!(await this.columns(table)).has('superseded'))
        await table.addColumns([{ name: 'superseded', valueSql: 'CAST(NULL AS BOOLEAN)' }]);
      const superseded = await table.countRows(`${older} AND ${notSuperseded}`);
      if (superseded > 0) await table.update({ where: older, values: { superseded: true } });
      return { deleted, superseded };
    });
  }

  private exclusive<T>(write: () => Promise<T>): Promise<T> {
    const result = this.writing.then(write, write);
    this.writing = result.catch(() => undefined);
    return result;
  }

  private async ensureCollectionNow(info: CollectionInfo, create: boolean): Promise<void> {
    if (this.ensured.has(ensuredKey(info))) return;
    await this.checkOrRecordCollection(info, create);
    this.ensured.add(ensuredKey(info));
  }

  async describeCollection(name: string): Promise<CollectionInfo | undefined> {
    checkCollectionName(name);
    // A collection's model and size never change once recorded: read once per store, as `ensured`.
    const known = this.described.get(name);
    if (known) return known;
    const db = await this.db();
    const names = await db.tableNames();
    if (!names.includes(name) || !names.includes(infoTable)) return undefined;
    const [row] = (await (
      await db.openTable(infoTable)
    )
      .query()
      .where(`name = ${sqlString(name)}`)
      .toArray()) as Row[];
    if (!row) return undefined;
    const info = {
      name,
      embeddingModel: String(row['embedding_model']),
      dimensions: Number(row['dimensions']),
    };
    this.described.set(name, info);
    return info;
  }

  private async checkOrRecordCollection(info: CollectionInfo, create: boolean): Promise<void> {
    const db = await this.db();
    const names = await db.tableNames();
    if (!create && !names.includes(info.name)) throw missingCollection(info.name);
    if (!names.includes(infoTable)) {
      await db.createTable(infoTable, [
        { name: info.name, embedding_model: info.embeddingModel, dimensions: info.dimensions },
      ]);
      return;
    }
    const table = await db.openTable(infoTable);
    const [existing] = (await table
      .query()
      .where(`name = '${info.name.replace(/'/g, "''")}'`)
      .toArray()) as Row[];
    if (!existing) {
      await table.add([
        { name: info.name, embedding_model: info.embeddingModel, dimensions: info.dimensions },
      ]);
      return;
    }
    if (
      existing['embedding_model'] !== info.embeddingModel ||
      Number(existing['dimensions']) !== info.dimensions
    ) {
      throw new ValidationError(
        'embedder',
        `collection '${info.name}' holds ${existing['embedding_model']} vectors of ${existing['dimensions']} dimensions; got ${info.embeddingModel} with ${info.dimensions}. Use that embedder or another collection.`,
      );
    }
  }

  private async upsertNow(collection: string, chunks: StoredChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    const table = await this.table(collection);
    if (!table) {
      const db = await this.db();
      const data = chunkTable(chunks, chunkSchema(chunks)) ?? chunks.map(chunkRow);
      this.tables.set(collection, await db.createTable(collection, data));
    } else {
      await this.addMissingColumns(table, chunks);
      const data = chunkTable(chunks, await table.schema()) ?? chunks.map(chunkRow);
      await table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(data);
    }
    this.ftsReady.delete(collection);
  }

  private async deleteWhere(collection: string, predicate: string): Promise<number> {
    const table = await this.table(collection);
    if (!table) return 0;
    const count = await table.countRows(predicate);
    if (count > 0) await table.delete(predicate);
    return count;
  }

  async countDocument(collection: string, documentId: string): Promise<number> {
    checkCollectionName(collection);
    const table = await this.table(collection);
    if (!table) return 0;
    return table.countRows(`document_id = ${sqlString(documentId)}`);
  }

  async count(
    collection: string,
    filter: { where?: Where; whereDocument?: WhereDocument } = {},
  ): Promise<number> {
    checkCollectionName(collection);
    const table = await this.table(collection);
    if (!table) return 0;
    const columns = await this.columns(table);
    const sql = visible(filter.where, toLanceSql(filter.where, filter.whereDocument, columns), columns);
    return table.countRows(sql);
  }

  async search(collection: string, options: SearchOptions): Promise<SearchHit[]> {
    checkCollectionName(collection);
    const table = await this.table(collection);
    if (!table) return [];
    const k = options.k ?? 5;
    if (options.mode === 'hybrid') {
      // Both rankings of the top 2k + 10, fused here: LanceDB's own RRF reranker takes no weights.
      const side = (mode: 'keyword' | 'semantic') =>
        this.search(collection, { ...options, mode, k: overFetch(k) });
      const [keyword, semantic] = await Promise.all([side('keyword'), side('semantic')]);
      return fuseRankings(keyword, semantic, options.fusion ?? { keyword: 1, semantic: 1 }, k);
    }
    const columns = await this.columns(table);
    const filter = toLanceSql(options.where, options.whereDocument, columns);
    if (options.mode !== 'semantic') await this.ensureFullTextIndex(collection, table);
    // Only what a hit carries: reading every row's vector back (1,024 numbers each) cost more than the search.
    // The score named too: LanceDB warns, on every search, when the selection leaves it implied.
    const score = options.mode === 'semantic' ? '_distance' : '_score';
    const selected = [...hitColumns.filter((column) => columns.has(column)), score];
    const select = <Q extends lancedb.Query | lancedb.VectorQuery>(query: Q) => query.select(selected) as Q;
    let rows: Row[];
    if (!filter && columns.has('superseded') && hidesSuperseded(options.where)) {
      // A filter that keeps nearly every row makes LanceDB's pre-filtered vector scan several times
      // slower, so superseded chunks are dropped from a few more hits than asked for instead; only
      // when too many of those were superseded does the search run again, filtered.
      const fetched = (await select(await this.query(table, options))
        .limit(overFetch(k))
        .toArray()) as Row[];
      rows = fetched.filter((row) => row['superseded'] !== true);
      if (rows.length < k && fetched.length === overFetch(k))
        rows = (await select(await this.query(table, options))
          .where(notSuperseded)
          .limit(k)
          .toArray()) as Row[];
    } else {
      const sql = visible(options.where, filter, columns);
      let query = select(await this.query(table, options));
      if (sql) query = query.where(sql) as typeof query;
      rows = (await query.limit(k).toArray()) as Row[];
    }
    return rows.slice(0, k).map((row) => ({
      id: String(row['id']),
      documentId: String(row['document_id']),
      chunkIndex: Number(row['chunk_index']),
      text: String(row['text']),
      metadata: JSON.parse(String(row['metadata_json'])) as Record<string, Scalar>,
      score: scoreOf(row, options.mode),
    }));
  }

  private async query(
    table: lancedb.Table,
    options: SearchOptions,
  ): Promise<lancedb.Query | lancedb.VectorQuery> {
    // Cosine, as in Qdrant: under L2 a chunk with an all-zero vector (no words) would sit nearer every
    // query than most real matches.
    if (options.mode === 'semantic')
      return tuneVectorQuery(table.vectorSearch(requireVector(options)).distanceType('cosine'));
    return table.query().fullTextSearch(requireQuery(options));
  }

  /**
   * Compacts the files, drops old versions and adds the rows written since to the indices; past
   * `vectorIndexMinChunks` chunks, builds (or retrains) the vector index. Worth running after big
   * ingestions.
   */
  async compact(collection: string): Promise<void> {
    checkCollectionName(collection);
    return this.exclusive(async () => {
      const table = await this.table(collection);
      if (!table) return;
      await table.optimize();
      await updateVectorIndex(table, this.vectorIndexMinChunks);
    });
  }

  async close(): Promise<void> {
    (await this.connection)?.close();
    this.tables.clear();
  }

  private db(): Promise<lancedb.Connection> {
    if (!this.connection) {
      mkdirSync(this.directory, { recursive: true });
      // Lance's first file format: a search without a vector index scans the vector column about four
      // times faster than in the newer format (80 against 300 ms for 10,000 × 1,024 here).
      // Every read checks for commits made since the table was opened: ingestion runs in other
      // processes, and a long-lived reader (a server, an agent worker) would otherwise never see them.
      this.connection = lancedb.connect(this.directory, {
        readConsistencyInterval: 0,
        storageOptions: { new_table_data_storage_version: 'legacy' },
      });
    }
    return this.connection;
  }

  private async table(collection: string): Promise<lancedb.Table | undefined> {
    const cached = this.tables.get(collection);
    if (cached) return cached;
    const db = await this.db();
    if (!(await db.tableNames()).includes(collection)) return undefined;
    const table = await db.openTable(collection);
    this.tables.set(collection, table);
    return table;
  }

  /** The table's columns, each with the kind of value a filter may compare it with. */
  private async columns(table: lancedb.Table): Promise<Map<string, ColumnKind>> {
    return new Map((await table.schema()).fields.map((field) => [field.name, columnKind(field.type)]));
  }

  private async addMissingColumns(table: lancedb.Table, chunks: StoredChunk[]): Promise<void> {
    const existing = await this.columns(table);
    const added = new Map<string, string>();
    // Tables written before versions could be kept have no `superseded` column.
    if (!existing.has('superseded')) added.set('superseded', 'BOOLEAN');
    if (!existing.has(fieldsColumn)) added.set(fieldsColumn, 'STRING');
    for (const chunk of chunks) {
      for (const [field, value] of Object.entries(chunk.metadata)) {
        const column = metadataColumn(field);
        if (existing.has(column) || added.has(column)) continue;
        added.set(
          column,
          typeof value === 'string' ? 'STRING' : typeof value === 'boolean' ? 'BOOLEAN' : 'DOUBLE',
        );
      }
    }
    if (added.size > 0) {
      await table.addColumns([...added].map(([name, type]) => ({ name, valueSql: `CAST(NULL AS ${type})` })));
    }
  }

  private async ensureFullTextIndex(collection: string, table: lancedb.Table): Promise<void> {
    if (this.ftsReady.has(collection)) return;
    await table.createIndex('text', { config: lancedb.Index.fts(), replace: true });
    this.ftsReady.add(collection);
  }
}

const notSuperseded = '(superseded IS NULL OR superseded = false)';

/** Hits fetched when superseded ones are dropped after the search. */
const overFetch = (k: number) => k * 2 + 10;

const hitColumns = ['id', 'document_id', 'chunk_index', 'text', 'metadata_json', 'superseded'];

/** A filter's SQL with superseded chunks left out, unless the filter asks for a version. */
function visible(
  where: Where | undefined,
  sql: string | undefined,
  columns: ReadonlyMap<string, ColumnKind>,
): string | undefined {
  if (!columns.has('superseded') || !hidesSuperseded(where)) return sql;
  return sql ? `(${sql}) AND ${notSuperseded}` : notSuperseded;
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function ensuredKey(info: CollectionInfo): string {
  return `${info.name}\n${info.embeddingModel}\n${info.dimensions}`;
}

function requireVector(options: SearchOptions): number[] {
  if (!options.vector)
    throw new ValidationError('vector', `${options.mode} search needs the query's embedding`);
  return options.vector;
}

function requireQuery(options: SearchOptions): string {
  if (!options.query?.trim()) throw new ValidationError('query', `${options.mode} search needs query words`);
  return options.query;
}

function scoreOf(row: Row, mode: SearchOptions['mode']): number {
  // Cosine distance to similarity, the score Qdrant gives: the same query scores alike in both stores.
  if (mode === 'semantic') return 1 - Number(row['_distance']);
  return Number(row['_score']);
}
