// The worker entry, `atlas-queue/worker`: generation and ingestion workers and the vector stores they
// write to. It loads what workers run (BullMQ, the stores, the document parsers' thread pool); the
// client is `atlas-queue`.

export type { AgentDefinition, RouteOverride } from './shared/agents/agent.js';
export { defineAgent } from './shared/agents/agent.js';
export type {
  HttpFetchToolOptions,
  KnowledgeSearch,
  KnowledgeSearchHit,
} from './shared/agents/built-in-tools.js';
export { calculatorTool, httpFetchTool, knowledgeSearch } from './shared/agents/built-in-tools.js';
export type { BuiltInToolOptions } from './shared/agents/built-ins.js';
export { builtInTools, builtInWorkflows } from './shared/agents/built-ins.js';
export type { AnyTool, ToolContext, ToolDefinition, ToolRegistry } from './shared/agents/tools.js';
export { defineTool, workerTool } from './shared/agents/tools.js';
export type {
  AgentNode,
  AnyWorkflow,
  Edge,
  FunctionNode,
  HumanNode,
  MapNode,
  NodeContext,
  StatePatch,
  WorkflowDefinition,
  WorkflowNode,
  WorkflowRef,
  WorkflowRegistry,
} from './shared/agents/workflow.js';
export { defineWorkflow, END } from './shared/agents/workflow.js';
export { LanceDbStore, type LanceDbStoreOptions } from './shared/knowledge/lancedb/lancedb-store.js';
export type { QdrantStoreOptions } from './shared/knowledge/qdrant/qdrant-store.js';
export { QdrantStore } from './shared/knowledge/qdrant/qdrant-store.js';
export type { SearchHit, StoredChunk, VectorStore } from './shared/knowledge/vector-store.js';
export type { ResolvedAddress, Resolver } from './shared/net/address-guard.js';
export type { AgentWorkers, StartAgentWorkersOptions } from './workers/agents/start-agent-workers.js';
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
export type { Subsystem } from './workers/worker-host.js';
