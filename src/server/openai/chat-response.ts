import type { GenerationResult, ToolCall } from '../../shared/jobs.js';

/** Atlas's extension of a completion: which request it was, who answered, every attempt, the cost. */
export function atlasFields(requestId: string, result: GenerationResult): object {
  return {
    requestId,
    provider: result.provider,
    hops: result.hops,
    costUsd: result.costUsd,
    latencyMs: result.latencyMs,
  };
}

export function usageOf(result: GenerationResult): object {
  const { inputTokens, outputTokens } = result.usage;
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
  };
}

export function toolCallsOf(calls: readonly ToolCall[]): object[] {
  return calls.map((call, index) => ({
    index,
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
  }));
}

export function finishReasonOf(result: GenerationResult): 'tool_calls' | 'stop' {
  return result.toolCalls.length > 0 ? 'tool_calls' : 'stop';
}

/** A `chat.completion` object, as OpenAI answers a request that does not stream. */
export function chatCompletionOf(requestId: string, result: GenerationResult, created: number): object {
  const toolCalls = toolCallsOf(result.toolCalls).map(
    ({ index: _index, ...call }: { index?: number }) => call,
  );
  return {
    id: `chatcmpl-${requestId}`,
    object: 'chat.completion',
    created,
    model: result.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: result.toolCalls.length > 0 && result.text === '' ? null : result.text,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReasonOf(result),
      },
    ],
    usage: usageOf(result),
    atlas: atlasFields(requestId, result),
  };
}

/** Builds the `chat.completion.chunk` objects of one streamed request. */
export class ChunkWriter {
  constructor(
    private readonly requestId: string,
    private readonly created: number,
    private model: string,
  ) {}

  chunk(delta: object, finishReason: string | null = null, extra: object = {}): object {
    return {
      id: `chatcmpl-${this.requestId}`,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...extra,
    };
  }

  /** The chunks that end a completed stream: tool calls (whole), the finish reason, usage when asked. */
  finish(result: GenerationResult, includeUsage: boolean): object[] {
    this.model = result.model;
    const chunks: object[] = [];
    if (result.toolCalls.length > 0) chunks.push(this.chunk({ tool_calls: toolCallsOf(result.toolCalls) }));
    chunks.push(this.chunk({}, finishReasonOf(result), { atlas: atlasFields(this.requestId, result) }));
    if (includeUsage)
      chunks.push({
        id: `chatcmpl-${this.requestId}`,
        object: 'chat.completion.chunk',
        created: this.created,
        model: this.model,
        choices: [],
        usage: usageOf(result),
      });
    return chunks;
  }
}
