import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestOptionsSchema } from '../../src/shared/knowledge/ingest-jobs.js';
import { PreparationPool } from '../../src/workers/ingestion/preparation-pool.js';
import { makePdf } from '../support/document-fixtures.js';

describe('document preparation in worker threads', () => {
  const root = mkdtempSync(join(tmpdir(), 'atlas-prepare-'));
  writeFileSync(join(root, 'report.pdf'), makePdf('Quarterly report of the queue'));
  writeFileSync(join(root, 'broken.pdf'), Buffer.from('%PDF-1.4 not really'));
  writeFileSync(join(root, 'guide.md'), '# Guide\n\n## Install\n\nRun npm ci.');
  const pool = new PreparationPool(1);
  const options = (chunker?: 'semantic') =>
    ingestOptionsSchema.parse({ collection: 'c', roots: [root], ...(chunker ? { chunker } : {}) });

  afterAll(() => pool.close());

  it('parses, hashes and chunks a document in a thread', async () => {
    const prepared = await pool.prepare({
      source: join(root, 'report.pdf'),
      options: options(),
      allowPrivateUrls: false,
    });
    expect(prepared).toMatchObject({
      document: { type: 'pdf', source: 'report.pdf' },
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      chunks: [{ index: 0, text: expect.stringContaining('Quarterly report') }],
    });
    const markdown = await pool.prepare({
      source: join(root, 'guide.md'),
      name: 'docs/guide.md',
      options: options(),
      allowPrivateUrls: false,
    });
    expect(markdown).toMatchObject({
      document: { source: 'docs/guide.md' },
      chunks: [{ headingPath: ['Guide'] }, { headingPath: ['Guide', 'Install'] }],
    });
    expect(pool.completed).toBe(2);
  });

  it('refuses a URL on a loopback address unless the worker allows it', async () => {
    const server = createServer((_request, response) => response.end('Served over HTTP.'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/page.txt`;
    try {
      expect(await pool.prepare({ source: url, options: options(), allowPrivateUrls: false })).toEqual({
        failed: expect.stringMatching(/private or loopback/),
      });
      expect(await pool.prepare({ source: url, options: options(), allowPrivateUrls: true })).toMatchObject({
        chunks: [{ text: 'Served over HTTP.' }],
      });
    } finally {
      server.close();
    }
  });

  it('returns an unreadable document as failed with its reason, and leaves semantic chunking to the caller', async () => {
    expect(
      await pool.prepare({ source: join(root, 'broken.pdf'), options: options(), allowPrivateUrls: false }),
    ).toEqual({
      failed: expect.stringMatching(/cannot read it as pdf/),
    });
    const semantic = await pool.prepare({
      source: join(root, 'guide.md'),
      options: options('semantic'),
      allowPrivateUrls: false,
    });
    expect(semantic).not.toHaveProperty('chunks');
    expect(semantic).toHaveProperty('hash');
  });
});
