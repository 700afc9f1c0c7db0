import { randomUUID } from 'node:crypto';
import { afterAll, describe, it } from 'vitest';
import { QdrantStore } from '../../src/shared/knowledge/qdrant/qdrant-store.js';
import { describeVectorStoreConformance } from '../support/vector-store-conformance.js';

/**
 * A real Qdrant: the one at QDRANT_URL, else a container when a Docker engine answers. Neither exists on
 * the development machines, so there the suite reports itself skipped; the adapter's requests are
 * checked against Qdrant's OpenAPI document on every run (test/unit/qdrant-store-requests.test.ts).
 */
async function reachableQdrant(): Promise<{ url: string; stop: () => Promise<unknown> } | { why: string }> {
  const fromEnv = process.env['QDRANT_URL'];
  if (fromEnv) return { url: fromEnv, stop: async () => {} };
  try {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer('qdrant/qdrant:v1.18.3')
      .withExposedPorts(6333)
      .withWaitStrategy(Wait.forHttp('/readyz', 6333))
      .start();
    return {
      url: `http://${container.getHost()}:${container.getMappedPort(6333)}`,
      stop: () => container.stop(),
    };
  } catch (error) {
    return { why: `no QDRANT_URL and no Docker engine (${(error as Error).message.split('\n')[0]})` };
  }
}

const qdrant = await reachableQdrant();
if ('url' in qdrant) {
  afterAll(() => qdrant.stop());
  describeVectorStoreConformance(
    'Qdrant',
    async () => new QdrantStore({ url: qdrant.url }),
    `conformance-${randomUUID().slice(0, 8)}`,
  );
} else {
  describe('vector store conformance: Qdrant', () => {
    it.skip(`skipped: ${qdrant.why}; set QDRANT_URL to run this suite against a Qdrant`, () => {});
  });
}
