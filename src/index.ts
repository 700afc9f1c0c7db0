// The client entry, `atlas-queue`: what a producer needs, and light. It loads no vector store, no
// document parser, no worker thread pool and no provider SDK: search and `ask` load the store on first
// use, and a provider loads its SDK on its first call. Workers come from `atlas-queue/worker`.
export {
  AtlasClient,
  type AtlasClientOptions,
  type RequestState,
  type StreamedEvent,
} from './producer/atlas-client.js';
export type { IngestProgress, SubmittedBatch } from './producer/ingestion-client.js';
export type {
  AskRequest,
  KnowledgeClient,
  KnowledgeDocuments,
  SearchRequest,
} from './producer/knowledge-client.js';
export type { RunView, StartWorkflowOptions, StepView } from './producer/workflows-client.js';
export { type FileSettings, loadSettings, type Settings } from './shared/config/settings.js';
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
export type { SearchHit, SearchMode, StoredChunk, VectorStore } from './shared/knowledge/vector-store.js';
export type { Where, WhereDocument } from './shared/knowledge/where-filter.js';
export { type CreateProviderOptions, createProvider } from './shared/providers/create-provider.js';
export type { Provider, ProviderRequest, ProviderResponse, StreamPart } from './shared/providers/provider.js';
export {
  type MemberState,
  ProviderGroup,
  type ProviderGroupOptions,
} from './shared/providers/provider-group.js';
