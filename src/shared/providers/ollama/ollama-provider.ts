import type { ChatResponse, Ollama } from 'ollama';
import { AtlasError } from '../../errors.js';
import type { ToolCall } from '../../jobs.js';
import { registerSecret } from '../../secrets.js';
import { throwIfAborted } from '../abort.js';
import { CallDeadline } from '../call-deadline.js';
import { checkContextWindow } from '../check-context-window.js';
import { mapHttpError, retryAfterMs } from '../map-http-error.js';
import { estimateCostUsd, findModel, instanceCatalogue, type ModelInfo } from '../model-info.js';
import type {
  EmbedOptions,
  EmbedResult,
  FinishReason,
  HealthReport,
  Provider,
  ProviderRequest,
  ProviderResponse,
  StreamPart,
} from '../provider.js';
import { ollamaClient } from './load-ollama-sdk.js';
import { toOllamaRequest } from './map-ollama-request.js';
import { ollamaDefaultModels } from './ollama-models.js';
import type { OllamaInstanceSettings } from './ollama-settings.js';

export interface OllamaProviderOptions {
  name?: string;
  settings: OllamaInstanceSettings;
  catalogue: readonly ModelInfo[];
}

/** One call: its own client, its deadline, and what it learned on the wire. */
interface CallState {
  client: Ollama;
  deadline: CallDeadline;
  retryAfterMs: () => number | undefined;
}

/**
 * Ollama's native API through the `ollama` package. The package has no per-call AbortSignal (its
 * `abort()` ends every stream of a client), so each call gets its own client whose fetch carries a
 * signal joining the caller's and the timeout's.
 */
export class OllamaProvider implements Provider {
  readonly type = 'ollama' as const;
  readonly name: string;
  readonly defaultModel: string;
  private readonly settings: OllamaInstanceSettings;
  private readonly catalogue: readonly ModelInfo[];
  private readonly host: string;
  private readonly apiKey: string | undefined;

  constructor(options: OllamaProviderOptions) {
    this.name = options.name ?? 'ollama';
    this.settings = options.settings;
    this.catalogue = instanceCatalogue(options.settings, options.catalogue);
    this.defaultModel = options.settings.defaultModel ?? ollamaDefaultModels.chat;
    this.host = options.settings.host ?? 'http://127.0.0.1:11434';
    this.apiKey = options.settings.apiKeyEnv ? process.env[options.settings.apiKeyEnv] : undefined;
    registerSecret(this.apiKey);
  }

  async generate(request: ProviderRequest, signal?: AbortSignal): Promise<ProviderResponse> {
    const model = request.model ?? this.defaultModel;
    const call = this.call(signal);
    try {
      checkContextWindow(request, findModel(this.catalogue, model), this.name);
      const reply = await call.client.chat({ ...toOllamaRequest(request, model), stream: false });
      return this.response(reply, reply.message.content, this.toolCalls(reply));
    } catch (error) {
      throw this.mapError(error, call);
    } finally {
      call.deadline.dispose();
    }
  }

  async *stream(request: ProviderRequest, signal?: AbortSignal): AsyncIterable<StreamPart> {
    const model = request.model ?? this.defaultModel;
    const call = this.call(signal);
    try {
      checkContextWindow(request, findModel(this.catalogue, model), this.name);
      const parts = await call.client.chat({ ...toOllamaRequest(request, model), stream: true });
      let text = '';
      const toolCalls: ToolCall[] = [];
      for await (const part of parts) {
        // Only the server's silence counts against the deadline, not the time a part spends with the consumer.
        call.deadline.pause();
        throwIfAborted(signal, this.name);
        if (part.message.content) {
          text += part.message.content;
          yield { type: 'text-delta', text: part.message.content };
        }
        for (const toolCall of this.toolCalls(part, toolCalls.length)) {
          toolCalls.push(toolCall);
          yield { type: 'tool-call', toolCall };
        }
        if (part.done) {
          yield { type: 'finish', response: this.response(part, text, toolCalls) };
          return;
        }
        call.deadline.touch();
      }
      throw new AtlasError('unavailable', `${this.name}: the stream ended before its final part`, {
        provider: this.name,
      });
    } catch (error) {
      throw this.mapError(error, call);
    } finally {
      call.deadline.dispose();
    }
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<EmbedResult> {
    const model = options.model ?? ollamaDefaultModels.embedding;
    const call = this.call(options.signal);
    try {
      const result = await call.client.embed({ model, input: texts });
      return {
        vectors: result.embeddings,
        model: result.model || model,
        usage: { inputTokens: result.prompt_eval_count ?? 0, outputTokens: 0 },
      };
    } catch (error) {
      throw this.mapError(error, call);
    } finally {
      call.deadline.dispose();
    }
  }

  async checkHealth(signal?: AbortSignal): Promise<HealthReport> {
    const started = Date.now();
    const call = this.call(signal);
    try {
      await call.client.list();
      return { ok: true, keyPresent: true, latencyMs: Date.now() - started };
    } catch (error) {
      const { kind, message } = this.mapError(error, call);
      return {
        ok: false,
        keyPresent: !this.settings.apiKeyEnv || Boolean(this.apiKey),
        latencyMs: Date.now() - started,
        error: { kind, message },
      };
    } finally {
      call.deadline.dispose();
    }
  }

  private call(signal: AbortSignal | undefined): CallState {
    const deadline = new CallDeadline(this.settings.timeoutMs, signal);
    let waitMs: number | undefined;
    const boundFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, { ...init, signal: deadline.signal });
      // The package's errors drop the headers; keep Retry-After here.
      if (response.status === 429) waitMs = retryAfterMs(response.headers);
      return response;
    };
    const client = new (ollamaClient())({
      host: this.host,
      fetch: boundFetch,
      ...(this.apiKey ? { headers: { Authorization: `Bearer ${this.apiKey}` } } : {}),
    });
    return { client, deadline, retryAfterMs: () => waitMs };
  }

  private mapError(error: unknown, call: CallState): AtlasError {
    const stopped = call.deadline.failure(this.name);
    if (stopped) return stopped;
    if (error instanceof AtlasError) return error;
    const status = (error as { status_code?: unknown }).status_code;
    if (typeof status === 'number') {
      const wait = call.retryAfterMs();
      return mapHttpError({
        provider: this.name,
        status,
        headers: wait === undefined ? undefined : { 'retry-after-ms': String(wait) },
        message: (error as { error?: string }).error ?? `HTTP ${status}`,
        cause: error,
      });
    }
    const detail = error instanceof Error ? error.message : String(error);
    return new AtlasError('unavailable', `${this.name}: ${detail}`, { provider: this.name, cause: error });
  }

  private toolCalls(reply: ChatResponse, offset = 0): ToolCall[] {
    // Ollama's tool calls carry no ids; number them so tool results can refer back.
    return (reply.message.tool_calls ?? []).map((call, index) => ({
      id: `call_${offset + index}`,
      name: call.function.name,
      arguments: (call.function.arguments ?? {}) as Record<string, unknown>,
    }));
  }

  private response(reply: ChatResponse, text: string, toolCalls: ToolCall[]): ProviderResponse {
    const finishReason: FinishReason =
      toolCalls.length > 0 ? 'tool_calls' : reply.done_reason === 'length' ? 'length' : 'stop';
    const usage = { inputTokens: reply.prompt_eval_count ?? 0, outputTokens: reply.eval_count ?? 0 };
    const model = reply.model || this.defaultModel;
    return {
      text,
      toolCalls,
      finishReason,
      model,
      usage,
      costUsd: estimateCostUsd(findModel(this.catalogue, model), usage),
    };
  }
}
