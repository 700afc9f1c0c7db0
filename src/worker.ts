// The worker entry, `atlas-queue/worker`: generation and ingestion workers and the vector stores they
// write to. It loads what workers run (BullMQ, the stores, the document parsers' thread pool); the
// client is `atlas-queue`.

export { defineAgent } from './shared/agents/agent.js';
export { builtInTools, builtInWorkflows } from './shared/agents/built-ins.js';
export { defineTool } from './shared/agents/tools.js';
export { defineWorkflow, END } from './shared/agents/workflow.js';
export { LanceDbStore } from './shared/knowledge/lancedb/lancedb-store.js';
export { QdrantStore } from './shared/knowledge/qdrant/qdrant-store.js';
export type { SearchHit, StoredChunk, VectorStore } from './shared/knowledge/vector-store.js';
export {
  type AgentSubsystemOptions,
  createAgentSubsystem,
  startAgentWorkers,
} from './workers/agents/start-agent-workers.js';
export {
  type StartWorkersOptions,
  startWorkers,
  type WorkerFleet,
} from './workers/generation/start-workers.js';
export {
  type IngestionWorkers,
  type StartIngestionWorkersOptions,
  startIngestionWorkers,
} from './workers/ingestion/start-ingestion-workers.js';
