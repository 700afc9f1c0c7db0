import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LanceDbStore } from '../../src/shared/knowledge/lancedb/lancedb-store.js';
import { describeVectorStoreConformance } from '../support/vector-store-conformance.js';

describeVectorStoreConformance(
  'LanceDB (embedded)',
  async () => new LanceDbStore(mkdtempSync(join(tmpdir(), 'atlas-lance-'))),
);
