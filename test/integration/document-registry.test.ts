import { afterAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/shared/keys.js';
import {
  chunkingOf,
  contentHash,
  DocumentRegistry,
  documentIdOf,
} from '../../src/shared/knowledge/document-registry.js';
import { connect, deletePrefix, freshPrefix } from '../support/redis.js';

const prefix = freshPrefix('docs');
const redis = connect();
const registry = new DocumentRegistry(redis, createKeys(prefix));
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const chunking = chunkingOf({ chunkSize: 512, overlap: 64 });

describe('the document registry', () => {
  it('adds, skips unchanged, versions changed documents, and finds the ones to prune', async () => {
    const id = documentIdOf('guide.md');
    expect(await registry.decide('c', id, contentHash('v1'), chunking)).toEqual({
      action: 'add',
      version: 1,
    });
    const first = {
      documentId: id,
      source: 'guide.md',
      contentHash: contentHash('v1'),
      chunking,
      version: 1,
      chunkCount: 3,
      updatedAt: 1,
    };
    expect(await registry.record('c', first, 0)).toBe(true);
    expect((await registry.decide('c', id, contentHash('v1'), chunking)).action).toBe('skip');
    // The same text cut otherwise is a change too.
    const rechunked = chunkingOf({ chunker: 'fixed', chunkSize: 10, overlap: 0 });
    expect((await registry.decide('c', id, contentHash('v1'), rechunked)).action).toBe('update');
    const change = await registry.decide('c', id, contentHash('v2'), chunking);
    expect(change).toMatchObject({ action: 'update', version: 2, previous: { version: 1 } });
    expect(await registry.record('c', { ...first, contentHash: contentHash('v2'), version: 2 }, 1)).toBe(
      true,
    );
    // A second writer that read version 1 too cannot record over it.
    expect(await registry.record('c', { ...first, contentHash: contentHash('v3'), version: 2 }, 1)).toBe(
      false,
    );
    expect((await registry.get('c', id))?.contentHash).toBe(contentHash('v2'));

    const other = documentIdOf('old.md');
    await registry.record('c', { ...first, documentId: other, source: 'old.md' }, 0);
    expect((await registry.missing('c', new Set([id]))).map((entry) => entry.source)).toEqual(['old.md']);
    expect(await registry.remove('c', other)).toBe(true);
    expect((await registry.list('c')).map((entry) => entry.source)).toEqual(['guide.md']);
  });
});
