import type { KnowledgeSearchHit } from '../../shared/agents/built-in-tools.js';
import { searchCollection } from '../../shared/knowledge/search-collection.js';
import type { VectorStore } from '../../shared/knowledge/vector-store.js';
import type { WorkerHost } from '../worker-host.js';

/**
 * The knowledge store as the `knowledge_search` tool of agent workers reads it: the same search as
 * `client.knowledge.search`, with the query embedded through the host's providers and fleet breakers
 * (an embedder down is down for generation, ingestion and search alike). The store opens on the first
 * search, so agent workers whose agents never search load no store.
 */
export class WorkerKnowledge {
  private store: Promise<VectorStore> | undefined;

  constructor(private readonly host: Pick<WorkerHost, 'settings' | 'providers' | 'breakers'>) {}

  async search(query: string, request: { collection: string; k: number }): Promise<KnowledgeSearchHit[]> {
    const { host } = this;
    return searchCollection(
      {
        settings: host.settings,
        provider: (instance) => host.providers.get(instance),
        guard: (instance, call) => host.breakers.get(instance).run(call),
        store: () => this.storeOf(),
      },
      query,
      request,
    );
  }

  async close(): Promise<void> {
    const store = this.store;
    this.store = undefined;
    await (await store?.catch(() => undefined))?.close();
  }

  private storeOf(): Promise<VectorStore> {
    this.store ??= import('../../shared/knowledge/open-store.js').then(({ openStore }) =>
      openStore(this.host.settings),
    );
    return this.store;
  }
}
