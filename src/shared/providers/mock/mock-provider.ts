import { AtlasError } from '../../errors.js';
import { cancelledError, sleep, throwIfAborted } from '../abort.js';
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
import { hashingEmbedding } from './hashing-embedder.js';
import { mockDefaultModels } from './mock-models.js';
import { estimateTokens, type MockReply, mockReply, splitIntoDeltas } from './mock-reply.js';
import type { MockFailure, MockInstanceSettings } from './mock-settings.js';

export interface MockProviderOptions {
  name?: string;
  settings: MockInstanceSettings;
  catalogue: readonly ModelInfo[];
}

/** A record of one call, for tests that check what the provider was asked. */
export interface MockCall {
  operation: 'generate' | 'stream' | 'embed';
  request: ProviderRequest | { texts: string[] };
}

/**
 * The deterministic, network-free provider: the embedded default and the load-test target. Replies
 * come from a script of rules or are derived from the prompt; latency, a failure rate and scripted
 * failures by kind are settings.
 */
export class MockProvider implements Provider {
  readonly type = 'mock' as const;
  readonly name: string;
  readonly defaultModel: string;
  /** The latest calls (at most 1,000, so a long-running worker does not keep every text it embedded). */
  readonly calls: MockCall[] = [];
  private readonly settings: MockInstanceSettings;
  private readonly catalogue: readonly ModelInfo[];
  private callCount = 0;
  private random: () => number;

  constructor(options: MockProviderOptions) {
    this.name = options.name ?? 'mock';
    this.settings = options.settings;
    this.catalogue = instanceCatalogue(options.settings, options.catalogue);
    this.defaultModel = options.settings.defaultModel ?? mockDefaultModels.chat;
    this.random = seededRandom(options.settings.seed);
  }

  async generate(request: ProviderRequest, signal?: AbortSignal): Promise<ProviderResponse> {
    const { reply, model } = await this.begin('generate', request, signal, this.settings.latencyMs);
    return this.response(request, reply, model);
  }

  async *stream(request: ProviderRequest, signal?: AbortSignal): AsyncIterable<StreamPart> {
    const { reply, model } = await this.begin('stream', request, signal, 0);
    const deltas = splitIntoDeltas(reply.text);
    const pause = deltas.length > 0 ? this.settings.latencyMs / deltas.length : this.settings.latencyMs;
    const started = Date.now();
    for (const text of deltas) {
      await this.wait(pause, signal, started);
      yield { type: 'text-delta', text };
    }
    if (deltas.length === 0) await this.wait(pause, signal, started);
    for (const toolCall of reply.toolCalls) yield { type: 'tool-call', toolCall };
    yield { type: 'finish', response: this.response(request, reply, model) };
  }

  async embed(texts: string[], options: EmbedOptions = {}): Promise<EmbedResult> {
    throwIfAborted(options.signal, this.name);
    this.record({ operation: 'embed', request: { texts } });
    this.failIfScripted();
    const model = options.model ?? mockDefaultModels.embedding;
    const dimensions =
      findModel(this.catalogue, model)?.embeddingDimensions ?? this.settings.embeddingDimensions;
    return {
      vectors: texts.map((text) => hashingEmbedding(text, dimensions)),
      model,
      usage: { inputTokens: texts.reduce((sum, text) => sum + estimateTokens(text), 0), outputTokens: 0 },
    };
  }

  /** A health check is a call like any other: scripted failures (a revoked key, say) show in it. */
  async checkHealth(): Promise<HealthReport> {
    try {
      this.failIfScripted();
      return { ok: true, keyPresent: true, latencyMs: 0 };
    } catch (error) {
      const { kind, message } = error as AtlasError;
      return { ok: false, keyPresent: true, latencyMs: 0, error: { kind, message } };
    }
  }

  private record(call: MockCall): void {
    this.calls.push(call);
    if (this.calls.length > 1_000) this.calls.shift();
  }

  private async begin(
    operation: 'generate' | 'stream',
    request: ProviderRequest,
    signal: AbortSignal | undefined,
    latencyMs: number,
  ): Promise<{ reply: MockReply; model: string }> {
    throwIfAborted(signal, this.name);
    this.record({ operation, request });
    const callNumber = this.callCount;
    this.failIfScripted();
    await this.wait(latencyMs, signal, Date.now());
    const model = request.model ?? this.defaultModel;
    const reply = mockReply({
      instance: this.name,
      model,
      messages: request.messages,
      script: this.settings.script,
      responseFormat: request.responseFormat,
      callNumber,
    });
    return { reply, model };
  }

  /** Waits like a slow server would, failing as `timeout` once the instance's timeout has passed. */
  private async wait(ms: number, signal: AbortSignal | undefined, startedAt: number): Promise<void> {
    const remaining = this.settings.timeoutMs - (Date.now() - startedAt);
    if (ms > remaining) {
      await sleep(Math.max(0, remaining), signal, this.name);
      throw new AtlasError('timeout', `${this.name}: no reply within ${this.settings.timeoutMs} ms`, {
        provider: this.name,
      });
    }
    await sleep(ms, signal, this.name).catch((error: unknown) => {
      throw signal?.aborted ? cancelledError(this.name, signal.reason) : error;
    });
  }

  private failIfScripted(): void {
    const call = this.callCount++;
    const scripted = findScriptedFailure(this.settings.failures, call);
    if (scripted) throw scriptedError(scripted, this.name);
    if (this.settings.failureRate > 0 && this.random() < this.settings.failureRate) {
      throw new AtlasError('unavailable', `${this.name}: simulated failure`, {
        provider: this.name,
        status: 503,
      });
    }
  }

  private response(request: ProviderRequest, reply: MockReply, model: string): ProviderResponse {
    const inputText = [request.system ?? '', ...request.messages.map((message) => message.content)].join(
      '\n',
    );
    const usage = { inputTokens: estimateTokens(inputText), outputTokens: estimateTokens(reply.text) };
    return {
      text: reply.text,
      toolCalls: reply.toolCalls,
      finishReason: reply.toolCalls.length > 0 ? 'tool_calls' : 'stop',
      model,
      usage,
      costUsd: estimateCostUsd(findModel(this.catalogue, model), usage),
    };
  }
}

/** Scripted failures apply in order: each covers calls [afterCalls, afterCalls + times) counted from its predecessor's end. */
function findScriptedFailure(failures: readonly MockFailure[], call: number): MockFailure | undefined {
  let start = 0;
  for (const failure of failures) {
    start += failure.afterCalls;
    if (call >= start && call < start + failure.times) return failure;
    start += failure.times;
  }
  return undefined;
}

const statusByKind: Record<MockFailure['kind'], number> = {
  rate_limited: 429,
  unavailable: 503,
  timeout: 408,
  auth: 401,
  context_length: 400,
  content_policy: 400,
  invalid_request: 400,
};

function scriptedError(failure: MockFailure, provider: string): AtlasError {
  const retryAfterMs = failure.kind === 'rate_limited' ? (failure.retryAfterMs ?? 1_000) : undefined;
  return new AtlasError(failure.kind, `${provider}: scripted ${failure.kind} failure`, {
    provider,
    status: statusByKind[failure.kind],
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
