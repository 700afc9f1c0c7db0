import { AtlasError } from '../../errors.js';
import type { ToolCall } from '../../jobs.js';
import { parseToolArguments } from '../parse-tool-arguments.js';
import type { StreamPart } from '../provider.js';
import {
  type OpenAIReply,
  type OpenAIUsage,
  openAIChunkSchema,
  parseOpenAIResponse,
} from './openai-response-schemas.js';

interface PendingToolCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Turns `chat.completion.chunk`s into StreamParts. Text passes through as it comes; a tool call's
 * argument fragments are held until the call is complete (a later call starts, or the finish reason
 * arrives), then released as one `tool-call` part with parsed arguments.
 */
export class OpenAIStreamAssembler {
  private text = '';
  private refusal = '';
  private finishReason: string | undefined;
  private usage: OpenAIUsage | undefined;
  private readonly pending = new Map<number, PendingToolCall>();
  private readonly toolCalls: ToolCall[] = [];

  constructor(
    private readonly provider: string,
    private model: string,
  ) {}

  /** Takes one chunk and returns the parts it completes. */
  push(value: unknown): StreamPart[] {
    const chunk = parseOpenAIResponse(openAIChunkSchema, value, this.provider, 'chat completion chunk');
    if (chunk.model) this.model = chunk.model;
    // With include_usage the usage comes alone, in a last chunk with no choices.
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) return [];
    const parts: StreamPart[] = [];
    const delta = choice.delta;
    if (delta?.content) {
      this.text += delta.content;
      parts.push({ type: 'text-delta', text: delta.content });
    }
    if (delta?.refusal) this.refusal += delta.refusal;
    for (const fragment of delta?.tool_calls ?? []) {
      parts.push(...this.release((index) => index < fragment.index));
      const call = this.pending.get(fragment.index) ?? { id: '', name: '', arguments: '' };
      call.id ||= fragment.id ?? '';
      call.name ||= fragment.function?.name ?? '';
      call.arguments += fragment.function?.arguments ?? '';
      this.pending.set(fragment.index, call);
    }
    if (choice.finish_reason) {
      this.finishReason = choice.finish_reason;
      parts.push(...this.release(() => true));
    }
    return parts;
  }

  /** The whole reply; a stream that ended before its finish reason was cut short. */
  finish(): OpenAIReply {
    if (!this.finishReason) {
      throw new AtlasError('unavailable', `${this.provider}: the stream ended before its finish reason`, {
        provider: this.provider,
      });
    }
    return {
      text: this.text,
      refusal: this.refusal,
      toolCalls: this.toolCalls,
      finishReason: this.finishReason,
      model: this.model,
      usage: this.usage,
    };
  }

  private release(isComplete: (index: number) => boolean): StreamPart[] {
    const indexes = [...this.pending.keys()].filter(isComplete).sort((a, b) => a - b);
    return indexes.map((index) => {
      const call = this.pending.get(index)!;
      this.pending.delete(index);
      const toolCall: ToolCall = {
        id: call.id || `call_${index}`,
        name: call.name,
        arguments: parseToolArguments(call.arguments, this.provider, call.name),
      };
      this.toolCalls.push(toolCall);
      return { type: 'tool-call', toolCall };
    });
  }
}
