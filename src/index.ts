// The client entry, `atlas-queue`: what a producer needs, and light. It loads no vector store, no
// document parser, no worker thread pool and no provider SDK: search and `ask` load the store on first
// use, and a provider loads its SDK on its first call. Workers come from `atlas-queue/worker`.

export type { StreamOptions } from './producer/atlas-client.js';
export {
  AtlasClient,
  type AtlasClientOptions,
  type RequestState,
  type StreamedEvent,
} from './producer/atlas-client.js';
export type { IngestHow, IngestProgress, SubmittedBatch } from './producer/ingestion-client.js';
export type {
  AskRequest,
  KnowledgeClient,
  KnowledgeDocuments,
} from './producer/knowledge-client.js';
export type {
  RunView,
  StartedRun,
  StartWorkflowOptions,
  StepView,
  WorkflowsClient,
} from './producer/workflows-client.js';
export type { ServedTool, ServedWorkflow } from './shared/agents/catalog.js';
export type {
  HistoryEntry,
  RunBudgets,
  RunEvent,
  RunStatus,
  StoredRunEvent,
} from './shared/agents/run-records.js';
export type { Environment } from './shared/config/environment.js';
export type { LoadSettingsOptions } from './shared/config/settings.js';
export { type FileSettings, loadSettings, type Settings } from './shared/config/settings.js';
export type { AtlasErrorOptions, ErrorAction, SerializedError } from './shared/errors.js';
export {
  AtlasError,
  ConfigError,
  type ErrorKind,
  errorKinds,
  RequestFailedError,
  ValidationError,
} from './shared/errors.js';
export type {
  GenerationEvent,
  GenerationRequest,
  GenerationResult,
  Hop,
  Message,
  ResponseFormat,
  Tool,
  ToolCall,
} from './shared/jobs.js';
export type { DocumentEntry } from './shared/knowledge/document-registry.js';
export type { IngestOptions, IngestSummary } from './shared/knowledge/ingest-jobs.js';
export type { SearchRequest } from './shared/knowledge/search-collection.js';
export type {
  CollectionInfo,
  EnsureOptions,
  FusionWeights,
  SearchHit,
  SearchMode,
  SearchOptions,
  StoredChunk,
  VectorStore,
} from './shared/knowledge/vector-store.js';
export type { FieldCondition, Scalar, Where, WhereDocument } from './shared/knowledge/where-filter.js';
export { type CreateProviderOptions, createProvider } from './shared/providers/create-provider.js';
export type { ModelInfo } from './shared/providers/model-info.js';
export type {
  EmbedOptions,
  EmbedResult,
  FinishReason,
  HealthReport,
  Provider,
  ProviderRequest,
  ProviderResponse,
  StreamPart,
} from './shared/providers/provider.js';
export {
  type MemberState,
  ProviderGroup,
  type ProviderGroupOptions,
} from './shared/providers/provider-group.js';
export type { PlanStep } from './shared/providers/strategies.js';
export type { RequestEvent } from './shared/requests/request-events.js';
export type { RequestRecord, RequestStatus } from './shared/requests/request-store.js';
