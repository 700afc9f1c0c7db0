import { randomUUID } from 'node:crypto';
import { describe, it } from 'vitest';
import { QdrantStore } from '../../src/shared/knowledge/qdrant/qdrant-store.js';
import { describeVectorStoreConformance } from '../support/vector-store-conformance.js';

const url = process.env['QDRANT_URL'];

// A real Qdrant is needed here: none can be installed on the development machines, so the suite runs
// where QDRANT_URL points at one and reports itself skipped otherwise. The adapter's requests are
// checked against Qdrant's OpenAPI document on every run (test/unit/qdrant-store-requests.test.ts).
if (url) {
  describeVectorStoreConformance(
    'Qdrant',
    async () => new QdrantStore({ url }),
    `conformance-${randomUUID().slice(0, 8)}`,
  );
} else {
  describe('vector store conformance: Qdrant', () => {
    it.skip('skipped: no Qdrant reachable (set QDRANT_URL to run this suite against one)', () => {});
  });
}
