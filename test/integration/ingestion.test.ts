import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestionClient } from '../../src/producer/ingestion-client.js';
import { createKeys } from '../../src/shared/keys.js';
import { LanceDbStore } from '../../src/shared/knowledge/lancedb/lancedb-store.js';
import { createLogger } from '../../src/shared/log.js';
import {
  type IngestionWorkers,
  startIngestionWorkers,
} from '../../src/workers/ingestion/start-ingestion-workers.js';
import { makeDocx, makePdf } from '../support/document-fixtures.js';
import { testSettings } from '../support/generation-harness.js';
import { connect, deletePrefix } from '../support/redis.js';

describe('batch ingestion into the embedded store', () => {
  const settings = testSettings({ providers: { mock: { type: 'mock' } } }, 'ingest');
  const redis = connect();
  const folder = mkdtempSync(join(tmpdir(), 'atlas-ingest-docs-'));
  const store = new LanceDbStore(mkdtempSync(join(tmpdir(), 'atlas-ingest-lance-')));
  const client = new IngestionClient(redis, createKeys(settings.redis.prefix));
  let workers: IngestionWorkers;
  const options = { collection: 'docs', chunkSize: 64 };

  beforeAll(async () => {
    writeFileSync(join(folder, 'notes.txt'), 'Redis keeps the queue. '.repeat(40));
    writeFileSync(
      join(folder, 'guide.md'),
      '# Guide\n\n## Install\n\nRun npm ci.\n\n## Use\n\nRun the demo.',
    );
    writeFileSync(join(folder, 'page.html'), '<html><body><p>Workers serve providers.</p></body></html>');
    writeFileSync(join(folder, 'data.json'), '{"name":"atlas"}');
    writeFileSync(join(folder, 'table.csv'), 'city,country\nParis,France\n');
    writeFileSync(join(folder, 'report.pdf'), makePdf('Quarterly report of the queue'));
    writeFileSync(join(folder, 'memo.docx'), await makeDocx(['A memo about breakers.']));
    writeFileSync(join(folder, 'corrupt.pdf'), Buffer.from('%PDF-1.4 broken'));
    writeFileSync(join(folder, 'image.png'), Buffer.from([0x89, 0x50]));
    workers = await startIngestionWorkers({ settings, store, log: createLogger({ level: 'silent' }) });
  });

  afterAll(async () => {
    await workers?.close();
    await client.close();
    await store.close();
    await deletePrefix(redis, settings.redis.prefix);
    redis.disconnect();
    rmSync(folder, { recursive: true, force: true });
  });

  const run = async (prune = false, chunking: { chunker?: 'fixed'; chunkSize?: number } = {}) => {
    const batch = await client.ingest(
      [folder],
      { ...options, ...chunking, prune },
      { rootsFromSources: true },
    );
    const progress: number[] = [];
    const summary = await client.wait(batch.batchId, (update) => progress.push(update.done));
    return { batch, summary, progress };
  };

  it('ingests a folder of mixed files; a corrupt PDF fails alone with its reason', async () => {
    const { batch, summary, progress } = await run();
    expect(batch.total).toBe(8);
    expect(batch.unsupported).toEqual([expect.stringContaining('image.png')]);
    expect(summary).toMatchObject({
      added: 7,
      updated: 0,
      skipped: 0,
      failed: 1,
      embedding: { instance: 'mock', model: 'mock-embed', kind: 'lexical' },
    });
    expect(summary.failures[0]).toMatchObject({
      source: expect.stringContaining('corrupt.pdf'),
      reason: expect.stringMatching(/cannot read it as pdf/),
    });
    expect(progress.at(-1)).toBe(8);
    expect(await store.count('docs')).toBe(summary.chunks);
    expect(await store.count('docs', { where: { headings: 'Guide > Install' } })).toBe(1);
  });

  it('skips every unchanged document on the second run', async () => {
    const { summary } = await run();
    expect(summary).toMatchObject({ added: 0, updated: 0, skipped: 7, failed: 1 });
  });

  it('replaces a changed document’s chunks with its new version', async () => {
    const before = await store.count('docs', { where: { source: 'notes.txt' } });
    expect(before).toBeGreaterThan(2);
    writeFileSync(join(folder, 'notes.txt'), 'A short note now.');
    const { summary } = await run();
    expect(summary).toMatchObject({ updated: 1, skipped: 6 });
    expect(await store.count('docs', { where: { source: 'notes.txt' } })).toBe(1);
    const [hit] = await store.search('docs', { mode: 'keyword', query: 'short note', k: 1 });
    expect(hit?.text).toBe('A short note now.');
  });

  it('prunes a document that is gone from the source set', async () => {
    rmSync(join(folder, 'page.html'));
    const { summary } = await run(true);
    expect(summary).toMatchObject({ deleted: 1, skipped: 6 });
    expect(await store.count('docs', { where: { source: 'page.html' } })).toBe(0);
  });

  it('cuts every document again when the chunking settings change, and skips them once cut alike', async () => {
    const before = await store.count('docs', { where: { source: 'guide.md' } });
    const { summary } = await run(false, { chunker: 'fixed', chunkSize: 4 });
    expect(summary).toMatchObject({ updated: 6, skipped: 0, failed: 1 });
    expect(await store.count('docs', { where: { source: 'guide.md' } })).toBeGreaterThan(before);
    expect((await run(false, { chunker: 'fixed', chunkSize: 4 })).summary).toMatchObject({
      updated: 0,
      skipped: 6,
    });
    // An overlap not below the chunk size is refused before anything is queued.
    await expect(
      client.ingest(
        [folder],
        { ...options, chunker: 'fixed', chunkSize: 8, overlap: 8 },
        { rootsFromSources: true },
      ),
    ).rejects.toMatchObject({ field: 'options.overlap' });
  });

  it('keeps files of the same name in different folders apart, shown by their path in the batch', async () => {
    for (const name of ['alpha', 'beta']) {
      mkdirSync(join(folder, 'packages', name), { recursive: true });
      writeFileSync(join(folder, 'packages', name, 'README.md'), `# ${name}\n\nThe ${name} package.`);
    }
    const batch = await client.ingest(
      ['alpha', 'beta'].map((name) => join(folder, 'packages', name, 'README.md')),
      { collection: 'same-name' },
      { rootsFromSources: true },
    );
    expect(await client.wait(batch.batchId)).toMatchObject({ added: 2 });
    const [hit] = await store.search('same-name', { mode: 'keyword', query: 'beta', k: 1 });
    expect(hit?.metadata['source']).toBe('beta/README.md');
    expect(await store.count('same-name')).toBe(2);
  });

  it('keeps the last versions of a changed document when asked, searching only the current one', async () => {
    const history = mkdtempSync(join(tmpdir(), 'atlas-ingest-versions-'));
    const ingestEdition = async (edition: number) => {
      writeFileSync(join(history, 'policy.md'), `# Policy\n\nEdition ${edition} of the retention policy.`);
      const batch = await client.ingest(
        [history],
        { collection: 'versions', keepVersions: 2 },
        { rootsFromSources: true },
      );
      return client.wait(batch.batchId);
    };
    await ingestEdition(1);
    await ingestEdition(2);
    expect(await ingestEdition(3)).toMatchObject({ updated: 1 });
    const [hit] = await store.search('versions', { mode: 'keyword', query: 'retention policy', k: 5 });
    expect(hit?.text).toContain('Edition 3');
    expect(await store.count('versions')).toBe(1);
    expect(await store.count('versions', { where: { version: 2 } })).toBe(1);
    expect(await store.count('versions', { where: { version: 1 } })).toBe(0);
    rmSync(history, { recursive: true, force: true });
  });

  it('fails a document with no text alone, and the collection stays usable', async () => {
    const sparse = mkdtempSync(join(tmpdir(), 'atlas-ingest-empty-'));
    writeFileSync(join(sparse, 'empty.txt'), '   \n');
    writeFileSync(join(sparse, 'full.txt'), 'Workers take jobs from the queue.');
    const batch = await client.ingest([sparse], { collection: 'with-empty' }, { rootsFromSources: true });
    const summary = await client.wait(batch.batchId);
    expect(summary).toMatchObject({ added: 1, failed: 1 });
    expect(summary.failures[0]?.reason).toMatch(/empty\.txt: no text to index/);
    expect(await store.count('with-empty')).toBe(1);
    rmSync(sparse, { recursive: true, force: true });
  });
});
