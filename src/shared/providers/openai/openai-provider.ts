import type OpenAI from 'openai';
import { AtlasError } from '../../errors.js';
import type { Usage } from '../../jobs.js';
import { registerSecret } from '../../secrets.js';
import { throwIfAborted } from '../abort.js';
import { CallDeadline } from '../call-deadline.js';
import { estimateCostUsd, findModel, instanceCatalogue, type ModelInfo } from '../model-info.js';
import type {
  EmbedOptions,
  EmbedResult,
  HealthReport,
  Provider,
  ProviderRequest,
  ProviderResponse,
  StreamPart,
} from '../provider.js';
import { sdkFetch } from '../sdk-fetch.js';
import { openAISdk } from './load-openai-sdk.js';
import { mapOpenAIError } from './map-openai-error.js';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.js';
import { toOpenAIRequest } from './map-openai-request.js';
import { openaiDefaultModels } from './openai-models.js';
import {
  type OpenAIReply,
  openAICompletionSchema,
  openAIEmbeddingsSchema,
  parseOpenAIResponse,
  readToolCalls,
} from './openai-response-schemas.js';
import type { OpenAIInstanceSettings } from './openai-settings.js';
import { OpenAIStreamAssembler } from './openai-stream-assembler.js';

export interface OpenAIProviderOptions {
  /** Instance name, used for queues, breakers and in every error. @default 'openai' */
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
    this.defaultModel = options.settings.defaultModel ?? openaiDefaultModels.chat;
    this.apiKey = options.apiKey ?? process.env[options.settings.apiKeyEnv];
    registerSecret(this.apiKey);
  }

  async generate(request: ProviderRequest, signal?: AbortSignal): Promise<ProviderResponse> {
    const model = request.model ?? this.defaultModel;
    const deadline = new CallDeadline(this.settings.timeoutMs, signal);
    try {
      const body: unknown = await this.client().chat.completions.create(toOpenAIRequest(request, model), {
        signal: deadline.signal,
      });
      const completion = parseOpenAIResponse(openAICompletionSchema, body, this.name, 'chat completion');
      const [choice] = completion.choices;
      return this.response(request, model, {
        text: choice?.message.content ?? '',
        refusal: choice?.message.refusal ?? '',
        toolCalls: readToolCalls(choice?.message.tool_calls, this.name),
        finishReason: choice?.finish_reason ?? 'other',
        model: completion.model || model,
        usage: completion.usage ?? undefined,
      });
    } catch (error) {
      throw this.failure(error, deadline);
    } finally {
      deadline.dispose();
    }
  }

  async *stream(request: ProviderRequest, signal?: AbortSignal): AsyncIterable<StreamPart> {
    const model = request.model ?? this.defaultModel;
    const deadline = new CallDeadline(this.settings.timeoutMs, signal);
    const assembler = new OpenAIStreamAssembler(this.name, model);
    try {
      const chunks = await this.client().chat.completions.create(
        { ...toOpenAIRequest(request, model), stream: true, stream_options: { include_usage: true } },
        { signal: deadline.signal },
      );
      for await (const chunk of chunks) {
        // Chunks already received keep coming after an abort; stop at the next one.
        throwIfAborted(signal, this.name);
        const parts = assembler.push(chunk);
        // A slow consumer is not a silent server: the clock stops while a part is handed over.
        deadline.pause();
        yield* parts;
        deadline.touch();
      }
      // The SDK ends an aborted stream quietly, as if it were complete; the deadline knows better.
      const stopped = deadline.failure(this.name);
      if (stopped) throw stopped;
      yield { type: 'finish', response: this.response(request, model, assembler.finish()) };
    } catch (error) {
      throw this.failure(error, deadline);
    } finally {
      deadline.dispose();
    }
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<EmbedResult> {
    const model = options.model ?? openaiDefaultModels.embedding;
    if (texts.length === 0) return { vectors: [], model, usage: { inputTokens: 0, outputTokens: 0 } };
    const deadline = new CallDeadline(this.settings.timeoutMs, options.signal);
    try {
      // Floats, not the SDK's default base64: a compatible server that ignores `encoding_format` answers
      // floats, which the SDK would then decode as base64 into garbage of a quarter of the length.
      const body: unknown = await this.client().embeddings.create(
        { model, input: texts, encoding_format: 'float' },
        { signal: deadline.signal },
      );
      const result = parseOpenAIResponse(openAIEmbeddingsSchema, body, this.name, 'list of embeddings');
      if (result.data.length !== texts.length) {
        throw new AtlasError(
          'unavailable',
          `${this.name}: ${result.data.length} embeddings came back for ${texts.length} texts`,
          { provider: this.name },
        );
      }
      return {
        vectors: [...result.data].sort((a, b) => a.index - b.index).map((entry) => entry.embedding),
        model: result.model || model,
        usage: {
          inputTokens: result.usage?.prompt_tokens ?? estimateTokens(texts.join(' ')),
          outputTokens: 0,
        },
      };
    } catch (error) {
      throw this.failure(error, deadline);
    } finally {
      deadline.dispose();
    }
  }

  /** Lists models: the cheapest call that needs a valid key. Never throws. */
  async checkHealth(signal?: AbortSignal): Promise<HealthReport> {
    const started = Date.now();
    const keyPresent = Boolean(this.apiKey);
    const deadline = new CallDeadline(this.settings.timeoutMs, signal);
    try {
      await this.client().models.list({ signal: deadline.signal });
      return { ok: true, keyPresent, latencyMs: Date.now() - started };
    } catch (error) {
      const { kind, message } = this.failure(error, deadline);
      return { ok: false, keyPresent, latencyMs: Date.now() - started, error: { kind, message } };
    } finally {
      deadline.dispose();
    }
  }

  private client(): OpenAI {
    if (!this.apiKey) {
      throw new AtlasError('auth', `${this.name}: no API key; set ${this.settings.apiKeyEnv}`, {
        provider: this.name,
      });
    }
    this.sdk ??= new (openAISdk())({
      apiKey: this.apiKey,
      ...(this.settings.baseURL ? { baseURL: this.settings.baseURL } : {}),
      // Settings are the one source: left undefined, the SDK reads OPENAI_ORG_ID and OPENAI_PROJECT_ID
      // and would send OpenAI's account headers to every OpenAI-compatible instance as well.
      organization: this.settings.organization ?? null,
      project: null,
      maxRetries: 0,
      timeout: this.settings.timeoutMs,
      fetch: sdkFetch,
    });
    return this.sdk;
  }

  private failure(error: unknown, deadline: CallDeadline): AtlasError {
    return deadline.failure(this.name) ?? mapOpenAIError(error, this.name);
  }

  private response(request: ProviderRequest, requestedModel: string, reply: OpenAIReply): ProviderResponse {
    if (reply.finishReason === 'content_filter') {
      throw new AtlasError('content_policy', `${this.name}: the content filter stopped the reply`, {
        provider: this.name,
      });
    }
    if (reply.refusal && !reply.text && reply.toolCalls.length === 0) {
      throw new AtlasError('content_policy', `${this.name}: the model refused: ${reply.refusal}`, {
        provider: this.name,
      });
    }
    const usage: Usage = reply.usage
      ? { inputTokens: reply.usage.prompt_tokens, outputTokens: reply.usage.completion_tokens }
      : estimatedUsage(request, reply);
    const info = findModel(this.catalogue, reply.model) ?? findModel(this.catalogue, requestedModel);
    return {
      text: reply.text,
      toolCalls: reply.toolCalls,
      finishReason: mapOpenAIFinishReason(reply.finishReason),
      model: reply.model,
      usage,
      costUsd: estimateCostUsd(info, usage),
    };
  }
}

function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Some OpenAI-compatible servers send no usage, or ignore `stream_options`; a rough count beats none. */
function estimatedUsage(request: ProviderRequest, reply: OpenAIReply): Usage {
  const input = [request.system ?? '', ...request.messages.map((message) => message.content)]
    .filter(Boolean)
    .join('\n');
  const output = reply.text + reply.toolCalls.map((call) => JSON.stringify(call.arguments)).join('');
  return { inputTokens: estimateTokens(input), outputTokens: estimateTokens(output) };
}
