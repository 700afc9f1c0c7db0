import { afterAll, describe, expect, it } from 'vitest';
import { createKeys } from '../../src/shared/keys.js';
import { chunkingOf } from '../../src/shared/knowledge/chunk-document.js';
import { contentHash, DocumentRegistry, documentIdOf } from '../../src/shared/knowledge/document-registry.js';
import { connect, deletePrefix, freshPrefix } from '../support/redis.js';

const prefix = freshPrefix('docs');
const redis = connect();
const registry = new DocumentRegistry(redis, createKeys(prefix));
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const defaults = chunkingOf('md', { chunkSize: 512, overlap: 64 });
const chunking = { now: defaults, byDefault: defaults };

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
      chunking: defaults,
      version: 1,
      chunkCount: 3,
      updatedAt: 1,
    };
    expect(await registry.record('c', first, 0)).toBe(true);
    expect((await registry.decide('c', id, contentHash('v1'), chunking)).action).toBe('skip');
    // The same text cut otherwise is a change too.
    const rechunked = {
      now: chunkingOf('md', { chunker: 'fixed', chunkSize: 10, overlap: 0 }),
      byDefault: defaults,
    };
    expect((await registry.decide('c', id, contentHash('v1'), rechunked)).action).toBe('update');
    // Settings that cut alike are alike: the default chunker of markdown is named or not, an overlap
    // only counts for the fixed chunker.
    expect(chunkingOf('md', { chunker: 'markdown', chunkSize: 512, overlap: 10 })).toBe(defaults);
    expect(chunkingOf('txt', { chunkSize: 512, overlap: 64 })).toBe(
      chunkingOf('txt', { chunker: 'recursive', chunkSize: 512, overlap: 0 }),
    );
    // An entry from before chunking was recorded counts as cut with the defaults.
    const legacyId = documentIdOf('legacy.md');
    const { chunking: _recorded, ...legacy } = { ...first, documentId: legacyId, source: 'legacy.md' };
    await registry.record('c', legacy, 0);
    expect((await registry.decide('c', legacyId, contentHash('v1'), chunking)).action).toBe('skip');
    expect((await registry.decide('c', legacyId, contentHash('v1'), rechunked)).action).toBe('update');
    await registry.remove('c', legacyId);
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
