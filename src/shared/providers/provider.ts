import type { ProviderType } from '../config/provider-settings.js';
import type { Message, ResponseFormat, Tool, ToolCall, Usage } from '../jobs.js';

/** One call to a provider, already normalised: the system prompt and messages resolved. */
export interface ProviderRequest {
  messages: Message[];
  system?: string;
  /** @default the instance's default model */
  model?: string;
  maxTokens?: number;
  temperature?: number;
  tools?: Tool[];
  responseFormat?: ResponseFormat;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'other';

export interface ProviderResponse {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  /** The model that answered, as the provider reports it. */
  model: string;
  usage: Usage;
  /** Estimated from the catalogue's prices; 0 for unknown models. */
  costUsd: number;
}

/** The one shape every provider's stream is normalised to. A stream always ends with `finish`. */
export type StreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call'; toolCall: ToolCall }
  | { type: 'finish'; response: ProviderResponse };

export interface EmbedOptions {
  /** @default the instance's embedding model */
  model?: string;
  signal?: AbortSignal;
}

export interface EmbedResult {
  vectors: number[][];
  model: string;
  usage: Usage;
}

export interface HealthReport {
  ok: boolean;
  /** Whether a key is configured (always true for providers that need none). */
  keyPresent: boolean;
  latencyMs: number;
  error?: { kind: string; message: string };
}

/**
 * The provider contract. Implementations map their SDK to this shape and every failure to an
 * `AtlasError` with the right kind; they never retry on their own.
 */
export interface Provider {
  /** Instance name (`openai`, `mock-b`); queues and breakers are per instance. */
  readonly name: string;
  /** Provider type (`openai`, `anthropic`, `ollama`, `mock`): which definition built it. */
  readonly type: ProviderType;
  /** Model used when a request names none: the instance's `defaultModel`, else the type's default. */
  readonly defaultModel: string;
  /**
   * One completion. Rejects with an `AtlasError` whose kind decides retry, failover or failure; an
   * aborted `signal` rejects with kind `cancelled`. The call is bounded by the instance's `timeoutMs`.
   */
  generate(request: ProviderRequest, signal?: AbortSignal): Promise<ProviderResponse>;
  /**
   * The same call, streamed: text deltas and tool calls as they arrive, always ending with one `finish`
   * part that carries the whole response. Errors are thrown from the iteration, mapped as in `generate`.
   */
  stream(request: ProviderRequest, signal?: AbortSignal): AsyncIterable<StreamPart>;
  /** Embeds texts in order, one vector each. Present only on providers that can embed. */
  embed?(texts: string[], options?: EmbedOptions): Promise<EmbedResult>;
  /** Checks the key and reachability with the cheapest call the provider has. */
  checkHealth(signal?: AbortSignal): Promise<HealthReport>;
}
