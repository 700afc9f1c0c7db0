import type { CollectionWriter } from './collection-writer.js';
import type {
  CollectionInfo,
  EnsureOptions,
  SearchHit,
  SearchOptions,
  StoredChunk,
  VectorStore,
} from './vector-store.js';
import type { Where, WhereDocument } from './where-filter.js';

export interface GroupedWritesOptions {
  /** How long a write waits for others to join it when no write is under way. @default 5 */
  lingerMs?: number;
  /** Most chunks in one write. @default 5000 */
  maxChunks?: number;
  /** Takes turns with other processes at committing to a collection. @default none: writes at once */
  writer?: Pick<CollectionWriter, 'run'>;
}

interface PendingUpsert {
  chunks: StoredChunk[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * A store whose upserts are grouped: the chunks of documents processed at once go to the store in one
 * write, since every write to the embedded store is a commit whose cost barely depends on its size.
 * Each caller's promise settles when the write holding its chunks has, so a job completes only once
 * its chunks are stored.
 */
export class GroupedWrites implements VectorStore {
  private readonly pending = new Map<string, PendingUpsert[]>();
  private flushing: Promise<void> | undefined;
  private readonly lingerMs: number;
  private readonly maxChunks: number;
  private readonly writer: Pick<CollectionWriter, 'run'> | undefined;

  constructor(
    private readonly store: VectorStore,
    options: GroupedWritesOptions = {},
  ) {
    this.lingerMs = options.lingerMs ?? 5;
    this.maxChunks = options.maxChunks ?? 5_000;
    this.writer = options.writer;
  }

  upsert(collection: string, chunks: StoredChunk[]): Promise<void> {
    if (chunks.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const queue = this.pending.get(collection) ?? [];
      queue.push({ chunks, resolve, reject });
      this.pending.set(collection, queue);
      this.flushing ??= this.flushAll();
    });
  }

  private async flushAll(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.lingerMs));
    while (this.pending.size > 0) {
      const collection = this.pending.keys().next().value as string;
      // The group is taken once the turn is ours: what arrived while waiting joins it.
      await this.inTurn(collection, () => this.writeGroup(collection));
    }
    this.flushing = undefined;
  }

  private async writeGroup(collection: string): Promise<void> {
    const queue = this.pending.get(collection);
    if (!queue) return;
    const group: PendingUpsert[] = [];
    let size = 0;
    while (queue.length > 0 && (group.length === 0 || size + queue[0]!.chunks.length <= this.maxChunks)) {
      const next = queue.shift()!;
      group.push(next);
      size += next.chunks.length;
    }
    if (queue.length === 0) this.pending.delete(collection);
    try {
      // A chunk written twice in one group (one document in two batches at once) goes in once, the later.
      const byId = new Map(group.flatMap((entry) => entry.chunks.map((chunk) => [chunk.id, chunk] as const)));
      await this.store.upsert(collection, [...byId.values()]);
      for (const entry of group) entry.resolve();
    } catch (error) {
      for (const entry of group) entry.reject(error);
    }
  }

  private inTurn<T>(collection: string, write: () => Promise<T>): Promise<T> {
    return this.writer ? this.writer.run(collection, write) : write();
  }

  ensureCollection(info: CollectionInfo, options?: EnsureOptions): Promise<void> {
    return this.store.ensureCollection(info, options);
  }

  describeCollection(name: string): Promise<CollectionInfo | undefined> {
    return this.store.describeCollection(name);
  }

  deleteDocument(collection: string, documentId: string): Promise<number> {
    return this.inTurn(collection, () => this.store.deleteDocument(collection, documentId));
  }

  retireVersions(
    collection: string,
    documentId: string,
    versions: { current: number; keep: number },
  ): Promise<{ deleted: number; superseded: number }> {
    return this.inTurn(collection, () => this.store.retireVersions(collection, documentId, versions));
  }

  async compact(collection: string): Promise<void> {
    await this.drain();
    await this.inTurn(collection, async () => this.store.compact?.(collection));
  }

  countDocument(collection: string, documentId: string): Promise<number> {
    return this.store.countDocument(collection, documentId);
  }

  count(collection: string, filter?: { where?: Where; whereDocument?: WhereDocument }): Promise<number> {
    return this.store.count(collection, filter);
  }

  search(collection: string, options: SearchOptions): Promise<SearchHit[]> {
    return this.store.search(collection, options);
  }

  /** Waits for the writes under way. */
  async drain(): Promise<void> {
    await this.flushing;
  }

  async close(): Promise<void> {
    await this.drain();
    await this.store.close();
  }
}
