import type { Settings } from '../config.js';
import { LanceDbStore } from './lancedb/lancedb-store.js';
import { QdrantStore } from './qdrant/qdrant-store.js';
import type { VectorStore } from './vector-store.js';

/** Qdrant when a URL is set (the store for many machines), otherwise the embedded LanceDB store. */
export function openStore(settings: Pick<Settings, 'qdrantUrl' | 'knowledgeDirectory'>): VectorStore {
  return settings.qdrantUrl
    ? new QdrantStore({ url: settings.qdrantUrl })
    : new LanceDbStore(settings.knowledgeDirectory);
}
