import type Anthropic from '@anthropic-ai/sdk';
import { AtlasError } from '../../errors.js';
import type { ToolCall } from '../../jobs.js';
import { registerSecret } from '../../secrets.js';
import { throwIfAborted } from '../abort.js';
import { CallDeadline } from '../call-deadline.js';
import { checkContextWindow } from '../check-context-window.js';
import { estimateCostUsd, findModel, instanceCatalogue, type ModelInfo } from '../model-info.js';
import { parseToolArguments } from '../parse-tool-arguments.js';
import type {
  FinishReason,
  HealthReport,
  Provider,
  ProviderRequest,
  ProviderResponse,
  StreamPart,
} from '../provider.js';
import { sdkFetch } from '../sdk-fetch.js';
import { anthropicDefaultModels } from './anthropic-models.js';
import type { AnthropicInstanceSettings } from './anthropic-settings.js';
import { anthropicSdk } from './load-anthropic-sdk.js';
import { mapAnthropicError } from './map-anthropic-error.js';
import { mapAnthropicStopReason, structuredToolName, toAnthropicRequest } from './map-anthropic-request.js';

export interface AnthropicProviderOptions {
  name?: string;
  settings: AnthropicInstanceSettings;
  catalogue: readonly ModelInfo[];
  /** @default process.env[settings.apiKeyEnv] */
  apiKey?: string;
}

/** Max tokens sent when the request gives none: the Messages API requires one. */
const defaultMaxTokens = 1024;

/** Anthropic's Messages API through the official SDK. Anthropic has no embeddings endpoint. */
export class AnthropicProvider implements Provider {
  readonly type = 'anthropic' as const;
  readonly name: string;
  readonly defaultModel: string;
  private readonly settings: AnthropicInstanceSettings;
  private readonly catalogue: readonly ModelInfo[];
  private readonly apiKey: string | undefined;
  private sdk: Anthropic | undefined;

  constructor(options: AnthropicProviderOptions) {
    this.name = options.name ?? 'anthropic';
    this.settings = options.settings;
    this.catalogue = instanceCatalogue(options.settings, options.catalogue);
    this.defaultModel = options.settings.defaultModel ?? anthropicDefaultModels.chat;
    this.apiKey = options.apiKey ?? process.env[options.settings.apiKeyEnv];
    registerSecret(this.apiKey);
  }

  async generate(request: ProviderRequest, signal?: AbortSignal): Promise<ProviderResponse> {
    const model = request.model ?? this.defaultModel;
    const deadline = new CallDeadline(this.settings.timeoutMs, signal);
    try {
      checkContextWindow(request, findModel(this.catalogue, model), this.name);
      const message = await this.client().messages.create(
        toAnthropicRequest(request, model, defaultMaxTokens),
        { signal: deadline.signal },
      );
      const structured = structuredToolName(request);
      let text = '';
      const toolCalls: ToolCall[] = [];
      for (const block of message.content) {
        if (block.type === 'text') text += block.text;
        else if (block.type === 'tool_use' && block.name === structured) text = JSON.stringify(block.input);
        else if (block.type === 'tool_use')
          toolCalls.push({
            id: block.id,
            name: block.name,
            arguments: block.input as Record<string, unknown>,
          });
      }
      if (message.stop_reason === 'refusal' && !text && toolCalls.length === 0) {
        throw new AtlasError('content_policy', `${this.name}: the model refused the request`, {
          provider: this.name,
        });
      }
      const finishReason = structured ? 'stop' : mapAnthropicStopReason(message.stop_reason);
      return this.response(
        text,
        toolCalls,
        finishReason,
        message.model,
        message.usage.input_tokens,
        message.usage.output_tokens,
      );
    } catch (error) {
      throw deadline.failure(this.name) ?? mapAnthropicError(error, this.name, signal);
    } finally {
      deadline.dispose();
    }
  }

