import { createHash } from 'node:crypto';
import type { Keys } from '../keys.js';
import type { Redis } from '../redis.js';
import { runScript } from '../run-script.js';

/** What the registry keeps of one document of a collection. */
export interface DocumentEntry {
  documentId: string;
  source: string;
  /** SHA-256 of the document's text. */
  contentHash: string;
  /**
   * How it was cut (`chunkingOf`); absent in entries written before it was recorded, which were cut with
   * the default settings unless a batch said otherwise.
   */
  chunking?: string;
  /** 1 for the first ingestion, one more for each change. */
  version: number;
  chunkCount: number;
  updatedAt: number;
}

export type IngestDecision =
  | { action: 'skip'; entry: DocumentEntry }
  | { action: 'add'; version: 1 }
  | { action: 'update'; version: number; previous: DocumentEntry };

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A stable id for a source, so the same file or URL is the same document on every run. */
export function documentIdOf(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 32);
}

/**
 * KEYS[1] documents hash. ARGV[1] document id, ARGV[2] entry JSON, ARGV[3] the version the writer read
 * ('0' for none). Writes only if the stored version is still the one read: two workers ingesting the
 * same document cannot both record a version.
 */
const recordScript = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
local version = '0'
if current then version = tostring(cjson.decode(current).version) end
if version ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/** Each document's content hash and version, per collection, in Redis. */
export class DocumentRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async get(collection: string, documentId: string): Promise<DocumentEntry | undefined> {
    const value = await this.redis.hget(this.keys.documents(collection), documentId);
    return value ? (JSON.parse(value) as DocumentEntry) : undefined;
  }

  async list(collection: string): Promise<DocumentEntry[]> {
    const entries = Object.values(await this.redis.hgetall(this.keys.documents(collection))).map(
      (value) => JSON.parse(value) as DocumentEntry,
    );
    return entries.sort((a, b) => a.source.localeCompare(b.source));
  }

  /**
   * Unchanged documents (same text, chunked alike) are skipped; new ones start at version 1; changed
   * ones get the next version.
   */
  async decide(
    collection: string,
    documentId: string,
    hash: string,
    chunking: { now: string; byDefault: string },
  ): Promise<IngestDecision> {
    const entry = await this.get(collection, documentId);
    if (!entry) return { action: 'add', version: 1 };
    // An entry from before chunking was recorded is taken as cut with the defaults: wrong only for one
    // cut otherwise, which is then cut once more.
    if (entry.contentHash === hash && (entry.chunking ?? chunking.byDefault) === chunking.now)
      return { action: 'skip', entry };
    return { action: 'update', version: entry.version + 1, previous: entry };
  }

  /** Records a version; false when another writer recorded one since `previousVersion` was read. */
  async record(collection: string, entry: DocumentEntry, previousVersion: number): Promise<boolean> {
    const written = await runScript(
      this.redis,
      recordScript,
      [this.keys.documents(collection)],
      [entry.documentId, JSON.stringify(entry), String(previousVersion)],
    );
    return written === 1;
  }

  async remove(collection: string, documentId: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.documents(collection), documentId)) === 1;
  }

  /** The documents of a collection whose source is not among `present`: what `--prune` deletes. */
  async missing(collection: string, present: ReadonlySet<string>): Promise<DocumentEntry[]> {
    return (await this.list(collection)).filter((entry) => !present.has(entry.documentId));
  }
}
