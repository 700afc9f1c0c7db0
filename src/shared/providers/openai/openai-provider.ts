import OpenAI from 'openai';
import type { OpenAIInstanceSettings } from '../../config.js';
import { AtlasError } from '../../errors.js';
import type { ToolCall } from '../../jobs.js';
import { registerSecret } from '../../log.js';
import { throwIfAborted } from '../abort.js';
import {
  defaultModels,
  estimateCostUsd,
  findModel,
  instanceCatalogue,
  type ModelInfo,
} from '../catalogue.js';
import { parseToolArguments } from '../parse-tool-arguments.js';
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
import { mapOpenAIError } from './map-openai-error.js';
import { mapOpenAIFinishReason, toOpenAIRequest } from './map-openai-request.js';

export interface OpenAIProviderOptions {
  name?: string;
  settings: OpenAIInstanceSettings;
  catalogue: readonly ModelInfo[];
  /** @default process.env[settings.apiKeyEnv] */
  apiKey?: string;
}

/** OpenAI's Chat Completions and Embeddings through the official SDK; also any OpenAI-compatible endpoint. */
export class OpenAIProvider implements Provider {
  readonly type = 'openai' as const;
  readonly name: string;
  readonly defaultModel: string;
  private readonly settings: OpenAIInstanceSettings;
  private readonly catalogue: readonly ModelInfo[];
  private readonly apiKey: string | undefined;
  private sdk: OpenAI | undefined;

  constructor(options: OpenAIProviderOptions) {
    this.name = options.name ?? 'openai';
    this.settings = options.settings;
    this.catalogue = instanceCatalogue(options.settings, options.catalogue);
    this.defaultModel = options.settings.defaultModel ?? defaultModels.openai.chat;
    this.apiKey = options.apiKey ?? process.env[options.settings.apiKeyEnv];
    registerSecret(this.apiKey);
  }

  async generate(request: ProviderRequest, signal?: AbortSignal): Promise<ProviderResponse> {
    const model = request.model ?? this.defaultModel;
    try {
      const completion = await this.client().chat.completions.create(toOpenAIRequest(request, model), {
        signal,
      });
      const choice = completion.choices[0];
      if (!choice)
        throw new AtlasError('unavailable', `${this.name}: the response has no choices`, {
          provider: this.name,
        });
      const toolCalls = (choice.message.tool_calls ?? []).flatMap((call) =>
        call.type === 'function'
          ? [
              {
                id: call.id,
                name: call.function.name,
                arguments: parseToolArguments(call.function.arguments, this.name, call.function.name),
              },
            ]
          : [],
      );
      const text = choice.message.content ?? '';
      if (!text && toolCalls.length === 0 && choice.message.refusal) {
        throw new AtlasError('content_policy', `${this.name}: the model refused: ${choice.message.refusal}`, {
          provider: this.name,
        });
      }
      return this.response(
        text,
        toolCalls,
        mapOpenAIFinishReason(choice.finish_reason),
        completion.model,
        completion.usage,
      );
    } catch (error) {
      throw mapOpenAIError(error, this.name, signal);
    }
  }

  async *stream(request: ProviderRequest, signal?: AbortSignal): AsyncIterable<StreamPart> {
    const model = request.model ?? this.defaultModel;
    let text = '';
    let finishReason: string | null | undefined;
    let reportedModel = model;
    let usage: OpenAI.Completions.CompletionUsage | undefined;
    const calls = new Map<number, { id: string; name: string; arguments: string }>();
    try {
      const chunks = await this.client().chat.completions.create(
        { ...toOpenAIRequest(request, model), stream: true, stream_options: { include_usage: true } },
        { signal },
      );
      for await (const chunk of chunks) {
        // Chunks already received keep coming after an abort; stop at the next one.
        throwIfAborted(signal, this.name);
        reportedModel = chunk.model || reportedModel;
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices[0];
        if (!choice) continue;
        if (choice.delta.content) {
          text += choice.delta.content;
          yield { type: 'text-delta', text: choice.delta.content };
        }
        for (const delta of choice.delta.tool_calls ?? []) {
          const call = calls.get(delta.index) ?? { id: '', name: '', arguments: '' };
          call.id ||= delta.id ?? '';
          call.name ||= delta.function?.name ?? '';
          call.arguments += delta.function?.arguments ?? '';
          calls.set(delta.index, call);
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
      if (!finishReason) {
        throw new AtlasError('unavailable', `${this.name}: the stream ended before its finish reason`, {
          provider: this.name,
        });
      }
      const toolCalls: ToolCall[] = [...calls.entries()]
        .sort(([a], [b]) => a - b)
        .map(([, call]) => ({
          id: call.id,
          name: call.name,
          arguments: parseToolArguments(call.arguments, this.name, call.name),
        }));
      for (const toolCall of toolCalls) yield { type: 'tool-call', toolCall };
      yield {
        type: 'finish',
        response: this.response(text, toolCalls, mapOpenAIFinishReason(finishReason), reportedModel, usage),
      };
    } catch (error) {
      throw mapOpenAIError(error, this.name, signal);
    }
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<EmbedResult> {
    const model = options.model ?? defaultModels.openai.embedding;
    try {
      const result = await this.client().embeddings.create(
        { model, input: texts },
        { signal: options.signal },
      );
      return {
        vectors: [...result.data].sort((a, b) => a.index - b.index).map((entry) => entry.embedding),
        model: result.model,
        usage: { inputTokens: result.usage.prompt_tokens, outputTokens: 0 },
      };
    } catch (error) {
      throw mapOpenAIError(error, this.name, options.signal);
    }
  }

  async checkHealth(signal?: AbortSignal): Promise<HealthReport> {
    const started = Date.now();
    try {
      await this.client().models.list({ signal });
      return { ok: true, keyPresent: true, latencyMs: Date.now() - started };
    } catch (error) {
      const { kind, message } = mapOpenAIError(error, this.name, signal);
      return {
        ok: false,
        keyPresent: Boolean(this.apiKey),
        latencyMs: Date.now() - started,
        error: { kind, message },
      };
    }
  }

  private client(): OpenAI {
    if (!this.apiKey) {
      throw new AtlasError('auth', `${this.name}: no API key; set ${this.settings.apiKeyEnv}`, {
        provider: this.name,
      });
    }
    this.sdk ??= new OpenAI({
      apiKey: this.apiKey,
      ...(this.settings.baseURL ? { baseURL: this.settings.baseURL } : {}),
      ...(this.settings.organization ? { organization: this.settings.organization } : {}),
      maxRetries: 0,
      timeout: this.settings.timeoutMs,
    });
    return this.sdk;
  }

  private response(
    text: string,
    toolCalls: ToolCall[],
    finishReason: FinishReason,
    model: string,
    usage: OpenAI.Completions.CompletionUsage | undefined,
  ): ProviderResponse {
    const tokens = { inputTokens: usage?.prompt_tokens ?? 0, outputTokens: usage?.completion_tokens ?? 0 };
    return {
      text,
      toolCalls,
      finishReason,
      model,
      usage: tokens,
      costUsd: estimateCostUsd(findModel(this.catalogue, model), tokens),
    };
  }
}
