export {
  AtlasClient,
  type AtlasClientOptions,
  type RequestState,
  type StreamedEvent,
} from './producer/atlas-client.js';
export type { IngestProgress, SubmittedBatch } from './producer/ingestion-client.js';
export type { SearchRequest } from './producer/knowledge-client.js';
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
export type { IngestOptions, IngestSummary } from './shared/knowledge/ingest-jobs.js';
export { LanceDbStore } from './shared/knowledge/lancedb/lancedb-store.js';
export { QdrantStore } from './shared/knowledge/qdrant/qdrant-store.js';
export type { SearchHit, SearchMode, StoredChunk, VectorStore } from './shared/knowledge/vector-store.js';
export type { Where, WhereDocument } from './shared/knowledge/where-filter.js';
export { type CreateProviderOptions, createProvider } from './shared/providers/create-provider.js';
export type { Provider, ProviderRequest, ProviderResponse, StreamPart } from './shared/providers/provider.js';
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
