export {
  AtlasClient,
  type AtlasClientOptions,
  type RequestState,
  type StreamedEvent,
} from './producer/atlas-client.js';
export { type FileSettings, loadSettings, type Settings } from './shared/config.js';
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
export { type CreateProviderOptions, createProvider } from './shared/providers/create-provider.js';
export type { Provider, ProviderRequest, ProviderResponse, StreamPart } from './shared/providers/provider.js';
export { type StartWorkersOptions, startWorkers, type WorkerFleet } from './workers/start-workers.js';
