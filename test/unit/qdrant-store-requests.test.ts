import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QdrantStore } from '../../src/shared/knowledge/qdrant/qdrant-store.js';
import { chunkPointId } from '../../src/shared/knowledge/vector-store.js';
import { validateWhere } from '../../src/shared/knowledge/where-filter.js';
import { type FakeRequest, FakeServer, sendJson } from '../fakes/fake-server.js';
import { qdrantRequestErrors } from '../support/openapi-schema.js';

/**
 * No Qdrant runs here: a recorder answers the adapter with minimal valid responses, and every request
 * it sent is checked against Qdrant's own OpenAPI document (v1.18.3).
 */
describe('the Qdrant adapter’s requests, checked against Qdrant’s OpenAPI document', () => {
  let server: FakeServer;
  const ok = (result: unknown) => ({ result, status: 'ok', time: 0.001 });
  beforeAll(async () => {
    server = await new FakeServer((request: FakeRequest, response) => {
      const path = request.path.split('?')[0]!;
      if (path.endsWith('/exists')) return sendJson(response, 200, ok({ exists: false }));
      if (path.endsWith('/points/count')) return sendJson(response, 200, ok({ count: 2 }));
      if (path.endsWith('/points/query')) return sendJson(response, 200, ok({ points: [] }));
      if (/\/collections\/[^/]+\/points$/.test(path) && request.method === 'POST')
        return sendJson(response, 200, ok([]));
      if (path.includes('/points') || path.includes('/index'))
        return sendJson(response, 200, ok({ operation_id: 1, status: 'completed' }));
      return sendJson(response, 200, ok(true));
    }).start();
  });
  afterAll(() => server.close());

  it('sends only requests the document allows: create, index, upsert, count, delete, and every search mode', async () => {
    const store = new QdrantStore({ url: server.url, batchSize: 2 });
    await store.ensureCollection({ name: 'docs', embeddingModel: 'mock-embed', dimensions: 4 });
    await store.upsert(
      'docs',
      [0, 1, 2].map((chunkIndex) => ({
        id: chunkPointId('guide', chunkIndex),
        documentId: 'guide',
        chunkIndex,
        version: 1,
        text: `Redis keeps the queue, part ${chunkIndex}`,
        vector: [0.1, 0.2, 0.3, 0.4],
        metadata: { source: 'guide.md', year: 2024, draft: false, score: 0.5 },
      })),
    );
    await store.count('docs', { where: { year: { $gte: 2024 } }, whereDocument: { $contains: 'Redis' } });
    await store.retireVersions('docs', 'guide', { current: 3, keep: 2 });
    await store.deleteDocument('docs', 'guide');
    const where = validateWhere({ $or: [{ lang: { $in: ['en', 'de'] } }, { score: 0.5 }] });
    await store.search('docs', { mode: 'semantic', vector: [1, 0, 0, 0], k: 3, where });
    await store.search('docs', { mode: 'keyword', query: 'Redis queue', k: 3 });
    await store.search('docs', {
      mode: 'hybrid',
      query: 'Redis queue',
      vector: [1, 0, 0, 0],
      k: 3,
      whereDocument: { $not_contains: 'Kafka' },
    });

    const sent = server.requests.filter((request) => request.body !== undefined);
    const paths = sent.map((request) => `${request.method} ${request.path.split('?')[0]}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'PUT /collections/docs',
        'PUT /collections/docs/index',
        'PUT /collections/docs/points',
        'POST /collections/docs/points/count',
        'POST /collections/docs/points/delete',
        'POST /collections/docs/points/payload',
        'POST /collections/docs/points/query',
      ]),
    );
    // Batches of two points: three chunks in two upserts.
    expect(
      sent.filter(
        (request) => request.method === 'PUT' && request.path.startsWith('/collections/docs/points'),
      ).length,
    ).toBe(2);
    for (const request of sent)
      expect([
        request.method,
        request.path,
        qdrantRequestErrors(request.method, request.path, request.body),
      ]).toEqual([request.method, request.path, []]);
    await store.close();
  });
});
