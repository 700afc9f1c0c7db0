import type { Settings } from '../config/settings.js';
import { LanceDbStore } from './lancedb/lancedb-store.js';
import { QdrantStore } from './qdrant/qdrant-store.js';
import type { VectorStore } from './vector-store.js';

/** Qdrant when a URL is set (the store for many machines), otherwise the embedded LanceDB store. */
export function openStore(settings: Pick<Settings, 'ingestion'>): VectorStore {
  return settings.ingestion.qdrantUrl
    ? new QdrantStore({ url: settings.ingestion.qdrantUrl })
    : new LanceDbStore(settings.ingestion.knowledgeDirectory, {
        vectorIndexMinChunks: settings.ingestion.vectorIndexMinChunks,
      });
}