  async *stream(request: ProviderRequest, signal?: AbortSignal): AsyncIterable<StreamPart> {
    const model = request.model ?? this.defaultModel;
    const structured = structuredToolName(request);
    let text = '';
    let reportedModel = model;
    let stopReason: string | null | undefined;
    let inputTokens = 0;
    let outputTokens = 0;
    let finished = false;
    const blocks = new Map<number, { id: string; name: string; json: string }>();
    const toolCalls: ToolCall[] = [];
    const deadline = new CallDeadline(this.settings.timeoutMs, signal);
    try {
      checkContextWindow(request, findModel(this.catalogue, model), this.name);
      const events = await this.client().messages.create(
        { ...toAnthropicRequest(request, model, defaultMaxTokens), stream: true },
        { signal: deadline.signal },
      );
      for await (const event of events) {
        // Only the server's silence counts against the deadline, not the time a part spends with the consumer.
        deadline.pause();
        throwIfAborted(signal, this.name);
        switch (event.type) {
          case 'message_start':
            reportedModel = event.message.model;
            inputTokens = event.message.usage.input_tokens;
            outputTokens = event.message.usage.output_tokens;
            break;
          case 'content_block_start':
            if (event.content_block.type === 'tool_use') {
              blocks.set(event.index, {
                id: event.content_block.id,
                name: event.content_block.name,
                json: '',
              });
            }
            break;
          case 'content_block_delta': {
            const block = blocks.get(event.index);
            if (event.delta.type === 'text_delta') {
              text += event.delta.text;
              yield { type: 'text-delta', text: event.delta.text };
            } else if (event.delta.type === 'input_json_delta' && block) {
              block.json += event.delta.partial_json;
              // Structured output arrives as the forced tool's input: it is the answer's text.
              if (block.name === structured && event.delta.partial_json) {
                text += event.delta.partial_json;
                yield { type: 'text-delta', text: event.delta.partial_json };
              }
            }
            break;
          }
          case 'content_block_stop': {
            const block = blocks.get(event.index);
            if (block && block.name !== structured) {
              const toolCall = {
                id: block.id,
                name: block.name,
                arguments: parseToolArguments(block.json, this.name, block.name),
              };
              toolCalls.push(toolCall);
              yield { type: 'tool-call', toolCall };
            }
            break;
          }
          case 'message_delta':
            stopReason = event.delta.stop_reason;
            outputTokens = event.usage.output_tokens;
            if (event.usage.input_tokens) inputTokens = event.usage.input_tokens;
            break;
          case 'message_stop':
            finished = true;
            break;
        }
        deadline.touch();
      }
      if (!finished) {
        throw new AtlasError('unavailable', `${this.name}: the stream ended before message_stop`, {
          provider: this.name,
        });
      }
      if (stopReason === 'refusal' && !text && toolCalls.length === 0) {
        throw new AtlasError('content_policy', `${this.name}: the model refused the request`, {
          provider: this.name,
        });
      }
      const finishReason = structured ? 'stop' : mapAnthropicStopReason(stopReason);
      yield {
        type: 'finish',
        response: this.response(text, toolCalls, finishReason, reportedModel, inputTokens, outputTokens),
      };
    } catch (error) {
      throw deadline.failure(this.name) ?? mapAnthropicError(error, this.name, signal);
    } finally {
      deadline.dispose();
    }
  }

  async checkHealth(signal?: AbortSignal): Promise<HealthReport> {
    const started = Date.now();
    try {
      await this.client().models.list({ limit: 1 }, { signal });
      return { ok: true, keyPresent: true, latencyMs: Date.now() - started };
    } catch (error) {
      const { kind, message } = mapAnthropicError(error, this.name, signal);
      return {
        ok: false,
        keyPresent: Boolean(this.apiKey),
        latencyMs: Date.now() - started,
        error: { kind, message },
      };
    }
  }

  private client(): Anthropic {
    if (!this.apiKey) {
      throw new AtlasError('auth', `${this.name}: no API key; set ${this.settings.apiKeyEnv}`, {
        provider: this.name,
      });
    }
    this.sdk ??= new (anthropicSdk())({
      apiKey: this.apiKey,
      ...(this.settings.baseURL ? { baseURL: this.settings.baseURL } : {}),
      maxRetries: 0,
      timeout: this.settings.timeoutMs,
      fetch: sdkFetch,
    });
    return this.sdk;
  }

  private response(
    text: string,
    toolCalls: ToolCall[],
    finishReason: FinishReason,
    model: string,
    inputTokens: number,
    outputTokens: number,
  ): ProviderResponse {
    const usage = { inputTokens, outputTokens };
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
